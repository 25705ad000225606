// The layering of lib/ (docs/layout.md), held by dependency-cruiser: bottom first, a module imports
// only from its own layer or a lower one, and no modules import each other in a loop. Tests and
// testing/ helpers are outside the layering. `npm run layers` checks it (in .ci/run), and
// lib/layout.test.ts checks that every folder and top-level file of lib/ has a layer in lib/layers.json.

/** Bottom first. A unit is a folder of lib/ or a file directly in it. */
const LAYERS = require('./lib/layers.json');

const pathOf = (unit) => (unit.endsWith('.ts') ? `^lib/${unit.replaceAll('.', '[.]')}$` : `^lib/${unit}/`);
const NOT_PRODUCTION = '([.]test[.]ts$|/testing/)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other in a loop.',
      from: { pathNot: NOT_PRODUCTION },
      to: { circular: true },
    },
    // The top layer has none above it: no rule (an empty path list would match everything).
    ...LAYERS.slice(0, -1).flatMap((layer, i) =>
      layer.map((unit) => ({
        name: `layer-${unit}`,
        severity: 'error',
        comment: `${unit} (layer ${i}) may import only from its own layer or a lower one (docs/layout.md).`,
        from: { path: pathOf(unit), pathNot: NOT_PRODUCTION },
        to: {
          path: LAYERS.slice(i + 1)
            .flat()
            .map(pathOf),
        },
      })),
    ),
  ],
  options: {
    includeOnly: '^lib/',
    exclude: { path: NOT_PRODUCTION },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

// The layering of docs/layout.md, held: a module imports only from its own layer or a lower one,
// and no files import each other in a loop. A new folder must be given its layer here.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from './package-root.js';

/** Bottom first. A unit is a folder of lib/ or a file directly in it. */
const LAYERS: readonly (readonly string[])[] = [
  [
    'model.ts',
    'group-by.ts',
    'memo.ts',
    'escape.ts',
    'nearest.ts',
    'package-root.ts',
    'output-error.ts',
    'input-file.ts',
    'time',
  ],
  ['pve', 'postfix', 'catalogue'],
  ['bindings'],
  ['calendar'],
  ['snapshot', 'results', 'init'],
  ['collect', 'rules'],
  ['gates', 'report', 'notify'],
  ['cli'],
];

const LIB = path.join(PACKAGE_ROOT, 'lib');
const isProductionSource = (file: string) =>
  /\.(ts|mjs)$/.test(file) && !/\.test\.ts$/.test(file) && !file.split(path.sep).includes('testing');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : isProductionSource(full) ? [full] : [];
  });
}

/** Relative imports of a file, resolved to the .ts files they name. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [
    ...text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^'";]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g,
    ),
  ]
    .map((m) => path.resolve(path.dirname(file), (m[1] ?? m[2])!).replace(/\.js$/, '.ts'))
    .filter((target) => !target.endsWith('.json'));
}

const unitOf = (file: string) => path.relative(LIB, file).split(path.sep)[0]!;
const layerOf = (unit: string) => LAYERS.findIndex((layer) => layer.includes(unit));
const FILES = sources(LIB);

describe('the layering of lib/ (docs/layout.md)', () => {
  it('places every folder and top-level file of lib/ in a layer', () => {
    expect([...new Set(FILES.map(unitOf))].filter((u) => layerOf(u) < 0)).toEqual([]);
  });

  it('has no import from a lower layer up to a higher one', () => {
    const upward = FILES.flatMap((file) =>
      importsOf(file)
        .filter((target) => layerOf(unitOf(target)) > layerOf(unitOf(file)))
        .map((target) => `${path.relative(LIB, file)} → ${path.relative(LIB, target)}`),
    );
    expect(upward).toEqual([]);
  });

  it('has no files that import each other in a loop', () => {
    const graph = new Map(FILES.map((f) => [f, importsOf(f).filter((t) => FILES.includes(t))]));
    const loops: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        loops.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(LIB, f)).join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file)!) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of FILES) visit(file, []);
    expect(loops).toEqual([]);
  });

  it('sees the imports it judges (a check that reads nothing would pass anything)', () => {
    expect(FILES.length).toBeGreaterThan(100);
    expect(importsOf(path.join(LIB, 'gates', 'run-gates.ts')).map((t) => path.relative(LIB, t))).toContain(
      path.join('results', 'run-result.ts'),
    );
  });
});

// The layering of docs/layout.md, held by dependency-cruiser (.dependency-cruiser.cjs, layers in
// lib/layers.json): no import from a lower layer up to a higher one, no modules importing each other
// in a loop. Here: every folder of lib/ has a layer, and the cruiser finds no violation while it
// really sees the imports it judges.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from './package-root.js';

const LIB = path.join(PACKAGE_ROOT, 'lib');
const LAYERS = JSON.parse(readFileSync(path.join(LIB, 'layers.json'), 'utf8')) as string[][];
const isProductionSource = (name: string) =>
  /\.(ts|mjs)$/.test(name) && !name.endsWith('.test.ts') && !name.endsWith('.d.ts');

interface Cruise {
  summary: { violations: Array<{ from: string; to: string; rule: { name: string } }> };
  modules: Array<{ source: string; dependencies: Array<{ resolved: string }> }>;
}

const cruise = (): Cruise =>
  JSON.parse(
    execFileSync(
      path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'depcruise'),
      ['lib', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
      { cwd: PACKAGE_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 },
    ),
  ) as Cruise;

describe('the layering of lib/ (docs/layout.md)', () => {
  const result = cruise();

  it('places every folder and top-level file of lib/ in a layer', () => {
    const units = readdirSync(LIB, { withFileTypes: true })
      .filter((e) => (e.isDirectory() ? e.name !== 'testing' && e.name !== 'ci' : isProductionSource(e.name)))
      .map((e) => e.name);
    expect(units.filter((u) => !LAYERS.some((layer) => layer.includes(u)))).toEqual([]);
  });

  it('has no import from a lower layer up to a higher one, and no loop (dependency-cruiser)', () => {
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it('sees the imports it judges (a check that reads nothing would pass anything)', () => {
    expect(result.modules.length).toBeGreaterThan(100);
    const runGates = result.modules.find((m) => m.source === 'lib/gates/run-gates.ts');
    expect(runGates?.dependencies.map((d) => d.resolved)).toContain('lib/results/run-result.ts');
  });
});

// What `npm pack` ships: no test, no test helper. A helper outside a testing/ folder would ship
// (package.json "files" leaves out only *.test.ts and testing/), and nothing the package runs
// imports it: every shipped source must be reached from the package's entries.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GATES } from './catalogue/gates.js';
import { PACKAGE_ROOT } from './package-root.js';

/** The files `npm pack` would put in the tarball, relative to the package root. */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: PACKAGE_ROOT,
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

/** Relative imports of a source file, as source paths (`./x.js` → `<dir>/x.ts`). */
function relativeImports(file: string): string[] {
  const text = readFileSync(path.join(PACKAGE_ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) =>
    path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
  );
}

describe('the package', () => {
  const files = packedFiles();

  it('ships no test and no testing/ folder', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((f) => /\.test\.(ts|js)(\.map)?$/.test(f) || f.split('/').includes('testing'))).toEqual([]);
  });

  it('ships only sources its entries (the ops CLI, the gate files) reach: no test helper', () => {
    const sources = new Set(files.filter((f) => /^(lib|gates)\/.*\.ts$/.test(f) && !f.endsWith('.d.ts')));
    const entries = ['lib/cli/ops.ts', ...GATES.map((g) => g.file)];
    const reached = new Set<string>();
    const queue = [...entries];
    while (queue.length) {
      const file = queue.pop()!;
      if (reached.has(file) || !sources.has(file)) continue;
      reached.add(file);
      queue.push(...relativeImports(file));
    }
    expect(entries.filter((e) => !sources.has(e))).toEqual([]);
    expect([...sources].filter((f) => !reached.has(f))).toEqual([]);
  });
});

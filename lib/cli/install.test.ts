// The README's install path on a fresh CI runner: the lines of "Five minutes to a green pre-merge
// check" that install spine-gates and commit it, run in a new repository with an empty npm cache,
// then `npm ci` in a clone of that repository with another empty cache. spine-gates itself must
// come from the repository (vendor/), its dependencies from the npm registry.
// Needs `npm run build` first (the tarball packs dist/) and the npm registry.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, TOOL } from '../package-root.js';

const README = readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
const TMP = mkdtempSync(path.join(tmpdir(), 'install-'));

/** The README's shell lines of the five-minute section, comments dropped, `<version>` filled in. */
function readmeLine(start: string): string {
  const section = README.slice(README.indexOf('## Five minutes to a green pre-merge check'));
  const line = section.split('\n').find((l) => l.startsWith(start));
  if (!line) throw new Error(`the README's five-minute section has no line starting "${start}"`);
  return line.replace(/\s+#.*$/, '').replaceAll('<version>', TOOL.version);
}

const sh = (command: string, cwd: string, env: Record<string, string> = {}) =>
  execFileSync('bash', ['-euo', 'pipefail', '-c', command], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      ...env,
    },
  });

describe('the README install path on a fresh runner', () => {
  it(
    'installs from a committed vendor/ tarball: npm ci works in a clone with an empty npm cache',
    { timeout: 600_000 },
    () => {
      expect(existsSync(path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js')), 'run `npm run build` first').toBe(
        true,
      );
      // The release tarball, as `npm pack` makes it (dist/ is already built).
      const packed = path.join(TMP, 'pack');
      mkdirSync(packed);
      sh(`npm pack --ignore-scripts --silent --pack-destination ${JSON.stringify(packed)}`, PACKAGE_ROOT);
      const tarball = path.join(packed, `spine-gates-${TOOL.version}.tgz`);
      expect(existsSync(tarball)).toBe(true);

      const repo = path.join(TMP, 'repo');
      mkdirSync(repo);
      sh('git init -q', repo);
      writeFileSync(path.join(repo, 'package.json'), `${JSON.stringify({ name: 'estate', private: true }, null, 2)}\n`);
      // What the steps between install and commit would have made.
      mkdirSync(path.join(repo, 'ops', 'bindings'), { recursive: true });
      writeFileSync(path.join(repo, 'ops', 'bindings', 'backup.inventory.yaml'), 'version: 1\ntargets: []\n');
      mkdirSync(path.join(repo, '.github', 'workflows'), { recursive: true });
      writeFileSync(path.join(repo, '.github', 'workflows', 'x.yml'), 'on: push\n');
      writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\nreports/\n');

      const npmFlags = (cache: string) => ` --cache ${JSON.stringify(cache)} --no-audit --no-fund --loglevel=error`;
      sh(readmeLine('mkdir -p vendor').replace('/path/to/', `${path.dirname(tarball)}/`), repo);
      sh(readmeLine('npm install --save-dev') + npmFlags(path.join(TMP, 'cache-1')), repo);
      const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
      expect(manifest.devDependencies['spine-gates']).toBe(`file:vendor/spine-gates-${TOOL.version}.tgz`);
      sh(readmeLine('git add'), repo);

      // A fresh runner: a clone (only what was committed) and an npm cache that has never seen spine-gates.
      const clone = path.join(TMP, 'clone');
      sh(`git clone -q ${JSON.stringify(repo)} ${JSON.stringify(clone)}`, TMP);
      const emptyCache = path.join(TMP, 'cache-2');
      mkdirSync(emptyCache);
      sh(`npm ci${npmFlags(emptyCache)}`, clone);
      expect(sh('npx --no-install ops --version', clone).trim()).toBe(`spine-gates ${TOOL.version}`);
      // The workflows' scripts are where SPINE_GATES_CI says.
      expect(existsSync(path.join(clone, 'node_modules', 'spine-gates', 'ci', 'pre-merge.sh'))).toBe(true);
    },
  );
});

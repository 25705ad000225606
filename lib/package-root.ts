// Where the package lives (the checkout, or node_modules/spine-gates when installed): gate files
// and the bundled demo site are found relative to it, from lib/ (vitest) and dist/lib/ (CLI) alike.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'spine-gates') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('spine-gates: cannot find the package root (package.json)');
    dir = parent;
  }
}

export const PACKAGE_ROOT = findRoot();
export const TOOL = {
  name: 'spine-gates',
  version: JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version as string,
};
export const DEMO_SITE = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');

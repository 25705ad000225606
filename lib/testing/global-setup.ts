// The project's vitest global setup (vitest.config.ts): before any test file runs, and again before
// each rerun in watch mode, dist/ is made current (lib/testing/fresh-build.ts), so the tests that run
// the built `ops` never test an old build.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureFreshBuild } from './fresh-build.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default function setup(project: TestProject): void {
  ensureFreshBuild(ROOT);
  project.onTestsRerun(() => ensureFreshBuild(ROOT));
}

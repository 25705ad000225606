// Test-only: a test or suite that skips says why, in its name (every reporter shows names: the JSON
// one, --reporter=verbose) and in one printed line (the default reporter shows neither skipped
// names nor ctx.skip notes, but it prints what a test file logs).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

/** `name`, or, when `why` is set, `name (skipped: why)` with the reason printed once. */
export function skipNamed(name: string, why: string | null): string {
  if (!why) return name;
  console.log(`skipped: ${name}: ${why}`);
  return `${name} (skipped: ${why})`;
}

/**
 * The operator's own bindings at two dates, beside the checkout in ../shared/reference (every
 * developer and CI run has ../shared; README, "Set-up"), and why the tests that load them skip
 * without it.
 */
export const REFERENCE = path.join(PACKAGE_ROOT, '..', 'shared', 'reference');
export const NO_REFERENCE = existsSync(REFERENCE)
  ? null
  : `no reference bindings at ${REFERENCE} (a clone without ../shared)`;

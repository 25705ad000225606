// SIGINT/SIGTERM (Ctrl-C, a CI cancel, `timeout`): `ops` stops at once, leaving nothing half-made.
// Cleanups are synchronous on purpose: the handler runs them and exits in the same tick, before
// vitest's own signal handler (registered later) or any pending write can run.

import { rmSync } from 'node:fs';
import { constants } from 'node:os';

const cleanups = new Set<() => void>();

/** Removes `dir` (recursively) if the process is interrupted before `done()` is called. */
export function removeIfInterrupted(dir: string): { done(): void } {
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  cleanups.add(cleanup);
  return {
    done: () => {
      cleanups.delete(cleanup);
    },
  };
}

/** Installs the handlers: the first signal runs every cleanup and exits 128 + its number, as a shell reports it. */
export function exitOnInterrupt(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const cleanup of cleanups) {
        try {
          cleanup();
        } catch {
          /* best effort: the exit matters more */
        }
      }
      process.stderr.write(`ops: interrupted by ${signal}\n`);
      process.exit(128 + constants.signals[signal]);
    });
  }
}

// Runs the selected gate files as one vitest run with the verify input provided to them.
// Vitest's own console output is captured, and shown only when something went wrong.

import { PassThrough } from 'node:stream';
import { PACKAGE_ROOT } from '../package-root.js';
import { GateReporter } from '../report/gate-reporter.js';
import type { GateResult } from '../report/run-result.js';
import type { VerifyInput } from '../rules/input.js';
import type { GateInfo } from './registry.js';

export interface GateRun {
  gates: GateResult[];
  /** Problems outside any finding: unhandled errors and vitest's own complaints. */
  problems: string[];
}

export async function runGates(gates: readonly GateInfo[], input: VerifyInput): Promise<GateRun> {
  const { startVitest } = await import('vitest/node');
  const reporter = new GateReporter();
  const captured: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => captured.push(chunk.toString()));
  const vitest = await startVitest('test', [], {
    config: false,
    root: PACKAGE_ROOT,
    include: gates.map((g) => g.file),
    provide: { verifyInput: input },
    reporters: [reporter],
    watch: false,
    allowOnly: false,
    cache: false,
    // Gates are pure functions of the provided input: one thread, no per-file isolation needed.
    pool: 'threads',
    isolate: false,
    maxWorkers: 1,
  }, undefined, { stdout: sink, stderr: sink });
  await vitest.close();
  const missing = gates.filter((g) => !reporter.gates.some((r) => r.id === g.id)).map((g) => `gate ${g.id} did not run`);
  const problems = [...reporter.unhandled, ...missing];
  if (problems.length && captured.length) problems.push(captured.join('').trim());
  return { gates: reporter.gates, problems };
}

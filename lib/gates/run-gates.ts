// Runs the selected gate files as one vitest run with the verify input provided to them.
// Vitest's own console output is captured, and shown only when something went wrong.

import path from 'node:path';
import { PassThrough } from 'node:stream';
import { PACKAGE_ROOT } from '../package-root.js';
import { GateReporter } from './gate-reporter.js';
import type { GateResult } from '../results/run-result.js';
import type { VerifyInput } from '../rules/input.js';
import type { GateInfo } from '../catalogue/gates.js';
import { inputMailbox } from './shared-input.js';

export interface GateRun {
  gates: GateResult[];
  /** Problems outside any finding: unhandled errors and vitest's own complaints. */
  problems: string[];
}

/**
 * Run from dist/ (the CLI), the gates run compiled: vitest loads dist/gates/<id>.gate.js, and what
 * they import from dist/lib/ is loaded natively (server.deps.external) instead of each module being
 * transformed by vite in this process and evaluated by vitest's module runner in the worker: that
 * was half of vitest's start-up. Run from source (under vitest), the gates/<id>.gate.ts files.
 */
const COMPILED = import.meta.url.endsWith('.js');
const DIST_LIB = new RegExp(
  `^${path.join(PACKAGE_ROOT, 'dist', 'lib', path.sep).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
);
const gateFile = (gate: GateInfo): string =>
  COMPILED ? path.join('dist', gate.file.replace(/\.ts$/, '.js')) : gate.file;

export async function runGates(gates: readonly GateInfo[], input: VerifyInput): Promise<GateRun> {
  return prepareGates(gates).run(input);
}

export interface GateRunner {
  /** Hands the running gates their input and waits for their results; once. */
  run(input: VerifyInput): Promise<GateRun>;
  /** Ends the run without input (bad input: nothing to judge); after `run`, it does nothing more. */
  close(): Promise<void>;
}

/**
 * Starts the vitest run now, before its input exists: importing vitest, creating its instance and
 * starting its worker thread (which imports the gate files) take most of a second, spent while
 * the caller loads bindings and collects host state. The gates wait for the input that `run`
 * puts (./shared-input.ts). Every caller must end with `run` or `close`: until then the worker waits.
 */
export function prepareGates(gates: readonly GateInfo[]): GateRunner {
  const reporter = new GateReporter(gateFile);
  const captured: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => captured.push(chunk.toString()));
  const mailbox = inputMailbox();
  // As startVitest does before it creates the instance.
  process.env['TEST'] = 'true';
  process.env['VITEST'] = 'true';
  process.env['NODE_ENV'] ??= 'test';
  const ready = import('vitest/node').then(({ createVitest }) =>
    createVitest(
      'test',
      {
        config: false,
        root: PACKAGE_ROOT,
        include: gates.map(gateFile),
        ...(COMPILED ? { server: { deps: { external: [DIST_LIB] } } } : {}),
        reporters: [reporter],
        watch: false,
        allowOnly: false,
        cache: false,
        // Gates are pure functions of the provided input: one thread, no per-file isolation needed.
        pool: 'threads',
        isolate: false,
        maxWorkers: 1,
      },
      undefined,
      { stdout: sink, stderr: sink },
    ),
  );
  const finished = ready.then(async (vitest) => {
    try {
      // Provided on the instance, not in the options: vitest deep-clones its options.
      vitest.provide('verifyInput', mailbox.shared);
      await vitest.start();
    } catch (e) {
      // startVitest's handling: the error is printed (here, captured) and the gates did not run.
      captured.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    } finally {
      await vitest.close();
    }
  });
  // A failure to create shows when the run awaits it; until then it must not count as unhandled.
  finished.catch(() => undefined);
  return {
    async run(input) {
      mailbox.put(input);
      await finished;
      const missing = gates
        .filter((g) => !reporter.gates.some((r) => r.id === g.id))
        .map((g) => `gate ${g.id} did not run`);
      const problems = [...reporter.unhandled, ...missing];
      if (problems.length && captured.length) problems.push(captured.join('').trim());
      return { gates: reporter.gates, problems };
    },
    async close() {
      mailbox.abandon();
      await finished.catch(() => undefined);
    },
  };
}

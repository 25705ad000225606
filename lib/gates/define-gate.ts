// Turns a gate's findings into vitest tests, one per finding, with stable names.
// Runs inside vitest: the CLI provides the collected input; the reporter reads each test's meta.

import { describe, expect, inject, test, type TestContext } from 'vitest';
import { findingId, type Finding } from '../model.js';
import type { Rule, VerifyInput } from '../rules/input.js';
import { applyWaivers } from './waivers.js';

declare module 'vitest' {
  interface ProvidedContext {
    verifyInput: VerifyInput;
  }
  interface TaskMeta {
    finding?: Finding;
  }
}

/** Thrown for findings that could not be checked: the reporter maps it to `error`, not `fail`. */
export class CouldNotCheck extends Error {
  override name = 'CouldNotCheck';
}

export function defineGate(gateId: string, rule: Rule): void {
  const input = inject('verifyInput');
  if (!input) throw new Error(`gate ${gateId} runs inside \`ops verify\`, which provides its input`);
  // Waivers apply here, to every gate alike, and nowhere else: rules never see them.
  const findings = applyWaivers(gateId, rule(input), input);
  const seen = new Set<string>();
  describe(gateId, () => {
    for (const finding of findings) {
      const name = findingId(finding);
      if (seen.has(name)) throw new Error(`gate ${gateId} produced two findings named "${name}"`);
      seen.add(name);
      // A skip is declared skipped (the finding carries its reason): vitest then skips the test's
      // context, hooks and run, a third of its cost per test, which counts at tens of thousands.
      if (finding.outcome === 'skip') test.skip(name, { meta: { finding } }, () => undefined);
      else test(name, { meta: { finding } }, (ctx) => enact(finding, ctx));
    }
    if (findings.length === 0) test(`${gateId} nothing to check`, (ctx) => ctx.skip('the gate produced no findings'));
  });
}

/**
 * A failed, skipped or erroring finding is an expected outcome, not a crash: its error carries no
 * stack. With one, vitest reads and source-maps every frame of every such error in the main
 * process (tens of thousands on a large estate, most of the run). Message and error name, all
 * the reporter reads, are unchanged.
 */
function enact(f: Finding, ctx: TestContext): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    enactOutcome(f, ctx);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function enactOutcome(f: Finding, ctx: TestContext): void {
  switch (f.outcome) {
    case 'pass':
    case 'waived':
      return;
    case 'skip':
      return ctx.skip(f.reason ?? 'not applicable');
    case 'fail':
      expect.fail(f.message);
      return;
    case 'error':
      throw new CouldNotCheck(f.message);
  }
}

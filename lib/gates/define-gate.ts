// Turns a gate's findings into vitest tests, one per check group (check id × host), with stable
// names. Runs inside vitest: the CLI provides the collected input; the reporter reads each test's
// group (test meta) and writes one testcase per finding, as before.
//
// One test per group, not per finding: vitest's own cost per test (~100–150 µs, and the task
// held in the worker and again in the main process) at 71,000 findings was most of a large
// estate's run. A few hundred groups cost nothing.

import { describe, expect, inject, test, type TestContext } from 'vitest';
import type { Rule } from '../rules/input.js';
import { groupFindings, groupOutcome, type FindingGroup } from './finding-group.js';
import { inputOf, type SharedInput } from './shared-input.js';
import { applyWaivers } from './waivers.js';

declare module 'vitest' {
  interface ProvidedContext {
    verifyInput: SharedInput;
  }
}

/** Thrown for groups with findings that could not be checked: the reporter maps it to `error`, not `fail`. */
export class CouldNotCheck extends Error {
  override name = 'CouldNotCheck';
}

export function defineGate(gateId: string, rule: Rule): void {
  const shared = inject('verifyInput');
  if (!shared) throw new Error(`gate ${gateId} runs inside \`ops verify\`, which provides its input`);
  const input = inputOf(shared);
  // Waivers apply here, to every gate alike, and nowhere else: rules never see them.
  const groups = groupFindings(gateId, applyWaivers(gateId, rule(input), input));
  describe(gateId, () => {
    for (const [name, group] of groups) {
      test(name, { meta: { groupSize: group.findings.length } }, (ctx) => {
        ctx.task.meta.group = group;
        enact(group, ctx);
      });
    }
    if (groups.size === 0) test(`${gateId} nothing to check`, (ctx) => ctx.skip('the gate produced no findings'));
  });
}

function enact(group: FindingGroup, ctx: TestContext): void {
  switch (groupOutcome(group)) {
    case 'pass':
    case 'waived':
      return;
    case 'skip':
      return ctx.skip([...new Set(group.findings.map((f) => f.reason ?? 'not applicable'))].join('; '));
    case 'fail':
      try {
        expect.fail(problemList(group));
      } catch (e) {
        throw withoutFrames(e as Error);
      }
      return;
    case 'error':
      throw withoutFrames(new CouldNotCheck(problemList(group)));
  }
}

/**
 * The error with a stack of its first line only: the reporter reads name and message, and vitest
 * maps every frame of a failed test's stack through its file's source map (read from disk), a
 * cost paid for each failing group.
 */
function withoutFrames(e: Error): Error {
  e.stack = `${e.name}: ${e.message}`;
  return e;
}

const LISTED = 20;

/** "2 error: pve/a, pve/b; 1 fail: pve/c (of 40)": the subjects that did not pass, at most 20 per outcome. */
function problemList({ findings }: FindingGroup): string {
  const parts = (['error', 'fail'] as const).flatMap((outcome) => {
    const subjects = findings.filter((f) => f.outcome === outcome).map((f) => f.subject);
    if (!subjects.length) return [];
    const more = subjects.length > LISTED ? `, and ${subjects.length - LISTED} more` : '';
    return [`${subjects.length} ${outcome}: ${subjects.slice(0, LISTED).join(', ')}${more}`];
  });
  return `${parts.join('; ')} (of ${findings.length})`;
}

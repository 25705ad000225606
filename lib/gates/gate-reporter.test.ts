// A vitest test is one check group; the reporter turns groups back into findings, in the rule's
// order, and never lets a group that misbehaved or went missing read as anything but an error.

import { describe, expect, it } from 'vitest';
import type { TestCase, TestModule } from 'vitest/node';
import { groupFindings, groupOutcome, type FindingGroup } from './finding-group.js';
import type { Finding, Outcome } from '../model.js';
import { GateReporter } from './gate-reporter.js';

function finding(check: string, subject: string, outcome: Outcome = 'pass', host: string | null = 'pve1'): Finding {
  return {
    gate: 'D19',
    check,
    subject,
    host,
    outcome,
    reason: outcome === 'pass' ? null : `${outcome}-reason`,
    severity: 'high',
    message: `${subject} ${outcome}`,
    evidence: [],
    remediation: null,
  };
}

type State = 'passed' | 'failed' | 'skipped' | 'pending';

/** A test case as vitest's main process sees it after the run: the group meta and the result. */
function testCase(
  name: string,
  group: FindingGroup | undefined,
  groupSize: number | undefined,
  state: State,
  errorName = 'AssertionError',
): TestCase {
  const result =
    state === 'failed' ? { state, errors: [{ name: errorName, message: `${name} went wrong` }] } : { state };
  return { name, meta: () => ({ group, groupSize }), result: () => result } as unknown as TestCase;
}

/** How vitest ends a group's test when it behaves (define-gate's `enact`). */
function stateOf(group: FindingGroup): [State, string] {
  const outcome = groupOutcome(group);
  return outcome === 'fail'
    ? ['failed', 'AssertionError']
    : outcome === 'error'
      ? ['failed', 'CouldNotCheck']
      : outcome === 'skip'
        ? ['skipped', '']
        : ['passed', ''];
}

function module(tests: TestCase[], errors: string[] = []): TestModule {
  return {
    moduleId: '/pkg/gates/D19.gate.ts',
    children: { allTests: () => tests.values() },
    errors: () => errors.map((message) => ({ message })),
    state: () => (errors.length ? 'failed' : 'passed'),
    diagnostic: () => ({ duration: 12.4 }),
  } as unknown as TestModule;
}

function report(tests: TestCase[], errors: string[] = []): Finding[] {
  const reporter = new GateReporter();
  reporter.onTestRunEnd([module(tests, errors)], [], 'passed');
  return reporter.gates.find((g) => g.id === 'D19')?.findings ?? [];
}

/** What the reporter gets when every group's test ended as its findings say. */
function wellBehaved(findings: Finding[]): TestCase[] {
  return [...groupFindings('D19', findings)].map(([name, group]) =>
    testCase(name, group, group.findings.length, ...stateOf(group)),
  );
}

// Interleaved as rules emit them: per target, then per host.
const FINDINGS = [
  finding('D19.freshness', 'a', 'pass', 'nas'),
  finding('D19.threshold', 'a', 'pass', 'nas'),
  finding('D19.freshness', 'b', 'fail', 'nas'),
  finding('D19.freshness', 'c', 'error', 'pve2'),
  finding('D19.guest-covered', 'qemu/100', 'skip', 'pve1'),
  finding('D19.guest-covered', 'qemu/101', 'skip', 'pve1'),
  finding('D19.threshold', 'b', 'waived', 'nas'),
  finding('D19.judged', 'run', 'error', null),
];

describe('check groups', () => {
  it('are one per check and host, named like the JUnit class, in order of first appearance', () => {
    const groups = groupFindings('D19', FINDINGS);
    expect([...groups.keys()]).toEqual([
      'D19.freshness nas',
      'D19.threshold nas',
      'D19.freshness pve2',
      'D19.guest-covered pve1',
      'D19.judged',
    ]);
    expect(groups.get('D19.threshold nas')).toEqual({ findings: [FINDINGS[1], FINDINGS[6]], positions: [1, 6] });
  });

  it('end as their worst finding: an error is an error, only skips is a skip, a waiver beside a pass is a pass', () => {
    const outcome = (...outcomes: Outcome[]) =>
      groupOutcome({ findings: outcomes.map((o, i) => finding('D19.x', `s${i}`, o)), positions: [] });
    expect(outcome('pass', 'fail', 'error', 'skip')).toBe('error');
    expect(outcome('pass', 'fail', 'skip')).toBe('fail');
    expect(outcome('skip', 'skip')).toBe('skip');
    expect(outcome('skip', 'pass', 'waived')).toBe('pass');
    expect(outcome('waived', 'skip')).toBe('waived');
  });

  it('refuse two findings with one name (each is one JUnit testcase)', () => {
    expect(() => groupFindings('D19', [finding('D19.x', 'a'), finding('D19.x', 'a', 'fail')])).toThrow(
      'gate D19 produced two findings named "D19.x pve1/a"',
    );
  });
});

describe('the gate reporter', () => {
  it('writes every finding back, one by one, in the order the rule produced them', () => {
    expect(report(wellBehaved(FINDINGS))).toEqual(FINDINGS);
  });

  it('ignores the placeholder test of a gate with nothing to check', () => {
    expect(report([testCase('D19 nothing to check', undefined, undefined, 'skipped')])).toEqual([]);
  });

  it('turns every finding of a group whose test did not end as its findings say into an error', () => {
    const tests = wellBehaved(FINDINGS);
    // The freshness group on nas (a pass and a fail) passed: the gate did not enforce its findings.
    tests[0] = testCase('D19.freshness nas', tests[0]!.meta().group, 2, 'passed');
    const out = report(tests);
    expect(out.filter((f) => f.reason === 'gate_crashed').map((f) => [f.subject, f.outcome])).toEqual([
      ['a', 'error'],
      ['b', 'error'],
    ]);
    expect(out[0]!.message).toBe('a pass [gate error: test ended passed]');
    // A group of skips that failed (say, a thrown TypeError) is an error, never a skip.
    const skips = wellBehaved(FINDINGS);
    skips[3] = testCase('D19.guest-covered pve1', skips[3]!.meta().group, 2, 'failed', 'TypeError');
    expect(
      report(skips)
        .filter((f) => f.check === 'D19.guest-covered')
        .map((f) => f.outcome),
    ).toEqual(['error', 'error']);
  });

  it('reports a group whose findings never came back (its test did not run) as an error of the gate', () => {
    const tests = wellBehaved(FINDINGS);
    tests[0] = testCase('D19.freshness nas', undefined, 2, 'skipped');
    const out = report(tests);
    expect(out.some((f) => f.check === 'D19.freshness' && f.host === 'nas')).toBe(false);
    expect(out.at(-1)).toMatchObject({
      check: 'D19.gate',
      outcome: 'error',
      reason: 'gate_crashed',
      message: 'gate D19 could not run: test "D19.freshness nas" did not report its 2 findings (it ended skipped)',
    });
  });

  it('reports a gate file that failed to load as one error', () => {
    expect(report([], ['Cannot read properties of undefined'])).toMatchObject([
      { check: 'D19.gate', outcome: 'error', message: 'gate D19 could not run: Cannot read properties of undefined' },
    ]);
  });
});

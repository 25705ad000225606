// The vitest reporter of `ops verify`: reads each gate test's result and check group (test meta)
// and hands back one GateResult per gate, its findings one by one in the rule's order. It trusts
// vitest's verdict over the findings' own outcomes, so a gate file that crashes, or a group that
// never reported, reads as an error, never as a pass.

import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { Finding, Outcome } from '../model.js';
import { groupOutcome, type FindingGroup } from './finding-group.js';
import { GATES, type GateInfo } from '../catalogue/gates.js';
import { gateResult, type GateResult } from '../results/run-result.js';

type RunEndArgs = Parameters<NonNullable<Reporter['onTestRunEnd']>>;

export class GateReporter implements Reporter {
  gates: GateResult[] = [];
  /** Errors vitest raised outside any test (a crashed worker, a failed setup). */
  unhandled: string[] = [];

  /** `fileOf`: the file each gate ran from (dist/gates/<id>.gate.js when the CLI runs compiled). */
  constructor(private readonly fileOf: (gate: GateInfo) => string = (gate) => gate.file) {}

  onTestRunEnd(...[modules, unhandledErrors]: RunEndArgs): void {
    this.gates = GATES.flatMap((gate) => {
      const module = modules.find((m) => path.normalize(m.moduleId).endsWith(path.normalize(this.fileOf(gate))));
      if (!module) return [];
      const findings = findingsOf(gate.id, module);
      return [gateResult(gate.id, gate.title, findings, Math.round(module.diagnostic().duration))];
    });
    this.unhandled = unhandledErrors.map((e) => e.message ?? String(e));
  }
}

function findingsOf(gateId: string, module: TestModule): Finding[] {
  // Each group's findings go back to where the rule put them, so every output lists them in its order.
  const placed: Finding[] = [];
  const problems = module.errors().map((e) => e.message);
  for (const tc of module.children.allTests()) {
    const { group, groupSize } = tc.meta();
    if (groupSize === undefined) continue; // the "nothing to check" placeholder
    if (group?.findings.length !== groupSize) {
      problems.push(`test "${tc.name}" did not report its ${groupSize} findings (it ended ${tc.result().state})`);
      continue;
    }
    const findings = withVitestVerdict(group, tc);
    group.positions.forEach((position, i) => {
      placed[position] = findings[i]!;
    });
  }
  const findings = placed.filter((f) => f !== undefined);
  if (problems.length || (module.state() === 'failed' && findings.length === 0)) {
    findings.push(crashFinding(gateId, problems.join('; ') || 'the gate file failed'));
  }
  return findings;
}

/** The group's findings, or all of them as errors when its test did not end the way they say. */
function withVitestVerdict(group: FindingGroup, tc: TestCase): Finding[] {
  const result = tc.result();
  const observed: Outcome | null =
    result.state === 'passed'
      ? 'pass'
      : result.state === 'skipped'
        ? 'skip'
        : result.state === 'failed'
          ? result.errors?.every((e) => e.name === 'AssertionError')
            ? 'fail'
            : 'error'
          : null;
  const expected = groupOutcome(group);
  if (observed === (expected === 'waived' ? 'pass' : expected)) return group.findings;
  // The gate itself misbehaved: no finding of the group can be trusted to have been judged.
  const why = result.state === 'failed' ? result.errors?.[0]?.message : `test ended ${result.state}`;
  return group.findings.map((f) => ({
    ...f,
    outcome: 'error',
    reason: 'gate_crashed',
    message: `${f.message} [gate error: ${why}]`,
  }));
}

function crashFinding(gateId: string, message: string): Finding {
  return {
    gate: gateId,
    check: `${gateId}.gate`,
    subject: 'gate',
    host: null,
    outcome: 'error',
    reason: 'gate_crashed',
    severity: 'critical',
    message: `gate ${gateId} could not run: ${message}`,
    evidence: [],
    remediation: 'This is a bug in spine-gates or a broken install: run `npm ci`, and report it with the receipt.',
  };
}

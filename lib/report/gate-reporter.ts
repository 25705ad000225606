// The vitest reporter of `ops verify`: reads each gate test's result and finding (test meta) and
// hands back one GateResult per gate. It trusts vitest's verdict over the finding's own outcome,
// so a gate file that crashes reads as an error, never as a pass.

import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import type { Finding, Outcome } from '../model.js';
import { GATES, type GateInfo } from '../gates/registry.js';
import { aggregateOutcome, summarize, type GateResult } from './run-result.js';

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
      return [{ id: gate.id, title: gate.title, outcome: aggregateOutcome(summarize(findings)), findings, durationMs: Math.round(module.diagnostic().duration) }];
    });
    this.unhandled = unhandledErrors.map((e) => e.message ?? String(e));
  }
}

function findingsOf(gateId: string, module: TestModule): Finding[] {
  const findings = [...module.children.allTests()].flatMap((tc) => {
    const finding = tc.meta().finding;
    return finding ? [withVitestVerdict(finding, tc)] : [];
  });
  const moduleErrors = module.errors();
  if (moduleErrors.length || module.state() === 'failed' && findings.length === 0) {
    findings.push(crashFinding(gateId, moduleErrors.map((e) => e.message).join('; ') || 'the gate file failed'));
  }
  return findings;
}

function withVitestVerdict(finding: Finding, tc: TestCase): Finding {
  const result = tc.result();
  const observed: Outcome | null =
    result.state === 'passed' ? (finding.outcome === 'waived' ? 'waived' : 'pass')
      : result.state === 'skipped' ? 'skip'
        : result.state === 'failed' ? (result.errors?.every((e) => e.name === 'AssertionError') ? 'fail' : 'error')
          : null;
  if (observed === finding.outcome) return finding;
  // The test did not end the way its finding says: the gate itself misbehaved.
  const why = result.state === 'failed' ? result.errors?.[0]?.message : `test ended ${result.state}`;
  return { ...finding, outcome: 'error', reason: 'gate_crashed', message: `${finding.message} [gate error: ${why}]` };
}

function crashFinding(gateId: string, message: string): Finding {
  return {
    gate: gateId, check: `${gateId}.gate`, subject: 'gate', host: null, outcome: 'error', reason: 'gate_crashed',
    severity: 'critical', message: `gate ${gateId} could not run: ${message}`, evidence: [],
    remediation: 'This is a bug in spine-gates or a broken install: run `npm ci`, and report it with the receipt.',
  };
}

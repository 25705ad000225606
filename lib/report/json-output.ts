// The `--json` shape: a contract with users' CI. Change it only on purpose, and document it.

import { byUrgency, type RunResult } from '../results/run-result.js';

export function jsonOutput(run: RunResult) {
  return {
    runKey: run.runKey,
    source: run.source,
    outcome: run.outcome,
    summary: run.summary,
    inputErrors: run.inputErrors,
    gates: run.gates.map((g) => ({
      id: g.id,
      outcome: g.outcome,
      // The one order every output uses: errors, then failures by severity, then the rest (byUrgency).
      checks: [...g.findings].sort(byUrgency).map((f) => ({
        id: f.check,
        subject: f.subject,
        host: f.host,
        outcome: f.outcome,
        reason: f.reason,
        message: f.message,
        remediation: f.remediation,
        // Added with waivers and baselines: always present, null when they do not apply.
        fingerprint: f.fingerprint ?? null,
        drift: f.drift ?? null,
        waiver: f.waiver ?? null,
        // Added with progressive adoption: the remediation's binding edits, null when it has none.
        fix: f.fix ?? null,
        // Added so every output carries what a finding has: always present, null when the rule gave no expected or
        // actual.
        severity: f.severity,
        expected: f.expected ?? null,
        actual: f.actual ?? null,
        evidence: f.evidence,
        // Added with D19.retention: {source, policy, present, kept, protected, min} on its judged findings, null
        // otherwise.
        retention: f.retention ?? null,
      })),
    })),
    exitCode: run.exitCode,
    baseline: run.baseline,
  };
}

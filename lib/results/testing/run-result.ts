// A RunResult for reporter tests, and the hostile text every reporter must carry safely.

import type { Finding } from '../../model.js';
import {
  aggregateOutcome,
  emptySummary,
  exitCodeFor,
  gateResult,
  type GateResult,
  type RunResult,
} from '../run-result.js';

/**
 * What a target name, glob, host file name or calendar summary can hold: two CDATA ends, quotes,
 * markup, a forged Markdown heading on a new line, a terminal escape, NUL, a lone surrogate.
 */
export const HOSTILE = `a]]>b]]><injected a='1'/>"q' <b>x</b> *y* | z\n## D19 forged: pass\r\u001b[2J\u0000\ud800 end`;

export function makeFinding(over: Partial<Finding> = {}): Finding {
  return {
    gate: 'D19',
    check: 'D19.freshness',
    subject: 'vm-101-app',
    host: 'pve1',
    outcome: 'fail',
    reason: 'stale',
    severity: 'high',
    message: 'newest archive is 50h old (limit 26h)',
    evidence: [
      { file: 'backup.inventory.yaml', line: 12 },
      { host: 'pve1', command: 'find /srv -printf …' },
    ],
    remediation: 'ssh pve1 vzdump 101\npostconf -e relayhost=[mail]:587',
    ...over,
  };
}

export function makeGate(id: string, findings: Finding[], title = `${id} gate`): GateResult {
  return gateResult(id, title, findings, 1500);
}

export function makeRun(gates: GateResult[], over: Partial<RunResult> = {}): RunResult {
  const summary = emptySummary();
  for (const g of gates) for (const f of g.findings) summary[f.outcome] += 1;
  const outcome = over.inputErrors?.length ? 'error' : aggregateOutcome(summary);
  return {
    runKey: '20260301T120000.000Z-0a1b2c3d',
    tool: { name: 'spine-gates', version: '0.1.0' },
    startedAt: '2026-03-01T12:00:00.000Z',
    finishedAt: '2026-03-01T12:00:04.250Z',
    now: '2026-03-01T12:00:00.000Z',
    source: {
      kind: 'snapshot',
      bindings: '/repo/ops/bindings',
      bindingsChosenBy: '--bindings',
      snapshot: '/repo/snap',
      capturedAt: '2026-03-01T11:00:00Z',
    },
    inputs: [],
    bindingsDigest: 'f'.repeat(64),
    bindingsGitCommit: null,
    bindingsPathInRepo: 'ops/bindings',
    hostSources: { pve1: { file: 'ssh.targets.yaml', line: 4 }, pve2: { file: 'ssh.targets.yaml', line: 9 } },
    hosts: [],
    windows: null,
    inputErrors: [],
    gates,
    summary,
    outcome,
    exitCode: exitCodeFor(outcome),
    baseline: null,
    timingsMs: {},
    ...over,
  };
}

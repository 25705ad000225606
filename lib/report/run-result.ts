// The result of one `ops verify` run: what every output (console, JSON, JUnit, receipt) is made from.

import type { Finding, Outcome } from '../model.js';
import type { FailOn } from './drift.js';

export type Summary = Record<Outcome, number>;

export interface GateResult {
  id: string;
  title: string;
  outcome: Outcome;
  findings: Finding[];
}

export interface HostStatus {
  id: string;
  status: 'ok' | 'error';
  reason: string | null;
  message: string | null;
}

export interface RunSource {
  kind: 'snapshot' | 'bindings-only' | 'live';
  bindings: string;
  /** How the bindings folder was chosen: --bindings, ops/bindings here or in a parent folder, or the bundled demo site. */
  bindingsChosenBy: '--bindings' | './ops/bindings' | 'parent ops/bindings' | 'bundled demo site';
  snapshot: string | null;
  capturedAt: string | null;
  /** Live runs only: host keys were not checked (--insecure-accept-any-host-key). */
  insecureAcceptAnyHostKey?: boolean;
}

export interface InputDigest {
  /** Path relative to the bindings or snapshot folder, prefixed with which one. */
  file: string;
  sha256: string;
}

export interface RunResult {
  runKey: string;
  tool: { name: string; version: string };
  startedAt: string;
  finishedAt: string;
  now: string;
  source: RunSource;
  inputs: InputDigest[];
  /** sha256 over the sorted binding digests: one value that names the binding set. */
  bindingsDigest: string | null;
  bindingsGitCommit: string | null;
  hosts: HostStatus[];
  /** Problems with the input itself (bad bindings or snapshot): the run judged nothing. */
  inputErrors: string[];
  gates: GateResult[];
  summary: Summary;
  outcome: Outcome;
  exitCode: 0 | 1 | 2;
  /** `--baseline`: the receipt compared with, and how many fails and errors were new and known; null without. */
  baseline: BaselineSummary | null;
  timingsMs: Record<string, number>;
}

export interface BaselineSummary {
  receipt: string;
  runKey: string | null;
  /** `new`: only new drift sets the exit code (`--fail-on new`). */
  failOn: FailOn;
  new: number;
  known: number;
}

export function emptySummary(): Summary {
  return { pass: 0, fail: 0, error: 0, skip: 0, waived: 0 };
}

export function summarize(findings: Iterable<Finding>): Summary {
  const s = emptySummary();
  for (const f of findings) s[f.outcome] += 1;
  return s;
}

/** error beats fail beats pass beats waived beats skip: a gate with nothing judged is not a pass. */
export function aggregateOutcome(summary: Summary): Outcome {
  if (summary.error) return 'error';
  if (summary.fail) return 'fail';
  if (summary.pass) return 'pass';
  if (summary.waived) return 'waived';
  return 'skip';
}

/** 0 clean, 1 drift, 2 could not check or bad input (2 wins). */
export function exitCodeFor(outcome: Outcome): 0 | 1 | 2 {
  return outcome === 'error' ? 2 : outcome === 'fail' ? 1 : 0;
}

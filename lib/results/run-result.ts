// The result of one `ops verify` run: what every output (console, JSON, JUnit, receipt) is made from.

import { createHash } from 'node:crypto';
import type { Evidence, Finding, Outcome, Severity } from '../model.js';
import type { WeekWindows } from '../calendar/windows.js';

export type Summary = Record<Outcome, number>;

export interface GateResult {
  id: string;
  title: string;
  outcome: Outcome;
  findings: Finding[];
  /** Its findings counted by outcome: reporters read it, never count again. */
  summary: Summary;
  /** How long the gate's tests ran, when the runner measured it. */
  durationMs?: number;
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
  /**
   * How the bindings folder was chosen: --bindings, ops/bindings here or in a parent folder, or the bundled demo site.
   */
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
  /**
   * The bindings folder as a `/`-separated path from the repository root (its git toplevel, else the working
   * directory):
   * where SARIF locations point.
   */
  bindingsPathInRepo: string;
  /**
   * Where each host is declared in the bindings (ssh.targets.yaml): the location of a finding about a host as a whole.
   */
  hostSources: Record<string, BindingLocation>;
  hosts: HostStatus[];
  /**
   * The week's backup windows from the jobs and the calendar (the HTML week view); null when the bindings did not load.
   */
  windows: WeekWindows | null;
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

export interface BindingLocation {
  /** Relative to the bindings folder. */
  file: string;
  line: number;
}

/**
 * The binding entry a finding is about: its first evidence in a binding file with a line, else the
 * declaration of its host. Host command output and snapshot.yaml are not binding files.
 */
export function bindingLocationOf(f: Finding, run: Pick<RunResult, 'hostSources'>): BindingLocation | null {
  const e = f.evidence.find((x) => x.file && x.line && !x.host && !x.commandId && x.file !== 'snapshot.yaml');
  if (e) return { file: e.file!, line: e.line! };
  return f.host ? (run.hostSources[f.host] ?? null) : null;
}

/** What sets the exit code: any drift, or only drift a baseline does not know (`--fail-on new`). */
export type FailOn = 'any' | 'new';

export interface BaselineSummary {
  receipt: string;
  runKey: string | null;
  /** `new`: only new drift sets the exit code (`--fail-on new`). */
  failOn: FailOn;
  new: number;
  known: number;
}

const OUTCOME_RANK: Record<Outcome, number> = { error: 0, fail: 1, waived: 2, pass: 3, skip: 4 };
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * The order reports list findings in, most urgent first: errors (could not check), then failures,
 * each by severity, new drift before known; then waived, passed and skipped. A sort with it is
 * stable, so ties keep the gates' and rules' order.
 */
export function byUrgency(a: Finding, b: Finding): number {
  return (
    OUTCOME_RANK[a.outcome] - OUTCOME_RANK[b.outcome] ||
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    Number(a.drift === 'known') - Number(b.drift === 'known')
  );
}

export function emptySummary(): Summary {
  return { pass: 0, fail: 0, error: 0, skip: 0, waived: 0 };
}

/** The summaries of several gates added up: a run's, from its gates', without counting findings again. */
export function addSummaries(gates: readonly Pick<GateResult, 'summary'>[]): Summary {
  const total = emptySummary();
  for (const g of gates) for (const o of Object.keys(total) as Outcome[]) total[o] += g.summary[o];
  return total;
}

export function summarize(findings: Iterable<Finding>): Summary {
  const s = emptySummary();
  for (const f of findings) s[f.outcome] += 1;
  return s;
}

/** A gate's result from its findings: the only way one is made, so its outcome and counts always agree with them. */
export function gateResult(id: string, title: string, findings: Finding[], durationMs?: number): GateResult {
  const summary = summarize(findings);
  return {
    id,
    title,
    outcome: aggregateOutcome(summary),
    findings,
    summary,
    ...(durationMs === undefined ? {} : { durationMs }),
  };
}

/** The gates a report shows: the run's, or, when the input was bad, one gate of its input errors. */
export function reportedGates(run: Pick<RunResult, 'gates' | 'inputErrors'>): GateResult[] {
  return run.inputErrors.length
    ? [gateResult('input', 'Input errors', inputErrorFindings(run.inputErrors))]
    : run.gates;
}

/** Drift a person has to act on: it fails the run. */
export const isBad = (f: { outcome: Outcome }): boolean => f.outcome === 'fail' || f.outcome === 'error';

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

/**
 * Bad input as findings every report shows alike: one error per problem, named by where it is and a
 * digest of what it says (stable across runs, unlike a position), located at its file and line.
 */
export function inputErrorFindings(inputErrors: readonly string[]): Finding[] {
  return inputErrors.map((message): Finding => {
    const at = /^([^\s:]+\.ya?ml):(\d+)(?::\d+)?:/.exec(message);
    const evidence: Evidence[] = at ? [{ file: at[1]!, line: Number(at[2]) }] : [];
    const digest = createHash('sha256').update(message).digest('hex').slice(0, 8);
    return {
      gate: 'input',
      check: 'input.valid',
      subject: `${at ? `${at[1]}:${at[2]}` : 'run'}#${digest}`,
      host: null,
      outcome: 'error',
      reason: 'bad_input',
      severity: 'critical',
      message,
      evidence,
      remediation: 'Fix the file at the line named, then run again.',
    };
  });
}

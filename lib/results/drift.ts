// New drift versus known drift. Every fail, error and waived finding gets a fingerprint: gate,
// check, host/subject and reason, never the message (messages carry ages and counts that change
// run to run). `ops verify --baseline <receipt.json>` marks each fail and error `new` or `known`
// by it, `--fail-on new` exits on new drift only, and `ops notify` compares runs with it.

import { createHash } from 'node:crypto';
import { readRegularFile, refusalText } from '../input-file.js';
import type { Finding, Outcome } from '../model.js';
import { exitCodeFor, isBad, type FailOn, type GateResult } from './run-result.js';

/** A receipt of the large benchmark estate (71,000 findings) is about 42 MB. */
const MAX_RECEIPT_BYTES = 512 * 2 ** 20;

type Identity = Pick<Finding, 'gate' | 'check' | 'subject' | 'host' | 'reason'>;

export function fingerprint(f: Identity): string {
  return createHash('sha256')
    .update(JSON.stringify([f.gate, f.check, f.host, f.subject, f.reason]))
    .digest('hex')
    .slice(0, 16);
}

/** Drift that exists, acted on or accepted: what a baseline knows about. */
const isDrift = (f: { outcome: Outcome }): boolean => isBad(f) || f.outcome === 'waived';

export interface Baseline {
  /** The receipt file, as given. */
  file: string;
  runKey: string | null;
  fingerprints: ReadonlySet<string>;
}

/** What a receipt says about one run, as far as comparing runs needs. */
export interface ReceiptFindings {
  runKey: string | null;
  /** The gates the run judged (a run with --gate judged only some). */
  gates: string[];
  findings: Finding[];
  inputErrors: string[];
  outcome: string | null;
  /** One line: which bindings and snapshot the run judged. */
  sourceLine: string;
}

/**
 * Reads a receipt.json as written by `ops verify`. A file that is missing, not JSON, not shaped
 * like a receipt, or from a run that judged nothing (input errors) is bad input: the message says
 * which, prefixed with `what` (e.g. `--baseline reports/…/receipt.json`).
 */
export async function readReceiptFindings(
  file: string,
  what: string,
): Promise<{ ok: true; receipt: ReceiptFindings } | { ok: false; error: string }> {
  // A regular file only (a pipe would hang the run), bounded, and never quoted back: JSON.parse's
  // message carries some of the file's bytes.
  const read = await readRegularFile(file, MAX_RECEIPT_BYTES);
  if (!read.ok) return { ok: false, error: `${what}: ${read.absent ? 'no such file' : `${refusalText(read)}`}` };
  let data: unknown;
  try {
    data = JSON.parse(read.bytes.toString('utf8'));
  } catch {
    return { ok: false, error: `${what}: not JSON` };
  }
  const r = data as {
    runKey?: unknown;
    gates?: unknown;
    inputErrors?: unknown;
    outcome?: unknown;
    source?: Record<string, unknown>;
  };
  const gates = Array.isArray(r?.gates) ? (r.gates as Array<{ id?: unknown; findings?: unknown }>) : null;
  const findings = gates?.every(
    (g) => typeof g?.id === 'string' && Array.isArray(g.findings) && g.findings.every(isFindingLike),
  )
    ? gates.flatMap((g) => g.findings as Finding[])
    : null;
  if (!gates || !findings)
    return { ok: false, error: `${what}: not an ops verify receipt (expected receipt.json with gates[].findings[])` };
  const inputErrors = Array.isArray(r.inputErrors) ? r.inputErrors.map(String) : [];
  const src = r.source ?? {};
  const sourceLine = `${String(src['kind'] ?? 'unknown')} run; bindings ${String(src['bindings'] ?? '?')}${src['snapshot'] ? `; snapshot ${String(src['snapshot'])} captured ${String(src['capturedAt'])}` : ''}`;
  return {
    ok: true,
    receipt: {
      runKey: typeof r.runKey === 'string' ? r.runKey : null,
      gates: gates.map((g) => g.id as string),
      findings,
      inputErrors,
      outcome: typeof r.outcome === 'string' ? r.outcome : null,
      sourceLine,
    },
  };
}

function isFindingLike(f: unknown): boolean {
  const x = f as Record<string, unknown>;
  return (
    typeof x === 'object' &&
    x !== null &&
    ['gate', 'check', 'subject', 'outcome'].every((k) => typeof x[k] === 'string') &&
    (x['host'] === null || typeof x['host'] === 'string') &&
    (x['reason'] === null || typeof x['reason'] === 'string')
  );
}

export async function readBaseline(
  file: string,
): Promise<{ ok: true; baseline: Baseline } | { ok: false; error: string }> {
  const read = await readReceiptFindings(file, `--baseline ${file}`);
  if (!read.ok) return read;
  if (read.receipt.inputErrors.length) {
    return {
      ok: false,
      error: `--baseline ${file}: that run judged nothing (it had input errors), so it cannot say which drift is known`,
    };
  }
  return {
    ok: true,
    baseline: {
      file,
      runKey: read.receipt.runKey,
      fingerprints: new Set(read.receipt.findings.filter(isDrift).map(fingerprint)),
    },
  };
}

/** The gates with a fingerprint on every fail, error and waived finding, and with a baseline, `drift` on every fail and error. */
export function markDrift(gates: GateResult[], baseline: Baseline | null): GateResult[] {
  // Marks only: outcomes, and so each gate's summary, are unchanged.
  return gates.map((g) => ({
    ...g,
    findings: g.findings.map((f) => {
      if (!isDrift(f)) return f;
      const fp = fingerprint(f);
      return {
        ...f,
        fingerprint: fp,
        ...(baseline && isBad(f)
          ? { drift: baseline.fingerprints.has(fp) ? ('known' as const) : ('new' as const) }
          : {}),
      };
    }),
  }));
}

/** Exit code: with `--fail-on new`, only new failures count (1); any error, new or known, and bad input are 2. */
export function exitCodeWith(failOn: FailOn, outcome: Outcome, gates: GateResult[], inputErrors: string[]): 0 | 1 | 2 {
  if (failOn === 'any' || inputErrors.length) return exitCodeFor(outcome);
  // A baseline makes drift known, never not knowing: any error, new or known, is exit 2.
  const findings = gates.flatMap((g) => g.findings);
  return findings.some((f) => f.outcome === 'error') ? 2 : findings.some((f) => f.drift === 'new') ? 1 : 0;
}

export function driftCounts(gates: GateResult[]): { new: number; known: number } {
  const all = gates.flatMap((g) => g.findings);
  return { new: all.filter((f) => f.drift === 'new').length, known: all.filter((f) => f.drift === 'known').length };
}

// What `ops notify` mails, decided from receipts and its state file, and nothing else (no I/O):
// new failures and errors (against the previous receipt, or never mailed), reminders of unchanged
// ones once their cooldown has passed, and every failure that cleared.

import { findingId, type Finding, type Outcome } from '../model.js';
import { multiLine, oneLine } from '../escape.js';
import { fingerprint, type ReceiptFindings } from '../results/drift.js';
import { isBad } from '../results/run-result.js';
import { instantMs } from '../time/instants.js';

/** The state file: what was mailed, by fingerprint, so an unchanged failure is not mailed every run. */
export interface NotifyState {
  version: 1;
  alerted: Record<string, AlertedEntry>;
}

export interface AlertedEntry {
  /** findingId: `check host/subject`. */
  id: string;
  gate: string;
  outcome: Outcome;
  reason: string | null;
  firstAlertedAt: string;
  lastAlertedAt: string;
}

export interface Cleared {
  fingerprint: string;
  id: string;
  outcome: Outcome;
  reason: string | null;
  /** Not fixed but accepted: `waived by <owner> until <expires>`. */
  waived?: string;
}

export interface AlertPlan {
  fresh: Finding[];
  /** Still failing, mailed before, cooldown over. */
  reminders: Finding[];
  cleared: Cleared[];
  /** Failures left out: mailed within the cooldown, or (without a state file) already in the previous run. */
  quiet: number;
  /** The state to keep once the mail is sent (or when there is nothing to send). */
  next: NotifyState;
}

/** A run that judged nothing still has something to say: each input error is an error "finding". */
function badFindings(r: ReceiptFindings): Finding[] {
  const inputErrors = r.inputErrors.map((message): Finding => ({
    gate: 'input',
    check: 'input.valid',
    subject: message,
    host: null,
    outcome: 'error',
    reason: 'bad_input',
    severity: 'critical',
    message,
    evidence: [],
    remediation: 'Fix the file at the line named, then run again.',
  }));
  return [...inputErrors, ...r.findings.filter(isBad)];
}

/**
 * Whether a failure mailed at `lastAlertedAt` is due again. A time that does not read, or one in the
 * future (a wrong clock, an edited state file), counts as due: a lost reminder is worse than one more mail.
 */
function cooldownOver(lastAlertedAt: string, now: Date, cooldownMs: number): boolean {
  const last = instantMs(lastAlertedAt);
  return last === null || last > now.getTime() || now.getTime() - last >= cooldownMs;
}

export function planAlert(
  current: ReceiptFindings,
  previous: ReceiptFindings | null,
  state: NotifyState | null,
  now: Date,
  cooldownHours: number,
): AlertPlan {
  const bad = new Map(badFindings(current).map((f) => [fingerprint(f), f]));
  const waived = new Map(
    current.findings.filter((f) => f.outcome === 'waived' && f.waiver).map((f) => [fingerprint(f), f.waiver!]),
  );
  const before = previous ? new Map(badFindings(previous).map((f) => [fingerprint(f), f])) : null;
  const alerted = state?.alerted ?? {};
  const cooldownMs = cooldownHours * 3_600_000;
  const at = now.toISOString();
  const plan: AlertPlan = { fresh: [], reminders: [], cleared: [], quiet: 0, next: { version: 1, alerted: {} } };

  for (const [fp, f] of bad) {
    const entry = alerted[fp];
    const due = state ? !entry || cooldownOver(entry.lastAlertedAt, now, cooldownMs) : !before?.has(fp);
    if (!due) {
      plan.quiet += 1;
      if (entry) plan.next.alerted[fp] = entry;
      continue;
    }
    (entry ? plan.reminders : plan.fresh).push(f);
    plan.next.alerted[fp] = {
      id: findingId(f),
      gate: f.gate,
      outcome: f.outcome,
      reason: f.reason,
      firstAlertedAt: entry?.firstAlertedAt ?? at,
      lastAlertedAt: at,
    };
  }

  // Cleared: bad before (or mailed) and not now, in a gate this run judged. A run with input
  // errors judged nothing, so nothing cleared; its input errors clear when a run has none.
  const judged = new Set(current.inputErrors.length ? [] : [...current.gates, 'input']);
  const candidates = new Map<string, Cleared>();
  for (const [fp, e] of Object.entries(alerted))
    candidates.set(fp, { fingerprint: fp, id: e.id, outcome: e.outcome, reason: e.reason });
  for (const [fp, f] of before ?? [])
    candidates.set(fp, { fingerprint: fp, id: findingId(f), outcome: f.outcome, reason: f.reason });
  for (const [fp, c] of candidates) {
    if (bad.has(fp)) continue;
    const gate = alerted[fp]?.gate ?? before?.get(fp)?.gate ?? '';
    const w = waived.get(fp);
    if (judged.has(gate)) plan.cleared.push(w ? { ...c, waived: `waived by ${w.owner} until ${w.expires}` } : c);
    else if (alerted[fp]) plan.next.alerted[fp] = alerted[fp]; // not judged this run: neither cleared nor forgotten
  }
  return plan;
}

export const hasNews = (p: AlertPlan): boolean => p.fresh.length + p.reminders.length + p.cleared.length > 0;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const SHOWN = 100;

export interface RunInfo {
  runKey: string | null;
  outcome: string;
  source: string;
  receipt: string;
}

export function alertSubject(p: AlertPlan): string {
  const count = (fs: Finding[], o: Outcome) => fs.filter((f) => f.outcome === o).length;
  const parts = [
    count(p.fresh, 'fail') && plural(count(p.fresh, 'fail'), 'new failure'),
    count(p.fresh, 'error') && plural(count(p.fresh, 'error'), 'new error'),
    p.reminders.length && `${p.reminders.length} still failing`,
    p.cleared.length && `${p.cleared.length} cleared`,
  ].filter(Boolean);
  return `[spine-gates] ${parts.join(', ')}`;
}

/**
 * Plain text: each section lists its findings (the first 100) with the remediation. Host and binding
 * text is one line each (a remediation keeps its own lines), so no value can forge a section.
 */
export function alertBody(p: AlertPlan, run: RunInfo, cooldownHours: number): string {
  const lines = [`spine-gates run ${oneLine(run.runKey ?? '(no run key)')}: ${run.outcome}`, oneLine(run.source), ''];
  const section = (title: string, items: string[]) => {
    if (!items.length) return;
    lines.push(
      `${title} (${items.length}):`,
      ...items.slice(0, SHOWN),
      ...(items.length > SHOWN ? [`  ... and ${items.length - SHOWN} more (see the receipt)`] : []),
      '',
    );
  };
  const finding = (f: Finding) =>
    [
      `- ${f.outcome.padEnd(5)} ${oneLine(findingId(f))}: ${oneLine(f.message)}`,
      ...(f.remediation ? [`        fix: ${multiLine(f.remediation).replaceAll('\n', '\n             ')}`] : []),
    ].join('\n');
  section('New failures and errors', p.fresh.map(finding));
  section(`Still failing (mailed before; reminded every ${cooldownHours} h)`, p.reminders.map(finding));
  section(
    'Cleared since the last run',
    p.cleared.map(
      (c) =>
        `- ${oneLine(c.id)} (was ${c.outcome}${c.reason ? `: ${oneLine(c.reason)}` : ''}${c.waived ? `; now ${oneLine(c.waived)}` : ''})`,
    ),
  );
  if (p.quiet) lines.push(`${plural(p.quiet, 'other failure')} already mailed and unchanged.`, '');
  lines.push(`Receipt: ${oneLine(run.receipt)}`, 'Every finding of the run is in its receipt and JUnit report.');
  return `${lines.join('\n')}\n`;
}

// Waivers (drift.waivers.yaml), applied to every gate's findings in one place: defineGate calls
// applyWaivers after the gate's rule and before vitest turns findings into tests, so rules stay
// pure (they never see a waiver) and every gate, present and future, gets the same treatment.

import picomatch from 'picomatch';
import type { Waiver } from '../bindings/types.js';
import type { Finding, WaiverNote } from '../model.js';
import type { VerifyInput } from '../rules/input.js';

/** The check that judges each waiver itself: does it still waive anything? */
export const STALE_WAIVER_CHECK = 'waivers.stale';

const DAY_MS = 86_400_000;

/** A waiver applies through the end of its `expires` day, UTC. */
export function waiverExpired(w: Pick<Waiver, 'expires'>, now: string): boolean {
  return Date.parse(now) >= Date.parse(`${w.expires}T00:00:00Z`) + DAY_MS;
}

/** Whether a waiver's subject names a finding: exactly or as a glob, its subject or its `host/subject`. */
function subjectMatcher(pattern: string): (f: Finding) => boolean {
  const glob = picomatch(pattern, { dot: true });
  return (f) =>
    [f.subject, f.host ? `${f.host}/${f.subject}` : null].some((s) => s !== null && (s === pattern || glob(s)));
}

interface Use {
  waiver: Waiver;
  expired: boolean;
  matches: (f: Finding) => boolean;
  /** Findings it matched, by their outcome before waiving. */
  hits: { bad: number; pass: number; skip: number };
}

/**
 * The gate's findings with its waivers applied: a fail matched by a live waiver becomes
 * `waived` (the first matching waiver, in file order, is the one cited); one matched only by
 * expired waivers counts as before and says its waiver expired. Then one `waivers.stale` finding
 * per waiver of the gate says whether it still waives anything.
 */
export function applyWaivers(
  gateId: string,
  findings: Finding[],
  input: Pick<VerifyInput, 'bindings' | 'now' | 'state'>,
): Finding[] {
  const uses: Use[] = input.bindings.waivers
    .filter((w) => w.gate === gateId)
    .map((waiver) => ({
      waiver,
      expired: waiverExpired(waiver, input.now),
      matches: subjectMatcher(waiver.subject),
      hits: { bad: 0, pass: 0, skip: 0 },
    }));
  if (!uses.length) return findings;
  const judged = findings.map((f) => {
    const matching = uses.filter((u) => u.waiver.check === f.check && u.matches(f));
    // An error is not knowing, never drift: no waiver excuses it, and for the waiver it was not judged.
    const kind = f.outcome === 'fail' ? 'bad' : f.outcome === 'pass' ? 'pass' : 'skip';
    for (const u of matching) u.hits[kind] += 1;
    if (f.outcome === 'error' && matching.some((u) => !u.expired))
      return unwaivable(f, matching.find((u) => !u.expired)!.waiver);
    if (kind !== 'bad' || !matching.length) return f;
    const live = matching.find((u) => !u.expired);
    if (live) return waive(f, live.waiver);
    const { waiver } = matching[0]!;
    return {
      ...f,
      message: `${f.message} (its waiver expired: ${waiver.owner} accepted it until ${waiver.expires}: ${waiver.justification})`,
      waiver: note(waiver, true),
    };
  });
  return [...judged, ...uses.map((u) => staleFinding(gateId, u, input.state !== null))];
}

function note(w: Waiver, expired: boolean): WaiverNote {
  return {
    owner: w.owner,
    justification: w.justification,
    expires: w.expires,
    expired,
    file: w.source.file,
    line: w.source.line,
  };
}

/** An error a waiver names stays an error: a waiver accepts known drift, and what could not be checked is not known. */
function unwaivable(f: Finding, w: Waiver): Finding {
  return {
    ...f,
    message: `${f.message} (not waived: the waiver at ${w.source.file}:${w.source.line} accepts drift, and this could not be checked)`,
  };
}

function waive(f: Finding, w: Waiver): Finding {
  return {
    ...f,
    outcome: 'waived',
    waiver: note(w, false),
    evidence: [
      ...f.evidence,
      { file: w.source.file, line: w.source.line, detail: `waived by ${w.owner} until ${w.expires}` },
    ],
  };
}

function staleFinding(gate: string, u: Use, hasHostState: boolean): Finding {
  const w = u.waiver;
  const at = `${w.source.file}:${w.source.line}`;
  const base = {
    gate,
    check: STALE_WAIVER_CHECK,
    subject: `${w.check} ${w.subject}`,
    host: null,
    severity: 'low' as const,
    evidence: [
      {
        file: w.source.file,
        line: w.source.line,
        detail: `${w.check} ${w.subject}, owner ${w.owner}, expires ${w.expires}`,
      },
    ],
  };
  const { bad, pass, skip } = u.hits;
  if (u.expired) {
    return {
      ...base,
      outcome: 'skip',
      reason: 'waiver_expired',
      remediation: null,
      message: `the waiver at ${at} expired after ${w.expires}; what it waived counts again`,
    };
  }
  if (bad) {
    return {
      ...base,
      outcome: 'pass',
      reason: null,
      remediation: null,
      message: `waives ${bad} finding${bad === 1 ? '' : 's'} until ${w.expires} (${w.owner})`,
    };
  }
  if (skip || (!pass && !hasHostState)) {
    return {
      ...base,
      outcome: 'skip',
      reason: 'not_judged',
      remediation: null,
      message: `what the waiver at ${at} names was not judged in this run${hasHostState ? '' : ' (no host state)'}`,
    };
  }
  const remediation = `Remove the waiver at ${at}${pass ? '' : ', or correct its check or subject'}.`;
  return pass
    ? {
        ...base,
        outcome: 'fail',
        reason: 'drift_gone',
        remediation,
        message: `the waiver at ${at} waives nothing: the ${pass} finding${pass === 1 ? '' : 's'} it names pass${pass === 1 ? 'es' : ''} now`,
      }
    : {
        ...base,
        outcome: 'fail',
        reason: 'matches_nothing',
        remediation,
        message: `the waiver at ${at} matches no finding of gate ${gate}: no ${w.check} finding has the subject ${JSON.stringify(w.subject)}`,
      };
}

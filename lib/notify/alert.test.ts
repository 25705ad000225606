import { describe, expect, it } from 'vitest';
import type { Finding } from '../model.js';
import { fingerprint, type ReceiptFindings } from '../results/drift.js';
import { alertBody, alertSubject, planAlert, type NotifyState } from './alert.js';

const NOW = new Date('2026-03-04T08:00:00Z');

function f(subject: string, o: Partial<Finding> = {}): Finding {
  return {
    gate: 'D19',
    check: 'D19.freshness',
    subject,
    host: 'pve1',
    outcome: 'fail',
    reason: 'stale',
    severity: 'high',
    message: `${subject} is stale`,
    evidence: [],
    remediation: null,
    ...o,
  };
}

function receipt(findings: Finding[], o: Partial<ReceiptFindings> = {}): ReceiptFindings {
  return {
    runKey: 'run',
    gates: ['D19', 'D69'],
    findings,
    inputErrors: [],
    outcome: 'fail',
    sourceLine: 'snapshot run',
    ...o,
  };
}

function mailed(...findings: Finding[]): NotifyState {
  return {
    version: 1,
    alerted: Object.fromEntries(
      findings.map((x) => [
        fingerprint(x),
        {
          id: `D19.freshness pve1/${x.subject}`,
          gate: x.gate,
          outcome: x.outcome,
          reason: x.reason,
          firstAlertedAt: '2026-03-04T07:00:00Z',
          lastAlertedAt: '2026-03-04T07:00:00Z',
        },
      ]),
    ),
  };
}

describe('planAlert', () => {
  it('mails what is new against the previous receipt, and every clear', () => {
    const plan = planAlert(receipt([f('a'), f('b')]), receipt([f('b'), f('c')]), null, NOW, 24);
    expect(plan.fresh.map((x) => x.subject)).toEqual(['a']);
    expect(plan.cleared.map((c) => c.id)).toEqual(['D19.freshness pve1/c']);
    expect(plan.quiet).toBe(1);
    expect(alertSubject(plan)).toBe('[spine-gates] 1 new failure, 1 cleared');
  });

  it('with a state file: quiet within the cooldown, a reminder after it, and the mail time recorded', () => {
    const state = mailed(f('a'), f('b'));
    state.alerted[fingerprint(f('b'))]!.lastAlertedAt = '2026-03-03T07:00:00Z';
    const plan = planAlert(receipt([f('a'), f('b'), f('c')]), receipt([f('a'), f('b')]), state, NOW, 24);
    expect([plan.fresh.map((x) => x.subject), plan.reminders.map((x) => x.subject), plan.quiet]).toEqual([
      ['c'],
      ['b'],
      1,
    ]);
    expect(plan.next.alerted[fingerprint(f('b'))]).toMatchObject({
      firstAlertedAt: '2026-03-04T07:00:00Z',
      lastAlertedAt: NOW.toISOString(),
    });
    expect(plan.next.alerted[fingerprint(f('a'))]!.lastAlertedAt).toBe('2026-03-04T07:00:00Z');
  });

  it('reminds of a failure whose last mail time does not read or lies in the future, never silences it', () => {
    const state = mailed(f('a'), f('b'), f('c'));
    state.alerted[fingerprint(f('a'))]!.lastAlertedAt = '2026-13-45T99:99:99Z';
    state.alerted[fingerprint(f('b'))]!.lastAlertedAt = '2100-01-01T00:00:00Z';
    const plan = planAlert(receipt([f('a'), f('b'), f('c')]), null, state, NOW, 24);
    expect([plan.reminders.map((x) => x.subject), plan.quiet]).toEqual([['a', 'b'], 1]);
  });

  it('says a failure that is now waived was waived, not fixed', () => {
    const waived = f('a', {
      outcome: 'waived',
      waiver: {
        owner: 'alice',
        justification: 'NAS swap',
        expires: '2026-03-31',
        expired: false,
        file: 'drift.waivers.yaml',
        line: 3,
      },
    });
    const plan = planAlert(receipt([waived]), receipt([f('a')]), null, NOW, 24);
    expect(plan.cleared).toEqual([
      expect.objectContaining({ id: 'D19.freshness pve1/a', waived: 'waived by alice until 2026-03-31' }),
    ]);
    expect(alertBody(plan, { runKey: 'k', outcome: 'pass', source: 's', receipt: 'r.json' }, 24)).toContain(
      'Cleared since the last run (1):\n- D19.freshness pve1/a (was fail: stale; now waived by alice until 2026-03-31)\n',
    );
  });

  it('clears nothing from a run that judged nothing, or in a gate it did not run; mails its input errors', () => {
    const state = mailed(f('a'), f('x', { gate: 'relay-stalwart' }));
    const broken = planAlert(
      receipt([], { gates: [], inputErrors: ['backup.inventory.yaml:3:1: expected …'] }),
      receipt([f('a')]),
      state,
      NOW,
      24,
    );
    expect(broken.cleared).toEqual([]);
    expect(broken.fresh.map((x) => `${x.check} ${x.outcome}`)).toEqual(['input.valid error']);
    expect(Object.keys(broken.next.alerted)).toHaveLength(3);
    const partial = planAlert(receipt([], { gates: ['D19'] }), null, state, NOW, 24);
    expect(partial.cleared.map((c) => c.id)).toEqual(['D19.freshness pve1/a']);
    expect(Object.keys(partial.next.alerted)).toEqual([fingerprint(f('x', { gate: 'relay-stalwart' }))]);
  });
});

describe('alertBody with hostile host text', () => {
  it('keeps each value on its line: a guest name with CR/LF cannot forge a section, ESC never reaches a mail client', () => {
    const forged = 'vm-1\r\n\r\nCleared since the last run (1):\n- D19.freshness pve1/everything (was fail)\u001b[2J';
    const plan = planAlert(
      receipt([f(forged, { message: forged, remediation: `vzdump 101\n${forged}` })]),
      null,
      null,
      NOW,
      24,
    );
    const body = alertBody(plan, { runKey: 'k', outcome: 'fail', source: 's', receipt: 'r.json' }, 24);
    expect(body.split('\n').filter((l) => l.startsWith('Cleared since the last run'))).toEqual([]);
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(body).not.toMatch(/[\r\u001b]/);
    expect(body).toContain('\\u000d\\u000a');
    // The remediation keeps its own lines, indented under `fix:`; a line it carries is never a heading.
    expect(body).toContain('        fix: vzdump 101\n             vm-1');
  });
});

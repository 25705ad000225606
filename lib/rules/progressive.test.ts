// Progressive bindings: an estate adopts vm.lifecycle.yaml, ssh.targets.yaml and backup.calendar.yaml
// one at a time. Without one, exactly the checks that need it skip with the reason `no <file>`, and
// every other check is judged as before.

import { describe, expect, it } from 'vitest';
import type { Finding } from '../model.js';
import { evaluateD19 } from './D19.js';
import { D69_CHECKS, evaluateD69 } from './D69.js';
import { CALENDAR_CHECKS, evaluateRadicaleCalendar } from './radicale-calendar.js';
import { evaluateRelay } from './relay-stalwart.js';
import { makeBindings, makeCalendarEvent, makeInput } from './testing/test-input.js';

const byCheck = (findings: Finding[]): Record<string, Finding[]> => {
  const groups: Record<string, Finding[]> = {};
  for (const f of findings) (groups[f.check] ??= []).push(f);
  return groups;
};
const reasonsOf = (findings: Finding[]) => [...new Set(findings.map((f) => `${f.outcome} ${f.reason ?? ''}`.trim()))];

describe('without vm.lifecycle.yaml', () => {
  const bindings = { ...makeBindings(), lifecycle: null };

  it('skips every D69 check, once each, naming the file', () => {
    const findings = evaluateD69(makeInput({ bindings }));
    expect(findings.map((f) => f.check)).toEqual([...D69_CHECKS]);
    expect(reasonsOf(findings)).toEqual(['skip no vm.lifecycle.yaml']);
  });

  it('still judges D19 freshness; the per-host checks skip, since no PVE host is known', () => {
    const checks = byCheck(evaluateD19(makeInput({ bindings })));
    expect(reasonsOf(checks['D19.freshness']!)).toEqual(['pass']);
    for (const check of ['D19.guest-covered', 'D19.job-guest-active', 'D19.scheduler', 'D19.target-enrolled']) {
      expect(reasonsOf(checks[check]!), check).toEqual(['skip no vm.lifecycle.yaml']);
    }
  });

  it('judges the PVE hosts drift.gates.yaml pve_hosts names', () => {
    const named = { ...bindings, policy: { ...bindings.policy, pveHosts: ['pve1'] } };
    const checks = byCheck(evaluateD19(makeInput({ bindings: named })));
    expect(reasonsOf(checks['D19.guest-covered']!)).toEqual(['pass']);
    expect(reasonsOf(checks['D19.scheduler']!)).toEqual(['pass']);
  });

  it('skips relay-stalwart per check rather than calling its hosts not PVE hosts', () => {
    const base = makeBindings({
      policy: {
        relay: {
          host: 'mail.example.com',
          port: 465,
          tls: 'implicit',
          hosts: ['pve1'],
          allowedRecipients: ['ops@example.com'],
          senderDomain: null,
          maxQueueAgeMinutes: 60,
          failOnDeferred: false,
          mail: {},
          source: { file: 'drift.gates.yaml', line: 3 },
        },
      },
    });
    const findings = evaluateRelay(makeInput({ bindings: { ...base, lifecycle: null } }));
    expect(reasonsOf(findings)).toEqual(['skip no vm.lifecycle.yaml']);
  });
});

describe('without backup.calendar.yaml', () => {
  const bindings = { ...makeBindings(), calendar: null };

  it('skips D69.scheduled only', () => {
    const checks = byCheck(evaluateD69(makeInput({ bindings })));
    expect(reasonsOf(checks['D69.scheduled']!)).toEqual(['skip no backup.calendar.yaml']);
    expect(reasonsOf(checks['D69.enrolled']!)).toEqual(['pass']);
  });

  it('skips every radicale-calendar check, once each', () => {
    const findings = evaluateRadicaleCalendar(makeInput({ bindings }));
    expect(findings.map((f) => f.check)).toEqual([...CALENDAR_CHECKS]);
    expect(reasonsOf(findings)).toEqual(['skip no backup.calendar.yaml']);
  });

  it('(with one, D69.scheduled is judged: the skip is about the file, not the run)', () => {
    const withCalendar = makeBindings();
    withCalendar.calendar!.events = [makeCalendarEvent('daily', 'DAILY', 2, 0)];
    expect(reasonsOf(byCheck(evaluateD69(makeInput({ bindings: withCalendar })))['D69.scheduled']!)).toEqual(['pass']);
  });
});

describe('without ssh.targets.yaml', () => {
  it('skips D69.ssh-target only', () => {
    const checks = byCheck(evaluateD69(makeInput({ bindings: { ...makeBindings(), ssh: null } })));
    expect(reasonsOf(checks['D69.ssh-target']!)).toEqual(['skip no ssh.targets.yaml']);
    expect(reasonsOf(checks['D69.unregistered-guest']!)).toEqual(['pass']);
  });
});

import { describe, expect, it } from 'vitest';
import { pveJobRuns, zoneShiftMinutes } from './schedule.js';

describe('zoneShiftMinutes on DST switch days', () => {
  // 2024-03-10: New York springs forward at 07:00Z, Chicago at 08:00Z; for that hour they are 2 h apart.
  it('ignores the hour in which two zones have switched at different instants', () => {
    expect(zoneShiftMinutes('America/Chicago', 'America/New_York', '2024-03-10T07:30:00Z')).toBe(60);
    expect(
      pveJobRuns('2:30', { from: 'America/Chicago', to: 'America/New_York', now: '2024-03-10T07:30:00Z' }),
    ).toMatchObject({ ok: true, runs: [{ hour: 3, minute: 30 }] });
  });

  it('keeps a shift that really holds for weeks (Europe and the US switch on different Sundays)', () => {
    // 2024-03-20: New York on EDT (-4), Vienna still on CET (+1): 5 h, not the usual 6.
    expect(zoneShiftMinutes('America/New_York', 'Europe/Vienna', '2024-03-20T12:00:00Z')).toBe(300);
    expect(zoneShiftMinutes('America/New_York', 'Europe/Vienna', '2024-04-20T12:00:00Z')).toBe(360);
  });

  it('follows a switch once it has happened in both zones', () => {
    expect(zoneShiftMinutes('UTC', 'Europe/Vienna', '2024-03-31T00:30:00Z')).toBe(60);
    expect(zoneShiftMinutes('UTC', 'Europe/Vienna', '2024-03-31T01:30:00Z')).toBe(120);
  });
});

describe('a schedule inside the skipped hour', () => {
  // On 2024-03-31 Europe/Vienna has no 02:30: proxmox-time skips the day (lib/pve/calendar-event.ts), and
  // RFC 5545 §3.3.5 reads the calendar's 02:30 instance as 03:30. Neither is drift: the job and its event
  // are compared as rules (02:30 every day), not as that day's instances.
  it('is the same 02:30 run on the switch day as on any other', () => {
    for (const now of ['2024-03-30T12:00:00Z', '2024-03-31T01:30:00Z', '2024-03-31T12:00:00Z']) {
      expect(pveJobRuns('2:30', { from: 'Europe/Vienna', to: 'Europe/Vienna', now })).toMatchObject({
        ok: true,
        freq: 'DAILY',
        runs: [{ hour: 2, minute: 30 }],
      });
    }
  });
});

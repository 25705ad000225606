// nextEvent against proxmox-time's own answers (testdata/README.md says how they were computed), and
// DST-day cases whose answers are traced through compute_next_event by hand below.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nextEvent, occurrencesBetween, parseCalendarEvent } from './calendar-event.js';

type Row = [
  group: string,
  zone: string,
  spec: string,
  after: number,
  next: number | null | 'error',
  stateDependent?: 1,
];
const ROWS = JSON.parse(readFileSync(new URL('./testdata/proxmox-time-cases.json', import.meta.url), 'utf8')) as Row[];

function ours(spec: string, after: number, zone: string): number | null | 'error' {
  let parsed;
  try {
    parsed = parseCalendarEvent(spec);
  } catch {
    return 'error';
  }
  return nextEvent(parsed, after, zone);
}

const GROUPS: Record<string, string> = {
  3: 'pve-docs calendar-events.adoc',
  4: 'DST days in four zones',
  5: 'edge cases',
};

describe.each(Object.entries(GROUPS))('proxmox-time agrees, group %s (%s)', (group) => {
  const rows = ROWS.filter((r) => r[0] === group);

  it('has its cases', () => {
    expect(rows.length).toBeGreaterThan(500);
  });

  it("every case gives proxmox-time's answer", () => {
    const wrong = rows.filter(([, zone, spec, after, next]) => ours(spec, after, zone) !== next);
    expect(
      wrong
        .slice(0, 10)
        .map(([, zone, spec, after, next]) => ({ zone, spec, after, next, ours: ours(spec, after, zone) })),
    ).toEqual([]);
  });
});

const at = (iso: string) => Date.parse(iso) / 1000;
const next = (spec: string, after: string, zone: string) => {
  const n = nextEvent(parseCalendarEvent(spec), at(after), zone);
  return n === null ? null : new Date(n * 1000).toISOString().replace('.000Z', 'Z');
};

// Each answer below follows compute_next_event step by step: TmEditor starts at localtime(after + 1);
// every edit hands the fields to mktime (tm_isdst -1), which reads a skipped wall time with the offset
// before the switch (02:30 → 03:30) and a repeated one with the offset it tries first (0 in a fresh
// process, then the previous call's).
describe('DST days, traced through compute_next_event', () => {
  it('Europe/Vienna spring forward: 2:30 does not run on 2024-03-31', () => {
    // 00:00:01 → hour 0 → set_time(2) → 02:00 is skipped → 03:00 CEST → hour 3, no later hour in [2] → add_days(1) → 04-01 02:30 CEST.
    expect(next('2:30', '2024-03-30T23:00:00Z', 'Europe/Vienna')).toBe('2024-04-01T00:30:00Z');
  });

  it('Europe/Vienna spring forward: sun 02:30 skips a whole week', () => {
    // Sunday 03-31 has no 02:30 (as above); the next Sunday is 04-07.
    expect(next('sun 02:30', '2024-03-30T12:00:00Z', 'Europe/Vienna')).toBe('2024-04-07T00:30:00Z');
  });

  it('America/New_York spring forward: 2:30 skips 2024-03-10, never 01:30 EST', () => {
    expect(next('2:30', '2024-03-10T04:00:00Z', 'America/New_York')).toBe('2024-03-11T06:30:00Z');
  });

  it('Australia/Sydney spring forward: 2:30 skips 2024-10-06', () => {
    // AEST (+10) → AEDT (+11) at 02:00 local on 2024-10-06.
    expect(next('2:30', '2024-10-05T13:00:00Z', 'Australia/Sydney')).toBe('2024-10-06T15:30:00Z');
  });

  it('an hour that exists on the switch day still runs: 3:30 in Vienna', () => {
    expect(next('3:30', '2024-03-30T23:00:00Z', 'Europe/Vienna')).toBe('2024-03-31T01:30:00Z');
  });

  it('Europe/Vienna fall back: from the day before, the first 02:30 (CEST)', () => {
    // 10-26 12:00 → no later hour → add_days(1): mktime(10-27 00:00) is CEST, so the next mktime tries +2 h first → 02:30 CEST.
    expect(next('2:30', '2024-10-26T10:00:00Z', 'Europe/Vienna')).toBe('2024-10-27T00:30:00Z');
  });

  it("Europe/Vienna fall back: from midnight, mktime's first try of offset 0 meets the second 02:30 (CET)", () => {
    // 00:00:00 needs no day change, so set_time(2) is the first mktime call: from offset 0 it lands on CET.
    expect(next('2:30', '2024-10-26T21:59:59Z', 'Europe/Vienna')).toBe('2024-10-27T01:30:00Z');
  });

  it('America/New_York fall back: offset 0 meets EDT first, so 1:30 is the first one', () => {
    expect(next('1:30', '2024-11-02T16:00:00Z', 'America/New_York')).toBe('2024-11-03T05:30:00Z');
  });

  it('counts a daily 02:30 job over the Vienna spring-forward day as one run missed, not two', () => {
    // Last run 03-30 02:30 CET; captured 04-01 06:00: only 04-01 02:30 was due (03-31 has none).
    expect(
      occurrencesBetween(
        parseCalendarEvent('2:30'),
        at('2024-03-30T01:30:00Z'),
        at('2024-04-01T04:00:00Z'),
        'Europe/Vienna',
      ),
    ).toBe(1);
  });

  it('reaches far years and leap days past any fixed horizon', () => {
    expect(next('2100-01-01', '2023-06-01T00:00:00Z', 'UTC')).toBe('2100-01-01T00:00:00Z');
    expect(next('fri *-2-29', '2023-06-01T00:00:00Z', 'UTC')).toBe('2036-02-29T00:00:00Z');
  });
});

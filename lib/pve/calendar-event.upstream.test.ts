// The upstream cases of the two implementations PVE has used for calendar events, ported with
// their expected values:
// - proxmox-rs proxmox-time/src/test.rs (test_compute_next_event, test_calendar_event_weekday): every
//   spec is parsed with " UTC" appended, as its test_value and test_never do.
// - pve-common test/calendar_event_test.pl: computed with $ENV{TZ} = 'UTC', then its tztest cases
//   in UTC and in Europe/Vienna. Its error cases only check that *something* is defined after the eval
//   (always true), so where they expect an error from the old Perl parser that proxmox-time accepts
//   (`Fri..Mon`), the expectation here is proxmox-time's, which PVE runs since pve-common 7.1-2.

import { describe, expect, it } from 'vitest';
import { nextEvent, parseCalendarEvent } from './calendar-event.js';

const MIN = 60;
const HOUR = 3600;
const DAY = 86_400;
const THURSDAY_00_00 = 0;
const THURSDAY_15_00 = 15 * HOUR;
const JUL_31_2020 = 1_596_153_600; // Friday, 2020-07-31 00:00:00 UTC
const DEC_31_2020 = 1_609_372_800; // Thursday, 2020-12-31 00:00:00 UTC

/** test.rs test_value: the spec with " UTC" appended, computed from `last`. */
const utcNext = (spec: string, last: number) => nextEvent(parseCalendarEvent(`${spec} UTC`), last, null);

describe('proxmox-time test.rs: test_compute_next_event', () => {
  it.each<[string, number, number]>([
    // minute only syntax
    ['0', THURSDAY_00_00, THURSDAY_00_00 + HOUR],
    ['*', THURSDAY_00_00, THURSDAY_00_00 + MIN],
    ['*:0', THURSDAY_00_00, THURSDAY_00_00 + HOUR],
    ['*:*', THURSDAY_00_00, THURSDAY_00_00 + MIN],
    ['*:*:*', THURSDAY_00_00, THURSDAY_00_00 + 1],
    ['*:3:5', THURSDAY_00_00, THURSDAY_00_00 + 3 * MIN + 5],
    ['mon *:*', THURSDAY_00_00, THURSDAY_00_00 + 4 * DAY],
    ['mon 2:*', THURSDAY_00_00, THURSDAY_00_00 + 4 * DAY + 2 * HOUR],
    ['mon 2:50', THURSDAY_00_00, THURSDAY_00_00 + 4 * DAY + 2 * HOUR + 50 * MIN],
    ['tue', THURSDAY_00_00, THURSDAY_00_00 + 5 * DAY],
    ['wed', THURSDAY_00_00, THURSDAY_00_00 + 6 * DAY],
    ['thu', THURSDAY_00_00, THURSDAY_00_00 + 7 * DAY],
    ['fri', THURSDAY_00_00, THURSDAY_00_00 + 1 * DAY],
    ['sat', THURSDAY_00_00, THURSDAY_00_00 + 2 * DAY],
    ['sun', THURSDAY_00_00, THURSDAY_00_00 + 3 * DAY],
    // repeated ranges
    ['4..10/2:0', THURSDAY_00_00, THURSDAY_00_00 + 4 * HOUR],
    ['4..10/2:0', THURSDAY_00_00 + 5 * HOUR, THURSDAY_00_00 + 6 * HOUR],
    ['4..10/2:0', THURSDAY_00_00 + 11 * HOUR, THURSDAY_00_00 + 1 * DAY + 4 * HOUR],
    // several values for one field, in any order
    ['5,10:4,8', THURSDAY_00_00, THURSDAY_00_00 + 5 * HOUR + 4 * MIN],
    ['10,5:8,4', THURSDAY_00_00, THURSDAY_00_00 + 5 * HOUR + 4 * MIN],
    ['6,4..10:23,5/5', THURSDAY_00_00, THURSDAY_00_00 + 4 * HOUR + 5 * MIN],
    ['4..10,6:5/5,23', THURSDAY_00_00, THURSDAY_00_00 + 4 * HOUR + 5 * MIN],
    // month wrapping
    ['sat', JUL_31_2020, JUL_31_2020 + 1 * DAY],
    ['sun', JUL_31_2020, JUL_31_2020 + 2 * DAY],
    ['mon', JUL_31_2020, JUL_31_2020 + 3 * DAY],
    ['tue', JUL_31_2020, JUL_31_2020 + 4 * DAY],
    ['wed', JUL_31_2020, JUL_31_2020 + 5 * DAY],
    ['thu', JUL_31_2020, JUL_31_2020 + 6 * DAY],
    ['fri', JUL_31_2020, JUL_31_2020 + 7 * DAY],
    // year wrapping
    ['fri', DEC_31_2020, DEC_31_2020 + 1 * DAY],
    ['sat', DEC_31_2020, DEC_31_2020 + 2 * DAY],
    ['sun', DEC_31_2020, DEC_31_2020 + 3 * DAY],
    ['mon', DEC_31_2020, DEC_31_2020 + 4 * DAY],
    ['tue', DEC_31_2020, DEC_31_2020 + 5 * DAY],
    ['wed', DEC_31_2020, DEC_31_2020 + 6 * DAY],
    ['thu', DEC_31_2020, DEC_31_2020 + 7 * DAY],
    ['daily', THURSDAY_00_00, THURSDAY_00_00 + DAY],
    ['daily', THURSDAY_00_00 + 1, THURSDAY_00_00 + DAY],
    // dates
    ['2020-07-31', 0, JUL_31_2020],
    ['02-28', 0, (31 + 27) * DAY],
    ['02-29', 0, 2 * 365 * DAY + (31 + 28) * DAY], // 1972-02-29
    ['1965/5-01-01', -1, THURSDAY_00_00],
    ['2020-7..9-2/2', JUL_31_2020, JUL_31_2020 + 2 * DAY],
    ['2020,2021-12-31', JUL_31_2020, DEC_31_2020],
    // keyword shortcuts
    ['minutely', THURSDAY_00_00, THURSDAY_00_00 + MIN],
    ['hourly', THURSDAY_00_00, THURSDAY_00_00 + HOUR],
    ['weekly', THURSDAY_00_00, THURSDAY_00_00 + 4 * DAY], // next Monday
    ['monthly', 0, 31 * DAY],
    ['quarterly', 0, (31 + 28 + 31) * DAY],
    ['semiannually', 0, (31 + 28 + 31 + 30 + 31 + 30) * DAY],
    ['semi-annually', 0, (31 + 28 + 31 + 30 + 31 + 30) * DAY],
    ['yearly', 0, 365 * DAY],
    ['annually', 0, 365 * DAY],
  ])('%s after %d is %d', (spec, last, expected) => {
    expect(utcNext(spec, last)).toBe(expected);
  });

  it('5/2:0 chains 05:00, 07:00, 09:00, 11:00', () => {
    let n = THURSDAY_00_00;
    for (const hour of [5, 7, 9, 11]) {
      n = utcNext('5/2:0', n)!;
      expect(n).toBe(THURSDAY_00_00 + hour * HOUR);
    }
  });

  it.each<[string, number, number, number]>([
    ['*:*', THURSDAY_00_00, MIN, 0],
    ['*:0', THURSDAY_00_00, HOUR, 0],
    ['1:0', THURSDAY_15_00, DAY, HOUR],
  ])('%s chains 99 steps of its period from %d', (spec, start, period, offset) => {
    let n = start;
    for (let i = 1; i < 100; i++) {
      n = utcNext(spec, n)!;
      expect(n).toBe(THURSDAY_00_00 + i * period + offset);
    }
  });

  it.each(['2021-02-29', '02-30'])('%s never happens', (spec) => {
    expect(utcNext(spec, 0)).toBeNull();
  });
});

describe('proxmox-time test.rs: test_calendar_event_weekday', () => {
  it.each([
    'mon,wed..fri',
    'fri..mon',
    'mon',
    'MON',
    'monDay',
    'tue',
    'Tuesday',
    'wed',
    'wednesday',
    'thu',
    'thursday',
    'fri',
    'friday',
    'sat',
    'saturday',
    'sun',
    'sunday',
    'mon..fri',
    'mon,tue,fri',
    'mon,tue..wednesday,fri..sat',
  ])('parses %s', (spec) => {
    expect(parseCalendarEvent(spec).weekdays).not.toBeNull();
  });
});

describe('pve-common calendar_event_test.pl (TZ=UTC)', () => {
  const next = (spec: string, last: number) => nextEvent(parseCalendarEvent(spec), last, 'UTC');

  it.each<[string, Array<[number, number]>]>([
    [
      '*',
      [
        [0, 60],
        [30, 60],
        [59, 60],
        [60, 120],
      ],
    ],
    [
      '*/10',
      [
        [0, 600],
        [599, 600],
        [600, 1200],
        [50 * 60, 60 * 60],
      ],
    ],
    [
      '*/12:0',
      [
        [10, 43_200],
        [13 * 3600, 24 * 3600],
      ],
    ],
    [
      '1/12:0/15',
      [
        [0, 3600],
        [3600, 3600 + 15 * 60],
        [3600 + 16 * 60, 3600 + 30 * 60],
        [3600 + 30 * 60, 3600 + 45 * 60],
        [3600 + 45 * 60, 3600 + 12 * 3600],
        [13 * 3600 + 1, 13 * 3600 + 15 * 60],
        [13 * 3600 + 15 * 60, 13 * 3600 + 30 * 60],
        [13 * 3600 + 30 * 60, 13 * 3600 + 45 * 60],
        [13 * 3600 + 45 * 60, 25 * 3600],
      ],
    ],
    [
      '1,4,6',
      [
        [0, 60],
        [60, 4 * 60],
        [4 * 60 + 60, 6 * 60],
        [6 * 60, 3600 + 60],
      ],
    ],
    [
      'Mon',
      [
        [0, 4 * 86_400],
        [4 * 86_400, 11 * 86_400],
        [11 * 86_400, 18 * 86_400],
      ],
    ],
    [
      'sat..sun',
      [
        [0, 2 * 86_400],
        [2 * 86_400, 3 * 86_400],
        [3 * 86_400, 9 * 86_400],
      ],
    ],
    [
      '22/1:0',
      [
        [0, 22 * 3600],
        [22 * 3600, 23 * 3600],
        [22 * 3600 + 59 * 60, 23 * 3600],
      ],
    ],
    [
      '*/2:*',
      [
        [0, 60],
        [3600, 2 * 3600],
        [2 * 3600, 2 * 3600 + 60],
      ],
    ],
    [
      '20..22:*/30',
      [
        [0, 20 * 3600],
        [20 * 3600, 20 * 3600 + 30 * 60],
        [22 * 3600 + 30 * 60, 44 * 3600],
      ],
    ],
    [
      '0,1,3..5',
      [
        [0, 60],
        [60, 3 * 60],
        [5 * 60, 3600],
      ],
    ],
    [
      '2,4:0,1,3..5',
      [
        [0, 2 * 3600],
        [2 * 3600 + 60, 2 * 3600 + 3 * 60],
        [2 * 3600 + 5 * 60, 4 * 3600],
      ],
    ],
  ])('%s', (spec, steps) => {
    for (const [last, expected] of steps) expect(next(spec, last)).toBe(expected);
  });

  it.each(['0..3', '23..23:0..3', 'sun..sat', 'wed,mon..tue,fri', 'mon */15', 'Fri..Mon'])('parses %s', (spec) => {
    expect(() => parseCalendarEvent(spec)).not.toThrow();
  });

  it.each(['61', '*/61', '0..80', ' mon 0 0 0', '', ' mon 0 0'])('rejects %j', (spec) => {
    expect(() => parseCalendarEvent(spec)).toThrow(/invalid schedule/);
  });

  // "Test loop termination at CEST/CET switch": 2018-10-28 is the switch day in Vienna.
  const localMidnight = (zone: string, day: number) =>
    Date.UTC(2018, 9, day) / 1000 - (zone === 'Europe/Vienna' ? (day === 28 ? 2 : 1) * HOUR : 0);
  it.each<[string, string, number]>([
    ['UTC', 'mon..fri', localMidnight('UTC', 29)],
    ['UTC', 'mon..fri UTC', localMidnight('UTC', 29)],
    ['Europe/Vienna', 'mon..fri', localMidnight('Europe/Vienna', 29)],
    // A spec in UTC from a local midnight: the result is 01:00 local on the 29th.
    ['Europe/Vienna', 'mon..fri UTC', localMidnight('Europe/Vienna', 29) + HOUR],
  ])('tztest in %s: %s from 2018-10-28 00:00 local', (zone, spec, expected) => {
    expect(nextEvent(parseCalendarEvent(spec), localMidnight(zone, 28), zone)).toBe(expected);
  });
});

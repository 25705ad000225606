import { describe, expect, it } from 'vitest';
import { parseCalendarEvent, simpleDailyTimes, type CalendarEventSpec } from './calendar-event.js';
import { PveParseError } from './errors.js';

const ALL_HOURS = Array.from({ length: 24 }, (_, i) => i);
const ALL_MINUTES = Array.from({ length: 60 }, (_, i) => i);
const WEEKDAYS_MON_FRI = [1, 2, 3, 4, 5];

/** The spec without `source`, for comparing two spellings of one schedule. */
function meaning(spec: string): Omit<CalendarEventSpec, 'source' | 'values'> {
  const { source, values, ...rest } = parseCalendarEvent(spec);
  expect(values).toBeDefined();
  expect(source).toBe(spec);
  return rest;
}

function daily(hours: number[], minutes: number[], weekdays: number[] | null = null) {
  return { weekdays, hours, minutes, seconds: [0], days: null, months: null, years: null, utc: false };
}

describe('parseCalendarEvent: platform.md examples', () => {
  it('02:00 is every day at 02:00', () => {
    expect(meaning('02:00')).toEqual(daily([2], [0]));
  });

  it('sat 02:00 is Saturdays at 02:00', () => {
    expect(meaning('sat 02:00')).toEqual(daily([2], [0], [6]));
  });

  it('mon..fri 21:00 is weekdays at 21:00', () => {
    expect(meaning('mon..fri 21:00')).toEqual(daily([21], [0], WEEKDAYS_MON_FRI));
  });

  it('*-*-* 02:00 equals 02:00', () => {
    expect(meaning('*-*-* 02:00')).toEqual(meaning('02:00'));
  });

  it('sun 01:00 is Sundays at 01:00', () => {
    expect(meaning('sun 01:00')).toEqual(daily([1], [0], [0]));
  });

  it('*/30 is every 30 minutes of every hour', () => {
    expect(meaning('*/30')).toEqual(daily(ALL_HOURS, [0, 30]));
  });

  it('mon..fri 8..17,22:0/15 is every quarter hour 8-17 and 22 on weekdays', () => {
    expect(meaning('mon..fri 8..17,22:0/15')).toEqual(
      daily([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 22], [0, 15, 30, 45], WEEKDAYS_MON_FRI),
    );
  });

  it('Sat *-1..7 15:00 is the first Saturday of the month at 15:00', () => {
    expect(meaning('Sat *-1..7 15:00')).toEqual({ ...daily([15], [0], [6]), days: [1, 2, 3, 4, 5, 6, 7] });
  });

  it('a bare number is a minute of every hour, not an hour', () => {
    expect(meaning('22')).toEqual(daily(ALL_HOURS, [22]));
    expect(meaning('mon..fri 22')).toEqual(daily(ALL_HOURS, [22], WEEKDAYS_MON_FRI));
  });

  it('61 is out of range', () => {
    expect(() => parseCalendarEvent('61')).toThrow(PveParseError);
    expect(() => parseCalendarEvent('61')).toThrow("invalid schedule '61': value 61 out of range (0..59)");
    expect(() => parseCalendarEvent('61')).toThrow(expect.objectContaining({ source: 'schedule' }));
  });
});

describe('parseCalendarEvent: grammar', () => {
  it('reads a weekday alone as that day at 00:00', () => {
    expect(meaning('sat')).toEqual(daily([0], [0], [6]));
  });

  it('reads weekdays case-insensitively, with full names, lists and ranges', () => {
    expect(meaning('Monday,WED..friday 03:15').weekdays).toEqual([1, 3, 4, 5]);
    expect(meaning('SUNDAY 03:15').weekdays).toEqual([0]);
  });

  it('accepts wrap-around weekday ranges like proxmox-time', () => {
    expect(meaning('fri..mon 01:00').weekdays).toEqual([0, 1, 5, 6]);
  });

  it('reads all seven weekdays as no weekday constraint', () => {
    expect(meaning('mon..sun 02:00')).toEqual(meaning('02:00'));
  });

  it('reads 24:00 as minute 24, second 0: an out-of-range hour falls back to MM:SS like proxmox-time', () => {
    expect(meaning('24:00')).toEqual(daily(ALL_HOURS, [24]));
    expect(meaning('25:30').seconds).toEqual([30]);
  });

  it('reads optional seconds, defaulting to :00', () => {
    expect(meaning('02:00:30').seconds).toEqual([30]);
    expect(meaning('02:00:*').seconds).toEqual(ALL_MINUTES);
    expect(meaning('02:00').seconds).toEqual([0]);
  });

  it('expands *, lists, ranges and all repetition forms', () => {
    expect(meaning('*:5')).toEqual(daily(ALL_HOURS, [5]));
    expect(meaning('*/6:0').hours).toEqual([0, 6, 12, 18]);
    expect(meaning('2/8:0').hours).toEqual([2, 10, 18]);
    expect(meaning('1..10/3:0').hours).toEqual([1, 4, 7, 10]);
    expect(meaning('3,1,2..4:0').hours).toEqual([1, 2, 3, 4]);
    expect(meaning('5/0:0').hours).toEqual([5]);
  });

  it('reads a date part with years, months and days', () => {
    expect(meaning('2025-01,07-1 04:00')).toEqual({ ...daily([4], [0]), years: [2025], months: [1, 7], days: [1] });
    expect(meaning('12-24 18:30')).toEqual({ ...daily([18], [30]), months: [12], days: [24] });
    expect(meaning('*-*/2 06:00').days).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]);
  });

  it('reads a date alone as that date at 00:00', () => {
    expect(meaning('*-12-25')).toEqual({ ...daily([0], [0]), months: [12], days: [25] });
  });

  it('reads a trailing UTC', () => {
    expect(meaning('sat 02:00 UTC')).toEqual({ ...daily([2], [0], [6]), utc: true });
    expect(meaning('daily UTC')).toEqual({ ...daily([0], [0]), utc: true });
  });

  it('expands the keywords', () => {
    expect(meaning('minutely')).toEqual(daily(ALL_HOURS, ALL_MINUTES));
    expect(meaning('hourly')).toEqual(daily(ALL_HOURS, [0]));
    expect(meaning('daily')).toEqual(daily([0], [0]));
    expect(meaning('weekly')).toEqual(daily([0], [0], [1]));
    expect(meaning('monthly')).toEqual({ ...daily([0], [0]), days: [1] });
    expect(meaning('yearly')).toEqual({ ...daily([0], [0]), months: [1], days: [1] });
    expect(meaning('annually')).toEqual(meaning('yearly'));
    expect(meaning('quarterly')).toEqual({ ...daily([0], [0]), months: [1, 4, 7, 10], days: [1] });
    expect(meaning('semiannually')).toEqual({ ...daily([0], [0]), months: [1, 7], days: [1] });
    expect(meaning('semi-annually')).toEqual(meaning('semiannually'));
  });

  it.each([
    ['', 'expected a weekday, date or time'],
    ['UTC', 'expected a weekday, date or time'],
    ['1:2:3:4', "unexpected ':4'"],
    ['02:60', 'value 60 out of range (0..59)'],
    ['funday 02:00', "expected a weekday, got 'funday'"],
    ['Daily', "expected a weekday, got 'Daily'"],
    ['daily 02:00', "expected a weekday, got 'daily'"],
    ['10..5:00', 'range start 10 is bigger than end 5'],
    ['*/0', 'repetition step must be positive'],
    ['sat 02:00 sun', "unexpected ' sun'"],
  ])('rejects %j', (spec, message) => {
    expect(() => parseCalendarEvent(spec)).toThrow(`invalid schedule '${spec}': ${message}`);
  });
});

describe('parseCalendarEvent: trimmed as PVE::CalendarEvent does before proxmox-time parses it', () => {
  it.each([' daily ', '\tdaily\n', '02:00 ', ' 02:00'])('accepts %j', (spec) => {
    const { source, values, ...rest } = parseCalendarEvent(spec);
    expect(source).toBe(spec);
    expect(rest).toEqual(meaning(spec.trim()));
  });

  it('still rejects spaces inside the text and an empty one', () => {
    expect(() => parseCalendarEvent('sat  02:00 x')).toThrow(PveParseError);
    expect(() => parseCalendarEvent('   ')).toThrow('expected a weekday, date or time');
  });
});

describe('simpleDailyTimes', () => {
  it('lists times of day and weekdays for time-only schedules', () => {
    expect(simpleDailyTimes(parseCalendarEvent('02:00'))).toEqual({ weekdays: null, times: [{ hour: 2, minute: 0 }] });
    expect(simpleDailyTimes(parseCalendarEvent('mon..fri 8,20:0/30'))).toEqual({
      weekdays: WEEKDAYS_MON_FRI,
      times: [
        { hour: 8, minute: 0 },
        { hour: 8, minute: 30 },
        { hour: 20, minute: 0 },
        { hour: 20, minute: 30 },
      ],
    });
  });

  it('covers every hour for a bare minute', () => {
    expect(simpleDailyTimes(parseCalendarEvent('22'))?.times).toHaveLength(24);
  });

  it('returns null for day, month or year constraints', () => {
    expect(simpleDailyTimes(parseCalendarEvent('Sat *-1..7 15:00'))).toBeNull();
    expect(simpleDailyTimes(parseCalendarEvent('monthly'))).toBeNull();
    expect(simpleDailyTimes(parseCalendarEvent('2025-*-* 02:00'))).toBeNull();
  });

  it('returns null unless seconds are only :00', () => {
    expect(simpleDailyTimes(parseCalendarEvent('02:00:30'))).toBeNull();
    expect(simpleDailyTimes(parseCalendarEvent('02:00:0,30'))).toBeNull();
  });
});

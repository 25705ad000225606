// PVE calendar events (job `schedule`), as PVE reads and runs them. Since pve-common 7.1-2,
// PVE::CalendarEvent trims the text and hands it to Proxmox::RS::CalendarEvent, which is
// proxmox-time's CalendarEvent (proxmox-rs proxmox-time/src/calendar_event.rs). This module is a
// port of both: the parser (parse_calendar_event_incomplete, date_time_value.rs, week_days.rs) and
// compute_next_event, whose TmEditor (tm_editor.rs) edits a libc `struct tm` and lets mktime
// normalise it after every step; lib/time/zone.ts localMktime does what glibc's mktime does there.
// Grammar, all parts optional but not all absent:
//   [WEEKDAYS] [[YEARS-]MONTHS-DAYS] [[HOURS:]MINUTES[:SECONDS]] [UTC]
// A bare number is a MINUTE; hours default to every hour when a time is given, and a spec without
// a time means 00:00:00.

import { PveParseError } from './errors.js';
import { sortedUnique } from './lists.js';
import { localMktime, wallTimeAt, type WallTime } from '../time/zone.js';

/** One item of a component list (date_time_value.rs DateTimeValue); `end` null: no upper bound. */
export type DateTimeValue =
  | { kind: 'single'; value: number }
  | { kind: 'range'; start: number; end: number }
  | { kind: 'repeated'; start: number; step: number; end: number | null };

/** Each component as proxmox-time keeps it; an empty list matches any value. */
export interface CalendarEventValues {
  years: DateTimeValue[];
  months: DateTimeValue[];
  days: DateTimeValue[];
  hours: DateTimeValue[];
  minutes: DateTimeValue[];
  seconds: DateTimeValue[];
}

export interface CalendarEventSpec {
  /** 0 = Sunday … 6 = Saturday; null = every day. */
  weekdays: number[] | null;
  /** The values each component matches in its natural range (hours 0-23, …), for showing and comparing schedules. */
  hours: number[];
  minutes: number[];
  seconds: number[];
  /** Day-of-month constraint; null = any day. */
  days: number[] | null;
  months: number[] | null;
  years: number[] | null;
  /** Computed in UTC instead of the node's local time zone. */
  utc: boolean;
  /** What {@link nextEvent} matches: open repetitions (`*\/5`) reach past the natural range, as in proxmox-time. */
  values: CalendarEventValues;
  source: string;
}

const single = (value: number): DateTimeValue => ({ kind: 'single', value });
const ZERO = [single(0)];

// Keywords, matched case-sensitively and only as the whole text (calendar_event.rs).
const KEYWORDS = new Map<string, Partial<CalendarEventValues> & { weekdays?: number[] }>([
  ['minutely', { seconds: ZERO }],
  ['hourly', { minutes: ZERO, seconds: ZERO }],
  ['daily', { hours: ZERO, minutes: ZERO, seconds: ZERO }],
  ['weekly', { hours: ZERO, minutes: ZERO, seconds: ZERO, weekdays: [1] }],
  ['monthly', { hours: ZERO, minutes: ZERO, seconds: ZERO, days: [single(1)] }],
  ['yearly', { hours: ZERO, minutes: ZERO, seconds: ZERO, days: [single(1)], months: [single(1)] }],
  ['annually', { hours: ZERO, minutes: ZERO, seconds: ZERO, days: [single(1)], months: [single(1)] }],
  ['quarterly', { hours: ZERO, minutes: ZERO, seconds: ZERO, days: [single(1)], months: [1, 4, 7, 10].map(single) }],
  ['semiannually', { hours: ZERO, minutes: ZERO, seconds: ZERO, days: [single(1)], months: [1, 7].map(single) }],
  ['semi-annually', { hours: ZERO, minutes: ZERO, seconds: ZERO, days: [single(1)], months: [1, 7].map(single) }],
]);

// Index = day number (0 = Sunday).
const WEEKDAYS = [
  ['sun', 'sunday'],
  ['mon', 'monday'],
  ['tue', 'tuesday'],
  ['wed', 'wednesday'],
  ['thu', 'thursday'],
  ['fri', 'friday'],
  ['sat', 'saturday'],
];

/** PVE::CalendarEvent::parse_calendar_event: the trimmed text (Perl `\s`) through proxmox-time's parser. */
export function parseCalendarEvent(spec: string): CalendarEventSpec {
  let text = spec.replace(/^[\s\v]+|[\s\v]+$/g, '');
  const utc = text.endsWith('UTC');
  if (utc) text = text.slice(0, -3).replace(/ +$/, '');
  const keyword = /^[A-Za-z]/.test(text) ? KEYWORDS.get(text) : undefined;
  if (keyword) {
    const { weekdays = null, ...values } = keyword;
    return specOf(
      { years: [], months: [], days: [], hours: [], minutes: [], seconds: [], ...values },
      weekdays,
      utc,
      spec,
    );
  }
  const cursor = new Cursor(text, spec);

  const weekdays = /^[A-Za-z]/.test(text) ? weekdayList(cursor) : null;
  if (weekdays !== null) cursor.skipSpaces();
  const date = cursor.attempt(() => dateSpec(cursor));
  if (date !== undefined) cursor.skipSpaces();
  const time = cursor.atEnd ? undefined : timeSpec(cursor);
  if (!cursor.atEnd) cursor.fail(`unexpected '${cursor.rest}'`);
  if (weekdays === null && date === undefined && time === undefined) {
    cursor.fail('expected a weekday, date or time');
  }
  const values: CalendarEventValues = {
    years: date?.years ?? [],
    months: date?.months ?? [],
    days: date?.days ?? [],
    ...(time ?? { hours: ZERO, minutes: ZERO, seconds: ZERO }),
  };
  return specOf(values, weekdays, utc, spec);
}

function specOf(
  values: CalendarEventValues,
  weekdays: number[] | null,
  utc: boolean,
  source: string,
): CalendarEventSpec {
  const within = (list: DateTimeValue[], first: number, last: number) => {
    const all: number[] = [];
    for (let v = first; v <= last; v++) if (list.length === 0 || contains(list, v)) all.push(v);
    return all;
  };
  const constraint = (list: DateTimeValue[], first: number, last: number) =>
    list.length === 0 ? null : within(list, first, last);
  return {
    // Every day listed is the same as no weekday constraint.
    weekdays: weekdays === null || weekdays.length === 7 ? null : weekdays,
    hours: within(values.hours, 0, 23),
    minutes: within(values.minutes, 0, 59),
    seconds: within(values.seconds, 0, 59),
    days: constraint(values.days, 1, 31),
    months: constraint(values.months, 1, 12),
    years: constraint(values.years, 0, 2199),
    utc,
    values,
    source,
  };
}

/**
 * The schedule as "these times of day on these weekdays", or null when it also constrains
 * day/month/year or fires at a second other than :00. Times are UTC when `spec.utc` is set.
 */
export function simpleDailyTimes(
  spec: CalendarEventSpec,
): { weekdays: number[] | null; times: Array<{ hour: number; minute: number }> } | null {
  if (spec.days !== null || spec.months !== null || spec.years !== null) return null;
  if (spec.seconds.length !== 1 || spec.seconds[0] !== 0) return null;
  return {
    weekdays: spec.weekdays,
    times: spec.hours.flatMap((hour) => spec.minutes.map((minute) => ({ hour, minute }))),
  };
}

// --- compute_next_event -------------------------------------------------------------------------

/** DateTimeValue::contains over a list. */
function contains(list: DateTimeValue[], value: number): boolean {
  return list.some((v) => {
    switch (v.kind) {
      case 'single':
        return v.value === value;
      case 'range':
        return value >= v.start && value <= v.end;
      case 'repeated':
        if (value < v.start) return false;
        if (v.step === 0) return value === v.start;
        return (value - v.start) % v.step === 0 && (v.end === null || value <= v.end);
    }
  });
}

/** DateTimeValue::find_next: the smallest value after `value` any item names (repetitions may pass the natural range). */
function findNext(list: DateTimeValue[], value: number): number | null {
  let next: number | null = null;
  const offer = (v: number) => {
    if (next === null || v < next) next = v;
  };
  for (const v of list) {
    switch (v.kind) {
      case 'single':
        if (v.value > value) offer(v.value);
        break;
      case 'range':
        if (value < v.start) offer(v.start);
        else if (value + 1 <= v.end) offer(value + 1);
        break;
      case 'repeated':
        if (value < v.start) offer(v.start);
        else if (v.step > 0) {
          const n = v.start + Math.floor((value - v.start + v.step) / v.step) * v.step;
          if (v.end === null || n <= v.end) offer(n);
        }
        break;
    }
  }
  return next;
}

/** proxmox-time's TmEditor: a broken-down time that every edit hands to mktime to normalise. */
class TmEditor {
  wall: WallTime;
  /**
   * The offset glibc's mktime tries first: the previous call's, kept in a static. We start from 0, as
   * a process that has made no other mktime call: exact against proxmox-time run that way. In the
   * repeated hour of a fall-back day the answer depends on it (pvescheduler's earlier calls), so
   * there PVE itself may pick either occurrence.
   */
  private guess = 0;

  constructor(
    private readonly zone: string,
    epoch: number,
  ) {
    this.wall = wallTimeAt(zone, epoch);
  }

  private normalise(fields: Omit<WallTime, 'weekday'>): void {
    const r = localMktime(this.zone, fields, this.guess);
    this.wall = r.wall;
    this.guess = r.offset;
  }

  addYears(years: number): void {
    this.normalise({ year: this.wall.year + years, month: 1, day: 1, hour: 0, minute: 0, second: 0 });
  }

  addMonths(months: number): void {
    this.normalise({ year: this.wall.year, month: this.wall.month + months, day: 1, hour: 0, minute: 0, second: 0 });
  }

  addDays(days: number): void {
    this.normalise({ ...this.wall, day: this.wall.day + days, hour: 0, minute: 0, second: 0 });
  }

  setTime(hour: number, minute: number, second: number): void {
    this.normalise({ ...this.wall, hour, minute, second });
  }

  setMinSec(minute: number, second: number): void {
    this.normalise({ ...this.wall, minute, second });
  }

  setSec(second: number): void {
    this.normalise({ ...this.wall, second });
  }

  intoEpoch(): number {
    return localMktime(this.zone, this.wall, this.guess).epoch;
  }
}

/** Loops compute_next_event allows before it gives up ("cancel after 1000 loops"). */
const MAX_LOOPS = 1000;

/**
 * The first occurrence of a calendar event strictly after `after` (epoch seconds): proxmox-time's
 * compute_next_event step by step, in the node's zone (UTC when the spec says so or the zone is
 * unknown). Null where proxmox-time gives none: no year left, or no match within its 1000 steps.
 */
export function nextEvent(spec: CalendarEventSpec, after: number, zone: string | null): number | null {
  const { years, months, days, hours, minutes, seconds } = spec.values;
  const t = new TmEditor(spec.utc || zone === null ? 'UTC' : zone, after + 1);
  for (let count = 0; count <= MAX_LOOPS; count++) {
    const w = t.wall;
    if (years.length > 0 && !contains(years, w.year)) {
      const n = findNext(years, w.year);
      if (n === null) return null;
      t.addYears(n - w.year);
      continue;
    }
    if (months.length > 0 && !contains(months, w.month)) {
      const n = findNext(months, w.month);
      if (n !== null) t.addMonths(n - w.month);
      else t.addYears(1);
      continue;
    }
    if (days.length > 0 && !contains(days, w.day)) {
      const n = findNext(days, w.day);
      if (n !== null) t.addDays(n - w.day);
      else t.addMonths(1);
      continue;
    }
    if (spec.weekdays !== null) {
      // proxmox-time counts Monday = 0 … Sunday = 6 and looks no further than Sunday.
      const mondayFirst = (w.weekday + 6) % 7;
      if (!spec.weekdays.includes(w.weekday)) {
        let ahead = 7 - mondayFirst;
        for (let d = mondayFirst + 1; d < 7; d++) {
          if (spec.weekdays.includes((d + 1) % 7)) {
            ahead = d - mondayFirst;
            break;
          }
        }
        t.addDays(ahead);
        continue;
      }
    }
    if (hours.length > 0 && !contains(hours, w.hour)) {
      const n = findNext(hours, w.hour);
      if (n !== null) t.setTime(n, 0, 0);
      else t.addDays(1);
      continue;
    }
    if (minutes.length > 0 && !contains(minutes, w.minute)) {
      const n = findNext(minutes, w.minute);
      if (n !== null) t.setMinSec(n, 0);
      else t.setTime(w.hour + 1, 0, 0);
      continue;
    }
    if (seconds.length > 0 && !contains(seconds, w.second)) {
      const n = findNext(seconds, w.second);
      if (n !== null) t.setSec(n);
      else t.setMinSec(w.minute + 1, 0);
      continue;
    }
    return t.intoEpoch();
  }
  return null;
}

/**
 * Occurrences in (after, until], counted up to `cap`. In the repeated hour compute_next_event can
 * answer a time not after the one it was given (mktime reads the wall time as the other occurrence);
 * such an answer is not counted, and the search goes on a minute later.
 */
export function occurrencesBetween(
  spec: CalendarEventSpec,
  after: number,
  until: number,
  zone: string | null,
  cap = 1000,
): number {
  let count = 0;
  for (let at = after; count < cap;) {
    const next = nextEvent(spec, at, zone);
    if (next === null || next > until) break;
    if (next > at) count++;
    at = next > at ? next : at + 60;
  }
  return count;
}

// --- parser -------------------------------------------------------------------------------------

/** Position in the text being parsed; `attempt` gives the optional parts their backtracking. */
class Cursor {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  get rest(): string {
    return this.text.slice(this.pos);
  }

  get atEnd(): boolean {
    return this.pos === this.text.length;
  }

  /** Consume `token` if it comes next. */
  eat(token: string): boolean {
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  expect(token: string): void {
    if (!this.eat(token)) this.fail(`expected '${token}' at '${this.rest}'`);
  }

  /** Consume a match of a sticky (`y`) regex. */
  match(pattern: RegExp): string | null {
    pattern.lastIndex = this.pos;
    const m = pattern.exec(this.text);
    if (!m) return null;
    this.pos += m[0].length;
    return m[0];
  }

  /** nom's space0: spaces and tabs. */
  skipSpaces(): void {
    this.match(/[ \t]*/y);
  }

  /** Run `parse`; if it fails, rewind and return undefined. */
  attempt<T>(parse: () => T): T | undefined {
    const start = this.pos;
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof PveParseError)) throw error;
      this.pos = start;
      return undefined;
    }
  }

  fail(message: string): never {
    throw new PveParseError('schedule', `invalid schedule '${this.source}': ${message}`);
  }
}

function weekdayList(cursor: Cursor): number[] {
  const days: number[] = [];
  do {
    const first = weekday(cursor);
    const last = cursor.eat('..') ? weekday(cursor) : first;
    // `a..b` walks forward through the week and may wrap (`fri..mon`), as week_days.rs does.
    for (let day = first; ; day = (day + 1) % 7) {
      days.push(day);
      if (day === last) break;
    }
  } while (cursor.eat(','));
  return sortedUnique(days);
}

function weekday(cursor: Cursor): number {
  const word = cursor.match(/[a-z]*/iy) ?? '';
  const day = WEEKDAYS.findIndex((names) => names.includes(word.toLowerCase()));
  if (day < 0) cursor.fail(`expected a weekday, got '${word}'`);
  return day;
}

function dateSpec(cursor: Cursor): { years: DateTimeValue[]; months: DateTimeValue[]; days: DateTimeValue[] } {
  const monthDay = () => {
    const months = component(cursor, 1, 13);
    cursor.expect('-');
    return { months, days: component(cursor, 1, 32) };
  };
  return (
    cursor.attempt(() => {
      const years = component(cursor, 0, 2200); // systemd's upper limit, kept by proxmox-time
      cursor.expect('-');
      return { years, ...monthDay() };
    }) ?? { years: [], ...monthDay() }
  );
}

function timeSpec(cursor: Cursor): { hours: DateTimeValue[]; minutes: DateTimeValue[]; seconds: DateTimeValue[] } {
  const hours = cursor.attempt(() => {
    const value = component(cursor, 0, 24);
    cursor.expect(':');
    return value;
  });
  const minutes = component(cursor, 0, 60);
  const seconds = cursor.eat(':') ? component(cursor, 0, 60) : ZERO;
  return { hours: hours ?? [], minutes, seconds };
}

/**
 * One date/time component (parse_date_time_comp_list), values in [0, max): `*` (any: an empty
 * list), `*\/step` (from `first`), or a comma list of `v`, `a..b`, `v/step`, `a..b/step`.
 */
function component(cursor: Cursor, first: number, max: number): DateTimeValue[] {
  if (cursor.eat('*')) {
    if (!cursor.eat('/')) return [];
    const step = number(cursor, max);
    if (step === 0) cursor.fail('repetition step must be positive');
    return [{ kind: 'repeated', start: first, step, end: null }];
  }
  const values: DateTimeValue[] = [];
  do {
    const start = number(cursor, max);
    const end = cursor.eat('..') ? number(cursor, max) : null;
    if (end !== null && start > end) cursor.fail(`range start ${start} is bigger than end ${end}`);
    if (cursor.eat('/')) values.push({ kind: 'repeated', start, step: number(cursor, max), end });
    else values.push(end === null ? single(start) : { kind: 'range', start, end });
  } while (cursor.eat(','));
  return values;
}

function number(cursor: Cursor, max: number): number {
  const digits = cursor.match(/\d+/y);
  if (digits === null) cursor.fail(`expected a number at '${cursor.rest}'`);
  const value = Number(digits);
  if (value >= max) cursor.fail(`value ${value} out of range (0..${max - 1})`);
  return value;
}

// PVE calendar events (job `schedule`), following the parser PVE uses: proxmox-rs
// proxmox-time calendar_event.rs / week_days.rs. Grammar, all parts optional but not all absent:
//   [WEEKDAYS] [[YEARS-]MONTHS-DAYS] [[HOURS:]MINUTES[:SECONDS]] [UTC]
// A bare number is a MINUTE; hours default to every hour when a time is given, and a spec without
// a time means 00:00:00.

import { PveParseError } from './errors.js';
import { sortedUnique } from './lists.js';

export interface CalendarEventSpec {
  /** 0 = Sunday … 6 = Saturday; null = every day. */
  weekdays: number[] | null;
  hours: number[];
  minutes: number[];
  seconds: number[];
  /** Day-of-month constraint; null = any day. */
  days: number[] | null;
  months: number[] | null;
  years: number[] | null;
  /** Computed in UTC instead of the node's local time zone. */
  utc: boolean;
  source: string;
}

// Keywords as the equivalent expression (matched case-sensitively, like proxmox-time).
const KEYWORDS = new Map([
  ['minutely', '*:*'],
  ['hourly', '*:0'],
  ['daily', '0:0'],
  ['weekly', 'mon 0:0'],
  ['monthly', '*-*-1 0:0'],
  ['yearly', '*-1-1 0:0'],
  ['annually', '*-1-1 0:0'],
  ['quarterly', '*-1,4,7,10-1 0:0'],
  ['semiannually', '*-1,7-1 0:0'],
  ['semi-annually', '*-1,7-1 0:0'],
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

export function parseCalendarEvent(spec: string): CalendarEventSpec {
  const utc = spec.endsWith('UTC');
  const text = utc ? spec.slice(0, -3).replace(/ +$/, '') : spec;
  const cursor = new Cursor(KEYWORDS.get(text) ?? text, spec);

  const weekdays = /^[a-z]/i.test(cursor.rest) ? weekdayList(cursor) : null;
  if (weekdays !== null) cursor.skipSpaces();
  const date = dateSpec(cursor);
  if (date !== undefined) cursor.skipSpaces();
  const time = cursor.atEnd ? undefined : timeSpec(cursor);
  if (!cursor.atEnd) cursor.fail(`unexpected '${cursor.rest}'`);
  if (weekdays === null && date === undefined && time === undefined) {
    cursor.fail('expected a weekday, date or time');
  }

  return {
    // Every day listed is the same as no weekday constraint.
    weekdays: weekdays?.length === 7 ? null : weekdays,
    hours: time?.hours ?? [0],
    minutes: time?.minutes ?? [0],
    seconds: time?.seconds ?? [0],
    days: date?.days ?? null,
    months: date?.months ?? null,
    years: date?.years ?? null,
    utc,
    source: spec,
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
    // `a..b` walks forward through the week and may wrap (`fri..mon`), as proxmox-time accepts.
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

function dateSpec(cursor: Cursor): { years: number[] | null; months: number[] | null; days: number[] | null } | undefined {
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
    }) ?? cursor.attempt(() => ({ years: null, ...monthDay() }))
  );
}

function timeSpec(cursor: Cursor): { hours: number[]; minutes: number[]; seconds: number[] } {
  const hours = cursor.attempt(() => {
    const value = component(cursor, 0, 24);
    cursor.expect(':');
    return value;
  });
  const minutes = component(cursor, 0, 60);
  const seconds = cursor.eat(':') ? component(cursor, 0, 60) : [0];
  // Hours absent (undefined) or `*` (null) both mean every hour.
  return { hours: hours ?? range(0, 23), minutes: minutes ?? range(0, 59), seconds: seconds ?? range(0, 59) };
}

/**
 * One date/time component, values in [0, max): `*`, `*\/step` (from `first`), or a comma list of
 * `v`, `a..b`, `v/step`, `a..b/step`. Returns null for `*` (any value).
 */
function component(cursor: Cursor, first: number, max: number): number[] | null {
  if (cursor.eat('*')) {
    if (!cursor.eat('/')) return null;
    const step = number(cursor, max);
    if (step === 0) cursor.fail('repetition step must be positive');
    return stepped(first, max - 1, step);
  }
  const values: number[] = [];
  do {
    const start = number(cursor, max);
    const end = cursor.eat('..') ? number(cursor, max) : null;
    if (end !== null && start > end) cursor.fail(`range start ${start} is bigger than end ${end}`);
    if (cursor.eat('/')) values.push(...stepped(start, end ?? max - 1, number(cursor, max)));
    else values.push(...range(start, end ?? start));
  } while (cursor.eat(','));
  return sortedUnique(values);
}

function number(cursor: Cursor, max: number): number {
  const digits = cursor.match(/\d+/y);
  if (digits === null) cursor.fail(`expected a number at '${cursor.rest}'`);
  const value = Number(digits);
  if (value >= max) cursor.fail(`value ${value} out of range (0..${max - 1})`);
  return value;
}

function range(first: number, last: number): number[] {
  return stepped(first, last, 1);
}

// A step of 0 repeats nothing: only `first` matches (DateTimeValue::contains).
function stepped(first: number, last: number, step: number): number[] {
  if (step === 0) return [first];
  const values: number[] = [];
  for (let value = first; value <= last; value += step) values.push(value);
  return values;
}

// When a backup job runs, as a calendar would show it: a PVE job schedule (jobs.cfg) or a
// five-field cron (backup.schedule.yaml) becomes runs at times of day in the calendar's zone, each
// with the days it falls on. Shared by D69.scheduled (times only) and the radicale-calendar gate
// (times and days), so both read a schedule the same way.

import { parseCalendarEvent, simpleDailyTimes } from '../pve/calendar-event.js';
import { sortedUnique } from '../pve/lists.js';
import { utcOffsetMinutes } from '../time/zone.js';

export type Freq = 'HOURLY' | 'DAILY' | 'WEEKLY' | 'MONTHLY';
export const FREQS: readonly Freq[] = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY'];

/** RRULE BYDAY codes; index = day number (0 = Sunday), as in lib/pve/calendar-event.ts. */
export const WEEKDAY_CODES = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;
const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export interface Run {
  /** -1: every hour (HOURLY). */
  hour: number;
  minute: number;
  /** WEEKLY: the days (0 = Sunday) this time falls on in the calendar's zone. */
  weekdays: number[] | null;
  /** MONTHLY: the days of the month. */
  monthdays: number[] | null;
}

export type Runs =
  | { ok: true; freq: Freq; runs: Run[]; /** minutes added to reach the calendar's zone (0: none) */ shift: number }
  | { ok: false; why: string };

/** The zones a schedule is read in and shown in, and the instant the offset between them is taken at. */
export interface Zones {
  from: string | null;
  to: string | null;
  now: string;
}

/** How binding events reach the Radicale calendar: the second half of every remediation that adds one. */
export const PUBLISH_CALENDAR = '`ops calendar publish --execute`';

/**
 * A backup.calendar.yaml event showing `run` (with `freq`): its days too, so radicale-calendar,
 * which checks them, accepts what D69 suggests.
 */
export function eventForRun(id: string, summary: string, freq: Freq, run: Run): Record<string, unknown> {
  return {
    id,
    summary,
    freq,
    ...(run.hour >= 0 ? { byhour: run.hour } : {}),
    byminute: run.minute,
    ...(run.weekdays ? { byday: run.weekdays.map((d) => WEEKDAY_CODES[d]) } : {}),
    ...(run.monthdays ? { bymonthday: run.monthdays } : {}),
    duration_minutes: 60,
  };
}

/** `{id: "x", freq: WEEKLY, byday: [MO, TU]}`: an event as remediations quote it (strings quoted only when they are ids or text). */
export function flowEvent(e: Record<string, unknown>): string {
  const show = (k: string, v: unknown): string =>
    Array.isArray(v) ? `[${v.join(', ')}]` : k === 'id' || k === 'summary' ? JSON.stringify(v) : String(v);
  return `{${Object.entries(e)
    .map(([k, v]) => `${k}: ${show(k, v)}`)
    .join(', ')}}`;
}

export const hhmm = (t: { hour: number; minute: number }) =>
  `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;

/** "Sun", "Mon, Tue", "day 1", "days 1, 15": a run's days for messages. */
export function daysText(run: Pick<Run, 'weekdays' | 'monthdays'>): string {
  if (run.weekdays) return run.weekdays.length ? run.weekdays.map((d) => WEEKDAY_NAMES[d]).join(', ') : 'no day';
  if (run.monthdays)
    return run.monthdays.length
      ? `day${run.monthdays.length > 1 ? 's' : ''} ${run.monthdays.join(', ')}`
      : 'no day of the month';
  return 'every day';
}

/** `02:00`, `:15 every hour`, `Sun 03:30`, `day 1 04:00`. */
export function runText(run: Run): string {
  if (run.hour < 0) return `:${String(run.minute).padStart(2, '0')} every hour`;
  return run.weekdays || run.monthdays ? `${daysText(run)} ${hhmm(run)}` : hhmm(run);
}

/** A PVE job's runs (node-local, or UTC when the schedule says so) in the calendar's zone. */
export function pveJobRuns(schedule: string | null, zones: Zones): Runs {
  let spec;
  try {
    spec = schedule ? parseCalendarEvent(schedule) : null;
  } catch (e) {
    return { ok: false, why: `the schedule does not parse (${(e as Error).message})` };
  }
  const simple = spec && simpleDailyTimes(spec);
  if (!spec || !simple)
    return {
      ok: false,
      why: 'no calendar event (freq, byhour, byminute) can express a schedule that names days of the month, months, years or seconds, or none at all',
    };
  const hours = sortedUnique(simple.times.map((t) => t.hour));
  if (hours.length === 24 && simple.weekdays)
    return { ok: false, why: 'no calendar event can express hourly runs on some weekdays only' };
  const minutes = sortedUnique(simple.times.map((t) => t.minute));
  return inZone(
    { hours: hours.length === 24 ? null : hours, minutes, weekdays: simple.weekdays, monthdays: null },
    { ...zones, from: spec.utc ? 'UTC' : zones.from },
  );
}

/**
 * A five-field cron's runs (minute hour day-of-month month day-of-week) in the calendar's zone.
 * Calendar events have no month and no "day of month or weekday", so those are not representable.
 */
export function cronRuns(cron: string | null, zones: Zones): Runs {
  const fields = cron?.trim().split(/\s+/) ?? [];
  if (fields.length !== 5) return { ok: false, why: `"${cron ?? ''}" is not a five-field cron expression` };
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  let parsed;
  try {
    parsed = {
      minutes: cronField(minute, 0, 59, []),
      hours: cronField(hour, 0, 23, []),
      monthdays: cronField(dom, 1, 31, []),
      months: cronField(month, 1, 12, MONTH_NAMES),
      weekdays: cronField(dow, 0, 7, CRON_DAY_NAMES)?.map((d) => d % 7) ?? null,
    };
  } catch (e) {
    return { ok: false, why: `"${cron}" does not parse (${(e as Error).message})` };
  }
  const weekdays = parsed.weekdays && sortedUnique(parsed.weekdays);
  if (parsed.months && parsed.months.length < 12)
    return {
      ok: false,
      why: `"${cron}" runs in months ${parsed.months.join(', ')} only; a calendar event (freq, byday, bymonthday) cannot name months`,
    };
  if (parsed.monthdays && weekdays)
    return {
      ok: false,
      why: `"${cron}" runs on some days of the month or some weekdays, which no one calendar event expresses`,
    };
  if (!parsed.minutes) return { ok: false, why: `"${cron}" runs every minute` };
  if (!parsed.hours && (parsed.monthdays || weekdays))
    return { ok: false, why: `"${cron}" runs hourly on some days only, which no calendar event expresses` };
  return inZone(
    {
      hours: parsed.hours,
      minutes: parsed.minutes,
      weekdays: weekdays?.length === 7 ? null : weekdays,
      monthdays: parsed.monthdays,
    },
    zones,
  );
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const CRON_DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A cron field's values; null for `*` (any). `names` map to first, first + 1, …. */
function cronField(text: string, first: number, last: number, names: string[]): number[] | null {
  if (text === '*') return null;
  const value = (v: string) => {
    const named = names.indexOf(v.toLowerCase());
    const n = named >= 0 ? named + (first === 1 ? 1 : 0) : /^\d+$/.test(v) ? Number(v) : NaN;
    if (!(n >= first && n <= last)) throw new Error(`${v} is not in ${first}..${last}`);
    return n;
  };
  const values: number[] = [];
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in ${part}`);
    const [from, to] =
      range === '*'
        ? [first, last]
        : range.includes('-')
          ? (range.split('-').map(value) as [number, number])
          : [value(range), stepText === undefined ? value(range) : last];
    if (from > to) throw new Error(`${part} is an empty range`);
    for (let v = from; v <= to; v += step) values.push(v);
  }
  return sortedUnique(values);
}

interface Shape {
  /** null: every hour. */
  hours: number[] | null;
  minutes: number[];
  weekdays: number[] | null;
  monthdays: number[] | null;
}

/** The shape's runs moved from `zones.from` to `zones.to`: times shift, and days with them across midnight. */
function inZone(shape: Shape, zones: Zones): Runs {
  const shift = zoneShiftMinutes(zones.from, zones.to, zones.now);
  const freq: Freq = !shape.hours ? 'HOURLY' : shape.weekdays ? 'WEEKLY' : shape.monthdays ? 'MONTHLY' : 'DAILY';
  if (!shape.hours) {
    const minutes = sortedUnique(shape.minutes.map((m) => (((m + shift) % 60) + 60) % 60));
    return {
      ok: true,
      freq,
      shift,
      runs: minutes.map((minute) => ({ hour: -1, minute, weekdays: null, monthdays: null })),
    };
  }
  const runs: Run[] = [];
  for (const hour of shape.hours) {
    for (const minute of shape.minutes) {
      const total = hour * 60 + minute + shift;
      const dayOff = Math.floor(total / 1440);
      const m = ((total % 1440) + 1440) % 1440;
      if (dayOff !== 0 && shape.monthdays)
        return {
          ok: false,
          why: `in ${zones.to} the run at ${hhmm({ hour, minute })} moves to another day of the month, which the calendar cannot show`,
        };
      runs.push({
        hour: Math.floor(m / 60),
        minute: m % 60,
        weekdays: shape.weekdays && sortedUnique(shape.weekdays.map((d) => (((d + dayOff) % 7) + 7) % 7)),
        monthdays: shape.monthdays,
      });
    }
  }
  return { ok: true, freq, shift, runs: runs.sort((a, b) => a.hour * 60 + a.minute - (b.hour * 60 + b.minute)) };
}

/** The events (of the same freq) at a run's time of day; their days are not looked at. */
export function eventsAtTime<E extends { freq: string; byhour: number | null; byminute: number | null }>(
  events: readonly E[],
  freq: Freq,
  run: Run,
): E[] {
  return events.filter(
    (e) => e.freq.toUpperCase() === freq && e.byminute === run.minute && (run.hour < 0 || e.byhour === run.hour),
  );
}

/**
 * Minutes to add to a time of day in zone `from` to get the same instant in zone `to`, at `now`; 0
 * when either is unknown. Zones that switch DST at different instants of the same day (New York an
 * hour before Chicago) disagree for those hours only: a shift that holds less than half a day on
 * either side of `now` is that transient, and the shift around it is used, so no event reads as
 * moved on a switch day.
 */
export function zoneShiftMinutes(from: string | null, to: string | null, now: string): number {
  if (!from || !to || from === to) return 0;
  const at = Date.parse(now);
  const shiftAt = (t: number) => utcOffsetMinutes(to, t) - utcOffsetMinutes(from, t);
  try {
    const [before, here, after] = [shiftAt(at - HALF_DAY_MS), shiftAt(at), shiftAt(at + HALF_DAY_MS)];
    return before === after && here !== before ? before : here;
  } catch {
    return 0; // an unknown zone name: compare the times as written
  }
}

const HALF_DAY_MS = 12 * 3_600_000;

// What backup.calendar.yaml asks a calendar to show: each event as the recurrence it publishes,
// and the problems that keep an event (or the whole calendar) from being published as meant.
// A WEEKLY event names its days (`byday`) and a MONTHLY one its days of the month (`bymonthday`):
// dtstart_date is only where DTSTART is anchored, and taking its weekday is how a "Sun 04:00"
// window came to recur on Tuesdays.

import { tzlib_get_ical_block, tzlib_get_timezones } from 'timezones-ical-library';
import { DEFAULT_UID_SCHEME, type BackupCalendar, type Bindings, type CalendarEvent } from '../bindings/types.js';
import { FREQS, WEEKDAY_CODES, type Freq } from './schedule.js';

export interface ExpectedEvent {
  event: CalendarEvent;
  uid: string;
  freq: Freq;
  /** DTSTART's hour: 0 for HOURLY events (BYMINUTE only). */
  hour: number;
  minute: number;
  /** WEEKLY: days, 0 = Sunday. */
  weekdays: number[] | null;
  /** MONTHLY: days of the month. */
  monthdays: number[] | null;
  /** Date of the first occurrence (DTSTART), YYYY-MM-DD: the first matching day on or after the anchor. */
  firstDate: string;
  durationMinutes: number;
}

export interface Problem {
  reason: string;
  text: string;
  /** What to change, when it depends on the event (else the reason's general fix). */
  fix?: string;
}

export interface CalendarPlan {
  /** The zone every event is published in; null when neither file names one. */
  zone: string | null;
  /** Its TZID (the VTIMEZONE library names a backward link such as US/Eastern by its zone); null: nothing can be published. */
  tzid: string | null;
  /** What is wrong with the calendar as a whole (its zone, its anchor date). */
  problems: Problem[];
  /** DTSTAMP of every event (UTC, iCalendar form): from `updated_at`, so a generated file is reproducible. */
  dtstamp: string;
  /**
   * `expected`: the event as it is published, null when it has a problem. `timing`: its freq, time
   * and days as far as they are known (a WEEKLY event without byday has no days), for matching jobs.
   */
  events: Array<{
    event: CalendarEvent;
    expected: ExpectedEvent | null;
    timing: ExpectedEvent | null;
    problems: Problem[];
  }>;
}

/** Minutes an event without `duration_minutes` is shown for. */
export const DEFAULT_DURATION_MINUTES = 60;
/** Anchor when the binding has neither dtstart_date nor updated_at. */
const FALLBACK_ANCHOR = '2000-01-01';

export const uidFor = (bindings: Bindings, id: string) =>
  (bindings.policy.calendar?.uidScheme ?? DEFAULT_UID_SCHEME).replace('{id}', id);

let knownZones: Set<string> | null = null;
/** Whether `zone` is an IANA zone the VTIMEZONE library has (it also knows the backward links). */
export function isKnownZone(zone: string): boolean {
  knownZones ??= new Set(tzlib_get_timezones() as string[]);
  return knownZones.has(zone);
}

const isDate = (s: string | null): s is string =>
  s !== null && /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

/** What `cal` (the bindings' backup.calendar.yaml, which the caller has made sure exists) publishes. */
export function planCalendar(bindings: Bindings, cal: BackupCalendar): CalendarPlan {
  const inventoryZone = bindings.inventory.defaults.timezone;
  const zone = cal.timezone ?? inventoryZone;
  const problems: Problem[] = [];
  if (!zone)
    problems.push({
      reason: 'no_timezone',
      text: 'neither backup.calendar.yaml timezone nor backup.inventory.yaml defaults.timezone names a zone',
    });
  else if (!isKnownZone(zone))
    problems.push({
      reason: 'timezone_unknown',
      text: `timezone ${zone} is not an IANA time zone name (e.g. Europe/Berlin)`,
    });
  if (cal.timezone && inventoryZone && cal.timezone !== inventoryZone) {
    problems.push({
      reason: 'timezone_mismatch',
      text: `timezone ${cal.timezone} is not the inventory's defaults.timezone ${inventoryZone}`,
    });
  }
  if (cal.dtstartDate !== null && !isDate(cal.dtstartDate))
    problems.push({ reason: 'bad_dtstart_date', text: `dtstart_date ${cal.dtstartDate} is not a date (YYYY-MM-DD)` });
  const updatedDate = cal.updated?.slice(0, 10) ?? null;
  const anchor = isDate(cal.dtstartDate) ? cal.dtstartDate : isDate(updatedDate) ? updatedDate : FALLBACK_ANCHOR;

  const firstUse = new Map<string, CalendarEvent>();
  const events = cal.events.map((event) => {
    const eventProblems = eventProblemsOf(event);
    const first = firstUse.get(event.id);
    if (first)
      eventProblems.unshift({
        reason: 'duplicate_id',
        text: `id ${event.id} is already used at line ${first.source.line}`,
      });
    else firstUse.set(event.id, event);
    const timing = eventProblems.every((p) => p.reason === 'day_unknown' || p.reason === 'duplicate_id')
      ? expectedEvent(bindings, event, anchor)
      : null;
    return { event, problems: eventProblems, timing, expected: eventProblems.length ? null : timing };
  });
  const block = zone && isKnownZone(zone) ? tzlib_get_ical_block(zone) : null;
  const tzid = Array.isArray(block) ? (block[1]?.replace(/^TZID=/, '') ?? null) : null;
  return { zone, tzid, problems, dtstamp: dtstampOf(cal.updated, anchor), events };
}

function eventProblemsOf(e: CalendarEvent): Problem[] {
  const problems: Problem[] = [];
  const freq = e.freq.toUpperCase();
  if (!(FREQS as readonly string[]).includes(freq)) {
    return [{ reason: 'unknown_freq', text: `freq ${e.freq} is not one of ${FREQS.join(', ')}` }];
  }
  if (e.byminute === null) problems.push({ reason: 'bad_time', text: 'byminute is missing' });
  if (freq === 'HOURLY' && e.byhour !== null)
    problems.push({ reason: 'bad_time', text: `an HOURLY event runs every hour: byhour ${e.byhour} says otherwise` });
  if (freq !== 'HOURLY' && e.byhour === null)
    problems.push({ reason: 'bad_time', text: `a ${freq} event needs byhour` });
  if (e.byday && freq !== 'WEEKLY')
    problems.push({ reason: 'bad_day', text: `byday is for WEEKLY events, not ${freq}` });
  if (e.bymonthday && freq !== 'MONTHLY')
    problems.push({ reason: 'bad_day', text: `bymonthday is for MONTHLY events, not ${freq}` });
  if (freq === 'WEEKLY' && !e.byday) {
    problems.push({
      reason: 'day_unknown',
      text: 'a WEEKLY event with no byday: nothing says which day it falls on (dtstart_date only anchors DTSTART)',
      fix: 'add `byday: [SU]` with the weekday(s) the job runs (MO, TU, WE, TH, FR, SA, SU)',
    });
  }
  if (freq === 'MONTHLY' && !e.bymonthday) {
    problems.push({
      reason: 'day_unknown',
      text: 'a MONTHLY event with no bymonthday: nothing says which day of the month it falls on (dtstart_date only anchors DTSTART)',
      fix: 'add `bymonthday: [1]` with the day(s) of the month the job runs',
    });
  }
  return problems;
}

function expectedEvent(bindings: Bindings, e: CalendarEvent, anchor: string): ExpectedEvent {
  const freq = e.freq.toUpperCase() as Freq;
  // No days (a WEEKLY event without byday) is a timing that matches no run; it is never published.
  const weekdays =
    freq === 'WEEKLY' ? (e.byday ?? []).map((c) => WEEKDAY_CODES.indexOf(c as never)).sort((a, b) => a - b) : null;
  const monthdays = freq === 'MONTHLY' ? [...(e.bymonthday ?? [])].sort((a, b) => a - b) : null;
  // The first day on or after the anchor that the rule selects (a 31st waits for a month that has one).
  let day = new Date(`${anchor}T00:00:00Z`);
  while (
    (weekdays?.length && !weekdays.includes(day.getUTCDay())) ||
    (monthdays?.length && !monthdays.includes(day.getUTCDate()))
  ) {
    day = new Date(day.getTime() + 86_400_000);
  }
  return {
    event: e,
    uid: uidFor(bindings, e.id),
    freq,
    hour: e.byhour ?? 0,
    minute: e.byminute!,
    weekdays,
    monthdays,
    firstDate: day.toISOString().slice(0, 10),
    durationMinutes: e.durationMinutes ?? DEFAULT_DURATION_MINUTES,
  };
}

/** `updated_at` as a UTC DTSTAMP: a date means its midnight UTC; unreadable falls back to the anchor's. */
function dtstampOf(updated: string | null, anchor: string): string {
  const parsed =
    updated === null ? NaN : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(updated) ? `${updated}T00:00:00Z` : updated);
  const at = Number.isNaN(parsed) ? new Date(`${anchor}T00:00:00Z`) : new Date(parsed);
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

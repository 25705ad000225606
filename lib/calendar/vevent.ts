// Reading calendar data back (ical.js): each collection item's master VEVENT as plain facts, and
// its recurrence with RFC 5545's defaults filled in from DTSTART, so a rule written as
// `FREQ=WEEKLY` on a Sunday DTSTART and one written `FREQ=WEEKLY;BYDAY=SU` compare equal.

import ICAL from 'ical.js';
import type { CalendarEventFact, CalendarItem } from '../model.js';
import { utcOffsetMinutes } from '../time/zone.js';
import { MARKER } from './ics.js';
import { WEEKDAY_CODES } from './schedule.js';

export function parseItems(items: readonly CalendarItem[]): {
  events: CalendarEventFact[];
  unreadable: Array<{ href: string; message: string }>;
} {
  const events: CalendarEventFact[] = [];
  const unreadable: Array<{ href: string; message: string }> = [];
  for (const item of items) {
    try {
      events.push(...itemEvents(item));
    } catch (e) {
      unreadable.push({ href: item.href, message: (e as Error).message });
    }
  }
  return { events, unreadable };
}

function itemEvents(item: CalendarItem): CalendarEventFact[] {
  const root = new ICAL.Component(ICAL.parse(item.data));
  return root
    .getAllSubcomponents('vevent')
    .filter((v) => !v.hasProperty('recurrence-id'))
    .map((v) => {
      const uid = v.getFirstPropertyValue('uid');
      if (typeof uid !== 'string' || !uid) throw new Error('a VEVENT has no UID');
      const start = timeOf(v.getFirstProperty('dtstart'));
      const rrule = v.getFirstPropertyValue('rrule');
      const text = (name: string) => {
        const value = v.getFirstPropertyValue(name);
        return value === null || value === undefined ? null : String(value);
      };
      return {
        href: item.href,
        etag: item.etag,
        uid,
        dtstart: start?.local ?? null,
        tzid: start?.tzid ?? null,
        dtend: timeOf(v.getFirstProperty('dtend'))?.local ?? null,
        rrule: rrule instanceof ICAL.Recur ? canonicalRrule(rrule) : null,
        status: text('status')?.toUpperCase() ?? null,
        summary: text('summary'),
        description: text('description'),
        publishedFor: text(MARKER.toLowerCase()),
      };
    });
}

function timeOf(prop: ICAL.Property | null): { local: string; tzid: string | null } | null {
  const value = prop?.getFirstValue();
  if (!(value instanceof ICAL.Time)) return null;
  const local = value.toString().replace(/Z$/, '');
  if (value.isDate) return { local, tzid: null };
  const tzid = prop!.getParameter('tzid');
  return { local, tzid: typeof tzid === 'string' ? tzid : value.zone === ICAL.Timezone.utcTimezone ? 'UTC' : null };
}

/** FREQ, INTERVAL (when not 1), COUNT, UNTIL, then the BY* parts by name with sorted values. */
function canonicalRrule(r: ICAL.Recur): string {
  const parts = [`FREQ=${r.freq}`];
  if (r.interval !== 1) parts.push(`INTERVAL=${r.interval}`);
  if (r.count) parts.push(`COUNT=${r.count}`);
  if (r.until) parts.push(`UNTIL=${r.until.toICALString()}`);
  if (r.wkst !== undefined && r.wkst !== ICAL.Time.MONDAY) parts.push(`WKST=${WEEKDAY_CODES[r.wkst - 1]}`);
  for (const [name, values] of Object.entries(r.parts as Record<string, Array<string | number>>).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const sorted = [...values].sort((a, b) =>
      typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
    );
    parts.push(`${name}=${sorted.join(',')}`);
  }
  return parts.join(';');
}

/** A recurrence with DTSTART's defaults filled in (RFC 5545 §3.3.10): what the rule really selects. */
export interface Recurrence {
  freq: string;
  interval: number;
  /** WEEKLY/MONTHLY BYDAY codes as written (`SU`, or `1SU` in a monthly rule), sorted. */
  byday: string[];
  bymonthday: number[];
  /** null: every hour (HOURLY). */
  byhour: number[] | null;
  byminute: number[];
  /** Parts the binding cannot say (BYMONTH, BYSETPOS, …), as written. */
  other: string[];
  until: string | null;
  count: number | null;
}

export function recurrenceOf(fact: Pick<CalendarEventFact, 'rrule' | 'dtstart'>): Recurrence | null {
  if (!fact.rrule || !fact.dtstart) return null;
  const r = ICAL.Recur.fromString(fact.rrule);
  const start = ICAL.Time.fromString(fact.dtstart, null);
  const parts = r.parts as Record<string, Array<string | number>>;
  const list = <T>(name: string) => (parts[name] as T[] | undefined) ?? null;
  const byday = list<string>('BYDAY') ?? (r.freq === 'WEEKLY' ? [WEEKDAY_CODES[start.dayOfWeek() - 1]!] : []);
  const bymonthday = list<number>('BYMONTHDAY') ?? (r.freq === 'MONTHLY' && !list('BYDAY') ? [start.day] : []);
  const known = ['BYDAY', 'BYMONTHDAY', 'BYHOUR', 'BYMINUTE'];
  const other = Object.entries(parts)
    .filter(([k, v]) => !known.includes(k) && !(k === 'BYSECOND' && v.join() === '0'))
    .map(([k, v]) => `${k}=${v.join(',')}`);
  return {
    freq: r.freq,
    interval: r.interval,
    byday: [...byday].sort(),
    bymonthday: [...bymonthday].sort((a, b) => a - b),
    byhour: list<number>('BYHOUR') ?? (['HOURLY', 'MINUTELY', 'SECONDLY'].includes(r.freq) ? null : [start.hour]),
    byminute: list<number>('BYMINUTE') ?? [start.minute],
    other,
    until: r.until?.toString() ?? null,
    count: r.count ?? null,
  };
}

/**
 * When the event's last occurrence was, if it is over at `now` (UNTIL passed, or COUNT used up);
 * null while it still recurs. Local times are compared in the event's zone.
 */
export function endedAt(fact: Pick<CalendarEventFact, 'rrule' | 'dtstart' | 'tzid'>, now: string): string | null {
  if (!fact.rrule || !fact.dtstart) return null;
  const r = ICAL.Recur.fromString(fact.rrule);
  if (!r.until && !r.count) return null;
  let offset = 0;
  try {
    offset = fact.tzid ? utcOffsetMinutes(fact.tzid, now) : 0;
  } catch {
    /* a zone Intl does not know: compare as UTC */
  }
  const localNow = new Date(Date.parse(now) + offset * 60_000).toISOString().slice(0, 19);
  if (r.until) {
    // A UTC UNTIL is moved into the event's zone; a local or date UNTIL is already in it.
    const until =
      r.until.zone === ICAL.Timezone.utcTimezone
        ? new Date(r.until.toUnixTime() * 1000 + offset * 60_000).toISOString().slice(0, 19)
        : r.until.toString();
    return until < localNow ? until : null;
  }
  if (r.count! > 100_000) return null; // centuries of occurrences: not worth walking
  const iterator = r.iterator(ICAL.Time.fromString(fact.dtstart, null));
  let last: ICAL.Time | null = null;
  for (let next = iterator.next(); next; next = iterator.next()) last = next;
  const lastText = last?.toString() ?? fact.dtstart;
  return lastText < localNow ? lastText : null;
}

/** The snapshot's calendar file: every item as the server returned it, in href order. */
export const collectionJson = (items: readonly CalendarItem[]) => `${JSON.stringify({ items }, null, 2)}\n`;

export function readCollectionJson(text: string): CalendarItem[] {
  const items = (JSON.parse(text) as { items?: unknown }).items;
  const ok = (x: unknown): x is CalendarItem =>
    typeof x === 'object' &&
    x !== null &&
    typeof (x as CalendarItem).href === 'string' &&
    typeof (x as CalendarItem).data === 'string' &&
    (typeof (x as CalendarItem).etag === 'string' || (x as CalendarItem).etag === null);
  if (!Array.isArray(items) || !items.every(ok)) throw new Error('expected {"items": [{"href", "etag", "data"}, …]}');
  return items;
}

// iCalendar (RFC 5545) for the backup calendar, built with ical.js (TEXT escaping, parameters,
// UTF-8-aware folding, CRLF) and a VTIMEZONE from timezones-ical-library (tzdb data, so the file
// does not depend on this machine's zone data). Deterministic: the same bindings give the same bytes.

import ICAL from 'ical.js';
import { tzlib_get_ical_block } from 'timezones-ical-library';
import type { CalendarPlan, ExpectedEvent } from './binding.js';
import { WEEKDAY_CODES } from './schedule.js';

export const PRODID = '-//spine-gates//backup-calendar//EN';
/** Marks the events `ops calendar publish` writes (value: the binding event id); it deletes only those. */
export const MARKER = 'X-SPINE-GATES-EVENT';

/** The whole calendar (`ops calendar ics`): every event the plan can publish. */
export function calendarIcs(plan: CalendarPlan, name: string | null): string {
  const events = plan.events.flatMap((e) => (e.expected ? [e.expected] : []));
  return vcalendar(plan, events, name);
}

/** One event as a CalDAV resource: its VTIMEZONE and VEVENT (a resource holds one UID, and no METHOD). */
export function eventIcs(plan: CalendarPlan, event: ExpectedEvent): string {
  return vcalendar(plan, [event], null);
}

function vcalendar(plan: CalendarPlan, events: ExpectedEvent[], name: string | null): string {
  if (!plan.zone || !plan.tzid) throw new Error('the calendar has no known time zone');
  const cal = new ICAL.Component('vcalendar');
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('prodid', PRODID);
  cal.addPropertyWithValue('calscale', 'GREGORIAN');
  if (name) cal.addPropertyWithValue('x-wr-calname', name);
  cal.addSubcomponent(vtimezone(plan.zone));
  for (const e of events) cal.addSubcomponent(vevent(e, plan.tzid, plan.dtstamp));
  return stringify(cal);
}

function vevent(e: ExpectedEvent, tzid: string, dtstamp: string): ICAL.Component {
  const v = new ICAL.Component('vevent');
  v.addPropertyWithValue('uid', e.uid);
  v.addPropertyWithValue('dtstamp', ICAL.Time.fromDateTimeString(isoOf(dtstamp)));
  const [year, month, day] = e.firstDate.split('-').map(Number) as [number, number, number];
  const start = ICAL.Time.fromData({ year, month, day, hour: e.hour, minute: e.minute, second: 0 });
  const end = start.clone();
  end.addDuration(ICAL.Duration.fromSeconds(e.durationMinutes * 60)); // wall-clock arithmetic: rolls over midnight
  for (const [name, time] of [
    ['dtstart', start],
    ['dtend', end],
  ] as const) {
    const p = new ICAL.Property(name);
    p.setParameter('tzid', tzid);
    p.setValue(time);
    v.addProperty(p);
  }
  v.addPropertyWithValue(
    'rrule',
    ICAL.Recur.fromData({
      freq: e.freq,
      ...(e.weekdays ? { byday: e.weekdays.map((d) => WEEKDAY_CODES[d]!) } : {}),
      ...(e.monthdays ? { bymonthday: e.monthdays } : {}),
      ...(e.freq === 'HOURLY' ? {} : { byhour: [e.hour] }),
      byminute: [e.minute],
    }),
  );
  v.addPropertyWithValue('summary', icsText(e.event.summary));
  if (e.event.description) v.addPropertyWithValue('description', icsText(e.event.description));
  v.addPropertyWithValue(MARKER, e.event.id);
  return v;
}

/**
 * RFC 5545 §3.3.11 TEXT has no controls but HTAB; ical.js escapes only LF. A bare CR would end the
 * content line early, NUL and ESC reach every calendar client: line ends become LF (escaped `\n`), other
 * controls are dropped.
 */
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const icsText = (text: string) => text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');

/** `20260303T000000Z` → `2026-03-03T00:00:00Z` (what ICAL.Time parses). */
const isoOf = (stamp: string) => stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');

/** The zone's VTIMEZONE, from the library's tzdb data. */
function vtimezone(zone: string): ICAL.Component {
  const block = tzlib_get_ical_block(zone);
  if (!Array.isArray(block) || !block[0]) throw new Error(`no VTIMEZONE for ${zone}`);
  return new ICAL.Component(ICAL.parse(block[0]));
}

/**
 * RFC 5545 text: CRLF line ends, lines folded at 75 octets. ical.js counts the continuation line's
 * leading space outside its limit (76 octets), so it folds at 74 here.
 */
function stringify(component: ICAL.Component): string {
  const saved = ICAL.foldLength;
  ICAL.foldLength = 74;
  try {
    return `${component.toString()}\r\n`;
  } finally {
    ICAL.foldLength = saved;
  }
}

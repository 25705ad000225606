// The generated ICS: deterministic bytes, RFC 5545 text rules, and the right days, read back by an
// independent parser (Python vobject + dateutil, what Radicale itself uses) as well as by ical.js.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackupCalendar, Bindings, CalendarEvent } from '../bindings/types.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { makeBindings, makeCalendarEvent as calendarEvent } from '../rules/testing/test-input.js';
import { NO_REFERENCE, REFERENCE, skipNamed } from '../testing/skip.js';
import { planCalendar } from './binding.js';
import { calendarIcs, eventIcs } from './ics.js';
import { parseItems, recurrenceOf } from './vevent.js';

// Debian's python3 (python3-vobject comes with radicale, a CI package); elsewhere the test is skipped.
const PYTHON = '/usr/bin/python3';
const vobject = spawnSync(PYTHON, ['-c', 'import vobject, dateutil']).status === 0;

/** planCalendar of the bindings' own calendar (these test bindings always have one). */
const planOf = (b: Bindings) => planCalendar(b, b.calendar!);

const bindings = (events: CalendarEvent[], over: Partial<BackupCalendar> = {}) => {
  const b = makeBindings();
  b.calendar = {
    version: 1,
    updated: '2026-03-01',
    timezone: 'America/New_York',
    dtstartDate: '2026-02-10',
    calendarName: 'Spine Backups',
    events,
    eventsSource: { file: 'backup.calendar.yaml', line: 1 },
    ...over,
  };
  b.inventory.defaults.timezone = 'America/New_York';
  return b;
};

const EVENTS = [
  calendarEvent('nightly', 'DAILY', 2, 0, { durationMinutes: 180 }),
  calendarEvent('sunday', 'WEEKLY', 4, 0, { byday: ['SU'], durationMinutes: 120 }),
  calendarEvent('late', 'DAILY', 23, 30, {
    durationMinutes: 90,
    summary: 'Late, long; and \\ odd',
    description: `line one\nline two, with ü and ${'x'.repeat(120)}`,
  }),
  calendarEvent('monthly', 'MONTHLY', 4, 30, { bymonthday: [1] }),
  calendarEvent('monitor', 'HOURLY', null, 15, { durationMinutes: 5 }),
];

describe('calendarIcs', () => {
  const plan = planOf(bindings(EVENTS));
  const text = calendarIcs(plan, 'Spine Backups');

  it('is byte-identical across runs, CRLF throughout, no line over 75 octets, ending in CRLF', () => {
    expect(calendarIcs(planOf(bindings(EVENTS)), 'Spine Backups')).toBe(text);
    expect(text.endsWith('END:VCALENDAR\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of text.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    expect(text).toMatch(/\r\n [^\r\n]/); // the long description is folded
  });

  it('has stable UIDs, DTSTAMP from updated_at, one VTIMEZONE for the zone, TEXT escaped', () => {
    expect(text).toContain('UID:spine-backup-nightly@spine-gates\r\n');
    expect(text.match(/DTSTAMP:20260301T000000Z/g)).toHaveLength(EVENTS.length);
    expect(text.match(/BEGIN:VTIMEZONE/g)).toHaveLength(1);
    expect(text).toContain('TZID:America/New_York\r\n');
    expect(text).toContain('SUMMARY:Late\\, long\\; and \\\\ odd\r\n');
    expect(text).toContain('DESCRIPTION:line one\\nline two\\, with ü');
  });

  it('carries no bare CR, NUL or ESC from a summary or description into the ICS text', () => {
    const hostile = calendarIcs(
      planOf(
        bindings([
          calendarEvent('odd', 'DAILY', 1, 0, {
            summary: 'a\rSUMMARY:forged\u0000\u001b[2J b',
            description: 'one\r\ntwo\rthree',
          }),
        ]),
      ),
      null,
    );
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(hostile.replace(/\r\n/g, '')).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f]/);
    expect(hostile).toContain('SUMMARY:a\\nSUMMARY:forged[2J b\r\n');
    expect(hostile).toContain('DESCRIPTION:one\\ntwo\\nthree\r\n');
    expect(parseItems([{ href: 'x', etag: null, data: hostile }]).events[0]).toMatchObject({
      summary: 'a\nSUMMARY:forged[2J b',
      description: 'one\ntwo\nthree',
    });
  });

  it('puts weekly events on their byday, monthly ones on their bymonthday, and rolls DTEND over midnight', () => {
    expect(text).toContain('DTSTART;TZID=America/New_York:20260215T040000\r\n'); // the first Sunday on or after 2026-02-10
    expect(text).toContain('RRULE:FREQ=WEEKLY;BYDAY=SU;BYHOUR=4;BYMINUTE=0\r\n');
    expect(text).toContain('DTSTART;TZID=America/New_York:20260301T043000\r\n');
    expect(text).toContain('RRULE:FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=4;BYMINUTE=30\r\n');
    expect(text).toContain(
      'DTSTART;TZID=America/New_York:20260210T233000\r\nDTEND;TZID=America/New_York:20260211T010000\r\n',
    );
    expect(text).toContain('RRULE:FREQ=HOURLY;BYMINUTE=15\r\n');
  });

  it('reads back with ical.js: the same UIDs, times, rules and text', () => {
    const { events, unreadable } = parseItems([{ href: 'x', etag: null, data: text }]);
    expect(unreadable).toEqual([]);
    const late = events.find((e) => e.uid === 'spine-backup-late@spine-gates')!;
    expect(late).toMatchObject({
      dtstart: '2026-02-10T23:30:00',
      dtend: '2026-02-11T01:00:00',
      tzid: 'America/New_York',
      summary: 'Late, long; and \\ odd',
      publishedFor: 'late',
    });
    expect(late.description).toContain('line one\nline two, with ü');
    expect(recurrenceOf(events.find((e) => e.uid.includes('sunday'))!)).toMatchObject({
      freq: 'WEEKLY',
      byday: ['SU'],
      byhour: [4],
      byminute: [0],
    });
  });

  const noVobject = !vobject && process.env.CI !== 'true' ? 'python3-vobject (and dateutil) are not installed' : null;
  it.skipIf(noVobject !== null)(
    skipNamed(
      "reads back with Python vobject + dateutil (Radicale's parser): every occurrence on the right day and time",
      noVobject,
    ),
    () => {
      const script = `
import sys, json, vobject, datetime
cal = vobject.readOne(sys.stdin.read())
out = {}
for ev in cal.vevent_list:
    rule = ev.getrruleset()
    starts = [d.strftime('%a %Y-%m-%d %H:%M %Z') for d in rule.between(datetime.datetime(2026, 3, 1, tzinfo=ev.dtstart.value.tzinfo), datetime.datetime(2026, 3, 23, tzinfo=ev.dtstart.value.tzinfo), inc=True)][:4]
    out[ev.uid.value] = {'starts': starts, 'end': str(ev.dtend.value), 'summary': ev.summary.value}
print(json.dumps(out))
`;
      const out = JSON.parse(execFileSync(PYTHON, ['-c', script], { input: text }).toString()) as Record<
        string,
        { starts: string[]; end: string; summary: string }
      >;
      expect(out['spine-backup-sunday@spine-gates']!.starts).toEqual([
        'Sun 2026-03-01 04:00 EST',
        'Sun 2026-03-08 04:00 EDT',
        'Sun 2026-03-15 04:00 EDT',
        'Sun 2026-03-22 04:00 EDT',
      ]);
      expect(out['spine-backup-nightly@spine-gates']!.starts.slice(0, 2)).toEqual([
        'Sun 2026-03-01 02:00 EST',
        'Mon 2026-03-02 02:00 EST',
      ]);
      expect(out['spine-backup-monthly@spine-gates']!.starts).toEqual(['Sun 2026-03-01 04:30 EST']);
      expect(out['spine-backup-late@spine-gates']).toMatchObject({
        end: '2026-02-11 01:00:00-05:00',
        summary: 'Late, long; and \\ odd',
      });
    },
  );

  it('skips what cannot be published: a WEEKLY event with no byday is not guessed from dtstart_date', () => {
    const p = planOf(bindings([...EVENTS, calendarEvent('pihole', 'WEEKLY', 4, 0)]));
    expect(p.events.at(-1)).toMatchObject({ expected: null, problems: [{ reason: 'day_unknown' }] });
    expect(calendarIcs(p, null)).not.toContain('pihole');
  });

  it('one event per CalDAV resource: its VTIMEZONE and VEVENT, no METHOD', () => {
    const one = eventIcs(plan, plan.events[1]!.expected!);
    expect(one.match(/BEGIN:VEVENT/g)).toHaveLength(1);
    expect(one).toContain('BEGIN:VTIMEZONE');
    expect(one).not.toContain('METHOD');
  });
});

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const ops = (args: string[]) =>
  spawnSync(process.execPath, [OPS, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, NO_COLOR: '1' } });

const notBuilt = existsSync(OPS) ? null : `${OPS} is missing: run \`npm run build\` first`;
describe.skipIf(notBuilt !== null)(skipNamed('ops calendar ics', notBuilt), () => {
  it('prints the demo calendar, the same bytes each run, or writes it to --out', () => {
    const first = ops(['calendar', 'ics']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^BEGIN:VCALENDAR\r\n[^]*X-WR-CALNAME:Amsel Print Backups\r\n[^]*END:VCALENDAR\r\n$/);
    expect(first.stdout).toContain('RRULE:FREQ=WEEKLY;BYDAY=SU;BYHOUR=3;BYMINUTE=30\r\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'ics-'));
    try {
      expect(ops(['calendar', 'ics', '--out', path.join(dir, 'backups.ics')]).status).toBe(0);
      expect(readFileSync(path.join(dir, 'backups.ics'), 'utf8')).toBe(first.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(NO_REFERENCE !== null)(
    skipNamed('leaves out what the 2026-03-05 reference calendar cannot say, names it, and exits 2', NO_REFERENCE),
    () => {
      const run = ops(['calendar', 'ics', '--bindings', path.join(REFERENCE, '2026-03-05')]);
      expect(run.status).toBe(2);
      expect(run.stderr.match(/not published: day_unknown/g)).toHaveLength(3);
      expect(run.stdout.match(/BEGIN:VEVENT/g)).toHaveLength(10);
      expect(run.stdout).not.toContain('home-vzdump-p2-weekly');
    },
  );

  it('refuses an unknown subcommand or option with exit 2', () => {
    expect(ops(['calendar', 'sync']).status).toBe(2);
    expect(ops(['calendar', 'ics', '--execute']).stderr).toContain('Options: --bindings --out --help');
  });
});

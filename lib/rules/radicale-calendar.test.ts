// radicale-calendar rules on in-memory bindings and host state (the Radicale collection as the
// snapshot records it). The real server is exercised in lib/calendar/radicale.test.ts.

import path from 'node:path';
import { assert, describe, expect, it } from 'vitest';
import { loadBindings } from '../bindings/load.js';
import { DEFAULT_UID_SCHEME, type Bindings, type CalendarEvent } from '../bindings/types.js';
import { planCalendar } from '../calendar/binding.js';
import { eventIcs } from '../calendar/ics.js';
import { parseItems } from '../calendar/vevent.js';
import type { CalendarItem } from '../model.js';
import { findingId, type CalendarState, type Finding, type HostState } from '../model.js';
import { NO_REFERENCE, REFERENCE, skipNamed } from '../testing/skip.js';
import { evaluateRadicaleCalendar, idOfUid } from './radicale-calendar.js';
import {
  makeBindings,
  makeCalendarEvent as calendarEvent,
  makeErrorHost,
  makeHost,
  makeInput,
  makeJob,
  makePveState,
  makeState,
} from './testing/test-input.js';

const URL = 'http://127.0.0.1:5232/alice/backups/';
const EVENTS = [
  calendarEvent('nightly', 'DAILY', 2, 0),
  calendarEvent('sunday', 'WEEKLY', 3, 30, { byday: ['SU'] }),
  calendarEvent('workdays', 'WEEKLY', 21, 0, { byday: ['MO', 'TU', 'WE', 'TH', 'FR'] }),
  calendarEvent('monthly', 'MONTHLY', 4, 30, { bymonthday: [1] }),
  calendarEvent('monitor', 'HOURLY', null, 15),
];

function site(
  events: CalendarEvent[] = EVENTS,
  policy: Partial<NonNullable<Bindings['policy']['calendar']>> = {},
): Bindings {
  const b = makeBindings({
    policy: { calendar: { url: URL, uidScheme: DEFAULT_UID_SCHEME, credentialsFile: null, ...policy } },
  });
  b.calendar = {
    version: 1,
    updated: '2026-03-01',
    timezone: 'Europe/Berlin',
    dtstartDate: '2026-02-01',
    calendarName: 'Backups',
    events,
    eventsSource: { file: 'backup.calendar.yaml', line: 3 },
  };
  return b;
}

/** The items `ops calendar publish` would write for these bindings, as Radicale would hand them back. */
function published(b: Bindings): CalendarItem[] {
  const plan = planCalendar(b, b.calendar!);
  return plan.events.flatMap((e) =>
    e.expected
      ? [{ href: `/alice/backups/${e.event.id}.ics`, etag: `"${e.event.id}"`, data: eventIcs(plan, e.expected) }]
      : [],
  );
}

function withCalendar(items: CalendarItem[], state: HostState = makeState()): HostState {
  const calendar: CalendarState = {
    status: 'ok',
    url: URL,
    via: null,
    output: 'calendar/collection.json',
    ...parseItems(items),
  };
  return { ...state, calendar };
}

/** A VEVENT item with these properties (the VTIMEZONE Radicale adds is not needed to parse it). */
function item(id: string, props: string): CalendarItem {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    'BEGIN:VEVENT',
    `UID:spine-backup-${id}@spine-gates`,
    'DTSTAMP:20260301T000000Z',
    ...props
      .trim()
      .split('\n')
      .map((l) => l.trim()),
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ];
  return { href: `/alice/backups/${id}.ics`, etag: `"${id}"`, data: lines.join('\r\n') };
}

const run = (b: Bindings, state: HostState | null, now = '2026-03-04T07:30:00Z') =>
  evaluateRadicaleCalendar(makeInput({ bindings: b, state, now }));
const find = (findings: Finding[], check: string, subject: string) => {
  const f = findings.find((x) => x.check === check && x.subject === subject);
  if (!f) throw new Error(`no ${check} ${subject} in ${findings.map((x) => `${x.check} ${x.subject}`).join(', ')}`);
  return f;
};

describe('calendar.binding', () => {
  it("passes publishable events and the calendar's zone", () => {
    const findings = run(site(), null).filter((f) => f.check === 'calendar.binding');
    expect(findings.map((f) => [f.subject, f.outcome])).toEqual([
      ['backup.calendar.yaml', 'pass'],
      ...EVENTS.map((e) => [e.id, 'pass']),
    ]);
    expect(findings.every((f) => f.gate === 'radicale-calendar')).toBe(true);
  });

  it.each([
    ['duplicate_id', [calendarEvent('a', 'DAILY', 1, 0), calendarEvent('a', 'DAILY', 2, 0)]],
    ['unknown_freq', [calendarEvent('a', 'QUARTERLY', 1, 0)]],
    ['bad_time', [calendarEvent('a', 'DAILY', null, 0)]],
    ['bad_time', [calendarEvent('a', 'HOURLY', 3, 15)]],
    ['bad_day', [calendarEvent('a', 'DAILY', 1, 0, { byday: ['MO'] })]],
    ['day_unknown', [calendarEvent('a', 'WEEKLY', 4, 0)]],
    ['day_unknown', [calendarEvent('a', 'MONTHLY', 4, 0)]],
  ])('fails %s', (reason, events) => {
    const findings = run(site(events as CalendarEvent[]), null);
    const bad = findings.filter((f) => f.check === 'calendar.binding' && f.outcome === 'fail');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ reason, subject: reason === 'duplicate_id' ? 'a (line 10)' : 'a' });
    expect(new Set(findings.map(findingId)).size).toBe(findings.length); // each names its own test
    expect(bad[0]!.remediation).toMatch(/^In backup\.calendar\.yaml:10: /);
  });

  it("fails the calendar's zone: not IANA, not the inventory's, or none at all", () => {
    const zone = (calendarZone: string | null, inventoryZone: string | null) => {
      const b = site();
      assert.isNotNull(b.calendar);
      b.calendar.timezone = calendarZone;
      b.inventory.defaults.timezone = inventoryZone;
      return find(run(b, null), 'calendar.binding', 'backup.calendar.yaml');
    };
    expect(zone('Mars/Olympus', 'Mars/Olympus')).toMatchObject({ outcome: 'fail', reason: 'timezone_unknown' });
    expect(zone('America/New_York', 'Europe/Berlin')).toMatchObject({ outcome: 'fail', reason: 'timezone_mismatch' });
    expect(zone(null, null)).toMatchObject({ outcome: 'fail', reason: 'no_timezone' });
    expect(zone(null, 'Europe/Berlin')).toMatchObject({ outcome: 'pass' });
  });
});

describe('calendar.job-has-event', () => {
  const judge = (schedule: string, events: CalendarEvent[] = EVENTS, hostZone = 'Europe/Berlin') => {
    const host = {
      ...makeHost('pve1', { pve: makePveState({ jobs: [makeJob('backup-x', { vmids: [100], schedule })] }) }),
      timezone: hostZone,
    };
    return find(run(site(events), makeState([host])), 'calendar.job-has-event', 'backup-x');
  };

  it.each([
    ['02:00', 'nightly'],
    ['*-*-* 02:00', 'nightly'],
    ['sun 03:30', 'sunday'],
    ['mon..fri 21:00', 'workdays'],
    ['fri 21:00', 'workdays'],
    ['*:15', 'monitor'],
  ])('%s has its event (%s)', (schedule, id) => {
    const f = judge(schedule);
    expect(f).toMatchObject({ outcome: 'pass', host: 'pve1' });
    expect(f.message).toContain(id);
  });

  it('fails an event on another day (sat 03:30 vs the Sunday event), naming the byday to set', () => {
    const f = judge('sat 03:30');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'wrong_day' });
    expect(f.message).toContain('sunday on Sun) do not fall on Sat');
    expect(f.remediation).toContain('set `byday: [SU, SA]` on event sunday (backup.calendar.yaml:10)'); // the days it had stay
    expect(f.fix).toEqual([
      { file: 'backup.calendar.yaml', path: ['events', 1, 'byday'], op: 'set', value: ['SU', 'SA'] },
    ]);
  });

  it('fails a WEEKLY event with no byday for a weekly job: its day is unknown, so it shows no run', () => {
    expect(judge('sun 04:00', [calendarEvent('p2', 'WEEKLY', 4, 0)])).toMatchObject({
      outcome: 'fail',
      reason: 'wrong_day',
    });
  });

  it('fails a missing time with the event to add, and an unrepresentable schedule as such', () => {
    const f = judge('sat 02:15');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_calendar_event' });
    expect(f.remediation).toContain(
      '{id: "backup-x", summary: "backup-x", freq: WEEKLY, byhour: 2, byminute: 15, byday: [SA], duration_minutes: 60}',
    );
    expect(judge('*-*-1 02:00')).toMatchObject({ outcome: 'fail', reason: 'unrepresentable_schedule' });
    expect(judge('mon *:15')).toMatchObject({ outcome: 'fail', reason: 'unrepresentable_schedule' });
  });

  it("compares in the calendar's zone: a UTC node's 01:00 is 02:00 in Berlin in winter, and a day shifts with it", () => {
    expect(judge('01:00', EVENTS, 'UTC')).toMatchObject({ outcome: 'pass' });
    expect(judge('sun 02:30', EVENTS, 'UTC')).toMatchObject({ outcome: 'pass' });
    const late = judge('sat 23:30', [calendarEvent('x', 'WEEKLY', 0, 30, { byday: ['SU'] })], 'UTC');
    expect(late).toMatchObject({ outcome: 'pass' });
  });

  it('judges enabled jobs only; no host state skips, an unreadable host errors', () => {
    const host = makeHost('pve1', {
      pve: makePveState({ jobs: [makeJob('off', { enabled: false, schedule: '05:55' })] }),
    });
    expect(find(run(site(), makeState([host])), 'calendar.job-has-event', 'pve1')).toMatchObject({
      outcome: 'skip',
      reason: 'no_enabled_jobs',
    });
    expect(find(run(site(), null), 'calendar.job-has-event', 'pve1')).toMatchObject({
      outcome: 'skip',
      reason: 'no host state',
    });
    expect(find(run(site(), makeState([makeErrorHost('pve1')])), 'calendar.job-has-event', 'pve1')).toMatchObject({
      outcome: 'error',
      reason: 'connect_timeout',
      gate: 'radicale-calendar',
    });
  });
});

describe('calendar.schedule-parity', () => {
  const parity = (cron: string, events: CalendarEvent[] = EVENTS) => {
    const b = site(events);
    b.schedule = {
      version: 1,
      timezone: 'Europe/Berlin',
      jobs: [
        {
          id: 'job',
          enabled: true,
          kind: 'pg-dump',
          host: 'db',
          scheduleCron: cron,
          inventoryTargets: [],
          source: { file: 'backup.schedule.yaml', line: 4 },
        },
      ],
    };
    return find(run(b, null), 'calendar.schedule-parity', 'job');
  };

  it.each([['0 2 * * *'], ['30 3 * * 0'], ['30 3 * * 7'], ['0 21 * * 1-5'], ['30 4 1 * *'], ['15 * * * *']])(
    '%s has its event',
    (cron) => {
      expect(parity(cron).outcome).toBe('pass');
    },
  );

  it('fails a missing time, another day, and what no event can say (a month list)', () => {
    expect(parity('20 2 * * *')).toMatchObject({ outcome: 'fail', reason: 'no_calendar_event' });
    expect(parity('30 4 15 * *')).toMatchObject({ outcome: 'fail', reason: 'wrong_day' });
    expect(parity('0 5 1 */3 *')).toMatchObject({ outcome: 'fail', reason: 'unrepresentable_schedule' });
  });

  it('skips without backup.schedule.yaml, and disabled or cron-less jobs are not judged', () => {
    expect(run(site(), null).filter((f) => f.check === 'calendar.schedule-parity')).toMatchObject([
      { outcome: 'skip', reason: 'no_schedule_file' },
    ]);
  });
});

describe('calendar.in-radicale', () => {
  const inRadicale = (items: CalendarItem[], subject: string, now?: string) =>
    find(run(site(), withCalendar(items), now), 'calendar.in-radicale', subject);
  const others = (id: string) => published(site()).filter((i) => !i.href.includes(`/${id}.ics`));

  it('passes every event as published, whatever order or text the server keeps', () => {
    const findings = run(site(), withCalendar(published(site())));
    expect(findings.filter((f) => f.check === 'calendar.in-radicale').map((f) => f.outcome)).toEqual(
      EVENTS.map(() => 'pass'),
    );
    // Radicale rewrites the text; parsed values are compared: reordered RRULE parts and no BYDAY for the DTSTART's own
    // weekday.
    const rewritten = item(
      'sunday',
      'DTSTART;TZID=Europe/Berlin:20260201T033000\nRRULE:BYMINUTE=30;BYHOUR=3;FREQ=WEEKLY',
    );
    expect(inRadicale([...others('sunday'), rewritten], 'sunday').outcome).toBe('pass');
  });

  it('fails a missing event, a drifted time, a wrong weekday, a cancelled or ended event, another zone', () => {
    expect(inRadicale(others('nightly'), 'nightly')).toMatchObject({ outcome: 'fail', reason: 'missing_event' });
    expect(
      inRadicale(
        [item('nightly', 'DTSTART;TZID=Europe/Berlin:20260201T022000\nRRULE:FREQ=DAILY;BYHOUR=2;BYMINUTE=20')],
        'nightly',
      ),
    ).toMatchObject({ outcome: 'fail', reason: 'time_drift' });
    // The legacy generator: FREQ=WEEKLY anchored on a Tuesday, so a Sunday window recurs on Tuesdays.
    const tuesday = inRadicale(
      [item('sunday', 'DTSTART;TZID=Europe/Berlin:20260210T033000\nRRULE:FREQ=WEEKLY')],
      'sunday',
    );
    expect(tuesday).toMatchObject({ outcome: 'fail', reason: 'wrong_day' });
    expect(tuesday.message).toContain('it falls on TU, not SU');
    expect(
      inRadicale(
        [item('nightly', 'DTSTART;TZID=Europe/Berlin:20260201T020000\nRRULE:FREQ=DAILY\nSTATUS:CANCELLED')],
        'nightly',
      ),
    ).toMatchObject({ outcome: 'fail', reason: 'cancelled' });
    expect(
      inRadicale(
        [item('nightly', 'DTSTART;TZID=Europe/Berlin:20260201T020000\nRRULE:FREQ=DAILY;UNTIL=20260301T000000Z')],
        'nightly',
      ),
    ).toMatchObject({ outcome: 'fail', reason: 'ended' });
    expect(
      inRadicale([item('nightly', 'DTSTART;TZID=Europe/Berlin:20260201T020000\nRRULE:FREQ=DAILY;COUNT=5')], 'nightly'),
    ).toMatchObject({ outcome: 'fail', reason: 'ended' });
    expect(
      inRadicale([item('nightly', 'DTSTART;TZID=Europe/Berlin:20260301T020000\nRRULE:FREQ=DAILY;COUNT=500')], 'nightly')
        .outcome,
    ).toBe('pass');
    expect(
      inRadicale([item('nightly', 'DTSTART;TZID=America/New_York:20260201T020000\nRRULE:FREQ=DAILY')], 'nightly'),
    ).toMatchObject({ outcome: 'fail', reason: 'timezone_drift' });
    expect(
      inRadicale([item('monthly', 'DTSTART;TZID=Europe/Berlin:20260210T043000\nRRULE:FREQ=MONTHLY')], 'monthly'),
    ).toMatchObject({ outcome: 'fail', reason: 'wrong_day' });
    expect(inRadicale([item('nightly', 'DTSTART;TZID=Europe/Berlin:20260201T020000')], 'nightly')).toMatchObject({
      outcome: 'fail',
      reason: 'rrule_drift',
    });
  });

  it('cites the binding entry and the recorded item', () => {
    const f = inRadicale(published(site()), 'nightly');
    expect(f.evidence).toEqual([
      { file: 'backup.calendar.yaml', line: 10 },
      { file: 'calendar/collection.json', detail: '/alice/backups/nightly.ics (ETag "nightly")' },
    ]);
  });

  it('skips without host state or a calendar location; errors when not collected or unreadable', () => {
    expect(find(run(site(), null), 'calendar.in-radicale', 'nightly')).toMatchObject({
      outcome: 'skip',
      reason: 'no host state',
    });
    const nowhere = site();
    nowhere.policy.calendar = null;
    expect(find(run(nowhere, makeState()), 'calendar.in-radicale', 'nightly')).toMatchObject({
      outcome: 'skip',
      reason: 'no_calendar_home',
    });
    expect(find(run(site(), makeState()), 'calendar.in-radicale', 'nightly')).toMatchObject({
      outcome: 'error',
      reason: 'not_collected',
    });
    const denied: HostState = {
      ...makeState(),
      calendar: {
        status: 'error',
        url: URL,
        via: null,
        problem: { reason: 'auth_denied', message: 'REPORT …: HTTP 401 Unauthorized' },
      },
    };
    const f = find(run(site(), denied), 'calendar.in-radicale', 'nightly');
    expect(f).toMatchObject({ outcome: 'error', reason: 'auth_denied' });
    expect(f.remediation).toContain('SPINE_GATES_CALDAV_USER');
    expect(find(run(site(), denied), 'calendar.orphan', 'collection')).toMatchObject({
      outcome: 'error',
      reason: 'auth_denied',
    });
  });
});

describe('calendar.orphan', () => {
  it('fails a backup UID no binding event has; events outside the UID scheme are not judged', () => {
    const stale = {
      ...item('retired', 'DTSTART;TZID=Europe/Berlin:20260201T050000\nRRULE:FREQ=DAILY'),
      href: '/alice/backups/retired.ics',
    };
    const foreign = {
      href: '/alice/backups/dentist.ics',
      etag: '"d"',
      data: item('x', 'DTSTART:20260305T090000Z').data.replace(
        'UID:spine-backup-x@spine-gates',
        'UID:dentist-1@example.net',
      ),
    };
    const findings = run(site(), withCalendar([...published(site()), stale, foreign])).filter(
      (f) => f.check === 'calendar.orphan',
    );
    expect(findings.filter((f) => f.outcome === 'fail')).toMatchObject([
      { subject: 'spine-backup-retired@spine-gates', reason: 'orphan_event' },
    ]);
    // Located at the binding list the event is missing from (SARIF annotates that line).
    expect(findings.find((f) => f.outcome === 'fail')!.evidence.at(-1)).toEqual({
      file: 'backup.calendar.yaml',
      line: 3,
    });
    expect(findings.filter((f) => f.outcome === 'pass')).toHaveLength(EVENTS.length);
    expect(findings.some((f) => f.subject.includes('dentist'))).toBe(false);
    expect(findings.find((f) => f.outcome === 'fail')!.remediation).toContain('never deletes what it did not create');
  });

  it("skips an empty collection; the UID scheme is the policy's", () => {
    expect(run(site(), withCalendar([])).filter((f) => f.check === 'calendar.orphan')).toMatchObject([
      { outcome: 'skip', reason: 'no_backup_events' },
    ]);
    expect(idOfUid('bk-{id}@home', 'bk-nightly@home')).toBe('nightly');
    expect(idOfUid('bk-{id}@home', 'spine-backup-nightly@spine-gates')).toBeNull();
  });
});

describe.skipIf(NO_REFERENCE !== null)(
  skipNamed('reference bindings 2026-03-05 against an empty collection', NO_REFERENCE),
  () => {
    it('fails the unknowable days, the missing and quarterly drills, and every event as missing', async () => {
      const loaded = await loadBindings(path.join(REFERENCE, '2026-03-05'));
      if (!loaded.ok) throw new Error('reference bindings do not load');
      assert.isNotNull(loaded.bindings.calendar);
      const state: HostState = {
        ...makeState([]),
        calendar: {
          status: 'ok',
          url: 'http://127.0.0.1:5232/spine_calendar_admin/spine/',
          via: 'communications-stack',
          output: 'calendar/collection.json',
          events: [],
          unreadable: [],
        },
      };
      const findings = run(loaded.bindings, state, '2026-03-05T12:00:00Z');
      const bad = findings.filter((f) => f.outcome === 'fail').map((f) => `${f.check} ${f.subject} ${f.reason}`);
      expect(bad.filter((b) => !b.startsWith('calendar.in-radicale'))).toEqual([
        'calendar.binding home-vzdump-p2-weekly day_unknown',
        'calendar.binding media-config-restore-drill day_unknown',
        'calendar.binding tier1-small-state-restore-drill day_unknown',
        'calendar.schedule-parity mail-archiver-restore-drill-monthly no_calendar_event',
        'calendar.schedule-parity media-config-restore-drill-monthly wrong_day',
        'calendar.schedule-parity infisical-restore-drill-quarterly unrepresentable_schedule',
      ]);
      expect(
        findings
          .filter((f) => f.check === 'calendar.in-radicale')
          .map((f) => (f.outcome === 'skip' ? `skip ${f.reason}` : f.reason)),
      ).toEqual(
        loaded.bindings.calendar.events.map((e) =>
          e.byday || !['WEEKLY', 'MONTHLY'].includes(e.freq) ? 'missing_event' : 'skip invalid_event',
        ),
      );
      expect(find(findings, 'calendar.orphan', 'collection')).toMatchObject({
        outcome: 'skip',
        reason: 'no_backup_events',
      });
      // Host state of pve and proxmox-home is not public: their jobs are judged nowhere here.
      expect(findings.filter((f) => f.check === 'calendar.job-has-event').map((f) => f.reason)).toEqual([
        'host_not_in_snapshot',
        'host_not_in_snapshot',
      ]);
    });
  },
);

describe('hostile calendar data', () => {
  it('an RRULE that throws when judged costs that event (internal_error), never the gate', () => {
    const b = site();
    const state = withCalendar(published(b));
    const calendar = state.calendar as Extract<CalendarState, { status: 'ok' }>;
    const nightly = calendar.events.find((e) => e.uid === 'spine-backup-nightly@spine-gates')!;
    nightly.rrule = 'FREQ=DAILY;UNTIL=garbage';
    const findings = run(b, state);
    expect(find(findings, 'calendar.in-radicale', 'nightly')).toMatchObject({
      outcome: 'error',
      reason: 'internal_error',
    });
    expect(find(findings, 'calendar.in-radicale', 'sunday').outcome).toBe('pass');
  });
});

// radicale-calendar: is every backup window in the Radicale calendar home, exactly? The binding
// events must be publishable (calendar.binding), every vzdump job and every backup.schedule.yaml
// job must have an event at its time and on its days (calendar.job-has-event, .schedule-parity),
// and the collection must hold each event as the binding says it (calendar.in-radicale) and no
// stale backup event (calendar.orphan). Pure function of (bindings, host state, now) → findings.

import { DEFAULT_UID_SCHEME } from '../bindings/types.js';
import {
  findingId,
  type BindingEdit,
  type CalendarEventFact,
  type CalendarState,
  type Evidence,
  type Finding,
  type Severity,
} from '../model.js';
import { planCalendar, type CalendarPlan, type ExpectedEvent, type Problem } from '../calendar/binding.js';
import { calendarLocation, PASSWORD_ENV, USER_ENV } from '../calendar/location.js';
import {
  cronRuns,
  daysText,
  eventForRun,
  flowEvent,
  hhmm,
  pveJobRuns,
  PUBLISH_CALENDAR,
  runText,
  WEEKDAY_CODES,
  type Run,
  type Runs,
} from '../calendar/schedule.js';
import { endedAt, recurrenceOf } from '../calendar/vevent.js';
import {
  bindingEvidence,
  findingsFor,
  judgeSafely,
  NO_HOST_STATE,
  skipForMissingFile,
  type Rule,
  type VerifyInput,
} from './input.js';
import { jobsCfgEvidence, perPveHost } from './pve-helpers.js';

export const GATE = 'radicale-calendar';
export const CALENDAR_CHECKS = [
  'calendar.binding',
  'calendar.job-has-event',
  'calendar.schedule-parity',
  'calendar.in-radicale',
  'calendar.orphan',
] as const;

const { make } = findingsFor(GATE);
const PUBLISH = PUBLISH_CALENDAR;

export const evaluateRadicaleCalendar: Rule = (input) => {
  if (!input.bindings.calendar) return skipForMissingFile(GATE, CALENDAR_CHECKS, 'calendar');
  const plan = planCalendar(input.bindings, input.bindings.calendar);
  return distinct([
    ...checkBinding(plan),
    ...checkJobsHaveEvents(input, plan),
    ...checkScheduleParity(input, plan),
    ...checkInRadicale(input, plan),
    ...checkOrphans(input, plan),
  ]);
};

/** A repeated id (two events, two schedule jobs) would name two tests alike: the repeat gets its line. */
function distinct(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.map((f) => {
    const renamed = seen.has(findingId(f)) ? { ...f, subject: `${f.subject} (line ${f.evidence[0]?.line ?? '?'})` } : f;
    seen.add(findingId(renamed));
    return renamed;
  });
}

const at = (entry: { source: { file: string; line: number } }) => `${entry.source.file}:${entry.source.line}`;
const calendarFile = (plan: CalendarPlan) => plan.events[0]?.event.source.file ?? 'backup.calendar.yaml';
/** Every event whose freq and time are known (its days may not be), for matching jobs against. */
const timed = (plan: CalendarPlan) => plan.events.flatMap((e) => (e.timing ? [e.timing] : []));

// --- calendar.binding -----------------------------------------------------------------------

const BINDING_FIX: Record<string, string> = {
  duplicate_id: "give each event its own id (the id is the event's UID in the calendar)",
  unknown_freq: 'set freq to DAILY, WEEKLY, MONTHLY or HOURLY',
  bad_time: 'set byhour (0-23) and byminute (0-59); an HOURLY event takes byminute only',
  bad_day: 'drop byday / bymonthday, or change freq to WEEKLY / MONTHLY',
  no_timezone: 'set `timezone:` (an IANA name such as Europe/Berlin) in backup.calendar.yaml',
  timezone_unknown: 'set `timezone:` to an IANA name such as America/New_York',
  timezone_mismatch: 'make backup.calendar.yaml timezone and backup.inventory.yaml defaults.timezone the same zone',
  bad_dtstart_date: 'write dtstart_date as YYYY-MM-DD',
};

function checkBinding(plan: CalendarPlan): Finding[] {
  const file = calendarFile(plan);
  const judge = (subject: string, problems: Problem[], evidence: Evidence[], where: string, ok: string): Finding => {
    const base = { check: 'calendar.binding', subject, host: null, severity: 'medium' as const, evidence };
    if (!problems.length) return make({ ...base, outcome: 'pass', message: ok });
    return make({
      ...base,
      outcome: 'fail',
      reason: problems[0]!.reason,
      message: `${subject}: ${problems.map((p) => p.text).join('; ')}`,
      remediation: `In ${where}: ${[...new Set(problems.map((p) => p.fix ?? BINDING_FIX[p.reason]!))].join('; ')}.`,
    });
  };
  return [
    judge('backup.calendar.yaml', plan.problems, [{ file }], file, `backup.calendar.yaml publishes in ${plan.zone}`),
    ...plan.events.map((e) =>
      judge(
        e.event.id,
        e.problems,
        [bindingEvidence(e.event)],
        at(e.event),
        `${e.event.id}: ${e.expected ? `${e.expected.freq} ${expectedWhen(e.expected)}` : ''}`,
      ),
    ),
  ];
}

function expectedWhen(e: ExpectedEvent): string {
  return runText({
    hour: e.freq === 'HOURLY' ? -1 : e.hour,
    minute: e.minute,
    weekdays: e.weekdays,
    monthdays: e.monthdays,
  });
}

// --- calendar.job-has-event, calendar.schedule-parity ------------------------------------------

interface Match {
  reason: 'no_calendar_event' | 'wrong_day' | 'unrepresentable_schedule' | null;
  text: string;
  events: ExpectedEvent[];
  fixes: string[];
  /** The same fixes as edits of the calendar file (set an event's days, append an event). */
  edits: Array<Omit<BindingEdit, 'file'>>;
}

/** Which events show the runs: at the run's time of day, with the same freq, on the run's days. */
function matchRuns(plan: CalendarPlan, runs: Runs, idForNew: string, now: string): Match {
  if (!runs.ok) return { reason: 'unrepresentable_schedule', text: runs.why, events: [], fixes: [], edits: [] };
  const zoneNote = runs.shift ? ` (${plan.zone} time on ${now.slice(0, 10)})` : '';
  const events: ExpectedEvent[] = [];
  const missing: Run[] = [];
  const wrongDay: Array<{ run: Run; atTime: ExpectedEvent[] }> = [];
  for (const run of runs.runs) {
    const atTime = timed(plan).filter(
      (e) => e.freq === runs.freq && e.minute === run.minute && (run.hour < 0 || e.hour === run.hour),
    );
    const days = (e: ExpectedEvent) => {
      if (run.weekdays) return run.weekdays.every((d) => e.weekdays!.includes(d));
      return run.monthdays ? run.monthdays.every((d) => e.monthdays!.includes(d)) : true;
    };
    const showing = atTime.filter(days);
    if (showing.length) events.push(...showing);
    else if (atTime.length) wrongDay.push({ run, atTime });
    else missing.push(run);
  }
  // A wrong-day event keeps the days it had and gains the run's, so whatever else it shows stays shown.
  const dayEdits = wrongDay.map(({ run, atTime }) => {
    const e = atTime[0]!;
    const [field, days] = run.weekdays
      ? ['byday', sortedUnion(e.weekdays ?? [], run.weekdays).map((d) => WEEKDAY_CODES[d])]
      : ['bymonthday', sortedUnion(e.monthdays ?? [], run.monthdays ?? [])];
    return {
      text: `set \`${field}: [${days.join(', ')}]\` on event ${e.event.id} (${at(e.event)})`,
      edit: {
        path: ['events', plan.events.findIndex((p) => p.event === e.event), field],
        op: 'set' as const,
        value: days,
      },
    };
  });
  const taken = new Set(plan.events.map((e) => e.event.id));
  const idOf = (run: Run) =>
    missing.length > 1 || taken.has(idForNew)
      ? `${idForNew}-${run.hour < 0 ? 'm' : ''}${hhmm(run).replace(':', '')}`
      : idForNew;
  const added = missing.map((run) => eventForRun(idOf(run), idForNew, runs.freq, run));
  const fixes = [...dayEdits.map((d) => d.text), ...added.slice(0, 3).map((e) => `add to events \`${flowEvent(e)}\``)];
  const edits = [
    ...dayEdits.map((d) => d.edit),
    ...added.map((value) => ({ path: ['events'], op: 'append' as const, value })),
  ];
  const ids = [...new Set(events.map((e) => e.event.id))];
  const parts = [
    ...(ids.length
      ? [
          `${runs.runs
            .filter((r) => !missing.includes(r) && !wrongDay.some((w) => w.run === r))
            .map(runText)
            .join(', ')} ↔ ${runs.freq} event(s) ${ids.join(', ')}`,
        ]
      : []),
    ...wrongDay.map(
      ({ run, atTime }) =>
        `${runText(run)}: the ${runs.freq} event(s) at ${hhmm(run)} (${atTime.map((e) => `${e.event.id} on ${daysText(e)}`).join(', ')}) do not fall on ${daysText(run)}`,
    ),
    ...(missing.length
      ? [
          `no ${runs.freq} event at ${missing.slice(0, 5).map(runText).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
        ]
      : []),
  ];
  const reason = wrongDay.length ? 'wrong_day' : missing.length ? 'no_calendar_event' : null;
  return {
    reason,
    text: `${parts.join('; ')}${zoneNote}`,
    events: [...events, ...wrongDay.flatMap((w) => w.atTime)],
    fixes,
    edits,
  };
}

const sortedUnion = (a: readonly number[], b: readonly number[]) => [...new Set([...a, ...b])].sort((x, y) => x - y);

function matchFinding(
  base: { check: string; subject: string; host: string | null; severity: Severity; evidence: Evidence[] },
  what: string,
  m: Match,
  file: string,
  reschedule: string,
): Finding {
  const evidence = [...base.evidence, ...[...new Set(m.events)].map((e) => bindingEvidence(e.event))];
  const message = `${what}: ${m.text}`;
  if (!m.reason) return make({ ...base, evidence, outcome: 'pass', message });
  return make({
    ...base,
    evidence,
    outcome: 'fail',
    reason: m.reason,
    message,
    expected: 'a backup.calendar.yaml event at each time the job runs, on its days',
    actual: m.text,
    remediation:
      m.reason === 'unrepresentable_schedule' ? reschedule : `In ${file}: ${m.fixes.join('; ')}; then ${PUBLISH}.`,
    ...(m.edits.length ? { fix: m.edits.map((e) => ({ file, ...e })) } : {}),
  });
}

function checkJobsHaveEvents(input: VerifyInput, plan: CalendarPlan): Finding[] {
  const file = calendarFile(plan);
  return perPveHost(
    input,
    'calendar.job-has-event',
    (hostId, pve, state) => {
      const jobs = pve.jobs.filter((j) => j.enabled);
      if (!jobs.length)
        return [
          make({
            check: 'calendar.job-has-event',
            subject: hostId,
            host: hostId,
            severity: 'medium',
            outcome: 'skip',
            reason: 'no_enabled_jobs',
            message: `${hostId} has no enabled vzdump job`,
          }),
        ];
      return jobs.map((job) => {
        const runs = pveJobRuns(job.schedule, {
          from: state.hosts[hostId]?.timezone ?? null,
          to: plan.zone,
          now: input.now,
        });
        const base = {
          check: 'calendar.job-has-event',
          subject: job.id,
          host: hostId,
          severity: 'medium' as const,
          evidence: [jobsCfgEvidence(hostId, job)],
        };
        return matchFinding(
          base,
          `job ${job.id} (${job.schedule ?? 'no schedule'})`,
          matchRuns(plan, runs, job.id, input.now),
          file,
          `Give job ${job.id} on ${hostId} a schedule an event can show: times of day on every day or on some weekdays (e.g. \`pvesh set /cluster/backup/${job.id} --schedule 'sun 03:30'\`).`,
        );
      });
    },
    GATE,
  );
}

function checkScheduleParity(input: VerifyInput, plan: CalendarPlan): Finding[] {
  const schedule = input.bindings.schedule;
  const file = calendarFile(plan);
  if (!schedule)
    return [
      make({
        check: 'calendar.schedule-parity',
        subject: 'backup.schedule.yaml',
        host: null,
        severity: 'medium',
        outcome: 'skip',
        reason: 'no_schedule_file',
        message: 'the bindings have no backup.schedule.yaml',
      }),
    ];
  const from = schedule.timezone ?? input.bindings.inventory.defaults.timezone;
  return schedule.jobs
    .filter((j) => j.enabled)
    .map((job) => {
      const base = {
        check: 'calendar.schedule-parity',
        subject: job.id,
        host: job.host,
        severity: 'medium' as const,
        evidence: [bindingEvidence(job)],
      };
      if (!job.scheduleCron)
        return make({
          ...base,
          outcome: 'skip',
          reason: 'no_schedule_cron',
          message: `${job.id} has no schedule_cron`,
        });
      return matchFinding(
        base,
        `${job.id} (cron ${job.scheduleCron})`,
        matchRuns(plan, cronRuns(job.scheduleCron, { from, to: plan.zone, now: input.now }), job.id, input.now),
        file,
        `Model the job in ${file} as closely as events can (freq, byday, bymonthday), or give it a schedule_cron an event can show, in ${at(job)}.`,
      );
    });
}

// --- calendar.in-radicale, calendar.orphan --------------------------------------------------------

/** The recorded collection, or the outcome every check on it gets instead. */
function collection(
  input: VerifyInput,
):
  | { cal: Extract<CalendarState, { status: 'ok' }> }
  | { outcome: 'skip' | 'error'; reason: string; message: string; remediation: string | null } {
  const where = calendarLocation(input.bindings);
  if (!where)
    return {
      outcome: 'skip',
      reason: 'no_calendar_home',
      message:
        'nothing says where the calendar is (drift.gates.yaml calendar.url, or calendar.home.contract.yaml endpoint)',
      remediation: null,
    };
  if (!input.state) return { outcome: 'skip', reason: NO_HOST_STATE, message: NO_HOST_STATE, remediation: null };
  const cal = input.state.calendar;
  if (!cal) {
    return {
      outcome: 'error',
      reason: 'not_collected',
      message: `the host state has no record of the calendar at ${where.url}`,
      remediation:
        'Take the snapshot with this version (`ops snapshot`, or `ops verify --live`): it reads the calendar when the bindings say where it is.',
    };
  }
  if (cal.status === 'ok') return { cal };
  return {
    outcome: 'error',
    reason: cal.problem.reason,
    message: `cannot read the calendar at ${cal.url}: ${cal.problem.message}`,
    remediation: CALENDAR_FIX[cal.problem.reason] ?? null,
  };
}

const CALENDAR_FIX: Record<string, string> = {
  auth_denied: `Check the calendar login (${USER_ENV}/${PASSWORD_ENV}, or drift.gates.yaml calendar.credentials_file) against the Radicale users file, and that the user owns the collection.`,
  collection_missing: `Check calendar_collection in calendar.home.contract.yaml (or calendar.url), or create the calendar: ${PUBLISH} creates it when missing.`,
  connect_refused:
    "Check that Radicale runs (`systemctl status radicale`, or its container) and listens at the URL's port.",
  server_error: "Read Radicale's log on the calendar host: it answered with a server error.",
  credentials_unreadable: 'Fix the file drift.gates.yaml calendar.credentials_file names: one line user:password.',
};

function checkInRadicale(input: VerifyInput, plan: CalendarPlan): Finding[] {
  const state = collection(input);
  const tzid = plan.tzid ?? plan.zone;
  return plan.events.map(({ event, expected }) => {
    const base = {
      check: 'calendar.in-radicale',
      subject: event.id,
      host: null,
      severity: 'medium' as const,
      evidence: [bindingEvidence(event)],
    };
    // The server's data is hostile until judged: an RRULE or UNTIL no parser foresaw costs this event only.
    return judgeSafely(
      () => {
        if ('outcome' in state)
          return make({
            ...base,
            outcome: state.outcome,
            reason: state.reason,
            message: `${event.id}: ${state.message}`,
            remediation: state.remediation,
          });
        if (!expected)
          return make({
            ...base,
            outcome: 'skip',
            reason: 'invalid_event',
            message: `${event.id} cannot be published as it stands (see calendar.binding)`,
          });
        const fact = state.cal.events.find((f) => f.uid === expected.uid);
        const want = `UID ${expected.uid}: ${expected.freq} ${expectedWhen(expected)} ${tzid}`;
        if (!fact) {
          return make({
            ...base,
            outcome: 'fail',
            reason: 'missing_event',
            expected: want,
            actual: 'no such UID',
            message: `${event.id}: the calendar at ${state.cal.url} has no event with UID ${expected.uid}`,
            remediation: `Run ${PUBLISH} (it creates the event; \`ops calendar publish\` alone shows what it would do).`,
          });
        }
        const evidence = [...base.evidence, calendarEvidence(state.cal, fact)];
        const problems = eventDrift(expected, tzid, fact, input.now);
        const actual = `${fact.status ? `STATUS ${fact.status}, ` : ''}DTSTART ${fact.dtstart ?? 'none'} ${fact.tzid ?? 'floating'}, RRULE ${fact.rrule ?? 'none'}`;
        if (!problems.length)
          return make({
            ...base,
            evidence,
            outcome: 'pass',
            expected: want,
            actual,
            message: `${event.id}: in the calendar as ${actual}`,
          });
        return make({
          ...base,
          evidence,
          outcome: 'fail',
          reason: problems[0]!.reason,
          expected: want,
          actual,
          message: `${event.id} (${fact.href}): ${problems.map((p) => p.text).join('; ')}`,
          remediation: `Run ${PUBLISH}: it rewrites the event at ${fact.href} from ${at(event)}${fact.publishedFor === null ? ' (it replaces this event, which another client wrote with the same UID)' : ''}.`,
        });
      },
      (message) => make({ ...base, outcome: 'error', reason: 'internal_error', message: `${event.id}: ${message}` }),
    );
  });
}

const calendarEvidence = (cal: Extract<CalendarState, { status: 'ok' }>, fact: CalendarEventFact): Evidence => ({
  file: cal.output ?? cal.url,
  ...(cal.via ? { host: cal.via } : {}),
  detail: `${fact.href}${fact.etag ? ` (ETag ${fact.etag})` : ''}`,
});

/** What differs between the event the binding describes and the one in the collection (parsed values). */
function eventDrift(e: ExpectedEvent, tzid: string | null, fact: CalendarEventFact, now: string): Problem[] {
  const problems: Problem[] = [];
  if (fact.status === 'CANCELLED')
    problems.push({ reason: 'cancelled', text: 'the event is cancelled (STATUS:CANCELLED)' });
  const ended = endedAt(fact, now);
  if (ended)
    problems.push({ reason: 'ended', text: `the event has ended: its last occurrence was ${ended} (UNTIL/COUNT)` });
  if (!fact.dtstart || fact.dtstart.length <= 10) {
    problems.push({ reason: 'time_drift', text: fact.dtstart ? 'it is an all-day event' : 'it has no DTSTART' });
    return problems;
  }
  if (fact.tzid !== tzid)
    problems.push({ reason: 'timezone_drift', text: `DTSTART is in ${fact.tzid ?? 'floating time'}, not ${tzid}` });
  const wantTime = hhmm(e);
  if (fact.dtstart.slice(11, 16) !== wantTime)
    problems.push({ reason: 'time_drift', text: `DTSTART is at ${fact.dtstart.slice(11, 16)}, not ${wantTime}` });
  const r = recurrenceOf(fact);
  if (!r) return [...problems, { reason: 'rrule_drift', text: 'it has no RRULE: it happens once' }];
  const same = (a: readonly (string | number)[], b: readonly (string | number)[]) => a.join() === b.join();
  if (r.freq !== e.freq || r.interval !== 1)
    problems.push({
      reason: 'rrule_drift',
      text: `it recurs ${r.interval === 1 ? '' : `every ${r.interval} `}${r.freq}, not ${e.freq}`,
    });
  const wantDays = e.weekdays?.map((d) => WEEKDAY_CODES[d]!).sort() ?? [];
  if (!same(r.byday, wantDays))
    problems.push({
      reason: 'wrong_day',
      text: `it falls on ${r.byday.join(',') || 'every day'}, not ${wantDays.join(',') || 'every day'}`,
    });
  if (!same(r.bymonthday, e.monthdays ?? []))
    problems.push({
      reason: 'wrong_day',
      text: `it falls on day(s) ${r.bymonthday.join(',') || 'any'} of the month, not ${e.monthdays?.join(',') ?? 'any'}`,
    });
  const wantHours = e.freq === 'HOURLY' ? null : [e.hour];
  if (String(r.byhour) !== String(wantHours) || !same(r.byminute, [e.minute])) {
    problems.push({
      reason: 'time_drift',
      text: `it recurs at BYHOUR=${r.byhour?.join(',') ?? 'any'} BYMINUTE=${r.byminute.join(',')}, not ${wantTime}`,
    });
  }
  if (r.other.length) problems.push({ reason: 'rrule_drift', text: `its RRULE also says ${r.other.join(';')}` });
  return problems;
}

/** The id a backup event's UID names, by the UID scheme; null for a UID outside the scheme. */
export function idOfUid(scheme: string, uid: string): string | null {
  const [prefix, suffix] = scheme.split('{id}') as [string, string];
  const fits = uid.length > prefix.length + suffix.length && uid.startsWith(prefix) && uid.endsWith(suffix);
  return fits ? uid.slice(prefix.length, uid.length - suffix.length) : null;
}

function checkOrphans(input: VerifyInput, plan: CalendarPlan): Finding[] {
  const state = collection(input);
  const base = { check: 'calendar.orphan', host: null, severity: 'low' as const };
  if ('outcome' in state)
    return [
      make({
        ...base,
        subject: 'collection',
        outcome: state.outcome,
        reason: state.reason,
        message: state.message,
        remediation: state.remediation,
      }),
    ];
  const scheme = input.bindings.policy.calendar?.uidScheme ?? DEFAULT_UID_SCHEME;
  const ids = new Map(plan.events.map((e) => [e.event.id, e.event]));
  const ours = state.cal.events.flatMap((fact) => {
    const id = idOfUid(scheme, fact.uid);
    return id === null ? [] : [{ fact, id }];
  });
  const unreadable = state.cal.unreadable.map((u) =>
    make({
      ...base,
      subject: u.href,
      outcome: 'skip',
      reason: 'unreadable_item',
      message: `${u.href} does not parse as iCalendar (${u.message}); whether it is a backup event is unknown`,
    }),
  );
  if (!ours.length)
    return [
      ...unreadable,
      make({
        ...base,
        subject: 'collection',
        outcome: 'skip',
        reason: 'no_backup_events',
        message: `no event in ${state.cal.url} has a UID of the scheme ${scheme}`,
      }),
    ];
  return [
    ...unreadable,
    ...ours.map(({ fact, id }) => {
      const evidence = [calendarEvidence(state.cal, fact)];
      const event = ids.get(id);
      if (event)
        return make({
          ...base,
          subject: fact.uid,
          evidence: [...evidence, bindingEvidence(event)],
          outcome: 'pass',
          message: `${fact.uid} is backup.calendar.yaml event ${id}`,
        });
      return make({
        // Located at the binding list the event is missing from.
        ...base,
        subject: fact.uid,
        evidence: [
          ...evidence,
          ...(input.bindings.calendar ? [bindingEvidence({ source: input.bindings.calendar.eventsSource })] : []),
        ],
        outcome: 'fail',
        reason: 'orphan_event',
        message: `${fact.uid} (${fact.href}, "${fact.summary ?? ''}") is a backup event no backup.calendar.yaml event has: a stale window left behind`,
        expected: `an event with id ${id} in backup.calendar.yaml`,
        actual: 'none',
        remediation:
          fact.publishedFor !== null
            ? `Run ${PUBLISH}: it deletes the events it published whose binding event is gone (or add the event back to backup.calendar.yaml).`
            : `Delete ${fact.href} in a calendar client (it was not written by \`ops calendar publish\`, which never deletes what it did not create), or add event ${id} back to backup.calendar.yaml.`,
      });
    }),
  ];
}

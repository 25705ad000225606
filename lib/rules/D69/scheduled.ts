// D69.scheduled: does the calendar hold an event at the time the guest's job runs?

import { noFile, type BackupCalendar, type CalendarEvent, type LifecycleGuest } from '../../bindings/types.js';
import type { Finding, VzdumpJob } from '../../model.js';
import {
  eventForRun,
  eventsAtTime,
  flowEvent,
  hhmm,
  pveJobRuns,
  PUBLISH_CALENDAR,
  type Run,
} from '../../calendar/schedule.js';
import { bindingEvidence } from '../input.js';
import { Derived, type RunInput } from '../run-index.js';
import { jobsCfgEvidence } from '../pve-helpers.js';
import { make, label, guestBase, hostPve } from './guest-facts.js';

interface JobMatch {
  job: VzdumpJob;
  /** null when every run of the job has its event. */
  reason: 'unrepresentable_schedule' | 'no_calendar_event' | null;
  text: string;
  events: CalendarEvent[];
  /** Events to add when some are missing (every one, so adding them clears the finding). */
  add: Record<string, unknown>[];
}

export function checkScheduled(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.scheduled', g, 'medium');
  const calendar = input.bindings.calendar;
  if (!calendar)
    return make({
      ...base,
      outcome: 'skip',
      reason: noFile('calendar'),
      message: `${label(g)}: the bindings have no backup.calendar.yaml`,
    });
  const host = hostPve(input, base, g);
  if ('finding' in host) return host.finding;
  const jobs = input.index.pve(host.pve).enrolled.get(g.id);
  if (!jobs)
    return make({
      ...base,
      outcome: 'skip',
      reason: 'not_enrolled',
      message: `${label(g)}: no enabled job backs it up, so there is no time to find in the calendar (see D69.enrolled)`,
    });
  const zones = {
    calendar: calendar.timezone ?? input.bindings.inventory.defaults.timezone,
    host: input.state!.hosts[g.proxmoxHost]?.timezone ?? null,
  };
  const matches = jobs.map((job) => matchJobOnce(input, job, calendar, zones));
  const evidence = [
    ...base.evidence,
    ...matches.flatMap((m) => [jobsCfgEvidence(g.proxmoxHost, m.job), ...m.events.map((e) => bindingEvidence(e))]),
  ];
  const failed = matches.find((m) => m.reason !== null);
  const message = `${label(g)}: ${matches.map((m) => m.text).join('; ')}`;
  if (!failed) return make({ ...base, evidence, outcome: 'pass', message });
  const add = matches.flatMap((m) => m.add);
  const reschedule = matches.filter((m) => m.reason === 'unrepresentable_schedule').map((m) => m.job.id);
  const file = calendar.events[0]?.source.file ?? 'backup.calendar.yaml';
  const more = add.length > 3 ? ` and ${add.length - 3} more` : '';
  return make({
    ...base,
    evidence,
    outcome: 'fail',
    reason: failed.reason,
    message,
    expected: 'a backup.calendar.yaml event at each time the job(s) run',
    actual: failed.text,
    remediation: [
      ...(add.length
        ? [
            `Add to events in ${file}: ${add
              .slice(0, 3)
              .map((e) => `\`${flowEvent(e)}\``)
              .join(', ')}${more}; then publish them (${PUBLISH_CALENDAR}).`,
          ]
        : []),
      ...reschedule.map(
        (id) =>
          `Give job ${id} on ${g.proxmoxHost} daily or weekday times the calendar can publish (e.g. \`pvesh set /cluster/backup/${id} --schedule 02:00\`).`,
      ),
    ].join(' '),
    // Only a remediation that is nothing but events to add is machine-applicable.
    ...(add.length && !reschedule.length
      ? { fix: add.map((value) => ({ file, path: ['events'], op: 'append' as const, value })) }
      : {}),
  });
}

/** Each job's match, by its host's zone: the run's calendar and now are the same for every guest. */
const JOB_MATCHES = new Derived<VzdumpJob, Map<string | null, JobMatch>>('D69.scheduled job matches by host zone');

/** matchJob, once per job and host zone: every guest a job backs up shares its match. */
function matchJobOnce(
  input: RunInput,
  job: VzdumpJob,
  calendar: BackupCalendar,
  zones: { calendar: string | null; host: string | null },
): JobMatch {
  const byZone = input.index.remember(JOB_MATCHES, job, () => new Map<string | null, JobMatch>());
  let match = byZone.get(zones.host);
  if (!match) byZone.set(zones.host, (match = matchJob(job, calendar, zones, input.now)));
  return match;
}

/** The job's runs as times of day in the calendar's zone, each with the event that publishes it. */
function matchJob(
  job: VzdumpJob,
  calendar: BackupCalendar,
  zones: { calendar: string | null; host: string | null },
  now: string,
): JobMatch {
  const result = (
    reason: JobMatch['reason'],
    text: string,
    events: CalendarEvent[] = [],
    add: Record<string, unknown>[] = [],
  ): JobMatch => ({ job, reason, text: `job ${job.id} (${job.schedule ?? 'no schedule'}): ${text}`, events, add });
  const runs = pveJobRuns(job.schedule, { from: zones.host, to: zones.calendar, now });
  if (!runs.ok) return result('unrepresentable_schedule', runs.why);
  const { freq } = runs;
  const everyHour = freq === 'HOURLY';
  const zoneNote = runs.shift ? ` (${zones.calendar} time on ${now.slice(0, 10)})` : '';
  const events: CalendarEvent[] = [];
  const missing: Run[] = [];
  for (const t of runs.runs) {
    const event = eventsAtTime(calendar.events, freq, t)[0];
    if (event) events.push(event);
    else missing.push(t);
  }
  const when = (t: Run) => (everyHour ? `:${String(t.minute).padStart(2, '0')} every hour` : hhmm(t));
  const dayNote =
    freq === 'WEEKLY'
      ? "; D69 matches by time: a WEEKLY event matches by time only and its day is not checked (radicale-calendar's calendar.job-has-event checks it)"
      : '';
  if (!missing.length) {
    return result(
      null,
      `${runs.runs.map(when).join(', ')}${zoneNote} ↔ ${freq} event(s) ${[...new Set(events.map((e) => e.id))].join(', ')}${dayNote}`,
      events,
    );
  }
  // An id the calendar already has (the job's event at another time) gets the run's time appended.
  const taken = new Set(calendar.events.map((e) => e.id));
  const suffix = (t: Run) =>
    missing.length < 2 && !taken.has(job.id) ? '' : everyHour ? `-m${t.minute}` : `-${hhmm(t).replace(':', '')}`;
  const add = missing.map((t) => eventForRun(`${job.id}${suffix(t)}`, `vzdump job ${job.id}`, freq, t));
  const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
  return result(
    'no_calendar_event',
    `no ${freq} event at ${missing.slice(0, 5).map(when).join(', ')}${more}${zoneNote}${dayNote}`,
    events,
    add,
  );
}

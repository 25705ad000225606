// D19.job-run: did each enabled job really run at its last scheduled time, and did that run end well?
// Job state as pve-manager PVE/Jobs.pm reads it; schedules as proxmox-time computes them.

import type { Finding, HostState, JobRunState, PveState, StateProblem, VzdumpJob } from '../../model.js';
import { nextEvent, occurrencesBetween, parseCalendarEvent } from '../../pve/calendar-event.js';
import { failedGuests, lastRuntimeOf, statusIsError } from '../../pve/job-state.js';
import { commandEvidence, jobsCfgEvidence, perPveHost } from '../pve-helpers.js';
import { pveStateOf } from '../input.js';
import type { RunInput } from '../run-index.js';
import { pveHostIds } from '../../bindings/pve-hosts.js';
import { make, FUTURE_MTIME_TOLERANCE_S, isoOf, enabledJobsOn } from './shared.js';

/**
 * Minutes after a scheduled time before a run that has not started counts as missed (pvescheduler looks once a minute).
 */
const MISSED_GRACE_S = 10 * 60;

type LastRuntime = ReturnType<typeof lastRuntimeOf>;

type RunVerdict =
  | { kind: 'error'; problem: StateProblem }
  | { kind: 'no_state_file' }
  | { kind: 'clock_ahead'; field: string; at: number }
  | { kind: 'running'; state: JobRunState }
  | { kind: 'pending'; state: JobRunState; next: number }
  | { kind: 'missed'; state: JobRunState; last: LastRuntime; next: number; missed: number }
  | { kind: 'failed'; state: JobRunState; status: string; last: LastRuntime }
  | { kind: 'ok'; state: JobRunState; status: string; last: LastRuntime; next: number | null };

/**
 * What the job's node-local state says about its runs, judged at the capture time in the node's zone,
 * as pve-manager PVE/Jobs.pm run_jobs would: update_job_stopped first (a `started` job whose task has
 * ended is a finished run with the task's status), then get_last_runtime and compute_next_event. Only
 * `started` stops pvescheduler from starting the job again (starting_job), so `starting` hides no
 * missed run. A time after the capture means the node's clock was once ahead: pvescheduler waits for
 * that time, so the job does not run, and nothing about it can be judged.
 */
function runVerdict(state: HostState, hostId: string, job: VzdumpJob): RunVerdict {
  const host = state.hosts[hostId]!;
  const runs = host.jobRuns;
  if (!runs)
    return {
      kind: 'error',
      problem: {
        reason: 'not_collected',
        message: `the job run state of ${hostId} is not in the snapshot (taken before the job-state command existed)`,
      },
    };
  if (!runs.ok) return { kind: 'error', problem: runs.problem };
  const file = `vzdump-${job.id}.json`;
  if (Object.hasOwn(runs.value.unreadable, file))
    return { kind: 'error', problem: { reason: 'parse_error', message: `${file}: ${runs.value.unreadable[file]}` } };
  const s = Object.hasOwn(runs.value.jobs, job.id) ? runs.value.jobs[job.id]! : null;
  if (!s) return { kind: 'no_state_file' };
  const now = Date.parse(state.capturedAt) / 1000;
  const ahead = (
    [
      ['updated', s.updated],
      ['the task start (UPID)', s.started],
      ['time', s.time],
    ] as const
  ).find(([, at]) => at !== null && at - now > FUTURE_MTIME_TOLERANCE_S);
  if (ahead) return { kind: 'clock_ahead', field: ahead[0], at: ahead[1]! };
  const status = s.state === 'started' ? s.taskEnd : s.msg;
  if (s.state === 'started' && status === null) return { kind: 'running', state: s };
  const last = lastRuntimeOf(s);
  const spec = parseCalendarEvent(job.schedule!);
  const next = nextEvent(spec, last.at, host.timezone);
  if (next !== null && next + MISSED_GRACE_S < now) {
    return {
      kind: 'missed',
      state: s,
      last,
      next,
      missed: occurrencesBetween(spec, last.at, now - MISSED_GRACE_S, host.timezone),
    };
  }
  if (s.state === 'created') return { kind: 'pending', state: s, next: next! };
  if (s.state === 'starting') return { kind: 'running', state: s };
  // A run PVE calls successful can still have lost guests: their ERROR lines decide.
  if (status === null || statusIsError(status) || failedGuests(s.taskErrors).length > 0)
    return { kind: 'failed', state: s, status: status ?? 'no status', last };
  return { kind: 'ok', state: s, status, last, next };
}

/** The last runtime PVE counts from, said as what it is. */
function lastRuntimeText(last: LastRuntime, s: JobRunState): string {
  if (last.from === 'updated')
    return `the schedule or enabled flag last changed, or pvescheduler restarted without repeat-missed, at ${isoOf(last.at)} (no run since)`;
  if (last.from === 'task') return `last run started ${isoOf(last.at)}`;
  return s.state === 'created' ? `created ${isoOf(last.at)}` : `last start attempt ${isoOf(last.at)}`;
}

/** The enabled jobs PVE runs on this host's node (the job-state probe names it). */
function jobsRunHere(host: HostState['hosts'][string], pve: PveState): VzdumpJob[] {
  return enabledJobsOn(pve, host.jobRuns?.ok ? host.jobRuns.value.node : null);
}

export function checkJobRuns(input: RunInput): Finding[] {
  return perPveHost(input, 'D19.job-run', (hostId, pve, state) => {
    const host = state.hosts[hostId]!;
    const jobs = jobsRunHere(host, pve);
    if (jobs.length === 0)
      return [
        make({
          check: 'D19.job-run',
          subject: hostId,
          host: hostId,
          severity: 'high',
          outcome: 'skip',
          reason: 'no_jobs',
          message: `${hostId}: no enabled vzdump job runs on this node`,
        }),
      ];
    return jobs.map((job) => {
      const base = {
        check: 'D19.job-run',
        subject: job.id,
        host: hostId,
        severity: 'critical' as const,
        evidence: [
          jobsCfgEvidence(hostId, job),
          commandEvidence(hostId, 'job-state', `/var/lib/pve-manager/jobs/vzdump-${job.id}.json`),
        ],
      };
      if (job.source === 'vzdump.cron') {
        return make({
          ...base,
          evidence: [jobsCfgEvidence(hostId, job)],
          outcome: 'skip',
          reason: 'legacy_cron_job',
          message: `job ${job.id}: a legacy /etc/pve/vzdump.cron job, run by cron: PVE keeps no run state for it (convert it, see D19.job-valid)`,
        });
      }
      if (!job.runs)
        return make({
          ...base,
          outcome: 'skip',
          reason: 'job_invalid',
          message: `job ${job.id}: PVE never runs it as written (see D19.job-valid)`,
        });
      const v = runVerdict(state, hostId, job);
      // What monitoring graphs: a run's start, never an `updated` time (an edit or restart is no run).
      const jobRun =
        'last' in v
          ? {
              lastStartAt: v.last.from === 'updated' ? null : v.last.at,
              missedRuns: v.kind === 'missed' ? v.missed : 0,
              node: host.jobRuns?.ok ? host.jobRuns.value.node : null,
            }
          : undefined;
      const repeat =
        job.options['repeat-missed'] === '1'
          ? 'with repeat-missed 1 the missed run starts as soon as pvescheduler works again'
          : 'without repeat-missed, a pvescheduler restart skips the missed runs instead of catching up';
      switch (v.kind) {
        case 'error':
          return make({
            ...base,
            outcome: 'error',
            reason: v.problem.reason,
            message: `job ${job.id} on ${hostId}: cannot judge its runs, ${v.problem.message}`,
            remediation: 'Take a new snapshot (`ops snapshot`) so the job-state command is recorded.',
          });
        case 'no_state_file':
          return make({
            ...base,
            outcome: 'fail',
            reason: 'no_state_file',
            message: `job ${job.id} on ${hostId}: no /var/lib/pve-manager/jobs/vzdump-${job.id}.json. pvescheduler writes one for every job within a minute of seeing it, so it has not run since the job was created`,
            expected: 'a state file',
            actual: 'none',
            remediation: `On ${hostId}: \`systemctl status pvescheduler\` and \`journalctl -u pvescheduler -n 100\`; \`systemctl restart pvescheduler\`, then check the file appears.`,
          });
        case 'clock_ahead':
          return make({
            ...base,
            outcome: 'error',
            reason: 'clock_ahead',
            message: `job ${job.id} on ${hostId}: /var/lib/pve-manager/jobs/${`vzdump-${job.id}.json`} dates ${v.field} ${isoOf(v.at)}, after the capture (${state.capturedAt}): the node's clock was ahead once, and pvescheduler waits until then before it runs the job again, so its runs cannot be judged`,
            expected: `a time no later than ${FUTURE_MTIME_TOLERANCE_S / 60} min after the capture`,
            actual: `${v.field} ${isoOf(v.at)}`,
            remediation: `On ${hostId}: check the clock (\`timedatectl\`, chrony), then reset the job's run time by saving the job once (Datacenter → Backup → Edit → OK) and run it by hand (Run now).`,
          });
        case 'running': {
          const since = v.state.started ?? v.state.time;
          return make({
            ...base,
            outcome: 'skip',
            reason: 'running',
            message: `job ${job.id} on ${hostId} is running${since !== null ? ` since ${isoOf(since)}` : ''} (state ${v.state.state}): neither a failed nor a finished run`,
          });
        }
        case 'pending':
          return make({
            ...base,
            outcome: 'skip',
            reason: 'first_run_pending',
            message: `job ${job.id} on ${hostId} was created and has not run yet; its first run is ${isoOf(v.next)}`,
          });
        case 'missed':
          return make({
            ...base,
            jobRun,
            outcome: 'fail',
            reason: 'missed_runs',
            message: `job ${job.id} on ${hostId} (schedule ${job.schedule}) missed ${v.missed} run(s) since ${isoOf(v.next)}: ${lastRuntimeText(v.last, v.state)}. ${pve.scheduler === 'active' ? 'pvescheduler is active yet not starting jobs (seen: a memory leak)' : `pvescheduler is ${pve.scheduler || 'in an unknown state'} (D19.scheduler)`}; ${repeat}`,
            expected: `a start at ${isoOf(v.next)}`,
            actual: `${v.last.from === 'updated' ? 'updated' : 'last'} ${isoOf(v.last.at)}`,
            remediation: `On ${hostId}: \`journalctl -u pvescheduler --since '${isoOf(v.next).slice(0, 10)}'\` to see why, \`systemctl restart pvescheduler\`, then run job ${job.id} once by hand (Datacenter → Backup → Run now) to catch up.`,
          });
        case 'failed': {
          const guests = failedGuests(v.state.taskErrors);
          const named = guests.length
            ? `; failed guests: ${guests.join(', ')}`
            : v.state.taskErrors.length
              ? `; task log: ${v.state.taskErrors.join(' | ')}`
              : '';
          return make({
            ...base,
            jobRun,
            outcome: 'fail',
            reason: 'run_failed',
            message: `job ${job.id} on ${hostId}: the last run (${isoOf(v.last.at)}) ended with "${v.status}"${named}`,
            expected: 'OK',
            actual: v.status,
            evidence: [...base.evidence, ...(v.state.upid ? [{ host: hostId, detail: `task ${v.state.upid}` }] : [])],
            remediation: `On ${hostId}: read the task log (\`pvenode task log ${v.state.upid ?? '<upid>'}\`)${guests.length ? ` and each failed guest's vzdump log` : ''}, fix the cause, then \`vzdump ${guests.length ? guests.join(' ') : '<vmid>'}${job.storage ? ` --storage ${job.storage}` : ''}\`.`,
          });
        }
        case 'ok': {
          const warnings = /^WARNINGS: (\d+)$/.exec(v.status)?.[1];
          return make({
            ...base,
            jobRun,
            outcome: 'pass',
            message: `job ${job.id} on ${hostId}: ${lastRuntimeText(v.last, v.state)}, ${warnings === undefined ? 'OK' : `ended OK with ${warnings} warning(s)`}${v.next !== null ? `, next ${isoOf(v.next)}` : ''}`,
            evidence: [
              ...base.evidence,
              ...v.state.taskWarnings.map((line) => ({ host: hostId, detail: `task log: ${line}` })),
            ],
          });
        }
      }
    });
  });
}

/**
 * Whether every job that backs up this guest is still waiting for its first run, so a missing
 * archive is expected (D19.freshness skips `first_run_pending`).
 */
export function onlyPendingJobs(input: RunInput, vmid: number): string | null {
  if (!input.state) return null;
  const pending: string[] = [];
  for (const hostId of pveHostIds(input.bindings)) {
    const pve = pveStateOf(input.state, hostId);
    const host = input.state.hosts[hostId];
    if ('problem' in pve || !host) continue;
    const here = new Set(jobsRunHere(host, pve.value));
    const node = host.jobRuns?.ok ? host.jobRuns.value.node : null;
    const facts = input.index.pve(pve.value);
    const guest = facts.guest(vmid);
    if (node !== null && guest && guest.node !== node) continue; // judged on the guest's own node
    for (const job of facts.enrolled.get(vmid) ?? []) {
      if (!here.has(job)) continue;
      const v = runVerdict(input.state, hostId, job);
      if (v.kind !== 'pending') return null;
      pending.push(`${job.id} on ${hostId} (first run ${isoOf(v.next)})`);
    }
  }
  return pending.length ? pending.join(', ') : null;
}

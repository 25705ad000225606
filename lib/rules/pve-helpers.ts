// Facts about a PVE host's jobs that several gates judge, and the one fix plan per host their
// remediations come from: every finding about a job shows the same `pvesh` line, which fixes all
// of them at once (two lines that each merge one guest into the old list would undo each other).

import type { LifecycleGuest } from '../bindings/types.js';
import type { Evidence, Finding, HostState, PveState, VzdumpJob } from '../model.js';
import { selectedBy } from '../pve/jobs-cfg.js';
import { PVE_COMMANDS } from '../snapshot/probe.js';
import { findingsFor, judgeSafely, NO_HOST_STATE, pveStateOf, type VerifyInput } from './input.js';
import { noPveHostsReason, pveHostIds } from '../bindings/pve-hosts.js';
import { Derived, type PveIndex, type RunInput } from './run-index.js';

export const INACTIVE_LIFECYCLE = new Set(['decommissioned', 'abandoned']);

/**
 * Runs `each` for every PVE host with readable state; one error (or skip) finding per host otherwise.
 * The finding's gate is `gate`, by default the check id's prefix (`D19.scheduler` → D19).
 */
export function perPveHost(
  input: VerifyInput,
  check: string,
  each: (hostId: string, pve: PveState, state: HostState) => Finding[],
  gate = check.slice(0, check.indexOf('.')),
): Finding[] {
  const { make } = findingsFor(gate);
  const unknown = noPveHostsReason(input.bindings);
  if (unknown) return [make({ check, subject: 'run', host: null, severity: 'low', outcome: 'skip', ...unknown })];
  return pveHostIds(input.bindings).flatMap((hostId) => {
    const base = { check, subject: hostId, host: hostId, severity: 'high' as const };
    if (!input.state)
      return [make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${hostId}: ${NO_HOST_STATE}` })];
    const pve = pveStateOf(input.state, hostId);
    if ('problem' in pve) {
      return [
        make({
          ...base,
          outcome: 'error',
          reason: pve.problem.reason,
          message: `${hostId}: cannot judge, ${pve.problem.message}`,
        }),
      ];
    }
    const state = input.state;
    return judgeSafely(
      () => each(hostId, pve.value, state),
      (message) => [make({ ...base, outcome: 'error', reason: 'internal_error', message: `${hostId}: ${message}` })],
    );
  });
}

/** Evidence citing one probe command's output on a host. */
export const commandEvidence = (hostId: string, commandId: string, detail?: string): Evidence => ({
  host: hostId,
  commandId,
  command: PVE_COMMANDS.find((c) => c.id === commandId)!.command,
  ...(detail ? { detail } : {}),
});

/** Evidence citing the file a job is written in (jobs.cfg section or vzdump.cron line), or jobs.cfg. */
export const jobsCfgEvidence = (hostId: string, job?: VzdumpJob): Evidence =>
  job?.source === 'vzdump.cron'
    ? commandEvidence(hostId, 'vzdump-cron', `line ${job.line}`)
    : commandEvidence(hostId, 'jobs-cfg', job ? `vzdump: ${job.id} (line ${job.line})` : undefined);

/** Enabled jobs whose keys name this guest but that PVE never runs as written (see D19.job-valid). */
export function brokenJobsNaming(pve: PveState, vmid: number): VzdumpJob[] {
  return pve.jobs.filter((j) => j.enabled && !j.runs && selectedBy(j, pve.guests, pve.pools).includes(vmid));
}

/**
 * Why no job PVE runs backs this guest up: `only_invalid_jobs`, `only_disabled_jobs` or `not_in_any_job`, and in words.
 */
export function whyNotEnrolled(host: PveIndex, vmid: number): { reason: string; why: string } {
  const { pve } = host;
  const broken = brokenJobsNaming(pve, vmid).map((j) => j.id);
  if (broken.length)
    return {
      reason: 'only_invalid_jobs',
      why: `only job(s) ${broken.join(', ')} select it, and PVE never runs them as written (see D19.job-valid)`,
    };
  const paused = pve.jobs.filter((j) => !j.enabled && host.selection(j).includes(vmid)).map((j) => j.id);
  if (paused.length)
    return { reason: 'only_disabled_jobs', why: `only disabled job(s) ${paused.join(', ')} select it` };
  // A snapshot without /etc/pve/vzdump.cron cannot rule out a legacy cron job: say so, never hide it.
  const unread = pve.cronNotRead
    ? ` in jobs.cfg (legacy /etc/pve/vzdump.cron jobs were not read: ${pve.cronNotRead.message})`
    : '';
  return { reason: 'not_in_any_job', why: `no job selects it${unread}` };
}

/** Why an explicitly listed VMID should leave its job, or null when it belongs there. */
export function deadListing(
  hostId: string,
  vmid: number,
  host: PveIndex,
  lifecycle: Map<number, LifecycleGuest>,
): string | null {
  if (!host.guest(vmid)) return `does not exist on ${hostId}`;
  const status = lifecycle.get(vmid)?.status;
  return status && INACTIVE_LIFECYCLE.has(status) ? `is ${status} in the lifecycle` : null;
}

export interface JobFixPlan {
  /** What to run so an unenrolled guest gets backed up. */
  enroll(vmid: number): string;
  /** What to run so a dead VMID leaves `job`. */
  drop(job: VzdumpJob): string;
}

/**
 * Plans the job changes for one host: each guest that must be enrolled goes into a job that can
 * back it up (re-enable the disabled job that already selects it, else the first enabled vmid-list
 * job that runs on the guest's node), and dead VMIDs leave the lists that name them.
 */
export function planJobFixes(
  hostId: string,
  host: PveIndex,
  mustEnroll: number[],
  lifecycle: Map<number, LifecycleGuest>,
): JobFixPlan {
  const { pve, enrolled } = host;
  const nodeOf = (vmid: number) => host.guest(vmid)?.node ?? null;
  const listJobs = pve.jobs.filter((j) => j.enabled && j.runs && j.vmids);
  const adds = new Map<string, number[]>();
  const reenable = new Map<number, VzdumpJob>();
  const repair = new Map<number, VzdumpJob>();
  for (const vmid of [...new Set(mustEnroll)].filter((v) => !enrolled.has(v))) {
    const broken = brokenJobsNaming(pve, vmid)[0];
    if (broken) {
      repair.set(vmid, broken);
      continue;
    }
    const paused = pve.jobs.find((j) => !j.enabled && host.selection(j).includes(vmid));
    if (paused) {
      reenable.set(vmid, paused);
      continue;
    }
    const job = listJobs.find((j) => j.node === null || j.node === nodeOf(vmid));
    if (job) adds.set(job.id, [...(adds.get(job.id) ?? []), vmid]);
  }
  // One line per job, whichever finding asks for it.
  const lines = new Map<VzdumpJob, string>();
  const desired = (job: VzdumpJob) => {
    const known = lines.get(job);
    if (known !== undefined) return known;
    const drops = (job.vmids ?? []).filter((v) => deadListing(hostId, v, host, lifecycle) !== null);
    const added = adds.get(job.id) ?? [];
    const list = [...new Set([...(job.vmids ?? []).filter((v) => !drops.includes(v)), ...added])].sort((a, b) => a - b);
    const change = [added.length ? `adds ${added.join(', ')}` : '', drops.length ? `drops ${drops.join(', ')}` : '']
      .filter(Boolean)
      .join(', ');
    const line = list.length
      ? `On ${hostId}: \`pvesh set /cluster/backup/${job.id} --vmid ${list.join(',')}\` (${change}: one line for every change this job needs).`
      : `On ${hostId}: job ${job.id} would back up nothing: \`pvesh delete /cluster/backup/${job.id}\`.`;
    lines.set(job, line);
    return line;
  };
  return {
    enroll(vmid) {
      const broken = repair.get(vmid);
      if (broken)
        return `Job ${broken.id} selects ${vmid} but PVE never runs it as written: ${[...new Set(broken.problems.map((p) => p.fix))].join(' ')}`;
      const paused = reenable.get(vmid);
      if (paused)
        return `On ${hostId}: job ${paused.id} selects ${vmid} but is disabled: \`pvesh set /cluster/backup/${paused.id} --enabled 1\` (or move ${vmid} to an enabled job).`;
      const job = listJobs.find((j) => adds.get(j.id)?.includes(vmid));
      if (job) return desired(job);
      return `On ${hostId}: no enabled job with a vmid list runs on ${nodeOf(vmid) ?? 'its node'}; create one: \`pvesh create /cluster/backup --schedule 02:00 --storage <storage> --vmid ${vmid}\`.`;
    },
    drop: desired,
  };
}

/** The one fix plan per host: every finding about that host gets the same one. */
const FIX_PLANS = new Derived<string, JobFixPlan>('job fix plan by host');

/**
 * The one fix plan per host for every guest that must be enrolled there: each guest the host runs
 * that is neither a template nor retired in the lifecycle, and each guest an enabled target names.
 */
export function hostFixPlan(input: RunInput, hostId: string, pve: PveState): JobFixPlan {
  const { index } = input;
  return index.remember(FIX_PLANS, hostId, () => {
    const host = index.pve(pve);
    const lifecycle = index.lifecycleById;
    const uncovered = pve.guests
      .filter((g) => !g.template && !INACTIVE_LIFECYCLE.has(lifecycle.get(g.vmid)?.status ?? ''))
      .map((g) => g.vmid);
    const targeted = input.bindings.inventory.targets
      .filter((t) => t.enabled && t.host === hostId)
      .flatMap((t) => index.targetVmid(t) ?? [])
      .filter((vmid) => host.guest(vmid) !== undefined);
    return planJobFixes(hostId, host, [...uncovered, ...targeted], lifecycle);
  });
}

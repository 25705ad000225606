// Facts about a PVE host's jobs that several gates judge, and the one fix plan per host their
// remediations come from: every finding about a job shows the same `pvesh` line, which fixes all
// of them at once (two lines that each merge one guest into the old list would undo each other).

import type { InventoryTarget, LifecycleGuest } from '../bindings/types.js';
import type { Evidence, Finding, Guest, HostState, PveState, VzdumpJob } from '../model.js';
import { vzdumpGlobSubject } from '../pve/archives.js';
import { selectedBy, selectGuests } from '../pve/jobs-cfg.js';
import { PVE_COMMANDS } from '../snapshot/probe.js';
import { findingsFor, judgeSafely, NO_HOST_STATE, pveStateOf, type VerifyInput } from './input.js';
import { noPveHostsReason, pveHostIds } from '../bindings/pve-hosts.js';
import { memoByText } from '../memo.js';

export const INACTIVE_LIFECYCLE = new Set(['decommissioned', 'abandoned']);

export function lifecycleById(input: VerifyInput): Map<number, LifecycleGuest> {
  return new Map((input.bindings.lifecycle?.guests ?? []).map((g) => [g.id, g]));
}

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

// Facts derived from one host's PVE state are computed once per state object and shared by every
// check (and finding) that asks: on an estate with thousands of guests, recomputing them per
// finding made evaluation quadratic. Host state is never changed while gates run.
const perState = new WeakMap<
  PveState,
  { selections: Map<VzdumpJob, number[]>; enrolled?: Map<number, VzdumpJob[]>; guests?: Map<number, Guest> }
>();
const factsOf = (pve: PveState) => {
  let facts = perState.get(pve);
  if (!facts) perState.set(pve, (facts = { selections: new Map() }));
  return facts;
};

/** `selectGuests(job, pve.guests, pve.pools)`, once per job. Callers must not change the list. */
export function jobSelection(pve: PveState, job: VzdumpJob): number[] {
  const { selections } = factsOf(pve);
  let ids = selections.get(job);
  if (!ids) selections.set(job, (ids = selectGuests(job, pve.guests, pve.pools)));
  return ids;
}

/** Enabled jobs whose keys name this guest but that PVE never runs as written (see D19.job-valid). */
export function brokenJobsNaming(pve: PveState, vmid: number): VzdumpJob[] {
  return pve.jobs.filter((j) => j.enabled && !j.runs && selectedBy(j, pve.guests, pve.pools).includes(vmid));
}

/** Why no job PVE runs backs this guest up: `only_invalid_jobs`, `only_disabled_jobs` or `not_in_any_job`, and in words. */
export function whyNotEnrolled(pve: PveState, vmid: number): { reason: string; why: string } {
  const broken = brokenJobsNaming(pve, vmid).map((j) => j.id);
  if (broken.length)
    return {
      reason: 'only_invalid_jobs',
      why: `only job(s) ${broken.join(', ')} select it, and PVE never runs them as written (see D19.job-valid)`,
    };
  const paused = pve.jobs.filter((j) => !j.enabled && jobSelection(pve, j).includes(vmid)).map((j) => j.id);
  if (paused.length)
    return { reason: 'only_disabled_jobs', why: `only disabled job(s) ${paused.join(', ')} select it` };
  // A snapshot without /etc/pve/vzdump.cron cannot rule out a legacy cron job: say so, never hide it.
  const unread = pve.cronNotRead
    ? ` in jobs.cfg (legacy /etc/pve/vzdump.cron jobs were not read: ${pve.cronNotRead.message})`
    : '';
  return { reason: 'not_in_any_job', why: `no job selects it${unread}` };
}

/** The guest the host reports under this VMID (the first, as `pve.guests.find` would). */
export function guestOf(pve: PveState, vmid: number): Guest | undefined {
  const facts = factsOf(pve);
  if (!facts.guests) {
    facts.guests = new Map();
    for (const g of pve.guests) if (!facts.guests.has(g.vmid)) facts.guests.set(g.vmid, g);
  }
  return facts.guests.get(vmid);
}

/** Every VMID an enabled job on this host backs up, with the jobs that do. Callers must not change it. */
export function enrolledVmids(pve: PveState): Map<number, VzdumpJob[]> {
  const facts = factsOf(pve);
  if (facts.enrolled) return facts.enrolled;
  const enrolled = new Map<number, VzdumpJob[]>();
  for (const job of pve.jobs.filter((j) => j.enabled)) {
    for (const vmid of jobSelection(pve, job)) enrolled.set(vmid, [...(enrolled.get(vmid) ?? []), job]);
  }
  facts.enrolled = enrolled;
  return enrolled;
}

/** `vzdumpGlobSubject(glob)`, parsed once per glob text. Callers must not change the result. */
export const globSubject = memoByText(vzdumpGlobSubject);

/** The guest whose backups a target expects: a pve_storage target's vmid, or the guest a vzdump glob names. */
export function targetVmid(t: InventoryTarget): number | undefined {
  return t.kind === 'pve_storage' ? t.vmid : globSubject(t.glob)?.vmid;
}

/** Why an explicitly listed VMID should leave its job, or null when it belongs there. */
export function deadListing(
  hostId: string,
  vmid: number,
  pve: PveState,
  lifecycle: Map<number, LifecycleGuest>,
): string | null {
  if (!guestOf(pve, vmid)) return `does not exist on ${hostId}`;
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
  pve: PveState,
  mustEnroll: number[],
  lifecycle: Map<number, LifecycleGuest>,
): JobFixPlan {
  const enrolled = enrolledVmids(pve);
  const nodeOf = (vmid: number) => guestOf(pve, vmid)?.node ?? null;
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
    const paused = pve.jobs.find((j) => !j.enabled && jobSelection(pve, j).includes(vmid));
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
    const drops = (job.vmids ?? []).filter((v) => deadListing(hostId, v, pve, lifecycle) !== null);
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

/**
 * The one fix plan per host for every guest that must be enrolled there: each guest the host runs
 * that is neither a template nor retired in the lifecycle, and each guest an enabled target names.
 */
export function hostFixPlan(input: VerifyInput, hostId: string, pve: PveState): JobFixPlan {
  const known = plans.get(pve);
  if (known?.input === input && known.hostId === hostId) return known.plan;
  const lifecycle = lifecycleById(input);
  const uncovered = pve.guests
    .filter((g) => !g.template && !INACTIVE_LIFECYCLE.has(lifecycle.get(g.vmid)?.status ?? ''))
    .map((g) => g.vmid);
  const targeted = input.bindings.inventory.targets
    .filter((t) => t.enabled && t.host === hostId)
    .flatMap((t) => targetVmid(t) ?? [])
    .filter((vmid) => guestOf(pve, vmid) !== undefined);
  const plan = planJobFixes(hostId, pve, [...uncovered, ...targeted], lifecycle);
  plans.set(pve, { input, hostId, plan });
  return plan;
}

/** The last plan made for a host's state: every finding about that host gets the same one. */
const plans = new WeakMap<PveState, { input: VerifyInput; hostId: string; plan: JobFixPlan }>();

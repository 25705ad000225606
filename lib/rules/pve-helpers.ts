// Facts about a PVE host's jobs that several gates judge, and the one fix plan per host their
// remediations come from: every finding about a job shows the same `pvesh` line, which fixes all
// of them at once (two lines that each merge one guest into the old list would undo each other).

import type { LifecycleGuest } from '../bindings/types.js';
import type { Evidence, Finding, HostState, PveState, VzdumpJob } from '../model.js';
import { vzdumpGlobSubject } from '../pve/archives.js';
import { selectGuests } from '../pve/jobs-cfg.js';
import { PVE_COMMANDS } from '../snapshot/probe.js';
import { findingsFor, NO_HOST_STATE, pveHostIds, pveStateOf, type VerifyInput } from './input.js';

export const INACTIVE_LIFECYCLE = new Set(['decommissioned', 'abandoned']);

export function lifecycleById(input: VerifyInput): Map<number, LifecycleGuest> {
  return new Map(input.bindings.lifecycle.guests.map((g) => [g.id, g]));
}

/**
 * Runs `each` for every PVE host with readable state; one error (or skip) finding per host otherwise.
 * The finding's gate is the check id's prefix (`D19.scheduler` → D19).
 */
export function perPveHost(
  input: VerifyInput, check: string, each: (hostId: string, pve: PveState, state: HostState) => Finding[],
): Finding[] {
  const { make } = findingsFor(check.slice(0, check.indexOf('.')));
  return pveHostIds(input.bindings).flatMap((hostId) => {
    const base = { check, subject: hostId, host: hostId, severity: 'high' as const };
    if (!input.state) return [make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${hostId}: ${NO_HOST_STATE}` })];
    const pve = pveStateOf(input.state, hostId);
    if ('problem' in pve) {
      return [make({ ...base, outcome: 'error', reason: pve.problem.reason, message: `${hostId}: cannot judge, ${pve.problem.message}` })];
    }
    return each(hostId, pve.value, input.state);
  });
}

export const jobsCfgEvidence = (hostId: string, job?: VzdumpJob): Evidence => ({
  host: hostId, commandId: 'jobs-cfg', command: PVE_COMMANDS.find((c) => c.id === 'jobs-cfg')!.command,
  ...(job ? { detail: `vzdump: ${job.id} (line ${job.line})` } : {}),
});

/** Every VMID an enabled job on this host backs up, with the jobs that do. */
export function enrolledVmids(pve: PveState): Map<number, VzdumpJob[]> {
  const enrolled = new Map<number, VzdumpJob[]>();
  for (const job of pve.jobs.filter((j) => j.enabled)) {
    for (const vmid of selectGuests(job, pve.guests, pve.pools)) enrolled.set(vmid, [...(enrolled.get(vmid) ?? []), job]);
  }
  return enrolled;
}

/** Why an explicitly listed VMID should leave its job, or null when it belongs there. */
export function deadListing(hostId: string, vmid: number, pve: PveState, lifecycle: Map<number, LifecycleGuest>): string | null {
  if (!pve.guests.some((g) => g.vmid === vmid)) return `does not exist on ${hostId}`;
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
export function planJobFixes(hostId: string, pve: PveState, mustEnroll: number[], lifecycle: Map<number, LifecycleGuest>): JobFixPlan {
  const enrolled = enrolledVmids(pve);
  const nodeOf = (vmid: number) => pve.guests.find((g) => g.vmid === vmid)?.node ?? null;
  const listJobs = pve.jobs.filter((j) => j.enabled && j.vmids);
  const adds = new Map<string, number[]>();
  const reenable = new Map<number, VzdumpJob>();
  for (const vmid of [...new Set(mustEnroll)].filter((v) => !enrolled.has(v))) {
    const paused = pve.jobs.find((j) => !j.enabled && selectGuests(j, pve.guests, pve.pools).includes(vmid));
    if (paused) { reenable.set(vmid, paused); continue; }
    const job = listJobs.find((j) => j.node === null || j.node === nodeOf(vmid));
    if (job) adds.set(job.id, [...(adds.get(job.id) ?? []), vmid]);
  }
  const desired = (job: VzdumpJob) => {
    const drops = (job.vmids ?? []).filter((v) => deadListing(hostId, v, pve, lifecycle) !== null);
    const added = adds.get(job.id) ?? [];
    const list = [...new Set([...(job.vmids ?? []).filter((v) => !drops.includes(v)), ...added])].sort((a, b) => a - b);
    const change = [added.length ? `adds ${added.join(', ')}` : '', drops.length ? `drops ${drops.join(', ')}` : ''].filter(Boolean).join(', ');
    return list.length
      ? `On ${hostId}: \`pvesh set /cluster/backup/${job.id} --vmid ${list.join(',')}\` (${change}: one line for every change this job needs).`
      : `On ${hostId}: job ${job.id} would back up nothing: \`pvesh delete /cluster/backup/${job.id}\`.`;
  };
  return {
    enroll(vmid) {
      const paused = reenable.get(vmid);
      if (paused) return `On ${hostId}: job ${paused.id} selects ${vmid} but is disabled: \`pvesh set /cluster/backup/${paused.id} --enabled 1\` (or move ${vmid} to an enabled job).`;
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
  const lifecycle = lifecycleById(input);
  const uncovered = pve.guests.filter((g) => !g.template && !INACTIVE_LIFECYCLE.has(lifecycle.get(g.vmid)?.status ?? '')).map((g) => g.vmid);
  const targeted = input.bindings.inventory.targets.filter((t) => t.enabled && t.host === hostId).flatMap((t) => vzdumpGlobSubject(t.glob)?.vmid ?? [])
    .filter((vmid) => pve.guests.some((g) => g.vmid === vmid));
  return planJobFixes(hostId, pve, [...uncovered, ...targeted], lifecycle);
}

// D19 backup drift: are the backups the inventory promises really there, fresh, and scheduled?
// Pure function of (bindings, host state, policy, now) → findings. Check ids are a contract.

import type { InventoryTarget, LifecycleGuest } from '../bindings/types.js';
import type { Evidence, FileEntry, Finding } from '../model.js';
import { classifyDumpFile } from '../pve/archives.js';
import { filesMatching, filesStartingWith } from './glob-index.js';
import {
  deadListing, enrolledVmids, globSubject, guestOf, hostFixPlan, INACTIVE_LIFECYCLE, jobsCfgEvidence, jobSelection, lifecycleById, perPveHost,
} from './pve-helpers.js';
import { PVE_COMMANDS } from '../snapshot/probe.js';
import {
  bindingEvidence, findingsFor, hostOf, hoursBetween, NO_HOST_STATE, noPveHostsReason, pveHostIds, pveStateOf, severityByClass, type Rule, type VerifyInput,
} from './input.js';

export const D19_CHECKS = [
  'D19.freshness', 'D19.threshold', 'D19.judged', 'D19.guest-covered', 'D19.target-enrolled',
  'D19.job-guest-active', 'D19.target-retired', 'D19.scheduler', 'D19.snapshot-age',
] as const;

const { make } = findingsFor('D19');

export const evaluateD19: Rule = (input) => {
  const freshness = checkFreshness(input);
  return [
    ...freshness,
    ...checkThresholds(input),
    checkJudged(input, freshness),
    ...checkGuestsCovered(input),
    ...checkTargetsEnrolled(input),
    ...checkJobGuestsActive(input),
    ...checkTargetsRetired(input),
    ...checkSchedulers(input),
    checkSnapshotAge(input),
  ];
};

const enabledTargets = (input: VerifyInput) => input.bindings.inventory.targets.filter((t) => t.enabled);
// The loader rejects a target that has no stale_after_hours of its own and no default to fall back to.
const effectiveHours = (input: VerifyInput, t: InventoryTarget) => t.staleAfterHours ?? input.bindings.inventory.defaults.staleAfterHours!;

// --- D19.freshness --------------------------------------------------------------------------

function checkFreshness(input: VerifyInput): Finding[] {
  return enabledTargets(input).map((t) => {
    const base = { check: 'D19.freshness', subject: t.name, host: t.host, severity: severityByClass[t.classification ?? ''] ?? 'high' } as const;
    if (!input.state) return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` });
    const host = hostOf(input.state, t.host);
    if ('problem' in host) {
      return make({ ...base, outcome: 'error', reason: host.problem.reason, message: `${t.name}: cannot judge freshness, host ${t.host} unreadable: ${host.problem.message}`, evidence: [bindingEvidence(t)] });
    }
    const probe = host.value.commands.find((c) => c.basePath === t.basePath);
    const evidence: Evidence[] = [bindingEvidence(t), ...(probe ? [{ host: t.host, commandId: probe.id, command: probe.command }] : [])];
    const listing = host.value.listings[t.basePath];
    if (!listing) {
      return make({ ...base, outcome: 'error', reason: 'not_collected', message: `${t.name}: no listing of ${t.basePath} on ${t.host} in the host state`, evidence });
    }
    if (listing.status === 'error') {
      return make({ ...base, outcome: 'error', reason: listing.reason, message: `${t.name}: listing ${t.basePath} on ${t.host} failed: ${listing.message}`, evidence });
    }
    if (listing.status === 'missing') {
      return make({
        ...base, outcome: 'fail', reason: 'path_missing', evidence,
        message: `${t.name}: base path ${t.basePath} does not exist on ${t.host}`,
        expected: `directory ${t.basePath}`, actual: 'missing',
        remediation: `Check the storage behind ${t.basePath} on ${t.host} (mount, NFS/sync job), or fix base_path in backup.inventory.yaml.`,
      });
    }
    const { archives, others } = matchArtifacts(t.glob, listing.files);
    const limit = effectiveHours(input, t);
    if (archives.length === 0) {
      const log = newestAttemptLog(t.glob, listing.files) ?? others[0];
      const failed = log ? ` (found ${log.path}: a vzdump log without its archive is a failed backup)` : '';
      return make({
        ...base, outcome: 'fail', reason: 'no_matches', evidence,
        message: `${t.name}: no backup archive matches ${t.glob} in ${t.basePath}${failed}`,
        expected: `an archive matching ${t.glob} at most ${limit}h old`, actual: 'none',
        remediation: remediationForMissingBackup(t, input.bindings.lifecycle?.guests ?? []),
      });
    }
    const newest = archives.reduce((a, b) => (b.mtime > a.mtime ? b : a));
    // Whole hours, as the operator's backup-status always counted them: 26.9h passes a 26h limit.
    const ageHours = Math.max(0, Math.floor(hoursBetween(newest.mtime, input.state.capturedAt)));
    evidence.push({ host: t.host, detail: `newest ${newest.path} (mtime ${new Date(newest.mtime * 1000).toISOString()})` });
    if (ageHours > limit) {
      return make({
        ...base, outcome: 'fail', reason: 'stale', evidence,
        message: `${t.name}: newest archive ${newest.path} is ${ageHours}h old, limit ${limit}h`,
        expected: `≤ ${limit}h`, actual: `${ageHours}h`,
        remediation: remediationForMissingBackup(t, input.bindings.lifecycle?.guests ?? []),
      });
    }
    return make({ ...base, outcome: 'pass', evidence, message: `${t.name}: newest archive ${ageHours}h old (limit ${limit}h)`, expected: `≤ ${limit}h`, actual: `${ageHours}h` });
  });
}

/** Files under the base path that match the glob, split into archives and vzdump companions. */
function matchArtifacts(glob: string, files: FileEntry[]): { archives: FileEntry[]; others: FileEntry[] } {
  // Shell-glob semantics as the operator's `ls -- $GLOB` had them: no braces, no extglobs, no dotfiles.
  const archives: FileEntry[] = [];
  const others: FileEntry[] = [];
  for (const f of filesMatching(glob, files)) {
    const kind = classifyDumpFile(f.path.split('/').pop()!);
    (kind === 'archive' || kind === 'other' ? archives : others).push(f);
  }
  return { archives, others };
}

/** The newest vzdump log of the guest a glob names: what a failed attempt leaves behind. */
function newestAttemptLog(glob: string, files: FileEntry[]): FileEntry | undefined {
  const subject = globSubject(glob);
  if (!subject) return undefined;
  const prefix = `vzdump-${subject.type}-${subject.vmid}-`;
  return filesStartingWith(prefix, files).filter((f) => classifyDumpFile(f.path) === 'log')
    .reduce<FileEntry | undefined>((a, b) => (!a || b.mtime > a.mtime ? b : a), undefined);
}

function remediationForMissingBackup(t: InventoryTarget, guests: LifecycleGuest[]): string {
  const subject = globSubject(t.glob);
  if (subject) {
    const guest = guests.find((g) => g.id === subject.vmid);
    const name = guest?.hostname ? ` (${guest.hostname})` : '';
    return `On ${guest?.proxmoxHost ?? 'its PVE host'}: check \`systemctl status pvescheduler\` and the last vzdump task log for ${subject.vmid}${name}; run \`vzdump ${subject.vmid}\` once the cause is fixed.`;
  }
  return `On ${t.host}: check the job that writes ${t.glob} into ${t.basePath} (cron/timer and its log).`;
}

// --- D19.threshold --------------------------------------------------------------------------

function checkThresholds(input: VerifyInput): Finding[] {
  const limits = input.bindings.policy.thresholds;
  return enabledTargets(input).map((t) => {
    const base = { check: 'D19.threshold', subject: t.name, host: null, severity: 'medium' as const, evidence: [bindingEvidence(t)] };
    if (!t.classification) {
      return make({ ...base, outcome: 'skip', reason: 'no_classification', message: `${t.name}: no classification, so no threshold to hold it to` });
    }
    const hours = effectiveHours(input, t);
    const limit = limits[t.classification];
    if (hours > limit) {
      return make({
        ...base, outcome: 'fail', reason: 'threshold_too_loose',
        message: `${t.name}: stale_after_hours ${hours} is looser than ${t.classification} allows (${limit})`,
        expected: `≤ ${limit}`, actual: String(hours),
        remediation: `Set stale_after_hours: ${limit} (or less) on ${t.name} in ${t.source.file}, or reclassify it.`,
        fix: [{ file: t.source.file, path: ['targets', input.bindings.inventory.targets.indexOf(t), 'stale_after_hours'], op: 'set', value: limit }],
      });
    }
    return make({ ...base, outcome: 'pass', message: `${t.name}: ${hours}h within ${t.classification} (${limit}h)`, expected: `≤ ${limit}`, actual: String(hours) });
  });
}

// --- D19.judged -----------------------------------------------------------------------------

function checkJudged(input: VerifyInput, freshness: Finding[]): Finding {
  const base = { check: 'D19.judged', subject: 'run', host: null, severity: 'critical' as const };
  if (!input.state) return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `freshness coverage: ${NO_HOST_STATE}` });
  const enabled = freshness.length;
  const judged = freshness.filter((f) => f.outcome === 'pass' || f.outcome === 'fail');
  const unjudged = freshness.filter((f) => f.outcome !== 'pass' && f.outcome !== 'fail').map((f) => f.subject);
  const counts = { expected: `${enabled} of ${enabled} enabled targets judged`, actual: `${judged.length} judged` };
  if (enabled === 0) {
    return make({ ...base, ...counts, outcome: 'error', reason: 'nothing_to_judge', message: 'no enabled inventory target: nothing was checked, so the run cannot read healthy', remediation: 'Enable the targets that must be backed up in backup.inventory.yaml.' });
  }
  if (unjudged.length) {
    return make({
      ...base, ...counts, outcome: 'error', reason: 'unjudged_targets',
      message: `${judged.length} of ${enabled} enabled targets were judged; not judged: ${unjudged.join(', ')}`,
      remediation: 'Make the hosts of the unjudged targets readable (see their D19.freshness errors), then run again.',
    });
  }
  return make({ ...base, ...counts, outcome: 'pass', message: `all ${enabled} enabled targets were judged` });
}

// --- PVE-host checks ------------------------------------------------------------------------

function checkGuestsCovered(input: VerifyInput): Finding[] {
  const lifecycle = lifecycleById(input);
  return perPveHost(input, 'D19.guest-covered', (hostId, pve) => {
    const enrolled = enrolledVmids(pve);
    const plan = hostFixPlan(input, hostId, pve);
    const disabledJobs = pve.jobs.filter((j) => !j.enabled);
    const guests = [...pve.guests].sort((a, b) => a.vmid - b.vmid);
    if (guests.length === 0) {
      return [make({ check: 'D19.guest-covered', subject: hostId, host: hostId, severity: 'high', outcome: 'skip', reason: 'no_guests', message: `${hostId}: the host reports no guests` })];
    }
    return guests.map((g) => {
      const base = { check: 'D19.guest-covered', subject: `${g.type}/${g.vmid}`, host: hostId, severity: 'high' as const, evidence: [jobsCfgEvidence(hostId)] };
      const label = `${g.type}/${g.vmid}${g.name ? ` (${g.name})` : ''}`;
      const status = lifecycle.get(g.vmid)?.status;
      if (g.template) return make({ ...base, outcome: 'skip', reason: 'template', message: `${label} is a template` });
      if (status && INACTIVE_LIFECYCLE.has(status)) {
        return make({ ...base, outcome: 'skip', reason: `lifecycle_${status}`, message: `${label} is ${status} in the lifecycle` });
      }
      const jobs = enrolled.get(g.vmid);
      if (jobs) return make({ ...base, outcome: 'pass', message: `${label} is backed up by ${jobs.map((j) => j.id).join(', ')}` });
      const onlyDisabled = disabledJobs.filter((j) => jobSelection(pve, j).includes(g.vmid)).map((j) => j.id);
      const why = onlyDisabled.length ? `only disabled job(s) ${onlyDisabled.join(', ')} select it` : 'no job selects it';
      return make({
        ...base, outcome: 'fail', reason: onlyDisabled.length ? 'only_disabled_jobs' : 'not_in_any_job',
        message: `${label} on ${hostId} is not backed up by any enabled vzdump job: ${why}`,
        expected: 'selected by an enabled vzdump job', actual: why,
        remediation: plan.enroll(g.vmid),
      });
    });
  });
}

function checkTargetsEnrolled(input: VerifyInput): Finding[] {
  const pveHosts = new Set(pveHostIds(input.bindings));
  const unknown = noPveHostsReason(input.bindings);
  return enabledTargets(input).flatMap((t) => {
    const subject = globSubject(t.glob);
    if (!subject) return []; // the check is about targets naming one guest's vzdump archives
    const base = { check: 'D19.target-enrolled', subject: t.name, host: t.host, severity: 'high' as const };
    if (unknown) return [make({ ...base, outcome: 'skip', reason: unknown.reason, message: `${t.name}: ${unknown.message}` })];
    if (!pveHosts.has(t.host)) {
      return [make({ ...base, outcome: 'skip', reason: 'not_a_pve_host', message: `${t.name}: ${t.host} is not a PVE host (copies made elsewhere are judged by freshness)` })];
    }
    if (!input.state) return [make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` })];
    const pve = pveStateOf(input.state, t.host);
    if ('problem' in pve) return [make({ ...base, outcome: 'error', reason: pve.problem.reason, message: `${t.name}: cannot judge, ${pve.problem.message}` })];
    const evidence = [bindingEvidence(t), jobsCfgEvidence(t.host)];
    if (!guestOf(pve.value, subject.vmid)) {
      // A job may still list a destroyed VMID: that is no enrollment.
      return [make({
        ...base, outcome: 'fail', reason: 'guest_missing', evidence,
        message: `${t.name} is enabled but guest ${subject.vmid} does not exist on ${t.host}`,
        expected: `guest ${subject.vmid} on ${t.host}, in an enabled job`, actual: 'no such guest',
        remediation: `Disable ${t.name} in ${t.source.file} with a description saying why (the guest is gone), or fix its host/glob.`,
      })];
    }
    const jobs = enrolledVmids(pve.value).get(subject.vmid);
    if (jobs) return [make({ ...base, outcome: 'pass', evidence, message: `${t.name}: VMID ${subject.vmid} is in ${jobs.map((j) => j.id).join(', ')}` })];
    return [make({
      ...base, outcome: 'fail', reason: 'not_enrolled', evidence,
      message: `${t.name} is enabled but VMID ${subject.vmid} is in no enabled vzdump job on ${t.host}`,
      expected: `VMID ${subject.vmid} in an enabled job`, actual: 'in none',
      remediation: hostFixPlan(input, t.host, pve.value).enroll(subject.vmid),
    })];
  });
}

function checkJobGuestsActive(input: VerifyInput): Finding[] {
  const lifecycle = lifecycleById(input);
  return perPveHost(input, 'D19.job-guest-active', (hostId, pve) => {
    const listed = pve.jobs.filter((j) => j.enabled && j.vmids);
    if (listed.length === 0) {
      return [make({ check: 'D19.job-guest-active', subject: hostId, host: hostId, severity: 'medium', outcome: 'skip', reason: 'no_vmid_lists', message: `${hostId}: no enabled job lists VMIDs explicitly` })];
    }
    const plan = hostFixPlan(input, hostId, pve);
    return listed.flatMap((job) => job.vmids!.map((vmid) => {
      const base = { check: 'D19.job-guest-active', subject: `${job.id}/${vmid}`, host: hostId, severity: 'medium' as const, evidence: [jobsCfgEvidence(hostId, job)] };
      const status = lifecycle.get(vmid)?.status;
      const dead = deadListing(hostId, vmid, pve, lifecycle);
      if (!dead) return make({ ...base, outcome: 'pass', message: `${job.id}: VMID ${vmid} exists and is ${status ?? 'not in the lifecycle'}` });
      return make({
        ...base, outcome: 'fail', reason: guestOf(pve, vmid) ? `lifecycle_${status}` : 'guest_missing',
        message: `job ${job.id} on ${hostId} still lists ${vmid}: VMID ${vmid} ${dead}`,
        expected: 'every listed VMID exists and is not decommissioned', actual: `VMID ${vmid} ${dead}`,
        remediation: plan.drop(job),
      });
    }));
  });
}

function checkSchedulers(input: VerifyInput): Finding[] {
  return perPveHost(input, 'D19.scheduler', (hostId, pve) => {
    const base = {
      check: 'D19.scheduler', subject: 'pvescheduler', host: hostId, severity: 'critical' as const,
      evidence: [{ host: hostId, commandId: 'scheduler', command: PVE_COMMANDS.find((c) => c.id === 'scheduler')!.command, detail: pve.scheduler }],
      expected: 'active', actual: pve.scheduler,
    };
    if (pve.scheduler === 'active') return [make({ ...base, outcome: 'pass', message: `${hostId}: pvescheduler is active` })];
    return [make({
      ...base, outcome: 'fail', reason: 'scheduler_inactive',
      message: `${hostId}: pvescheduler is ${pve.scheduler || 'in an unknown state'}: no scheduled backup runs`,
      remediation: `On ${hostId}: \`journalctl -u pvescheduler -n 50\` to see why, then \`systemctl restart pvescheduler\`; check that missed jobs ran.`,
    })];
  });
}

// --- binding-only and run checks ------------------------------------------------------------

function checkTargetsRetired(input: VerifyInput): Finding[] {
  return input.bindings.inventory.targets.filter((t) => !t.enabled).map((t) => {
    const base = { check: 'D19.target-retired', subject: t.name, host: null, severity: 'low' as const, evidence: [bindingEvidence(t)] };
    if (t.description?.trim()) return make({ ...base, outcome: 'pass', message: `${t.name}: disabled, with a reason on record` });
    return make({
      ...base, outcome: 'fail', reason: 'no_reason_recorded',
      message: `${t.name} is disabled with no description saying why`,
      expected: 'a description or notes', actual: 'none',
      remediation: `Add \`description: "<why it is disabled, since when, who decided>"\` to ${t.name} in ${t.source.file}, or remove the target.`,
    });
  });
}

function checkSnapshotAge(input: VerifyInput): Finding {
  const base = { check: 'D19.snapshot-age', subject: 'run', host: null, severity: 'high' as const };
  if (!input.state) return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `snapshot age: ${NO_HOST_STATE}` });
  if (input.bundledDemo) return make({ ...base, outcome: 'skip', reason: 'bundled_demo', message: 'the bundled demo site is judged as of its capture time' });
  if (input.maxSnapshotAgeHours === null) return make({ ...base, outcome: 'skip', reason: 'turned_off', message: 'snapshot age check turned off (--max-snapshot-age 0)' });
  const age = hoursBetween(input.state.capturedAt, input.now);
  const shown = `${age.toFixed(1)}h`;
  const facts = { expected: `≤ ${input.maxSnapshotAgeHours}h`, actual: shown, evidence: [{ file: 'snapshot.yaml', detail: `captured_at ${input.state.capturedAt}` }] };
  if (age > input.maxSnapshotAgeHours) {
    return make({ ...base, ...facts, outcome: 'fail', reason: 'snapshot_stale', message: `the snapshot was captured ${shown} ago, more than ${input.maxSnapshotAgeHours}h`, remediation: 'Take a fresh snapshot (`ops snapshot`) or run with --live.' });
  }
  if (age < -0.1) {
    return make({ ...base, ...facts, outcome: 'fail', reason: 'captured_in_future', message: `the snapshot claims to be captured ${(-age).toFixed(1)}h in the future`, remediation: 'Check the clock of the machine that took the snapshot.' });
  }
  return make({ ...base, ...facts, outcome: 'pass', message: `the snapshot is ${shown} old` });
}

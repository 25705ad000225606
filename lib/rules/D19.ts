// D19 backup drift: are the backups the inventory promises really there, fresh, and scheduled?
// Pure function of (bindings, host state, policy, now) → findings. Check ids are a contract.

import { groupBy } from '../group-by.js';
import type { FileGlobTarget, InventoryTarget, LifecycleGuest, PveStorageTarget } from '../bindings/types.js';
import type {
  BackupVolume, Evidence, FileEntry, Finding, Guest, HostRecord, HostState, JobRunState, PveState, PveStorage, PveStorageState, StateProblem, TargetRef, VzdumpJob,
} from '../model.js';
import { classifyDumpFile } from '../pve/archives.js';
import { nextEvent, occurrencesBetween, parseCalendarEvent } from '../pve/calendar-event.js';
import { failedGuests, lastRuntimeOf, statusIsError } from '../pve/job-state.js';
import { convertCommand } from '../pve/vzdump-cron.js';
import { filesMatching, filesStartingWith, globMatcher } from './glob-index.js';
import {
  commandEvidence, deadListing, enrolledVmids, globSubject, guestOf, hostFixPlan, INACTIVE_LIFECYCLE, jobsCfgEvidence, jobSelection, lifecycleById, perPveHost,
  targetVmid, whyNotEnrolled,
} from './pve-helpers.js';
import { upidStartTime } from '../pve/storage.js';
import { contentCommandStorage, PVE_COMMANDS } from '../snapshot/probe.js';
import { bindingEvidence, findingsFor, hostOf, judgeSafely, NO_HOST_STATE, pveStateOf, severityByClass, type Rule, type VerifyInput } from './input.js';
import { hoursBetween } from '../time/instants.js';
import { noPveHostsReason, pveHostIds } from '../bindings/pve-hosts.js';

export const D19_CHECKS = [
  'D19.freshness', 'D19.threshold', 'D19.judged', 'D19.guest-covered', 'D19.target-enrolled',
  'D19.job-guest-active', 'D19.target-retired', 'D19.scheduler', 'D19.snapshot-age', 'D19.job-valid', 'D19.job-run',
  'D19.verified', 'D19.storage',
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
    ...checkJobsValid(input),
    ...checkJobRuns(input),
    ...checkVerified(input),
    ...checkStorages(input),
  ];
};

const enabledTargets = (input: VerifyInput) => input.bindings.inventory.targets.filter((t) => t.enabled);
// The loader rejects a target that has no stale_after_hours of its own and no default to fall back to.
const effectiveHours = (input: VerifyInput, t: InventoryTarget) => t.staleAfterHours ?? input.bindings.inventory.defaults.staleAfterHours!;

// --- D19.freshness --------------------------------------------------------------------------

/**
 * How far an archive's mtime may lie ahead of the capture time and still count as "0h old": clocks
 * kept by NTP differ by far less, but `captured_at` is the start of the collection and a host may be
 * listed minutes later (hosts queue behind --concurrency), while a dump finishes meanwhile. Beyond
 * this the host's clock (or the file's mtime) is wrong and the archive's age cannot be known.
 */
export const FUTURE_MTIME_TOLERANCE_S = 15 * 60;

function checkFreshness(input: VerifyInput): Finding[] {
  const pveHosts = pveHostIds(input.bindings);
  return enabledTargets(input).map((t) => {
    const base = { check: 'D19.freshness', subject: t.name, host: t.host, severity: severityByClass[t.classification ?? ''] ?? 'high', target: targetRef(input, t, pveHosts) } as const;
    return judgeSafely(() => judgeFreshness(input, t, base), (message) => make({ ...base, outcome: 'error', reason: 'internal_error', message: `${t.name}: ${message}`, evidence: [bindingEvidence(t)] }));
  });
}

const isoOf = (epoch: number) => new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');

type FreshnessBase = Pick<Finding, 'check' | 'subject' | 'host' | 'severity' | 'target'>;

/** The target's guest (`qemu/102`) and node as the host state lists them, and its storage: what monitoring joins on. */
function targetRef(input: VerifyInput, t: InventoryTarget, pveHosts: string[]): TargetRef {
  const vmid = targetVmid(t) ?? null;
  let guest: Guest | undefined;
  if (vmid !== null && input.state) {
    // The target's own host first (a pve_storage target's), then any PVE host that lists the guest.
    for (const hostId of [t.host, ...pveHosts]) {
      const pve = input.state.hosts[hostId] ? pveStateOf(input.state, hostId) : null;
      guest = pve && 'value' in pve ? guestOf(pve.value, vmid) : undefined;
      if (guest) break;
    }
  }
  const type = guest?.type ?? (t.kind === 'file_glob' ? globSubject(t.glob)?.type : undefined);
  return { vmid, guest: vmid !== null && type ? `${type}/${vmid}` : null, storage: t.kind === 'pve_storage' ? t.storage : t.basePath, node: guest?.node ?? null };
}

function judgeFreshness(input: VerifyInput, t: InventoryTarget, base: FreshnessBase): Finding {
  if (!input.state) return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` });
  const host = hostOf(input.state, t.host);
  if ('problem' in host) {
    return make({ ...base, outcome: 'error', reason: host.problem.reason, message: `${t.name}: cannot judge freshness, host ${t.host} unreadable: ${host.problem.message}`, evidence: [bindingEvidence(t)] });
  }
  if (t.kind === 'pve_storage') return checkStorageFreshness(input, t, host.value, base);
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
  // A record that does not read could be any file it names (or any file at all): the newest archive is unknown.
  const isMatch = globMatcher(t.glob);
  const bad = (listing.malformed ?? []).filter((r) => r.path === null || isMatch(r.path));
  if (bad.length) {
    const file = probe?.output ?? `the listing of ${t.basePath}`;
    const first = bad[0]!;
    return make({
      ...base, outcome: 'error', reason: 'bad_listing_record', evidence,
      message: `${t.name}: ${t.host} ${file} record ${first.record} does not read (${first.problem}): "${first.text}"${bad.length > 1 ? `; and ${bad.length - 1} more` : ''}: the newest archive matching ${t.glob} cannot be known`,
      remediation: `Look at ${t.basePath} on ${t.host}: a file name or mtime there is not what a backup writes (\`ls -la --time-style=full-iso ${t.basePath}\`); remove or fix it.`,
    });
  }
  const { archives, others } = matchArtifacts(t.glob, listing.files);
  const limit = effectiveHours(input, t);
  if (archives.length === 0) {
    const vmid = globSubject(t.glob)?.vmid;
    const pending = vmid === undefined ? null : onlyPendingJobs(input, vmid);
    if (pending) return make({ ...base, outcome: 'skip', reason: 'first_run_pending', evidence, message: `${t.name}: no archive yet, and every job backing up ${vmid} is still before its first run: ${pending}` });
    const log = newestAttemptLog(t.glob, listing.files) ?? others[0];
    const failed = log ? ` (found ${log.path}: a vzdump log without its archive is a failed backup)` : '';
    return make({
      ...base, outcome: 'fail', reason: 'no_matches', evidence,
      message: `${t.name}: no backup archive matches ${t.glob} in ${t.basePath}${failed}`,
      expected: `an archive matching ${t.glob} at most ${limit}h old`, actual: 'none', freshness: { ageHours: null, limitHours: limit, lastAt: null },
      remediation: remediationForMissingBackup(t, input.bindings.lifecycle?.guests ?? []),
    });
  }
  const newest = archives.reduce((a, b) => (b.mtime > a.mtime ? b : a));
  evidence.push({ host: t.host, detail: `newest ${newest.path} (mtime ${isoOf(newest.mtime)})` });
  return judgeAge(input, t, base, evidence, {
    epoch: newest.mtime, what: `newest archive ${newest.path}`, limit,
    where: `the mtime of ${t.basePath}/${newest.path}`, remediation: remediationForMissingBackup(t, input.bindings.lifecycle?.guests ?? []),
  });
}

/**
 * The age verdict of a target's newest backup, alike for folders and storages: never a pass for an
 * age that cannot be known (no real capture time, a date in the future beyond clock skew).
 */
function judgeAge(
  input: VerifyInput, t: InventoryTarget, base: FreshnessBase, evidence: Evidence[],
  newest: { epoch: number; what: string; limit: number; where: string; remediation: string },
): Finding {
  const capturedAt = input.state!.capturedAt;
  const hours = hoursBetween(newest.epoch, capturedAt);
  if (hours === null) {
    return make({ ...base, outcome: 'error', reason: 'bad_capture_time', evidence, message: `${t.name}: the capture time ${capturedAt} is no real time, so no age can be judged` });
  }
  if (-hours * 3600 > FUTURE_MTIME_TOLERANCE_S) {
    return make({
      ...base, outcome: 'error', reason: 'future_mtime', evidence,
      message: `${t.name}: ${newest.what} on ${t.host} is dated ${isoOf(newest.epoch)}, ${Math.ceil(-hours)}h after the capture (${capturedAt}): the host's clock or the backup's date is wrong, so its age cannot be known`,
      expected: `a date no later than ${FUTURE_MTIME_TOLERANCE_S / 60} min after the capture`, actual: `${Math.ceil(-hours)}h in the future`,
      remediation: `On ${t.host}: check the clock (\`timedatectl\`, NTP) and ${newest.where}; fix the one that is wrong.`,
    });
  }
  // Whole hours, as the operator's backup-status always counted them: 26.9h passes a 26h limit.
  const ageHours = Math.max(0, Math.floor(hours));
  const facts = { expected: `≤ ${newest.limit}h`, actual: `${ageHours}h`, freshness: { ageHours, limitHours: newest.limit, lastAt: newest.epoch } };
  if (ageHours > newest.limit) {
    return make({ ...base, ...facts, outcome: 'fail', reason: 'stale', evidence, message: `${t.name}: ${newest.what} is ${ageHours}h old, limit ${newest.limit}h`, remediation: newest.remediation });
  }
  return make({ ...base, ...facts, outcome: 'pass', evidence, message: `${t.name}: ${newest.what} is ${ageHours}h old (limit ${newest.limit}h)` });
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

function remediationForMissingBackup(t: FileGlobTarget, guests: LifecycleGuest[]): string {
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
  // It counts the inventory's enabled targets: located at the list that defines them.
  const base = { check: 'D19.judged', subject: 'run', host: null, severity: 'critical' as const, evidence: [bindingEvidence({ source: input.bindings.inventory.targetsSource })] };
  if (!input.state) return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `freshness coverage: ${NO_HOST_STATE}` });
  const enabled = freshness.length;
  // A target whose only jobs have not had their first run is known to be waiting, not unjudged: the
  // job exists and D19.job-run watches that it starts (issue 11), so it must not turn the run into an error.
  const waiting = freshness.filter((f) => f.outcome === 'skip' && f.reason === 'first_run_pending').map((f) => f.subject);
  const judged = freshness.filter((f) => f.outcome === 'pass' || f.outcome === 'fail');
  const unjudged = freshness.filter((f) => f.outcome !== 'pass' && f.outcome !== 'fail' && !waiting.includes(f.subject)).map((f) => f.subject);
  const counts = { expected: `${enabled} of ${enabled} enabled targets judged`, actual: `${judged.length} judged${waiting.length ? `, ${waiting.length} waiting` : ''}` };
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
  if (judged.length === 0) {
    return make({ ...base, ...counts, outcome: 'skip', reason: 'first_run_pending', message: `no enabled target could be judged yet: every one waits for its job's first run (${waiting.join(', ')})` });
  }
  const message = waiting.length
    ? `${judged.length} of ${enabled} enabled targets were judged; the other ${waiting.length} wait for their job's first run: ${waiting.join(', ')}`
    : `all ${enabled} enabled targets were judged`;
  return make({ ...base, ...counts, outcome: 'pass', message });
}

// --- PVE-host checks ------------------------------------------------------------------------

function checkGuestsCovered(input: VerifyInput): Finding[] {
  const lifecycle = lifecycleById(input);
  return perPveHost(input, 'D19.guest-covered', (hostId, pve) => {
    const enrolled = enrolledVmids(pve);
    const plan = hostFixPlan(input, hostId, pve);
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
      const { reason, why } = whyNotEnrolled(pve, g.vmid);
      return make({
        ...base, outcome: 'fail', reason,
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
    const vmid = targetVmid(t);
    if (vmid === undefined) return []; // the check is about targets naming one guest's backups
    const base = { check: 'D19.target-enrolled', subject: t.name, host: t.host, severity: 'high' as const };
    if (unknown) return [make({ ...base, outcome: 'skip', reason: unknown.reason, message: `${t.name}: ${unknown.message}` })];
    if (!pveHosts.has(t.host)) {
      return [make({ ...base, outcome: 'skip', reason: 'not_a_pve_host', message: `${t.name}: ${t.host} is not a PVE host (copies made elsewhere are judged by freshness)` })];
    }
    if (!input.state) return [make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` })];
    const pve = pveStateOf(input.state, t.host);
    if ('problem' in pve) return [make({ ...base, outcome: 'error', reason: pve.problem.reason, message: `${t.name}: cannot judge, ${pve.problem.message}` })];
    const evidence = [bindingEvidence(t), jobsCfgEvidence(t.host)];
    if (!guestOf(pve.value, vmid)) {
      // A job may still list a destroyed VMID: that is no enrollment.
      return [make({
        ...base, outcome: 'fail', reason: 'guest_missing', evidence,
        message: `${t.name} is enabled but guest ${vmid} does not exist on ${t.host}`,
        expected: `guest ${vmid} on ${t.host}, in an enabled job`, actual: 'no such guest',
        remediation: `Disable ${t.name} in ${t.source.file} with a description saying why (the guest is gone), or fix its host/glob.`,
      })];
    }
    const jobs = enrolledVmids(pve.value).get(vmid);
    if (jobs) return [make({ ...base, outcome: 'pass', evidence, message: `${t.name}: VMID ${vmid} is in ${jobs.map((j) => j.id).join(', ')}` })];
    return [make({
      ...base, outcome: 'fail', reason: 'not_enrolled', evidence,
      message: `${t.name} is enabled but VMID ${vmid} is in no enabled vzdump job on ${t.host}`,
      expected: `VMID ${vmid} in an enabled job`, actual: 'in none',
      remediation: hostFixPlan(input, t.host, pve.value).enroll(vmid),
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
  if (age === null) {
    return make({ ...base, outcome: 'error', reason: 'bad_capture_time', message: `the capture time ${input.state.capturedAt} or the run's time ${input.now} is no real time`, evidence: [{ file: 'snapshot.yaml', detail: `captured_at ${input.state.capturedAt}` }] });
  }
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

// --- D19.job-valid: jobs as PVE reads them --------------------------------------------------

function checkJobsValid(input: VerifyInput): Finding[] {
  return perPveHost(input, 'D19.job-valid', (hostId, pve) => {
    const warnings = pve.configWarnings.map((w) => make({
      check: 'D19.job-valid', subject: `${w.file}:${w.line}`, host: hostId, severity: 'medium', outcome: 'fail', reason: 'config_warning',
      message: `/etc/pve/${w.file} line ${w.line}: ${w.message} (PVE logs this and reads the file without it)`,
      evidence: [commandEvidence(hostId, w.file.replace('.', '-'), `line ${w.line}`)],
      remediation: `On ${hostId}: fix or delete line ${w.line} of /etc/pve/${w.file}, so the file says what PVE does.`,
    }));
    if (pve.jobs.length === 0 && warnings.length === 0) {
      return [make({ check: 'D19.job-valid', subject: hostId, host: hostId, severity: 'high', outcome: 'skip', reason: 'no_jobs', message: `${hostId}: jobs.cfg has no vzdump job` })];
    }
    return [...pve.jobs.map((job) => jobValidity(hostId, job)), ...warnings];
  });
}

function jobValidity(hostId: string, job: VzdumpJob): Finding {
  const base = { check: 'D19.job-valid', subject: job.id, host: hostId, evidence: [jobsCfgEvidence(hostId, job)] };
  if (job.problems.length === 0) {
    if (job.source === 'vzdump.cron') return legacyCronJob(hostId, job, base);
    return make({ ...base, severity: 'high', outcome: 'pass', message: `job ${job.id}: PVE reads and runs it as written` });
  }
  const invalid = job.problems.some((p) => p.kind === 'job_invalid');
  const said = job.problems.map((p) => p.kind === 'key_dropped'
    ? `file /etc/pve/jobs.cfg line ${p.line} (section '${job.id}') - unable to parse value of '${p.key}': ${p.reason} [\`${p.text}\`: the key is dropped]`
    : `line ${p.line} \`${p.text}\`: ${p.reason}`);
  const consequence = invalid ? 'PVE never runs it or its run aborts: it backs up nothing' : 'PVE runs it without the dropped key(s)';
  return make({
    ...base, severity: job.enabled ? 'high' : 'low', outcome: 'fail', reason: invalid ? 'job_invalid' : 'key_dropped',
    message: `job ${job.id}${job.enabled ? '' : ' (disabled)'}: ${consequence}. ${said.join('; ')}`,
    expected: 'every key valid, the job runnable', actual: job.problems.map((p) => `${p.kind} ${p.key ?? 'section'}`).join(', '),
    evidence: [...base.evidence, ...job.problems.map((p) => ({ host: hostId, file: `/etc/pve/${job.source ?? 'jobs.cfg'}`, line: p.line, detail: p.text }))],
    remediation: [...new Set(job.problems.map((p) => p.fix))].join('\n'),
  });
}

/**
 * A valid legacy job: cron runs it and it counts as coverage, but it fails (low): it has no
 * pvescheduler state, so D19.job-run cannot tell whether it ran, and PVE 7+ manages jobs in jobs.cfg.
 * PVE's own conversion (API2/Backup.pm update_job) keeps its id and schedule and removes the line.
 */
function legacyCronJob(hostId: string, job: VzdumpJob, base: { check: string; subject: string; host: string; evidence: Evidence[] }): Finding {
  return make({
    ...base, severity: 'low', outcome: 'fail', reason: 'legacy_cron_job',
    message: `job ${job.id}${job.enabled ? '' : ' (disabled)'} is a legacy /etc/pve/vzdump.cron line (line ${job.line}, schedule ${job.schedule}): cron runs it and it counts as coverage, but it keeps no run state, so whether it ran cannot be checked (D19.job-run)`,
    expected: 'backup jobs in /etc/pve/jobs.cfg', actual: `/etc/pve/vzdump.cron line ${job.line}`,
    remediation: `Convert it to a jobs.cfg job (same id, schedule and options): edit it once in Datacenter → Backup and press OK, or on any node run \`${convertCommand(job)}\`. Each conversion rewrites vzdump.cron, so the ids of its remaining jobs change: convert them one by one from a fresh listing (\`pvesh get /cluster/backup\`).`,
  });
}

// --- D19.job-run: did the job really run? ---------------------------------------------------

/** Minutes after a scheduled time before a run that has not started counts as missed (pvescheduler looks once a minute). */
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
  if (!runs) return { kind: 'error', problem: { reason: 'not_collected', message: `the job run state of ${hostId} is not in the snapshot (taken before the job-state command existed)` } };
  if (!runs.ok) return { kind: 'error', problem: runs.problem };
  const file = `vzdump-${job.id}.json`;
  if (Object.hasOwn(runs.value.unreadable, file)) return { kind: 'error', problem: { reason: 'parse_error', message: `${file}: ${runs.value.unreadable[file]}` } };
  const s = Object.hasOwn(runs.value.jobs, job.id) ? runs.value.jobs[job.id]! : null;
  if (!s) return { kind: 'no_state_file' };
  const now = Date.parse(state.capturedAt) / 1000;
  const ahead = ([['updated', s.updated], ['the task start (UPID)', s.started], ['time', s.time]] as const).find(([, at]) => at !== null && at - now > FUTURE_MTIME_TOLERANCE_S);
  if (ahead) return { kind: 'clock_ahead', field: ahead[0], at: ahead[1]! };
  const status = s.state === 'started' ? s.taskEnd : s.msg;
  if (s.state === 'started' && status === null) return { kind: 'running', state: s };
  const last = lastRuntimeOf(s);
  const spec = parseCalendarEvent(job.schedule!);
  const next = nextEvent(spec, last.at, host.timezone);
  if (next !== null && next + MISSED_GRACE_S < now) {
    return { kind: 'missed', state: s, last, next, missed: occurrencesBetween(spec, last.at, now - MISSED_GRACE_S, host.timezone) };
  }
  if (s.state === 'created') return { kind: 'pending', state: s, next: next! };
  if (s.state === 'starting') return { kind: 'running', state: s };
  // A run PVE calls successful can still have lost guests: their ERROR lines decide.
  if (status === null || statusIsError(status) || failedGuests(s.taskErrors).length > 0) return { kind: 'failed', state: s, status: status ?? 'no status', last };
  return { kind: 'ok', state: s, status, last, next };
}

/** The last runtime PVE counts from, said as what it is. */
function lastRuntimeText(last: LastRuntime, s: JobRunState): string {
  if (last.from === 'updated') return `the schedule or enabled flag last changed, or pvescheduler restarted without repeat-missed, at ${isoOf(last.at)} (no run since)`;
  if (last.from === 'task') return `last run started ${isoOf(last.at)}`;
  return s.state === 'created' ? `created ${isoOf(last.at)}` : `last start attempt ${isoOf(last.at)}`;
}

/** The enabled jobs PVE runs on `node`: those without `node`, or with this one (any job when the node is unknown). */
function enabledJobsOn(pve: PveState, node: string | null): VzdumpJob[] {
  return pve.jobs.filter((j) => j.enabled && (j.node === null || node === null || j.node === node));
}

/** The enabled jobs PVE runs on this host's node (the job-state probe names it). */
function jobsRunHere(host: HostState['hosts'][string], pve: PveState): VzdumpJob[] {
  return enabledJobsOn(pve, host.jobRuns?.ok ? host.jobRuns.value.node : null);
}


function checkJobRuns(input: VerifyInput): Finding[] {
  return perPveHost(input, 'D19.job-run', (hostId, pve, state) => {
    const host = state.hosts[hostId]!;
    const jobs = jobsRunHere(host, pve);
    if (jobs.length === 0) return [make({ check: 'D19.job-run', subject: hostId, host: hostId, severity: 'high', outcome: 'skip', reason: 'no_jobs', message: `${hostId}: no enabled vzdump job runs on this node` })];
    return jobs.map((job) => {
      const base = {
        check: 'D19.job-run', subject: job.id, host: hostId, severity: 'critical' as const,
        evidence: [jobsCfgEvidence(hostId, job), commandEvidence(hostId, 'job-state', `/var/lib/pve-manager/jobs/vzdump-${job.id}.json`)],
      };
      if (job.source === 'vzdump.cron') {
        return make({ ...base, evidence: [jobsCfgEvidence(hostId, job)], outcome: 'skip', reason: 'legacy_cron_job', message: `job ${job.id}: a legacy /etc/pve/vzdump.cron job, run by cron: PVE keeps no run state for it (convert it, see D19.job-valid)` });
      }
      if (!job.runs) return make({ ...base, outcome: 'skip', reason: 'job_invalid', message: `job ${job.id}: PVE never runs it as written (see D19.job-valid)` });
      const v = runVerdict(state, hostId, job);
      const jobRun = 'last' in v ? { lastStartAt: v.last.at, missedRuns: v.kind === 'missed' ? v.missed : 0, node: host.jobRuns?.ok ? host.jobRuns.value.node : null } : undefined;
      const repeat = job.options['repeat-missed'] === '1'
        ? 'with repeat-missed 1 the missed run starts as soon as pvescheduler works again'
        : 'without repeat-missed, a pvescheduler restart skips the missed runs instead of catching up';
      switch (v.kind) {
        case 'error':
          return make({ ...base, outcome: 'error', reason: v.problem.reason, message: `job ${job.id} on ${hostId}: cannot judge its runs, ${v.problem.message}`, remediation: 'Take a new snapshot (`ops snapshot`) so the job-state command is recorded.' });
        case 'no_state_file':
          return make({
            ...base, outcome: 'fail', reason: 'no_state_file',
            message: `job ${job.id} on ${hostId}: no /var/lib/pve-manager/jobs/vzdump-${job.id}.json. pvescheduler writes one for every job within a minute of seeing it, so it has not run since the job was created`,
            expected: 'a state file', actual: 'none',
            remediation: `On ${hostId}: \`systemctl status pvescheduler\` and \`journalctl -u pvescheduler -n 100\`; \`systemctl restart pvescheduler\`, then check the file appears.`,
          });
        case 'clock_ahead':
          return make({
            ...base, outcome: 'error', reason: 'clock_ahead',
            message: `job ${job.id} on ${hostId}: /var/lib/pve-manager/jobs/${`vzdump-${job.id}.json`} dates ${v.field} ${isoOf(v.at)}, after the capture (${state.capturedAt}): the node's clock was ahead once, and pvescheduler waits until then before it runs the job again, so its runs cannot be judged`,
            expected: `a time no later than ${FUTURE_MTIME_TOLERANCE_S / 60} min after the capture`, actual: `${v.field} ${isoOf(v.at)}`,
            remediation: `On ${hostId}: check the clock (\`timedatectl\`, chrony), then reset the job's run time by saving the job once (Datacenter → Backup → Edit → OK) and run it by hand (Run now).`,
          });
        case 'running':
          return make({
            ...base, outcome: 'skip', reason: 'running',
            message: `job ${job.id} on ${hostId} is running${v.state.started !== null ? ` since ${isoOf(v.state.started)}` : v.state.time !== null ? ` since ${isoOf(v.state.time)}` : ''} (state ${v.state.state}): neither a failed nor a finished run`,
          });
        case 'pending':
          return make({ ...base, outcome: 'skip', reason: 'first_run_pending', message: `job ${job.id} on ${hostId} was created and has not run yet; its first run is ${isoOf(v.next)}` });
        case 'missed':
          return make({
            ...base, jobRun, outcome: 'fail', reason: 'missed_runs',
            message: `job ${job.id} on ${hostId} (schedule ${job.schedule}) missed ${v.missed} run(s) since ${isoOf(v.next)}: ${lastRuntimeText(v.last, v.state)}. ${pve.scheduler === 'active' ? 'pvescheduler is active yet not starting jobs (seen: a memory leak)' : `pvescheduler is ${pve.scheduler || 'in an unknown state'} (D19.scheduler)`}; ${repeat}`,
            expected: `a start at ${isoOf(v.next)}`, actual: `${v.last.from === 'updated' ? 'updated' : 'last'} ${isoOf(v.last.at)}`,
            remediation: `On ${hostId}: \`journalctl -u pvescheduler --since '${isoOf(v.next).slice(0, 10)}'\` to see why, \`systemctl restart pvescheduler\`, then run job ${job.id} once by hand (Datacenter → Backup → Run now) to catch up.`,
          });
        case 'failed': {
          const guests = failedGuests(v.state.taskErrors);
          const named = guests.length ? `; failed guests: ${guests.join(', ')}` : v.state.taskErrors.length ? `; task log: ${v.state.taskErrors.join(' | ')}` : '';
          return make({
            ...base, jobRun, outcome: 'fail', reason: 'run_failed',
            message: `job ${job.id} on ${hostId}: the last run (${isoOf(v.last.at)}) ended with "${v.status}"${named}`,
            expected: 'OK', actual: v.status,
            evidence: [...base.evidence, ...(v.state.upid ? [{ host: hostId, detail: `task ${v.state.upid}` }] : [])],
            remediation: `On ${hostId}: read the task log (\`pvenode task log ${v.state.upid ?? '<upid>'}\`)${guests.length ? ` and each failed guest's vzdump log`  : ''}, fix the cause, then \`vzdump ${guests.length ? guests.join(' ') : '<vmid>'}${job.storage ? ` --storage ${job.storage}` : ''}\`.`,
          });
        }
        case 'ok': {
          const warnings = /^WARNINGS: (\d+)$/.exec(v.status)?.[1];
          return make({
            ...base, jobRun, outcome: 'pass',
            message: `job ${job.id} on ${hostId}: ${lastRuntimeText(v.last, v.state)}, ${warnings === undefined ? 'OK' : `ended OK with ${warnings} warning(s)`}${v.next !== null ? `, next ${isoOf(v.next)}` : ''}`,
            evidence: [...base.evidence, ...v.state.taskWarnings.map((line) => ({ host: hostId, detail: `task log: ${line}` }))],
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
function onlyPendingJobs(input: VerifyInput, vmid: number): string | null {
  if (!input.state) return null;
  const pending: string[] = [];
  for (const hostId of pveHostIds(input.bindings)) {
    const pve = pveStateOf(input.state, hostId);
    const host = input.state.hosts[hostId];
    if ('problem' in pve || !host) continue;
    const here = new Set(jobsRunHere(host, pve.value));
    const node = host.jobRuns?.ok ? host.jobRuns.value.node : null;
    const guest = guestOf(pve.value, vmid);
    if (node !== null && guest && guest.node !== node) continue; // judged on the guest's own node
    for (const job of enrolledVmids(pve.value).get(vmid) ?? []) {
      if (!here.has(job)) continue;
      const v = runVerdict(input.state, hostId, job);
      if (v.kind !== 'pending') return null;
      pending.push(`${job.id} on ${hostId} (first run ${isoOf(v.next)})`);
    }
  }
  return pending.length ? pending.join(', ') : null;
}

// --- backups on PVE storages (pve_storage targets, D19.verified, D19.storage) ----------------

const storageProbe = (hostId: string, commandId: string): Evidence => ({ host: hostId, commandId });

/** A host's storage facts, or why they cannot be judged (not_collected: a snapshot older than the storage commands). */
function storageStateOf(host: HostRecord): { value: PveStorageState } | { problem: StateProblem } {
  if (!host.storage) return { problem: { reason: 'not_collected', message: `no storage facts were collected from ${host.id} (a snapshot older than the storage commands, or not a PVE host)` } };
  return host.storage.ok ? { value: host.storage.value } : { problem: host.storage.problem };
}

/** The guest's backups on a pve_storage target's storage, or why they cannot be read. */
function targetBackups(host: HostRecord, t: PveStorageTarget): { state: PveStorageState; backups: BackupVolume[]; evidence: Evidence[] } | { problem: StateProblem; evidence: Evidence[] } {
  const evidence: Evidence[] = [bindingEvidence(t)];
  const facts = storageStateOf(host);
  if ('problem' in facts) return { problem: facts.problem, evidence };
  const probe = host.commands.find((c) => contentCommandStorage(c.id) === t.storage);
  if (probe) evidence.push({ host: t.host, commandId: probe.id, command: probe.command });
  const content = facts.value.contents[t.storage];
  if (!content) return { problem: { reason: 'not_collected', message: `the backups on storage ${t.storage} of ${t.host} were not collected` }, evidence };
  if (content.status === 'error') return { problem: { reason: content.reason, message: `listing storage ${t.storage} on ${t.host} failed: ${content.message}` }, evidence };
  return { state: facts.value, backups: byVmid(content.volumes).get(t.vmid) ?? [], evidence };
}

// A PBS datastore lists every guest of every host using it; each target looks up its guest's once per list.
const volumesByVmid = new WeakMap<BackupVolume[], Map<number, BackupVolume[]>>();
/** A content list's dated backups by VMID, built once per list. */
function byVmid(volumes: BackupVolume[]): Map<number, BackupVolume[]> {
  let index = volumesByVmid.get(volumes);
  if (!index) {
    index = groupBy(volumes, (v) => v.vmid!, (v) => v.vmid !== null && v.ctime !== null);
    volumesByVmid.set(volumes, index);
  }
  return index;
}

const newestOf = (backups: BackupVolume[]) => backups.reduce((a, b) => (b.ctime! > a.ctime! ? b : a));

function checkStorageFreshness(input: VerifyInput, t: PveStorageTarget, host: HostRecord, base: FreshnessBase): Finding {
  const read = targetBackups(host, t);
  const { evidence } = read;
  if ('problem' in read) return make({ ...base, outcome: 'error', reason: read.problem.reason, evidence, message: `${t.name}: cannot judge freshness: ${read.problem.message}` });
  const limit = effectiveHours(input, t);
  if (read.backups.length === 0) {
    return make({
      ...base, outcome: 'fail', reason: 'no_matches', evidence,
      message: `${t.name}: storage ${t.storage} on ${t.host} holds no backup of VMID ${t.vmid}`,
      expected: `a backup of ${t.vmid} at most ${limit}h old`, actual: 'none', freshness: { ageHours: null, limitHours: limit, lastAt: null },
      remediation: remediationForStorageBackup(input, t),
    });
  }
  const newest = newestOf(read.backups);
  evidence.push({ host: t.host, detail: `newest ${newest.volid} (ctime ${isoOf(newest.ctime!)})${newest.protected ? ', protected' : ''}` });
  return judgeAge(input, t, base, evidence, {
    epoch: newest.ctime!, what: `newest backup of VMID ${t.vmid} on ${t.storage} (${newest.volid})`, limit,
    where: `the backup ${newest.volid}`, remediation: remediationForStorageBackup(input, t),
  });
}

/** The vzdump line to run once, and the job that should have written the backup (or that none does). */
function remediationForStorageBackup(input: VerifyInput, t: PveStorageTarget): string {
  const run = `On ${t.host}: \`vzdump ${t.vmid} --storage ${t.storage}\` once the cause is fixed`;
  const pve = input.state ? pveStateOf(input.state, t.host) : null;
  if (!pve || 'problem' in pve) return `${run}; check the vzdump job that backs up ${t.vmid} to ${t.storage}.`;
  const jobs = enrolledVmids(pve.value).get(t.vmid) ?? [];
  const here = jobs.filter((j) => j.storage === t.storage);
  if (here.length) return `${run}; check job ${here.map((j) => j.id).join(', ')} (\`pvesh get /cluster/backup/${here[0]!.id}\`, its last task log) and \`systemctl status pvescheduler\`.`;
  if (jobs.length) return `${run}; no enabled job writes ${t.vmid} to ${t.storage}: ${jobs.map((j) => `${j.id} writes to ${j.storage ?? 'the vzdump.conf default'}`).join(', ')}. Point one at ${t.storage} or fix the target's storage.`;
  return `${run}; no enabled vzdump job backs up ${t.vmid} at all (see D19.target-enrolled).`;
}

/** A storage as the node's status list reports it. */
const storageOf = (state: PveStorageState, id: string): PveStorage | undefined => state.storages.find((s) => s.id === id);

function checkVerified(input: VerifyInput): Finding[] {
  const pveHosts = pveHostIds(input.bindings);
  return enabledTargets(input).flatMap((t) => {
    if (t.kind !== 'pve_storage') return [];
    const base = { check: 'D19.verified', subject: t.name, host: t.host, severity: severityByClass[t.classification ?? ''] ?? 'high', target: targetRef(input, t, pveHosts) } as const;
    if (!input.state) return [make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` })];
    const host = hostOf(input.state, t.host);
    if ('problem' in host) return [make({ ...base, outcome: 'error', reason: host.problem.reason, message: `${t.name}: cannot judge verification, host ${t.host} unreadable: ${host.problem.message}` })];
    const read = targetBackups(host.value, t);
    const { evidence } = read;
    if ('problem' in read) return [make({ ...base, outcome: 'error', reason: read.problem.reason, evidence, message: `${t.name}: cannot judge verification: ${read.problem.message}` })];
    const type = storageOf(read.state, t.storage)?.type ?? read.state.config.find((c) => c.id === t.storage)?.type;
    if (type !== 'pbs') return [make({ ...base, outcome: 'skip', reason: 'not_pbs', evidence, message: `${t.name}: storage ${t.storage} is ${type ?? 'unknown to ' + t.host}, not a Proxmox Backup Server: nothing verifies its backups` })];
    if (read.backups.length === 0) return [make({ ...base, outcome: 'skip', reason: 'no_backups', evidence, message: `${t.name}: no backup of VMID ${t.vmid} on ${t.storage} to verify (see D19.freshness)` })];
    return [judgeVerification(input, t, read.backups, evidence, base)];
  });
}

function judgeVerification(input: VerifyInput, t: PveStorageTarget, backups: BackupVolume[], evidence: Evidence[], judged: FreshnessBase): Finding {
  const newest = newestOf(backups);
  const verifiedAt = (v: BackupVolume) => (v.verification?.state === 'ok' && v.verification.upid ? upidStartTime(v.verification.upid) : null);
  const lastOk = backups.map((v) => ({ v, at: verifiedAt(v) })).filter((x) => x.at !== null).sort((a, b) => b.at! - a.at!)[0];
  const base = { ...judged, verifiedAt: lastOk?.at ?? null };
  const okText = lastOk ? `last verified ok ${isoOf(lastOk.at!)} (${lastOk.v.volid})` : 'never verified ok';
  evidence.push({ host: t.host, detail: `newest ${newest.volid}: verification ${newest.verification ? `${newest.verification.state} ${newest.verification.upid ?? ''}`.trim() : 'none'}` });
  if (newest.verification?.state === 'failed') {
    return make({
      ...base, outcome: 'fail', reason: 'verify_failed', evidence,
      message: `${t.name}: the newest backup of VMID ${t.vmid} on ${t.storage} (${newest.volid}) failed verification; ${okText}`,
      expected: 'verification ok', actual: 'failed',
      remediation: `Its chunks are damaged or missing: read the verify task log on the PBS (${newest.verification.upid ?? 'its verify task'}), check the datastore's disks, then take a new backup (\`vzdump ${t.vmid} --storage ${t.storage}\` on ${t.host}) and verify it.`,
    });
  }
  const maxDays = t.classification ? input.bindings.policy.d19.verifyMaxAgeDays[t.classification] : undefined;
  const sinceOk = lastOk ? hoursBetween(lastOk.at!, input.state!.capturedAt) : null;
  if (lastOk && (sinceOk === null || -sinceOk * 3600 > FUTURE_MTIME_TOLERANCE_S)) {
    const reason = sinceOk === null ? 'bad_capture_time' : 'future_mtime';
    return make({ ...base, outcome: 'error', reason, evidence, message: `${t.name}: the last verify (${isoOf(lastOk.at!)}) cannot be aged against the capture time ${input.state!.capturedAt}: a clock is wrong` });
  }
  const ageDays = sinceOk === null ? null : Math.max(0, sinceOk / 24);
  if (maxDays === undefined) {
    if (lastOk) return make({ ...base, outcome: 'pass', evidence, message: `${t.name}: ${okText}; ${t.classification ?? 'unclassified'} targets are not held to a verify age` });
    return make({ ...base, outcome: 'skip', reason: 'not_required', evidence, message: `${t.name}: ${okText}; drift.gates.yaml d19.verify_max_age_days sets no age for ${t.classification ?? 'unclassified'} targets` });
  }
  const facts = { expected: `verified ok within ${maxDays}d`, actual: ageDays === null ? 'never' : `${Math.floor(ageDays)}d ago` };
  if (ageDays === null || ageDays > maxDays) {
    return make({
      ...base, ...facts, outcome: 'fail', reason: 'unverified', evidence,
      message: `${t.name}: no backup of VMID ${t.vmid} on ${t.storage} was verified ok within ${maxDays} days; ${okText}`,
      remediation: `Schedule a verify job on the PBS datastore behind ${t.storage} (Datastore → Verify Jobs, at most every ${maxDays} days, re-verifying after ${maxDays} days) or run one now; a restore never verified is a hope, not a backup.`,
    });
  }
  return make({ ...base, ...facts, outcome: 'pass', evidence, message: `${t.name}: ${okText}, within ${maxDays}d` });
}

/** Every storage an enabled pve_storage target on this host, or an enabled job running on its node (any node: null), writes to. */
function storagesInUse(input: VerifyInput, hostId: string, node: string | null, pve: PveState): Map<string, string[]> {
  const users = new Map<string, string[]>();
  const use = (storage: string, by: string) => users.set(storage, [...(users.get(storage) ?? []), by]);
  for (const t of enabledTargets(input)) if (t.kind === 'pve_storage' && t.host === hostId) use(t.storage, `target ${t.name}`);
  for (const j of enabledJobsOn(pve, node)) if (j.storage !== null) use(j.storage, `job ${j.id}`);
  return users;
}

const bytesText = (n: number) => (n >= 2 ** 40 ? `${(n / 2 ** 40).toFixed(2)} TiB` : `${(n / 2 ** 30).toFixed(1)} GiB`);

function checkStorages(input: VerifyInput): Finding[] {
  const fullAt = input.bindings.policy.d19.storageFullPercent;
  return perPveHost(input, 'D19.storage', (hostId, pve, state) => {
    const host = state.hosts[hostId]!;
    const facts = storageStateOf(host);
    if ('problem' in facts && storagesInUse(input, hostId, null, pve).size === 0) return [];
    if ('problem' in facts) return [make({ check: 'D19.storage', subject: hostId, host: hostId, severity: 'high', outcome: 'error', reason: facts.problem.reason, message: `${hostId}: cannot judge its storages: ${facts.problem.message}` })];
    const { value: st } = facts;
    return [...storagesInUse(input, hostId, st.node, pve)].sort(([a], [b]) => a.localeCompare(b)).map(([id, users]) => {
      const cfg = st.config.find((c) => c.id === id);
      const s = storageOf(st, id);
      const evidence: Evidence[] = [
        { ...storageProbe(hostId, 'storage-status'), detail: s ? `${id}: type ${s.type}, enabled ${Number(s.enabled)}, active ${Number(s.active)}, content ${s.content.join(',')}` : `${id}: not listed` },
        ...(cfg ? [{ host: hostId, commandId: 'storage-cfg', detail: `${cfg.type}: ${id} (line ${cfg.line})` }] : []),
      ];
      const base = { check: 'D19.storage', subject: id, host: hostId, severity: 'critical' as const, evidence };
      const usedBy = `used by ${users.join(', ')}`;
      const fail = (reason: string, what: string, remediation: string, expected: string, actual: string) =>
        make({ ...base, outcome: 'fail', reason, message: `${hostId}: storage ${id} (${usedBy}) ${what}`, remediation, expected, actual });
      if (!s) {
        return fail('storage_missing', `does not exist on node ${st.node}`, `Create storage ${id} on ${hostId} (\`pvesm add …\`), or point the ${users.join(', ')} at a storage that exists.`, 'a configured storage', 'none');
      }
      if (!s.enabled) {
        const why = cfg?.disabled ? 'is disabled in storage.cfg' : cfg?.nodes ? `is not available on node ${st.node} (storage.cfg nodes ${cfg.nodes.join(',')})` : 'is disabled';
        const fix = cfg?.disabled ? `\`pvesm set ${id} --disable 0\`` : `\`pvesm set ${id} --nodes ${[...(cfg?.nodes ?? []), st.node].join(',')}\``;
        return fail('storage_disabled', `${why}: every backup to it fails`, `On ${hostId}: ${fix}, or move the ${users.join(', ')} to another storage.`, 'enabled', 'disabled');
      }
      if (!s.active) {
        const pbs = s.type === 'pbs' ? ` (PBS ${cfg?.server ?? 'server'}, datastore ${cfg?.datastore ?? '?'})` : '';
        return fail('storage_inactive', `is not active${pbs}: not mounted or unreachable, so backups to it fail`, `On ${hostId}: \`pvesm status --storage ${id}\` and the syslog say why; check the mount, network and credentials${s.type === 'pbs' ? ' (and the PBS fingerprint)' : ''}.`, 'active', 'inactive');
      }
      if (!s.content.includes('backup')) {
        return fail('no_backup_content', `does not allow backup content (content ${s.content.join(',') || 'none'})`, `On ${hostId}: \`pvesm set ${id} --content ${[...s.content, 'backup'].join(',')}\`, or move the ${users.join(', ')} to a backup storage.`, 'content includes backup', s.content.join(',') || 'none');
      }
      if (s.total === null || s.total === 0 || s.used === null) {
        return make({ ...base, outcome: 'pass', message: `${hostId}: storage ${id} (${s.type}, ${usedBy}) is enabled, active and takes backups; it reports no size` });
      }
      const percent = (s.used / s.total) * 100;
      const figures = `${bytesText(s.used)} of ${bytesText(s.total)} used (${percent.toFixed(1)} %), ${bytesText(s.avail ?? s.total - s.used)} free`;
      if (percent >= fullAt) {
        return fail('storage_full', `is ${figures}: at or above ${fullAt} %, scheduled backups start failing`, `On ${hostId}: free space on ${id} (prune old backups: check the jobs' and storage's prune-backups, remove unprotected old ones) or grow it.`, `< ${fullAt} % used`, `${percent.toFixed(1)} %`);
      }
      return make({ ...base, outcome: 'pass', expected: `< ${fullAt} % used`, actual: `${percent.toFixed(1)} %`, message: `${hostId}: storage ${id} (${s.type}, ${usedBy}) is active and ${figures}` });
    });
  });
}

// D19.freshness: is each enabled target's newest backup younger than its stale_after_hours?
// A file_glob target from the dump folder listing, a pve_storage target from the storage's content.

import type { FileGlobTarget, InventoryTarget, PveStorageTarget } from '../../bindings/types.js';
import type { Evidence, FileEntry, Finding, HostRecord } from '../../model.js';
import { classifyDumpFile } from '../../pve/archives.js';
import { bindingEvidence, hostOf, NO_HOST_STATE, pveStateOf } from '../input.js';
import type { RunIndex, RunInput } from '../run-index.js';
import { hoursBetween } from '../../time/instants.js';
import { onlyPendingJobs } from './job-run.js';
import {
  make,
  judgeEachTarget,
  effectiveHours,
  FUTURE_MTIME_TOLERANCE_S,
  isoOf,
  type FreshnessBase,
} from './shared.js';
import { targetBackups, newestOf } from './storage-backups.js';
import { dumpFiles, isBackupFile } from './dump-files.js';

export function checkFreshness(input: RunInput): Finding[] {
  return judgeEachTarget(input, 'D19.freshness', (t, base) => judgeFreshness(input, t, base));
}

function judgeFreshness(input: RunInput, t: InventoryTarget, base: FreshnessBase): Finding {
  if (!input.state)
    return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` });
  const host = hostOf(input.state, t.host);
  if ('problem' in host) {
    return make({
      ...base,
      outcome: 'error',
      reason: host.problem.reason,
      message: `${t.name}: cannot judge freshness, host ${t.host} unreadable: ${host.problem.message}`,
      evidence: [bindingEvidence(t)],
    });
  }
  if (t.kind === 'pve_storage') return checkStorageFreshness(input, t, host.value, base);
  const probe = host.value.commands.find((c) => c.basePath === t.basePath);
  const evidence: Evidence[] = [
    bindingEvidence(t),
    ...(probe ? [{ host: t.host, commandId: probe.id, command: probe.command }] : []),
  ];
  const listing = host.value.listings[t.basePath];
  if (!listing) {
    return make({
      ...base,
      outcome: 'error',
      reason: 'not_collected',
      message: `${t.name}: no listing of ${t.basePath} on ${t.host} in the host state`,
      evidence,
    });
  }
  if (listing.status === 'error') {
    return make({
      ...base,
      outcome: 'error',
      reason: listing.reason,
      message: `${t.name}: listing ${t.basePath} on ${t.host} failed: ${listing.message}`,
      evidence,
    });
  }
  if (listing.status === 'missing') {
    return make({
      ...base,
      outcome: 'fail',
      reason: 'path_missing',
      evidence,
      message: `${t.name}: base path ${t.basePath} does not exist on ${t.host}`,
      expected: `directory ${t.basePath}`,
      actual: 'missing',
      remediation: `Check the storage behind ${t.basePath} on ${t.host} (mount, NFS/sync job), or fix base_path in backup.inventory.yaml.`,
    });
  }
  // A record that does not read could be any file it names (or any file at all): the newest archive is unknown.
  const isMatch = input.index.globMatcher(t.glob);
  const bad = (listing.malformed ?? []).filter((r) => r.path === null || isMatch(r.path));
  if (bad.length) {
    const file = probe?.output ?? `the listing of ${t.basePath}`;
    const first = bad[0]!;
    return make({
      ...base,
      outcome: 'error',
      reason: 'bad_listing_record',
      evidence,
      message: `${t.name}: ${t.host} ${file} record ${first.record} does not read (${first.problem}): "${first.text}"${bad.length > 1 ? `; and ${bad.length - 1} more` : ''}: the newest archive matching ${t.glob} cannot be known`,
      remediation: `Look at ${t.basePath} on ${t.host}: a file name or mtime there is not what a backup writes (\`ls -la --time-style=full-iso ${t.basePath}\`); remove or fix it.`,
    });
  }
  const matched = dumpFiles(input.index, t.glob, listing.files);
  const archives = matched.filter(isBackupFile).map((d) => d.file);
  const limit = effectiveHours(input, t);
  if (archives.length === 0) {
    const vmid = input.index.globSubject(t.glob)?.vmid;
    const pending = vmid === undefined ? null : onlyPendingJobs(input, vmid);
    if (pending)
      return make({
        ...base,
        outcome: 'skip',
        reason: 'first_run_pending',
        evidence,
        message: `${t.name}: no archive yet, and every job backing up ${vmid} is still before its first run: ${pending}`,
      });
    // Without an archive, every file the glob matched is a vzdump companion (a log, notes, a partial dump).
    const log = newestAttemptLog(input.index, t.glob, listing.files) ?? matched[0]?.file;
    const failed = log ? ` (found ${log.path}: a vzdump log without its archive is a failed backup)` : '';
    return make({
      ...base,
      outcome: 'fail',
      reason: 'no_matches',
      evidence,
      message: `${t.name}: no backup archive matches ${t.glob} in ${t.basePath}${failed}`,
      expected: `an archive matching ${t.glob} at most ${limit}h old`,
      actual: 'none',
      freshness: { ageHours: null, limitHours: limit, lastAt: null },
      remediation: remediationForMissingBackup(input, t),
    });
  }
  const newest = archives.reduce((a, b) => (b.mtime > a.mtime ? b : a));
  evidence.push({ host: t.host, detail: `newest ${newest.path} (mtime ${isoOf(newest.mtime)})` });
  return judgeAge(input, t, base, evidence, {
    epoch: newest.mtime,
    what: `newest archive ${newest.path}`,
    limit,
    where: `the mtime of ${t.basePath}/${newest.path}`,
    remediation: remediationForMissingBackup(input, t),
  });
}

/**
 * The age verdict of a target's newest backup, alike for folders and storages: never a pass for an
 * age that cannot be known (no real capture time, a date in the future beyond clock skew).
 */
function judgeAge(
  input: RunInput,
  t: InventoryTarget,
  base: FreshnessBase,
  evidence: Evidence[],
  newest: { epoch: number; what: string; limit: number; where: string; remediation: string },
): Finding {
  const capturedAt = input.state!.capturedAt;
  const hours = hoursBetween(newest.epoch, capturedAt);
  if (hours === null) {
    return make({
      ...base,
      outcome: 'error',
      reason: 'bad_capture_time',
      evidence,
      message: `${t.name}: the capture time ${capturedAt} is no real time, so no age can be judged`,
    });
  }
  if (-hours * 3600 > FUTURE_MTIME_TOLERANCE_S) {
    return make({
      ...base,
      outcome: 'error',
      reason: 'future_mtime',
      evidence,
      message: `${t.name}: ${newest.what} on ${t.host} is dated ${isoOf(newest.epoch)}, ${Math.ceil(-hours)}h after the capture (${capturedAt}): the host's clock or the backup's date is wrong, so its age cannot be known`,
      expected: `a date no later than ${FUTURE_MTIME_TOLERANCE_S / 60} min after the capture`,
      actual: `${Math.ceil(-hours)}h in the future`,
      remediation: `On ${t.host}: check the clock (\`timedatectl\`, NTP) and ${newest.where}; fix the one that is wrong.`,
    });
  }
  // Whole hours, as the operator's backup-status always counted them: 26.9h passes a 26h limit.
  const ageHours = Math.max(0, Math.floor(hours));
  const facts = {
    expected: `≤ ${newest.limit}h`,
    actual: `${ageHours}h`,
    freshness: { ageHours, limitHours: newest.limit, lastAt: newest.epoch },
  };
  if (ageHours > newest.limit) {
    return make({
      ...base,
      ...facts,
      outcome: 'fail',
      reason: 'stale',
      evidence,
      message: `${t.name}: ${newest.what} is ${ageHours}h old, limit ${newest.limit}h`,
      remediation: newest.remediation,
    });
  }
  return make({
    ...base,
    ...facts,
    outcome: 'pass',
    evidence,
    message: `${t.name}: ${newest.what} is ${ageHours}h old (limit ${newest.limit}h)`,
  });
}

/** The newest vzdump log of the guest a glob names: what a failed attempt leaves behind. */
function newestAttemptLog(index: RunIndex, glob: string, files: FileEntry[]): FileEntry | undefined {
  const subject = index.globSubject(glob);
  if (!subject) return undefined;
  const prefix = `vzdump-${subject.type}-${subject.vmid}-`;
  return index
    .filesStartingWith(prefix, files)
    .filter((f) => classifyDumpFile(f.path) === 'log')
    .reduce<FileEntry | undefined>((a, b) => (!a || b.mtime > a.mtime ? b : a), undefined);
}

function remediationForMissingBackup(input: RunInput, t: FileGlobTarget): string {
  const subject = input.index.globSubject(t.glob);
  if (subject) {
    const guest = input.index.lifecycleById.get(subject.vmid);
    const name = guest?.hostname ? ` (${guest.hostname})` : '';
    return `On ${guest?.proxmoxHost ?? 'its PVE host'}: check \`systemctl status pvescheduler\` and the last vzdump task log for ${subject.vmid}${name}; run \`vzdump ${subject.vmid}\` once the cause is fixed.`;
  }
  return `On ${t.host}: check the job that writes ${t.glob} into ${t.basePath} (cron/timer and its log).`;
}

function checkStorageFreshness(input: RunInput, t: PveStorageTarget, host: HostRecord, base: FreshnessBase): Finding {
  const read = targetBackups(input.index, host, t);
  const { evidence } = read;
  if ('problem' in read)
    return make({
      ...base,
      outcome: 'error',
      reason: read.problem.reason,
      evidence,
      message: `${t.name}: cannot judge freshness: ${read.problem.message}`,
    });
  const limit = effectiveHours(input, t);
  if (read.backups.length === 0) {
    return make({
      ...base,
      outcome: 'fail',
      reason: 'no_matches',
      evidence,
      message: `${t.name}: storage ${t.storage} on ${t.host} holds no backup of VMID ${t.vmid}`,
      expected: `a backup of ${t.vmid} at most ${limit}h old`,
      actual: 'none',
      freshness: { ageHours: null, limitHours: limit, lastAt: null },
      remediation: remediationForStorageBackup(input, t),
    });
  }
  const newest = newestOf(read.backups);
  evidence.push({
    host: t.host,
    detail: `newest ${newest.volid} (ctime ${isoOf(newest.ctime!)})${newest.protected ? ', protected' : ''}`,
  });
  return judgeAge(input, t, base, evidence, {
    epoch: newest.ctime!,
    what: `newest backup of VMID ${t.vmid} on ${t.storage} (${newest.volid})`,
    limit,
    where: `the backup ${newest.volid}`,
    remediation: remediationForStorageBackup(input, t),
  });
}

/** The vzdump line to run once, and the job that should have written the backup (or that none does). */
function remediationForStorageBackup(input: RunInput, t: PveStorageTarget): string {
  const run = `On ${t.host}: \`vzdump ${t.vmid} --storage ${t.storage}\` once the cause is fixed`;
  const pve = input.state ? pveStateOf(input.state, t.host) : null;
  if (!pve || 'problem' in pve) return `${run}; check the vzdump job that backs up ${t.vmid} to ${t.storage}.`;
  const jobs = input.index.pve(pve.value).enrolled.get(t.vmid) ?? [];
  const here = jobs.filter((j) => j.storage === t.storage);
  if (here.length)
    return `${run}; check job ${here.map((j) => j.id).join(', ')} (\`pvesh get /cluster/backup/${here[0]!.id}\`, its last task log) and \`systemctl status pvescheduler\`.`;
  if (jobs.length)
    return `${run}; no enabled job writes ${t.vmid} to ${t.storage}: ${jobs.map((j) => `${j.id} writes to ${j.storage ?? 'the vzdump.conf default'}`).join(', ')}. Point one at ${t.storage} or fix the target's storage.`;
  return `${run}; no enabled vzdump job backs up ${t.vmid} at all (see D19.target-enrolled).`;
}

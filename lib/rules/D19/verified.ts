// D19.verified: did the newest backup on a Proxmox Backup Server verify ok, and recently enough?

import type { PveStorageTarget } from '../../bindings/types.js';
import type { BackupVolume, Evidence, Finding } from '../../model.js';
import { pveHostIds } from '../../bindings/pve-hosts.js';
import { upidStartTime } from '../../pve/storage.js';
import { hostOf, NO_HOST_STATE, severityByClass } from '../input.js';
import type { RunInput } from '../run-index.js';
import { hoursBetween } from '../../time/instants.js';
import { make, enabledTargets, FUTURE_MTIME_TOLERANCE_S, isoOf, targetRef, type FreshnessBase } from './shared.js';
import { targetBackups, newestOf, storageOf } from './storage-backups.js';

export function checkVerified(input: RunInput): Finding[] {
  const pveHosts = pveHostIds(input.bindings);
  return enabledTargets(input).flatMap((t) => {
    if (t.kind !== 'pve_storage') return [];
    const base = {
      check: 'D19.verified',
      subject: t.name,
      host: t.host,
      severity: severityByClass[t.classification ?? ''] ?? 'high',
      target: targetRef(input, t, pveHosts),
    } as const;
    if (!input.state)
      return [make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` })];
    const host = hostOf(input.state, t.host);
    if ('problem' in host)
      return [
        make({
          ...base,
          outcome: 'error',
          reason: host.problem.reason,
          message: `${t.name}: cannot judge verification, host ${t.host} unreadable: ${host.problem.message}`,
        }),
      ];
    const read = targetBackups(input.index, host.value, t);
    const { evidence } = read;
    if ('problem' in read)
      return [
        make({
          ...base,
          outcome: 'error',
          reason: read.problem.reason,
          evidence,
          message: `${t.name}: cannot judge verification: ${read.problem.message}`,
        }),
      ];
    const type = storageOf(read.state, t.storage)?.type ?? read.state.config.find((c) => c.id === t.storage)?.type;
    if (type !== 'pbs')
      return [
        make({
          ...base,
          outcome: 'skip',
          reason: 'not_pbs',
          evidence,
          message: `${t.name}: storage ${t.storage} is ${type ?? 'unknown to ' + t.host}, not a Proxmox Backup Server: nothing verifies its backups`,
        }),
      ];
    if (read.backups.length === 0)
      return [
        make({
          ...base,
          outcome: 'skip',
          reason: 'no_backups',
          evidence,
          message: `${t.name}: no backup of VMID ${t.vmid} on ${t.storage} to verify (see D19.freshness)`,
        }),
      ];
    return [judgeVerification(input, t, read.backups, evidence, base)];
  });
}

function judgeVerification(
  input: RunInput,
  t: PveStorageTarget,
  backups: BackupVolume[],
  evidence: Evidence[],
  judged: FreshnessBase,
): Finding {
  const newest = newestOf(backups);
  const verifiedAt = (v: BackupVolume) =>
    v.verification?.state === 'ok' && v.verification.upid ? upidStartTime(v.verification.upid) : null;
  const lastOk = backups
    .map((v) => ({ v, at: verifiedAt(v) }))
    .filter((x) => x.at !== null)
    .sort((a, b) => b.at! - a.at!)[0];
  const base = { ...judged, verifiedAt: lastOk?.at ?? null };
  const okText = lastOk ? `last verified ok ${isoOf(lastOk.at!)} (${lastOk.v.volid})` : 'never verified ok';
  evidence.push({
    host: t.host,
    detail: `newest ${newest.volid}: verification ${newest.verification ? `${newest.verification.state} ${newest.verification.upid ?? ''}`.trim() : 'none'}`,
  });
  if (newest.verification?.state === 'failed') {
    return make({
      ...base,
      outcome: 'fail',
      reason: 'verify_failed',
      evidence,
      message: `${t.name}: the newest backup of VMID ${t.vmid} on ${t.storage} (${newest.volid}) failed verification; ${okText}`,
      expected: 'verification ok',
      actual: 'failed',
      remediation: `Its chunks are damaged or missing: read the verify task log on the PBS (${newest.verification.upid ?? 'its verify task'}), check the datastore's disks, then take a new backup (\`vzdump ${t.vmid} --storage ${t.storage}\` on ${t.host}) and verify it.`,
    });
  }
  const maxDays = t.classification ? input.bindings.policy.d19.verifyMaxAgeDays[t.classification] : undefined;
  const sinceOk = lastOk ? hoursBetween(lastOk.at!, input.state!.capturedAt) : null;
  if (lastOk && (sinceOk === null || -sinceOk * 3600 > FUTURE_MTIME_TOLERANCE_S)) {
    const reason = sinceOk === null ? 'bad_capture_time' : 'future_mtime';
    return make({
      ...base,
      outcome: 'error',
      reason,
      evidence,
      message: `${t.name}: the last verify (${isoOf(lastOk.at!)}) cannot be aged against the capture time ${input.state!.capturedAt}: a clock is wrong`,
    });
  }
  const ageDays = sinceOk === null ? null : Math.max(0, sinceOk / 24);
  if (maxDays === undefined) {
    if (lastOk)
      return make({
        ...base,
        outcome: 'pass',
        evidence,
        message: `${t.name}: ${okText}; ${t.classification ?? 'unclassified'} targets are not held to a verify age`,
      });
    return make({
      ...base,
      outcome: 'skip',
      reason: 'not_required',
      evidence,
      message: `${t.name}: ${okText}; drift.gates.yaml d19.verify_max_age_days sets no age for ${t.classification ?? 'unclassified'} targets`,
    });
  }
  const facts = {
    expected: `verified ok within ${maxDays}d`,
    actual: ageDays === null ? 'never' : `${Math.floor(ageDays)}d ago`,
  };
  if (ageDays === null || ageDays > maxDays) {
    return make({
      ...base,
      ...facts,
      outcome: 'fail',
      reason: 'unverified',
      evidence,
      message: `${t.name}: no backup of VMID ${t.vmid} on ${t.storage} was verified ok within ${maxDays} days; ${okText}`,
      remediation: `Schedule a verify job on the PBS datastore behind ${t.storage} (Datastore → Verify Jobs, at most every ${maxDays} days, re-verifying after ${maxDays} days) or run one now; a restore never verified is a hope, not a backup.`,
    });
  }
  return make({ ...base, ...facts, outcome: 'pass', evidence, message: `${t.name}: ${okText}, within ${maxDays}d` });
}

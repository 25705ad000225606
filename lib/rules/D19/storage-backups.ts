// Backups on PVE storages as the content lists show them: what D19.freshness (pve_storage targets),
// D19.verified and D19.storage read.

import type { PveStorageTarget } from '../../bindings/types.js';
import type { BackupVolume, Evidence, HostRecord, PveStorage, PveStorageState, StateProblem } from '../../model.js';
import { contentCommandStorage } from '../../snapshot/probe.js';
import { bindingEvidence } from '../input.js';
import type { RunIndex } from '../run-index.js';

export const storageProbe = (hostId: string, commandId: string): Evidence => ({ host: hostId, commandId });

/** A host's storage facts, or why they cannot be judged (not_collected: a snapshot older than the storage commands). */
export function storageStateOf(host: HostRecord): { value: PveStorageState } | { problem: StateProblem } {
  if (!host.storage)
    return {
      problem: {
        reason: 'not_collected',
        message: `no storage facts were collected from ${host.id} (a snapshot older than the storage commands, or not a PVE host)`,
      },
    };
  return host.storage.ok ? { value: host.storage.value } : { problem: host.storage.problem };
}

/** The guest's backups on a pve_storage target's storage, or why they cannot be read. */
export function targetBackups(
  index: RunIndex,
  host: HostRecord,
  t: PveStorageTarget,
):
  | { state: PveStorageState; backups: BackupVolume[]; evidence: Evidence[] }
  | { problem: StateProblem; evidence: Evidence[] } {
  const evidence: Evidence[] = [bindingEvidence(t)];
  const facts = storageStateOf(host);
  if ('problem' in facts) return { problem: facts.problem, evidence };
  const probe = host.commands.find((c) => contentCommandStorage(c.id) === t.storage);
  if (probe) evidence.push({ host: t.host, commandId: probe.id, command: probe.command });
  const content = facts.value.contents[t.storage];
  if (!content)
    return {
      problem: {
        reason: 'not_collected',
        message: `the backups on storage ${t.storage} of ${t.host} were not collected`,
      },
      evidence,
    };
  if (content.status === 'error')
    return {
      problem: {
        reason: content.reason,
        message: `listing storage ${t.storage} on ${t.host} failed: ${content.message}`,
      },
      evidence,
    };
  return { state: facts.value, backups: index.backupsOf(content.volumes, t.vmid), evidence };
}

export const newestOf = (backups: BackupVolume[]) => backups.reduce((a, b) => (b.ctime! > a.ctime! ? b : a));

/** A storage as the node's status list reports it. */
export const storageOf = (state: PveStorageState, id: string): PveStorage | undefined =>
  state.storages.find((s) => s.id === id);

// Which hosts a run must read and which fixed commands it runs on each: PVE hosts get the PVE,
// storage and mail commands, every host holding an enabled file_glob target gets one listing per
// distinct base path. A PVE host's storage content commands follow once its first commands have
// said its node name and its jobs (followUp).

import type { Bindings } from '../bindings/types.js';
import type { VzdumpJob } from '../model.js';
import { parseJobsCfg } from '../pve/jobs-cfg.js';
import { parseVzdumpCron } from '../pve/vzdump-cron.js';
import { isStorageId, nodeName } from '../pve/storage.js';
import { pveHostIds } from '../bindings/pve-hosts.js';
import {
  globDepth,
  listingCommand,
  MAIL_COMMANDS,
  PVE_COMMANDS,
  PVE_STORAGE_COMMANDS,
  storageCommands,
  TIMEZONE_COMMAND,
  type ProbeCommand,
  RESTORE_COMMANDS,
} from './probe.js';

export interface HostPlan {
  hostId: string;
  commands: ProbeCommand[];
  /** Commands to run after `commands`, from their stdout by command id (a PVE host's storage commands); none: nothing follows. */
  followUp?: (outputs: ReadonlyMap<string, string>) => ProbeCommand[];
}

export function probePlan(bindings: Bindings): HostPlan[] {
  const commands = new Map<string, ProbeCommand[]>();
  const add = (hostId: string, cmds: readonly ProbeCommand[]) =>
    commands.set(hostId, [...(commands.get(hostId) ?? [TIMEZONE_COMMAND]), ...cmds]);
  const pveHosts = pveHostIds(bindings);
  for (const hostId of pveHosts) add(hostId, [...PVE_COMMANDS, ...PVE_STORAGE_COMMANDS, ...MAIL_COMMANDS]);
  for (const hostId of pveHosts) add(hostId, RESTORE_COMMANDS);

  // The deepest glob on a (host, base path) sets how deep its one listing goes.
  const depths = new Map<string, Map<string, number>>();
  for (const t of bindings.inventory.targets) {
    if (!t.enabled || t.kind !== 'file_glob') continue;
    const byPath = depths.get(t.host) ?? new Map<string, number>();
    byPath.set(t.basePath, Math.max(byPath.get(t.basePath) ?? 1, globDepth(t.glob)));
    depths.set(t.host, byPath);
  }
  for (const [hostId, byPath] of depths) {
    add(
      hostId,
      [...byPath].sort(([a], [b]) => a.localeCompare(b)).map(([basePath, depth]) => listingCommand(basePath, depth)),
    );
  }
  return [...commands]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([hostId, cmds]) => ({
      hostId,
      commands: cmds,
      ...(pveHosts.includes(hostId) ? { followUp: (outputs) => storageFollowUp(bindings, hostId, outputs) } : {}),
    }));
}

/**
 * The storage status list and the backup content of each storage an enabled pve_storage target on
 * this host or an enabled vzdump job (jobs.cfg or vzdump.cron) that runs on this node writes to. Nothing when the node name
 * is not one PVE accepts (the snapshot reader says so). A job without `storage` writes to the
 * /etc/vzdump.conf default, which is not read: it names no storage here.
 */
export function storageFollowUp(
  bindings: Bindings,
  hostId: string,
  outputs: ReadonlyMap<string, string>,
): ProbeCommand[] {
  const node = nodeName(outputs.get('hostname') ?? '');
  if (node === null) return [];
  const storages = new Set(
    bindings.inventory.targets.flatMap((t) =>
      t.enabled && t.kind === 'pve_storage' && t.host === hostId ? [t.storage] : [],
    ),
  );
  for (const job of [
    ...jobsOf(outputs.get('jobs-cfg'), parseJobsCfg),
    ...jobsOf(outputs.get('vzdump-cron'), parseVzdumpCron),
  ]) {
    if (job.enabled && job.storage !== null && (job.node === null || job.node === node)) storages.add(job.storage);
  }
  return storageCommands(node, [...storages].filter(isStorageId).sort());
}

function jobsOf(text: string | undefined, parse: (text: string) => { jobs: VzdumpJob[] }): VzdumpJob[] {
  if (text === undefined) return [];
  try {
    return parse(text).jobs;
  } catch {
    return []; // the snapshot reader reports an unreadable file; the targets' storages are still read
  }
}

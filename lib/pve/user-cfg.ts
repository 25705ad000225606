// Pool membership from /etc/pve/user.cfg (pve-access-control AccessControl.pm parse_user_config).

import type { ConfigWarning } from '../model.js';
import { sortedUnique, splitList } from './lists.js';

/**
 * Pool id → member VMIDs, from `pool:<poolid>:<comment>:<vmid list>:<storage list>:` lines, with
 * the warnings PVE logs for the members it ignores (parse_user_config: "ignore invalid vmid",
 * "ignore duplicate vmid").
 */
export function parsePools(text: string): { pools: Record<string, number[]>; warnings: ConfigWarning[] } {
  const pools = new Map<string, number[]>();
  const warnings: ConfigWarning[] = [];
  // A VMID belongs to at most one pool: PVE keeps the first and ignores later ones.
  const assigned = new Set<number>();
  for (const [index, line] of text.split('\n').entries()) {
    const [kind, poolId, , vmlist = ''] = line.split(':').map((field) => field.trim());
    if (kind !== 'pool' || !poolId) continue;
    const members = pools.get(poolId) ?? [];
    pools.set(poolId, members);
    const warn = (message: string) => warnings.push({ file: 'user.cfg', line: index + 1, message });
    for (const item of splitList(vmlist)) {
      if (!/^\d+$/.test(item)) {
        warn(`ignore invalid vmid '${item}' in pool '${poolId}'`);
        continue;
      }
      const vmid = Number(item);
      if (assigned.has(vmid)) {
        warn(`ignore duplicate vmid '${vmid}' in pool '${poolId}'`);
        continue;
      }
      assigned.add(vmid);
      members.push(vmid);
    }
  }
  return { pools: Object.fromEntries([...pools].map(([id, members]) => [id, sortedUnique(members)])), warnings };
}

/** User id → email, from `user:<userid>:<enable>:<expire>:<firstname>:<lastname>:<email>:…` lines (users without one are left out). */
export function parseUserEmails(text: string): Record<string, string> {
  const emails = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [kind, userId, , , , , email] = line.split(':').map((field) => field.trim());
    if (kind === 'user' && userId && email) emails.set(userId, email);
  }
  return Object.fromEntries(emails);
}

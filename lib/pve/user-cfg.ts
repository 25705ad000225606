// Pool membership from /etc/pve/user.cfg (pve-access-control AccessControl.pm parse_user_config).

import { sortedUnique, splitList } from './lists.js';

/** Pool id → member VMIDs, from `pool:<poolid>:<comment>:<vmid list>:<storage list>:` lines. */
export function parsePools(text: string): Record<string, number[]> {
  const pools = new Map<string, number[]>();
  // A VMID belongs to at most one pool: PVE keeps the first and ignores later ones.
  const assigned = new Set<number>();
  for (const line of text.split('\n')) {
    const [kind, poolId, , vmlist = ''] = line.split(':').map((field) => field.trim());
    if (kind !== 'pool' || !poolId) continue;
    const members = pools.get(poolId) ?? [];
    pools.set(poolId, members);
    for (const item of splitList(vmlist)) {
      if (!/^\d+$/.test(item)) continue;
      const vmid = Number(item);
      if (assigned.has(vmid)) continue;
      assigned.add(vmid);
      members.push(vmid);
    }
  }
  return Object.fromEntries([...pools].map(([id, members]) => [id, sortedUnique(members)]));
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

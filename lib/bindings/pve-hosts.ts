// Which hosts the bindings make PVE hosts: a policy every layer above the bindings shares.

import { BINDING_FILES, noFile, type Bindings } from './types.js';

/** Hosts whose PVE state is judged: the policy's list, else every lifecycle `proxmox_host`. */
export function pveHostIds(bindings: Bindings): string[] {
  if (bindings.policy.pveHosts) return [...bindings.policy.pveHosts];
  const ids = new Set<string>();
  for (const g of bindings.lifecycle?.guests ?? []) ids.add(g.proxmoxHost);
  return [...ids].sort();
}

/** Why no PVE host is known, or null when some is: without a lifecycle, only drift.gates.yaml pve_hosts names them. */
export function noPveHostsReason(bindings: Bindings): { reason: string; message: string } | null {
  if (bindings.policy.pveHosts || bindings.lifecycle) return null;
  return {
    reason: noFile('lifecycle'),
    message: `no ${BINDING_FILES.lifecycle} and no drift.gates.yaml pve_hosts: no PVE host is known`,
  };
}

// Which hosts a run must read and which fixed commands it runs on each: PVE hosts get the PVE
// and mail commands, every host holding an enabled target gets one listing per distinct base path.

import type { Bindings } from '../bindings/types.js';
import { pveHostIds } from '../rules/input.js';
import { globDepth, listingCommand, MAIL_COMMANDS, PVE_COMMANDS, TIMEZONE_COMMAND, type ProbeCommand } from './probe.js';

export interface HostPlan {
  hostId: string;
  commands: ProbeCommand[];
}

export function probePlan(bindings: Bindings): HostPlan[] {
  const commands = new Map<string, ProbeCommand[]>();
  const add = (hostId: string, cmds: readonly ProbeCommand[]) => commands.set(hostId, [...(commands.get(hostId) ?? [TIMEZONE_COMMAND]), ...cmds]);
  for (const hostId of pveHostIds(bindings)) add(hostId, [...PVE_COMMANDS, ...MAIL_COMMANDS]);

  // The deepest glob on a (host, base path) sets how deep its one listing goes.
  const depths = new Map<string, Map<string, number>>();
  for (const t of bindings.inventory.targets.filter((x) => x.enabled)) {
    const byPath = depths.get(t.host) ?? new Map<string, number>();
    byPath.set(t.basePath, Math.max(byPath.get(t.basePath) ?? 1, globDepth(t.glob)));
    depths.set(t.host, byPath);
  }
  for (const [hostId, byPath] of depths) {
    add(hostId, [...byPath].sort(([a], [b]) => a.localeCompare(b)).map(([basePath, depth]) => listingCommand(basePath, depth)));
  }
  return [...commands].sort(([a], [b]) => a.localeCompare(b)).map(([hostId, cmds]) => ({ hostId, commands: cmds }));
}

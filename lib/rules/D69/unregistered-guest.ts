// D69.unregistered-guest: is every guest a host runs in the lifecycle at all?

import { type LifecycleGuest } from '../../bindings/types.js';
import type { Evidence, Finding } from '../../model.js';
import { PVE_COMMANDS } from '../../snapshot/probe.js';
import { bindingEvidence } from '../input.js';
import type { RunInput } from '../run-index.js';
import { perPveHost } from '../pve-helpers.js';
import { make } from './guest-facts.js';

export function checkUnregistered(input: RunInput, guests: LifecycleGuest[]): Finding[] {
  const listed = new Map(guests.map((g) => [g.id, g]));
  return perPveHost(input, 'D69.unregistered-guest', (hostId, pve) => {
    if (pve.guests.length === 0) {
      return [
        make({
          check: 'D69.unregistered-guest',
          subject: hostId,
          host: hostId,
          severity: 'high',
          outcome: 'skip',
          reason: 'no_guests',
          message: `${hostId}: the host reports no guests`,
        }),
      ];
    }
    const evidence: Evidence[] = [
      { host: hostId, commandId: 'guests', command: PVE_COMMANDS.find((c) => c.id === 'guests')!.command },
    ];
    return [...pve.guests]
      .sort((a, b) => a.vmid - b.vmid)
      .map((x) => {
        const base = {
          check: 'D69.unregistered-guest',
          subject: `${x.type}/${x.vmid}`,
          host: hostId,
          severity: 'high' as const,
          evidence,
        };
        const name = `${x.type}/${x.vmid}${x.name ? ` (${x.name})` : ''}`;
        const entry = listed.get(x.vmid);
        if (entry)
          return make({
            ...base,
            evidence: [...evidence, bindingEvidence(entry)],
            outcome: 'pass',
            message: `${name} is in vm.lifecycle.yaml (${entry.status})`,
          });
        if (x.template)
          return make({
            ...base,
            outcome: 'skip',
            reason: 'template',
            message: `${name} is a template the lifecycle does not list`,
          });
        return make({
          ...base,
          outcome: 'fail',
          reason: 'not_in_lifecycle',
          message: `${name} runs on ${hostId} but is not in vm.lifecycle.yaml: nobody onboarded it`,
          expected: 'a vm.lifecycle.yaml entry',
          actual: 'none',
          remediation: `Register it in vm.lifecycle.yaml: \`{id: ${x.vmid}, hostname: ${x.name ?? '<hostname>'}, proxmox_host: ${hostId}, status: active${x.type === 'lxc' ? ', vm_type: lxc' : ''}, backup_target: <target>, ssh_target: <id>}\`, then onboard it (target, job, calendar); or, if nobody owns it, take a last backup and destroy it.`,
        });
      });
  });
}

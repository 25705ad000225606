// D19.job-guest-active: does every VMID an enabled job lists exist, and is it not retired in the lifecycle?

import type { Finding } from '../../model.js';
import { deadListing, hostFixPlan, jobsCfgEvidence, perPveHost } from '../pve-helpers.js';
import type { RunInput } from '../run-index.js';
import { make } from './shared.js';

export function checkJobGuestsActive(input: RunInput): Finding[] {
  const lifecycle = input.index.lifecycleById;
  return perPveHost(input, 'D19.job-guest-active', (hostId, pve) => {
    const listed = pve.jobs.filter((j) => j.enabled && j.vmids);
    if (listed.length === 0) {
      return [
        make({
          check: 'D19.job-guest-active',
          subject: hostId,
          host: hostId,
          severity: 'medium',
          outcome: 'skip',
          reason: 'no_vmid_lists',
          message: `${hostId}: no enabled job lists VMIDs explicitly`,
        }),
      ];
    }
    const plan = hostFixPlan(input, hostId, pve);
    const facts = input.index.pve(pve);
    return listed.flatMap((job) =>
      job.vmids!.map((vmid) => {
        const base = {
          check: 'D19.job-guest-active',
          subject: `${job.id}/${vmid}`,
          host: hostId,
          severity: 'medium' as const,
          evidence: [jobsCfgEvidence(hostId, job)],
        };
        const status = lifecycle.get(vmid)?.status;
        const dead = deadListing(hostId, vmid, facts, lifecycle);
        if (!dead)
          return make({
            ...base,
            outcome: 'pass',
            message: `${job.id}: VMID ${vmid} exists and is ${status ?? 'not in the lifecycle'}`,
          });
        return make({
          ...base,
          outcome: 'fail',
          reason: facts.guest(vmid) ? `lifecycle_${status}` : 'guest_missing',
          message: `job ${job.id} on ${hostId} still lists ${vmid}: VMID ${vmid} ${dead}`,
          expected: 'every listed VMID exists and is not decommissioned',
          actual: `VMID ${vmid} ${dead}`,
          remediation: plan.drop(job),
        });
      }),
    );
  });
}

// D19.guest-covered: is every guest on a PVE host selected by an enabled vzdump job PVE really runs?

import type { Finding } from '../../model.js';
import { hostFixPlan, INACTIVE_LIFECYCLE, jobsCfgEvidence, perPveHost, whyNotEnrolled } from '../pve-helpers.js';
import type { RunInput } from '../run-index.js';
import { make } from './shared.js';

export function checkGuestsCovered(input: RunInput): Finding[] {
  const lifecycle = input.index.lifecycleById;
  return perPveHost(input, 'D19.guest-covered', (hostId, pve) => {
    const facts = input.index.pve(pve);
    const { enrolled } = facts;
    const plan = hostFixPlan(input, hostId, pve);
    const guests = [...pve.guests].sort((a, b) => a.vmid - b.vmid);
    if (guests.length === 0) {
      return [
        make({
          check: 'D19.guest-covered',
          subject: hostId,
          host: hostId,
          severity: 'high',
          outcome: 'skip',
          reason: 'no_guests',
          message: `${hostId}: the host reports no guests`,
        }),
      ];
    }
    return guests.map((g) => {
      const base = {
        check: 'D19.guest-covered',
        subject: `${g.type}/${g.vmid}`,
        host: hostId,
        severity: 'high' as const,
        evidence: [jobsCfgEvidence(hostId)],
      };
      const label = `${g.type}/${g.vmid}${g.name ? ` (${g.name})` : ''}`;
      const status = lifecycle.get(g.vmid)?.status;
      if (g.template) return make({ ...base, outcome: 'skip', reason: 'template', message: `${label} is a template` });
      if (status && INACTIVE_LIFECYCLE.has(status)) {
        return make({
          ...base,
          outcome: 'skip',
          reason: `lifecycle_${status}`,
          message: `${label} is ${status} in the lifecycle`,
        });
      }
      const jobs = enrolled.get(g.vmid);
      if (jobs)
        return make({
          ...base,
          outcome: 'pass',
          message: `${label} is backed up by ${jobs.map((j) => j.id).join(', ')}`,
        });
      const { reason, why } = whyNotEnrolled(facts, g.vmid);
      return make({
        ...base,
        outcome: 'fail',
        reason,
        message: `${label} on ${hostId} is not backed up by any enabled vzdump job: ${why}`,
        expected: 'selected by an enabled vzdump job',
        actual: why,
        remediation: plan.enroll(g.vmid),
      });
    });
  });
}

// D69.enrolled: is the active guest in an enabled vzdump job on its host?

import { type LifecycleGuest } from '../../bindings/types.js';
import type { Finding } from '../../model.js';
import type { RunInput } from '../run-index.js';
import { hostFixPlan, jobsCfgEvidence, whyNotEnrolled } from '../pve-helpers.js';
import { make, label, at, guestBase, hostPve } from './guest-facts.js';

export function checkEnrolled(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.enrolled', g, 'high');
  const host = hostPve(input, base, g);
  if ('finding' in host) return host.finding;
  const { pve } = host;
  const facts = input.index.pve(pve);
  const evidence = [...base.evidence, jobsCfgEvidence(g.proxmoxHost)];
  if (!facts.guest(g.id)) {
    return make({
      ...base,
      evidence,
      outcome: 'fail',
      reason: 'guest_missing',
      message: `${label(g)} is active in the lifecycle but ${g.proxmoxHost} does not run VMID ${g.id}: nothing there can back it up`,
      expected: `VMID ${g.id} on ${g.proxmoxHost}`,
      actual: 'no such guest',
      remediation: `Fix proxmox_host or status of VMID ${g.id} in ${at(g)} (or create the guest).`,
    });
  }
  const jobs = facts.enrolled.get(g.id);
  if (jobs)
    return make({
      ...base,
      evidence,
      outcome: 'pass',
      message: `${label(g)} is backed up by ${jobs.map((j) => j.id).join(', ')}`,
    });
  const { reason, why } = whyNotEnrolled(facts, g.id);
  return make({
    ...base,
    evidence,
    outcome: 'fail',
    reason,
    message: `${label(g)} is active but no enabled vzdump job on ${g.proxmoxHost} backs it up: ${why}`,
    expected: 'selected by an enabled vzdump job',
    actual: why,
    remediation: hostFixPlan(input, g.proxmoxHost, pve).enroll(g.id),
  });
}

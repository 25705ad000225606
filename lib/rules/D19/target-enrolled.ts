// D19.target-enrolled: is the guest whose archives a target names in an enabled job on the target's host?

import type { Finding } from '../../model.js';
import { hostFixPlan, jobsCfgEvidence } from '../pve-helpers.js';
import { bindingEvidence, NO_HOST_STATE, pveStateOf } from '../input.js';
import type { RunInput } from '../run-index.js';
import { noPveHostsReason, pveHostIds } from '../../bindings/pve-hosts.js';
import { make, enabledTargets } from './shared.js';

export function checkTargetsEnrolled(input: RunInput): Finding[] {
  const pveHosts = new Set(pveHostIds(input.bindings));
  const unknown = noPveHostsReason(input.bindings);
  return enabledTargets(input).flatMap((t) => {
    const vmid = input.index.targetVmid(t);
    if (vmid === undefined) return []; // the check is about targets naming one guest's backups
    const base = { check: 'D19.target-enrolled', subject: t.name, host: t.host, severity: 'high' as const };
    if (unknown)
      return [make({ ...base, outcome: 'skip', reason: unknown.reason, message: `${t.name}: ${unknown.message}` })];
    if (!pveHosts.has(t.host)) {
      return [
        make({
          ...base,
          outcome: 'skip',
          reason: 'not_a_pve_host',
          message: `${t.name}: ${t.host} is not a PVE host (copies made elsewhere are judged by freshness)`,
        }),
      ];
    }
    if (!input.state)
      return [make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${t.name}: ${NO_HOST_STATE}` })];
    const pve = pveStateOf(input.state, t.host);
    if ('problem' in pve)
      return [
        make({
          ...base,
          outcome: 'error',
          reason: pve.problem.reason,
          message: `${t.name}: cannot judge, ${pve.problem.message}`,
        }),
      ];
    const evidence = [bindingEvidence(t), jobsCfgEvidence(t.host)];
    if (!input.index.pve(pve.value).guest(vmid)) {
      // A job may still list a destroyed VMID: that is no enrollment.
      return [
        make({
          ...base,
          outcome: 'fail',
          reason: 'guest_missing',
          evidence,
          message: `${t.name} is enabled but guest ${vmid} does not exist on ${t.host}`,
          expected: `guest ${vmid} on ${t.host}, in an enabled job`,
          actual: 'no such guest',
          remediation: `Disable ${t.name} in ${t.source.file} with a description saying why (the guest is gone), or fix its host/glob.`,
        }),
      ];
    }
    const jobs = input.index.pve(pve.value).enrolled.get(vmid);
    if (jobs)
      return [
        make({
          ...base,
          outcome: 'pass',
          evidence,
          message: `${t.name}: VMID ${vmid} is in ${jobs.map((j) => j.id).join(', ')}`,
        }),
      ];
    return [
      make({
        ...base,
        outcome: 'fail',
        reason: 'not_enrolled',
        evidence,
        message: `${t.name} is enabled but VMID ${vmid} is in no enabled vzdump job on ${t.host}`,
        expected: `VMID ${vmid} in an enabled job`,
        actual: 'in none',
        remediation: hostFixPlan(input, t.host, pve.value).enroll(vmid),
      }),
    ];
  });
}

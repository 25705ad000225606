// D69.decommissioned-clean: has a retired guest nothing left (targets, jobs, events)?

import { type LifecycleGuest } from '../../bindings/types.js';
import type { Evidence, Finding, PveState, VzdumpJob } from '../../model.js';
import { bindingEvidence, NO_HOST_STATE, pveStateOf } from '../input.js';
import type { RunInput } from '../run-index.js';
import { hostFixPlan, jobsCfgEvidence } from '../pve-helpers.js';
import { make, label, at, guestBase, targetOf } from './guest-facts.js';

export function checkDecommissionedClean(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.decommissioned-clean', g, 'medium');
  const problems: Array<{ reason: string; text: string; fix: string; evidence?: Evidence }> = [];
  if (g.backupTarget !== null) {
    const gone = targetOf(input, g) ? '' : ' (a target the inventory no longer has)';
    problems.push({
      reason: 'backup_target_set',
      text: `backup_target is still ${g.backupTarget}${gone}`,
      fix: `Set \`backup_target: null\` on VMID ${g.id} in ${at(g)}.`,
    });
  }
  for (const t of input.bindings.inventory.targets.filter(
    (x) => x.enabled && (x.name === g.backupTarget || input.index.targetVmid(x) === g.id),
  )) {
    problems.push({
      reason: 'enabled_target',
      text: `enabled target ${t.name} still expects its backups`,
      evidence: bindingEvidence(t),
      fix: `Set \`enabled: false\` on ${t.name} in ${at(t)} with a description (retired with VMID ${g.id}), or remove it.`,
    });
  }
  let hostNote = '';
  const pve = input.state ? pveStateOf(input.state, g.proxmoxHost) : null;
  if (pve && 'value' in pve) {
    for (const job of input.index.pve(pve.value).enrolled.get(g.id) ?? []) {
      problems.push({
        reason: 'in_enabled_job',
        text: `enabled job ${job.id} still backs it up`,
        evidence: jobsCfgEvidence(g.proxmoxHost, job),
        fix: dropFromJob(input, g, pve.value, job),
      });
    }
  } else {
    const why = pve ? `${g.proxmoxHost} unreadable: ${pve.problem.message}` : NO_HOST_STATE;
    if (!problems.length) {
      return make({
        ...base,
        outcome: pve ? 'error' : 'skip',
        reason: pve ? pve.problem.reason : NO_HOST_STATE,
        message: `${label(g)}: its bindings are clean; its jobs cannot be judged (${why})`,
      });
    }
    hostNote = ` (jobs not judged: ${why})`;
  }
  const evidence = [...base.evidence, ...problems.flatMap((p) => (p.evidence ? [p.evidence] : []))];
  const expected = 'no backup_target, no enabled target, in no enabled job';
  if (!problems.length)
    return make({
      ...base,
      evidence,
      expected,
      actual: 'none left',
      outcome: 'pass',
      message: `${label(g)} is ${g.status}: no backup_target, no enabled target, in no enabled job`,
    });
  return make({
    ...base,
    evidence,
    expected,
    actual: problems.map((p) => p.text).join('; '),
    outcome: 'fail',
    reason: problems[0]!.reason,
    message: `${label(g)} is ${g.status} but ${problems.map((p) => p.text).join('; ')}${hostNote}`,
    remediation: [...new Set(problems.map((p) => p.fix))].join(' '),
  });
}

/** How to take a retired guest out of a job: the host's one fix line for vmid lists, else exclude / leave the pool. */
function dropFromJob(input: RunInput, g: LifecycleGuest, pve: PveState, job: VzdumpJob): string {
  if (job.pool !== null)
    return `On ${g.proxmoxHost}: \`pvesh set /pools/${job.pool} --vms ${g.id} --delete 1\` (job ${job.id} backs up pool ${job.pool}).`;
  if (job.vmids) return hostFixPlan(input, g.proxmoxHost, pve).drop(job);
  return `On ${g.proxmoxHost}: \`pvesh set /cluster/backup/${job.id} --exclude ${[...job.exclude, g.id].join(',')}\` (job ${job.id} backs up every guest), or destroy the guest.`;
}

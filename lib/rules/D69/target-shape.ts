// D69.target-shape: does the active guest's target name its archives as vzdump writes them, at its class's limit?

import { type LifecycleGuest, type PveStorageTarget } from '../../bindings/types.js';
import type { Finding } from '../../model.js';
import { bindingEvidence } from '../input.js';
import type { RunInput } from '../run-index.js';
import { make, label, at, ARCHIVE_EXT, guestBase, siteHosts, guestType, withTarget } from './guest-facts.js';

export function checkTargetShape(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.target-shape', g, 'high');
  const found = withTarget(input, g, base);
  if ('finding' in found) return found.finding;
  const { t } = found;
  if (t.kind === 'pve_storage') return checkStorageTargetShape(g, t, base);
  const hosts = siteHosts(input, g);
  const type = guestType(input, g);
  const wanted = `vzdump-${type}-${g.id}-*.${ARCHIVE_EXT[type]}`;
  const subject = input.index.globSubject(t.glob);
  const problems: Array<{ reason: string; text: string; fix: string }> = [];
  if (!hosts.includes(t.host)) {
    problems.push({
      reason: 'wrong_host',
      text: `its host is ${t.host}, not ${hosts.join(' or ')}`,
      fix: `host: ${g.proxmoxHost}`,
    });
  }
  if (subject?.vmid !== g.id || subject.type !== type) {
    const typeNote = type !== g.vmType ? ` (${g.proxmoxHost} reports it as ${type}; vm_type says ${g.vmType})` : '';
    problems.push({
      reason: 'glob_mismatch',
      text: `its glob ${t.glob} does not name ${type} ${g.id}'s archives${typeNote}`,
      fix: `glob: "${wanted}"`,
    });
  }
  const evidence = [...base.evidence, bindingEvidence(t)];
  const expected = `host ${hosts.join(' or ')}, glob vzdump-${type}-${g.id}-*`;
  if (!problems.length)
    return make({
      ...base,
      evidence,
      expected,
      actual: `host ${t.host}, glob ${t.glob}`,
      outcome: 'pass',
      message: `${label(g)}: ${t.name} is on ${t.host} and names its archives`,
    });
  return make({
    ...base,
    evidence,
    expected,
    actual: `host ${t.host}, glob ${t.glob}`,
    outcome: 'fail',
    reason: problems[0]!.reason,
    message: `${label(g)}: target ${t.name} would not hold its backups: ${problems.map((p) => p.text).join('; ')}`,
    remediation: `If ${t.name} is ${g.id}'s own target, set ${problems.map((p) => `\`${p.fix}\``).join(' and ')} on it in ${at(t)}; if it belongs to another guest, point backup_target in ${at(g)} at ${g.id}'s target.`,
  });
}

/** A pve_storage target is the guest's own when it is on the guest's PVE host and names its VMID. */
function checkStorageTargetShape(g: LifecycleGuest, t: PveStorageTarget, base: ReturnType<typeof guestBase>): Finding {
  const problems: Array<{ reason: string; text: string; fix: string }> = [];
  if (t.host !== g.proxmoxHost)
    problems.push({
      reason: 'wrong_host',
      text: `its host is ${t.host}, not ${g.proxmoxHost}`,
      fix: `host: ${g.proxmoxHost}`,
    });
  if (t.vmid !== g.id)
    problems.push({
      reason: 'vmid_mismatch',
      text: `it expects VMID ${t.vmid}'s backups, not ${g.id}'s`,
      fix: `vmid: ${g.id}`,
    });
  const evidence = [...base.evidence, bindingEvidence(t)];
  const facts = {
    evidence,
    expected: `host ${g.proxmoxHost}, vmid ${g.id}`,
    actual: `host ${t.host}, vmid ${t.vmid} (storage ${t.storage})`,
  };
  if (!problems.length)
    return make({
      ...base,
      ...facts,
      outcome: 'pass',
      message: `${label(g)}: ${t.name} expects its backups on storage ${t.storage} of ${t.host}`,
    });
  return make({
    ...base,
    ...facts,
    outcome: 'fail',
    reason: problems[0]!.reason,
    message: `${label(g)}: target ${t.name} would not hold its backups: ${problems.map((p) => p.text).join('; ')}`,
    remediation: `If ${t.name} is ${g.id}'s own target, set ${problems.map((p) => `\`${p.fix}\``).join(' and ')} on it in ${at(t)}; if it belongs to another guest, point backup_target in ${at(g)} at ${g.id}'s target.`,
  });
}

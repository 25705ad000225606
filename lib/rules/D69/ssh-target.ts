// D69.ssh-target: can the active guest be reached (an ssh.targets.yaml entry)?

import { noFile, type LifecycleGuest } from '../../bindings/types.js';
import type { Finding } from '../../model.js';
import type { RunInput } from '../run-index.js';
import { make, label, at, guestBase, inScope } from './guest-facts.js';

export function checkSshTarget(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.ssh-target', g, 'medium');
  if (!input.bindings.ssh)
    return make({
      ...base,
      outcome: 'skip',
      reason: noFile('ssh'),
      message: `${label(g)}: the bindings have no ssh.targets.yaml`,
    });
  const scoped = inScope(input, g, base, input.bindings.policy.d69.sshTargetRequiredFor, 'ssh_target_required_for');
  if ('finding' in scoped) return scoped.finding;
  // ssh_target when set, else the hostname: a set but dangling ssh_target is drift even if the hostname resolves.
  const id = g.sshTarget ?? g.hostname;
  const by = g.sshTarget ? 'ssh_target' : 'hostname';
  if (id && input.index.isSshTarget(id))
    return make({ ...base, outcome: 'pass', message: `${label(g)}: ssh.targets.yaml has ${id} (by ${by})` });
  const hostnameFix =
    g.sshTarget && g.hostname && input.index.isSshTarget(g.hostname)
      ? ` (ssh.targets.yaml has ${g.hostname}: set \`ssh_target: ${g.hostname}\`)`
      : '';
  return make({
    ...base,
    outcome: 'fail',
    reason: g.sshTarget ? 'unknown_ssh_target' : 'no_ssh_target',
    message: id
      ? `${label(g)}: ${by} ${id} is not an ssh.targets.yaml target id`
      : `${label(g)} has neither ssh_target nor hostname`,
    expected: 'an ssh.targets.yaml entry',
    actual: id ? `${by} ${id}` : 'none',
    remediation: `Add \`{id: ${id ?? `vm-${g.id}`}, host: <address>, user: <user>}\` to ssh.targets.yaml targets, or fix ssh_target on VMID ${g.id} in ${at(g)}${hostnameFix}.`,
  });
}

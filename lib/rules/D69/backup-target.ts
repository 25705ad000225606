// D69.backup-target: does every active guest have an inventory target?

import { type LifecycleGuest } from '../../bindings/types.js';
import type { Finding } from '../../model.js';
import { bindingEvidence } from '../input.js';
import type { RunInput } from '../run-index.js';
import { make, label, at, ARCHIVE_EXT, guestBase, targetOf, siteHosts, guestType } from './guest-facts.js';

export function checkBackupTarget(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.backup-target', g, 'high');
  const t = targetOf(input, g);
  if (t)
    return make({
      ...base,
      evidence: [...base.evidence, bindingEvidence(t)],
      outcome: 'pass',
      message: `${label(g)}: backup_target ${t.name} is an inventory target`,
    });
  // The target whose glob names this guest's archives on its own site is what backup_target should say.
  const sameGuest = input.index.targetsOfVmid(g.id);
  const named = sameGuest.find((x) => siteHosts(input, g).includes(x.host));
  const type = guestType(input, g);
  const remediation = named
    ? `Set \`backup_target: ${named.name}\` on VMID ${g.id} in ${at(g)} (the inventory target whose glob names ${g.id}'s archives).`
    : `Add a target to backup.inventory.yaml (\`name: vm-${g.id}-${g.hostname ?? 'guest'}-primary, host: ${g.proxmoxHost}, glob: "vzdump-${type}-${g.id}-*.${ARCHIVE_EXT[type]}"\`) and set backup_target to its name in ${at(g)}.`;
  const missing = g.backupTarget === null;
  return make({
    ...base,
    outcome: 'fail',
    reason: missing ? 'no_backup_target' : 'unknown_target',
    message: missing
      ? `${label(g)} is active with no backup_target`
      : `${label(g)}: backup_target ${g.backupTarget} names no backup.inventory.yaml target`,
    expected: 'the name of an inventory target',
    actual: g.backupTarget ?? 'none',
    remediation,
  });
}

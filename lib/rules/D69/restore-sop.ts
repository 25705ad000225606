// D69.restore-sop: does the active guest's restore SOP exist in the repository?

import { type LifecycleGuest } from '../../bindings/types.js';
import type { Finding } from '../../model.js';
import { isRepositoryRelative } from '../input.js';
import type { RunInput } from '../run-index.js';
import { make, label, at, guestBase, declaredField, placesFor } from './guest-facts.js';

export function checkRestoreSop(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.restore-sop', g, 'medium');
  const found = declaredField(
    input,
    g,
    base,
    'restoreSop',
    input.bindings.policy.d69.restoreSopRequiredFor,
    'restore_sop_required_for',
  );
  if ('finding' in found) return found.finding;
  const { t, on, value: path, evidence } = found;
  if (!on || !path) {
    return make({
      ...base,
      outcome: 'fail',
      reason: 'no_restore_sop',
      message: `${label(g)}: no restore SOP declared ${placesFor('restore_sop', t)}`,
      expected: 'restore_sop: <path of the SOP>',
      actual: 'none',
      remediation: `Write its restore SOP (artifact paths, restore commands, post-restore checks, restore test) and add \`restore_sop: docs/restore/${g.hostname ?? g.id}.md\` to VMID ${g.id} in ${at(g)}${t ? ` or to ${t.name} in ${at(t)}` : ''}.`,
    });
  }
  if (!isRepositoryRelative(path)) {
    return make({
      ...base,
      evidence,
      outcome: 'fail',
      reason: 'sop_outside_repository',
      message: `${label(g)}: restore_sop ${path} is not a path inside the repository (absolute, or with a .. segment); it is not looked up`,
      expected: 'a path relative to the repository root',
      actual: path,
      remediation: `Keep the SOP in the repository and set restore_sop to its path relative to the repository root in ${at(on)}.`,
    });
  }
  const sops = input.restoreSops;
  if (!sops || !(path in sops.found))
    return make({
      ...base,
      evidence,
      outcome: 'skip',
      reason: 'not_checked',
      message: `${label(g)}: whether ${path} exists was not checked`,
    });
  if (sops.found[path])
    return make({ ...base, evidence, outcome: 'pass', message: `${label(g)}: restore SOP ${path} exists` });
  return make({
    ...base,
    evidence,
    outcome: 'fail',
    reason: 'sop_not_found',
    message: `${label(g)}: restore SOP ${path} (declared in ${at(on)}) does not exist under ${sops.root}`,
    expected: `file ${path}`,
    actual: 'missing',
    remediation: `Write ${path} in the repository, or fix restore_sop in ${at(on)}.`,
  });
}

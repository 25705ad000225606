// D69.offsite: has an offsite copy of the active guest been decided (a copy, or an explicit no)?

import { type InventoryTarget, type LifecycleGuest } from '../../bindings/types.js';
import type { Finding } from '../../model.js';
import { bindingEvidence } from '../input.js';
import type { RunInput } from '../run-index.js';
import {
  make,
  label,
  at,
  ARCHIVE_EXT,
  guestBase,
  siteHosts,
  guestType,
  targetsCovering,
  declaredField,
  placesFor,
} from './guest-facts.js';

export function checkOffsite(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.offsite', g, 'medium');
  const found = declaredField(
    input,
    g,
    base,
    'offsite',
    input.bindings.policy.d69.offsiteRequiredFor,
    'offsite_required_for',
  );
  if ('finding' in found) return found.finding;
  const { t, on: decidedOn, value: decision, evidence } = found;
  if (!decidedOn || !decision) {
    return make({
      ...base,
      outcome: 'fail',
      reason: 'no_offsite_decision',
      message: `${label(g)}: no offsite decision recorded ${placesFor('offsite', t)}`,
      expected: 'offsite: {required: true|false, reason}',
      actual: 'none',
      remediation: `Decide and record it on VMID ${g.id} in ${at(g)}: \`offsite: {required: true, reason: "…"}\` (then add an enabled target on the offsite host that holds its archives), or \`offsite: {required: false, reason: "<why the local copy is enough>"}\`.`,
    });
  }
  if (!decision.required) {
    if (decision.reason?.trim())
      return make({
        ...base,
        evidence,
        outcome: 'pass',
        message: `${label(g)}: no offsite copy required: ${decision.reason}`,
      });
    return make({
      ...base,
      evidence,
      outcome: 'fail',
      reason: 'no_offsite_reason',
      message: `${label(g)}: offsite.required is false with no reason: an unexplained "no" is not a decision`,
      expected: 'offsite.reason',
      actual: 'none',
      remediation: `Add \`reason: "<why the local copy is enough>"\` to offsite in ${at(decidedOn)}.`,
    });
  }
  const type = guestType(input, g);
  const home = siteHosts(input, g);
  const copies = targetsCovering(input, type, g.id).filter((x) => isOffsiteCopy(input, x, home));
  const enabled = copies.filter((x) => x.enabled);
  if (enabled.length) {
    return make({
      ...base,
      evidence: [...evidence, ...enabled.map((x) => bindingEvidence(x))],
      outcome: 'pass',
      message: `${label(g)}: offsite copy required and held by ${enabled.map((x) => `${x.name} on ${x.host}`).join(', ')}`,
    });
  }
  const disabled = copies.length ? ` (${copies.map((x) => x.name).join(', ')} would, but is disabled)` : '';
  return make({
    ...base,
    evidence: [...evidence, ...copies.map((x) => bindingEvidence(x))],
    outcome: 'fail',
    reason: 'no_offsite_target',
    message: `${label(g)}: an offsite copy is required, but no enabled target on a host other than ${home.join(' and ')} holds its archives${disabled}`,
    expected: `an enabled target off ${home.join('/')} whose glob matches vzdump-${type}-${g.id}-*`,
    actual: 'none',
    remediation: `Add an enabled target on the offsite host to backup.inventory.yaml (\`glob: "vzdump-${type}-${g.id}-*.${ARCHIVE_EXT[type]}"\`) with the sync job that fills it, or record \`offsite: {required: false, reason: "…"}\` in ${at(decidedOn)}.`,
  });
}

/**
 * Whether a target holding the guest's backups is off its site: on another host, or (pve_storage)
 * on a storage of its host that `d69.offsite_storages` says lives elsewhere (a remote PBS).
 */
function isOffsiteCopy(input: RunInput, t: InventoryTarget, home: string[]): boolean {
  if (!home.includes(t.host)) return true;
  return t.kind === 'pve_storage' && (input.bindings.policy.d69.offsiteStorages[t.host] ?? []).includes(t.storage);
}

// D69.runtime-unit: does the active guest run a declared runtime unit?

import { type LifecycleGuest } from '../../bindings/types.js';
import type { Finding } from '../../model.js';
import { bindingEvidence } from '../input.js';
import type { RunInput } from '../run-index.js';
import { make, label, at, guestBase } from './guest-facts.js';

const UNIT_FIELDS = [
  ['backup_profile', 'backupProfile'],
  ['data_class', 'dataClass'],
  ['destination_lane', 'destinationLane'],
  ['schedule_class', 'scheduleClass'],
  ['restore_class', 'restoreClass'],
] as const;

export function checkRuntimeUnit(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.runtime-unit', g, 'medium');
  const units = input.bindings.inventory.runtimeUnits;
  if (!units)
    return make({
      ...base,
      outcome: 'skip',
      reason: 'no_runtime_units',
      message: `${label(g)}: backup.inventory.yaml has no runtime_units`,
    });
  const candidates = input.index.vmUnitsOf(g.hostname);
  const judged = candidates.map((u) => ({
    u,
    missing: UNIT_FIELDS.filter(([, key]) => !u[key]?.trim()).map(([field]) => field),
  }));
  const ready = judged.find((j) => !j.missing.length && j.u.backupAdmissionState === 'production_ready');
  if (ready)
    return make({
      ...base,
      evidence: [...base.evidence, bindingEvidence(ready.u)],
      outcome: 'pass',
      message: `${label(g)}: runtime unit ${ready.u.unitId} is complete and production_ready`,
    });
  const first = judged[0];
  if (!first) {
    return make({
      ...base,
      outcome: 'fail',
      reason: 'no_runtime_unit',
      message: `${label(g)}: no \`kind: vm\` runtime unit has hostname ${g.hostname ?? '(none: the guest has no hostname)'}`,
      expected: 'a kind: vm runtime unit for its hostname',
      actual: 'none',
      remediation: `Add to runtime_units in backup.inventory.yaml: \`{unit_id: vm-${g.id}-${g.hostname ?? 'guest'}, kind: vm, hostname: ${g.hostname ?? '<hostname>'}, backup_profile: …, data_class: …, destination_lane: …, schedule_class: …, restore_class: …, backup_admission_state: production_ready, inventory_targets: [${g.backupTarget ?? '<target>'}]}\`.`,
    });
  }
  const evidence = [...base.evidence, bindingEvidence(first.u)];
  if (first.missing.length) {
    return make({
      ...base,
      evidence,
      outcome: 'fail',
      reason: 'unit_incomplete',
      message: `${label(g)}: runtime unit ${first.u.unitId} has no ${first.missing.join(', ')}`,
      expected: UNIT_FIELDS.map(([f]) => f).join(', '),
      actual: `missing ${first.missing.join(', ')}`,
      remediation: `Set ${first.missing.join(', ')} on runtime unit ${first.u.unitId} in ${at(first.u)}.`,
    });
  }
  return make({
    ...base,
    evidence,
    outcome: 'fail',
    reason: 'not_production_ready',
    message: `${label(g)} is active but runtime unit ${first.u.unitId} is admitted as ${first.u.backupAdmissionState ?? '(nothing)'}`,
    expected: 'backup_admission_state: production_ready',
    actual: String(first.u.backupAdmissionState),
    remediation: `Once its backup is proven (fresh archive, restore test), set \`backup_admission_state: production_ready\` on ${first.u.unitId} in ${at(first.u)}.`,
  });
}

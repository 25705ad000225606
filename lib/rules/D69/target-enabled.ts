// D69.target-enabled: is the active guest's inventory target enabled?

import { type LifecycleGuest } from '../../bindings/types.js';
import type { Finding } from '../../model.js';
import { bindingEvidence } from '../input.js';
import type { RunInput } from '../run-index.js';
import { make, label, at, guestBase, withTarget } from './guest-facts.js';

export function checkTargetEnabled(input: RunInput, g: LifecycleGuest): Finding {
  const base = guestBase('D69.target-enabled', g, 'high');
  const found = withTarget(input, g, base);
  if ('finding' in found) return found.finding;
  const { t } = found;
  const evidence = [...base.evidence, bindingEvidence(t)];
  if (t.enabled) return make({ ...base, evidence, outcome: 'pass', message: `${label(g)}: ${t.name} is enabled` });
  return make({
    ...base,
    evidence,
    outcome: 'fail',
    reason: 'target_disabled',
    message: `${label(g)} is active but its target ${t.name} is disabled: nothing checks that it is backed up`,
    expected: 'enabled: true',
    actual: 'enabled: false',
    remediation: `Set \`enabled: true\` on ${t.name} in ${at(t)} (once its first archive exists), or set the guest's status in ${at(g)} to what it really is.`,
  });
}

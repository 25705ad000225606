// D69.status: is each lifecycle guest's status one the lifecycle knows, with what that status requires?

import type { LifecycleGuest } from '../../bindings/types.js';
import type { Finding } from '../../model.js';
import { make, label, at, guestBase } from './guest-facts.js';

export const LIFECYCLE_STATUSES = ['planning', 'provisioned', 'registered', 'active', 'decommissioned', 'abandoned'];

const STATUS_FIX: Record<string, string> = {
  template:
    'a template is not lifecycle-governed: remove the entry (D69.unregistered-guest skips templates the lifecycle does not list)',
  planned: 'set `status: planning`',
  stopped:
    'a stopped guest is still `active` until it is decommissioned: set `status: active` or `status: decommissioned`',
};

export function checkStatus(g: LifecycleGuest): Finding {
  const base = guestBase('D69.status', g, 'low');
  if (LIFECYCLE_STATUSES.includes(g.status))
    return make({ ...base, outcome: 'pass', message: `${label(g)}: status ${g.status}` });
  return make({
    ...base,
    outcome: 'fail',
    reason: 'status_not_in_enum',
    message: `${label(g)}: status "${g.status}" is not one of ${LIFECYCLE_STATUSES.join(', ')}, so no onboarding or decommission rule applies to it`,
    expected: `one of ${LIFECYCLE_STATUSES.join(', ')}`,
    actual: g.status,
    remediation: `In ${at(g)} (VMID ${g.id}): ${STATUS_FIX[g.status] ?? `set status to one of ${LIFECYCLE_STATUSES.join(', ')}`}.`,
  });
}

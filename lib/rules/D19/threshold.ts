// D19.threshold: is each enabled target's stale_after_hours no looser than its classification allows?

import type { Finding } from '../../model.js';
import { bindingEvidence } from '../input.js';
import type { RunInput } from '../run-index.js';
import { make, enabledTargets, effectiveHours } from './shared.js';

export function checkThresholds(input: RunInput): Finding[] {
  const limits = input.bindings.policy.thresholds;
  return enabledTargets(input).map((t) => {
    const base = {
      check: 'D19.threshold',
      subject: t.name,
      host: null,
      severity: 'medium' as const,
      evidence: [bindingEvidence(t)],
    };
    if (!t.classification) {
      return make({
        ...base,
        outcome: 'skip',
        reason: 'no_classification',
        message: `${t.name}: no classification, so no threshold to hold it to`,
      });
    }
    const hours = effectiveHours(input, t);
    const limit = limits[t.classification];
    if (hours > limit) {
      return make({
        ...base,
        outcome: 'fail',
        reason: 'threshold_too_loose',
        message: `${t.name}: stale_after_hours ${hours} is looser than ${t.classification} allows (${limit})`,
        expected: `≤ ${limit}`,
        actual: String(hours),
        remediation: `Set stale_after_hours: ${limit} (or less) on ${t.name} in ${t.source.file}, or reclassify it.`,
        fix: [
          {
            file: t.source.file,
            path: ['targets', input.bindings.inventory.targets.indexOf(t), 'stale_after_hours'],
            op: 'set',
            value: limit,
          },
        ],
      });
    }
    return make({
      ...base,
      outcome: 'pass',
      message: `${t.name}: ${hours}h within ${t.classification} (${limit}h)`,
      expected: `≤ ${limit}`,
      actual: String(hours),
    });
  });
}

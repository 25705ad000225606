// D19.target-retired: does every disabled target say why?

import type { Finding } from '../../model.js';
import { bindingEvidence } from '../input.js';
import type { RunInput } from '../run-index.js';
import { make } from './shared.js';

export function checkTargetsRetired(input: RunInput): Finding[] {
  return input.bindings.inventory.targets
    .filter((t) => !t.enabled)
    .map((t) => {
      const base = {
        check: 'D19.target-retired',
        subject: t.name,
        host: null,
        severity: 'low' as const,
        evidence: [bindingEvidence(t)],
      };
      if (t.description?.trim())
        return make({ ...base, outcome: 'pass', message: `${t.name}: disabled, with a reason on record` });
      return make({
        ...base,
        outcome: 'fail',
        reason: 'no_reason_recorded',
        message: `${t.name} is disabled with no description saying why`,
        expected: 'a description or notes',
        actual: 'none',
        remediation: `Add \`description: "<why it is disabled, since when, who decided>"\` to ${t.name} in ${t.source.file}, or remove the target.`,
      });
    });
}

// D19.judged: was every enabled target judged pass or fail? A run never reads healthy when something went unjudged.

import type { Finding } from '../../model.js';
import { bindingEvidence, NO_HOST_STATE } from '../input.js';
import type { RunInput } from '../run-index.js';
import { make } from './shared.js';

export function checkJudged(input: RunInput, freshness: Finding[]): Finding {
  // It counts the inventory's enabled targets: located at the list that defines them.
  const base = {
    check: 'D19.judged',
    subject: 'run',
    host: null,
    severity: 'critical' as const,
    evidence: [bindingEvidence({ source: input.bindings.inventory.targetsSource })],
  };
  if (!input.state)
    return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `freshness coverage: ${NO_HOST_STATE}` });
  const enabled = freshness.length;
  // A target whose only jobs have not had their first run is known to be waiting, not unjudged: the
  // job exists and D19.job-run watches that it starts (issue 11), so it must not turn the run into an error.
  const waiting = freshness
    .filter((f) => f.outcome === 'skip' && f.reason === 'first_run_pending')
    .map((f) => f.subject);
  const judged = freshness.filter((f) => f.outcome === 'pass' || f.outcome === 'fail');
  const unjudged = freshness
    .filter((f) => f.outcome !== 'pass' && f.outcome !== 'fail' && !waiting.includes(f.subject))
    .map((f) => f.subject);
  const counts = {
    expected: `${enabled} of ${enabled} enabled targets judged`,
    actual: `${judged.length} judged${waiting.length ? `, ${waiting.length} waiting` : ''}`,
  };
  if (enabled === 0) {
    return make({
      ...base,
      ...counts,
      outcome: 'error',
      reason: 'nothing_to_judge',
      message: 'no enabled inventory target: nothing was checked, so the run cannot read healthy',
      remediation: 'Enable the targets that must be backed up in backup.inventory.yaml.',
    });
  }
  if (unjudged.length) {
    return make({
      ...base,
      ...counts,
      outcome: 'error',
      reason: 'unjudged_targets',
      message: `${judged.length} of ${enabled} enabled targets were judged; not judged: ${unjudged.join(', ')}`,
      remediation: 'Make the hosts of the unjudged targets readable (see their D19.freshness errors), then run again.',
    });
  }
  if (judged.length === 0) {
    return make({
      ...base,
      ...counts,
      outcome: 'skip',
      reason: 'first_run_pending',
      message: `no enabled target could be judged yet: every one waits for its job's first run (${waiting.join(', ')})`,
    });
  }
  const message = waiting.length
    ? `${judged.length} of ${enabled} enabled targets were judged; the other ${waiting.length} wait for their job's first run: ${waiting.join(', ')}`
    : `all ${enabled} enabled targets were judged`;
  return make({ ...base, ...counts, outcome: 'pass', message });
}

// D19.snapshot-age: is the host-state snapshot recent, and its capture time real?

import type { Finding } from '../../model.js';
import { NO_HOST_STATE } from '../input.js';
import type { RunInput } from '../run-index.js';
import { hoursBetween } from '../../time/instants.js';
import { make } from './shared.js';

export function checkSnapshotAge(input: RunInput): Finding {
  const base = { check: 'D19.snapshot-age', subject: 'run', host: null, severity: 'high' as const };
  if (!input.state)
    return make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `snapshot age: ${NO_HOST_STATE}` });
  if (input.bundledDemo)
    return make({
      ...base,
      outcome: 'skip',
      reason: 'bundled_demo',
      message: 'the bundled demo site is judged as of its capture time',
    });
  if (input.maxSnapshotAgeHours === null)
    return make({
      ...base,
      outcome: 'skip',
      reason: 'turned_off',
      message: 'snapshot age check turned off (--max-snapshot-age 0)',
    });
  const age = hoursBetween(input.state.capturedAt, input.now);
  if (age === null) {
    return make({
      ...base,
      outcome: 'error',
      reason: 'bad_capture_time',
      message: `the capture time ${input.state.capturedAt} or the run's time ${input.now} is no real time`,
      evidence: [{ file: 'snapshot.yaml', detail: `captured_at ${input.state.capturedAt}` }],
    });
  }
  const shown = `${age.toFixed(1)}h`;
  const facts = {
    expected: `≤ ${input.maxSnapshotAgeHours}h`,
    actual: shown,
    evidence: [{ file: 'snapshot.yaml', detail: `captured_at ${input.state.capturedAt}` }],
  };
  if (age > input.maxSnapshotAgeHours) {
    return make({
      ...base,
      ...facts,
      outcome: 'fail',
      reason: 'snapshot_stale',
      message: `the snapshot was captured ${shown} ago, more than ${input.maxSnapshotAgeHours}h`,
      remediation: 'Take a fresh snapshot (`ops snapshot`) or run with --live.',
    });
  }
  if (age < -0.1) {
    return make({
      ...base,
      ...facts,
      outcome: 'fail',
      reason: 'captured_in_future',
      message: `the snapshot claims to be captured ${(-age).toFixed(1)}h in the future`,
      remediation: 'Check the clock of the machine that took the snapshot.',
    });
  }
  return make({ ...base, ...facts, outcome: 'pass', message: `the snapshot is ${shown} old` });
}

// What several D19 checks share: the finding factory, the targets judged, their stale limit, times as text.

import type { InventoryTarget } from '../../bindings/types.js';
import type { Finding, PveState, VzdumpJob } from '../../model.js';
import { findingsFor, type VerifyInput } from '../input.js';

export const { make } = findingsFor('D19');

export const enabledTargets = (input: VerifyInput) => input.bindings.inventory.targets.filter((t) => t.enabled);

// The loader rejects a target that has no stale_after_hours of its own and no default to fall back to.
export const effectiveHours = (input: VerifyInput, t: InventoryTarget) => t.staleAfterHours ?? input.bindings.inventory.defaults.staleAfterHours!;

/**
 * How far an archive's mtime may lie ahead of the capture time and still count as "0h old": clocks
 * kept by NTP differ by far less, but `captured_at` is the start of the collection and a host may be
 * listed minutes later (hosts queue behind --concurrency), while a dump finishes meanwhile. Beyond
 * this the host's clock (or the file's mtime) is wrong and the archive's age cannot be known.
 */
export const FUTURE_MTIME_TOLERANCE_S = 15 * 60;

export const isoOf = (epoch: number) => new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');

export type FreshnessBase = Pick<Finding, 'check' | 'subject' | 'host' | 'severity'>;

/** The enabled jobs PVE runs on `node`: those without `node`, or with this one (any job when the node is unknown). */
export function enabledJobsOn(pve: PveState, node: string | null): VzdumpJob[] {
  return pve.jobs.filter((j) => j.enabled && (j.node === null || node === null || j.node === node));
}

// What several D19 checks share: the finding factory, the targets judged, their stale limit, times as text.

import type { InventoryTarget } from '../../bindings/types.js';
import type { Finding, Guest, PveState, TargetRef, VzdumpJob } from '../../model.js';
import { bindingEvidence, findingsFor, judgeSafely, pveStateOf, severityByClass } from '../input.js';
import type { RunInput } from '../run-index.js';
import { pveHostIds } from '../../bindings/pve-hosts.js';

export const { make } = findingsFor('D19');

export const enabledTargets = (input: RunInput) => input.bindings.inventory.targets.filter((t) => t.enabled);

// The loader rejects a target that has no stale_after_hours of its own and no default to fall back to.
export const effectiveHours = (input: RunInput, t: InventoryTarget) =>
  t.staleAfterHours ?? input.bindings.inventory.defaults.staleAfterHours!;

/**
 * How far an archive's mtime may lie ahead of the capture time and still count as "0h old": clocks
 * kept by NTP differ by far less, but `captured_at` is the start of the collection and a host may be
 * listed minutes later (hosts queue behind --concurrency), while a dump finishes meanwhile. Beyond
 * this the host's clock (or the file's mtime) is wrong and the archive's age cannot be known.
 */
export const FUTURE_MTIME_TOLERANCE_S = 15 * 60;

export const isoOf = (epoch: number) => new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');

export type FreshnessBase = Readonly<Pick<Finding, 'check' | 'subject' | 'host' | 'severity' | 'target'>>;

/** The target's guest (`qemu/102`) and node as the host state lists them, and its storage: what monitoring joins on. */
export function targetRef(input: RunInput, t: InventoryTarget, pveHosts: string[]): TargetRef {
  const vmid = input.index.targetVmid(t) ?? null;
  let guest: Guest | undefined;
  if (vmid !== null && input.state) {
    // The target's own host first (a pve_storage target's), then any PVE host that lists the guest.
    for (const hostId of [t.host, ...pveHosts]) {
      const pve = input.state.hosts[hostId] ? pveStateOf(input.state, hostId) : null;
      guest = pve && 'value' in pve ? input.index.pve(pve.value).guest(vmid) : undefined;
      if (guest) break;
    }
  }
  const type = guest?.type ?? (t.kind === 'file_glob' ? input.index.globSubject(t.glob)?.type : undefined);
  return {
    vmid,
    guest: vmid !== null && type ? `${type}/${vmid}` : null,
    storage: t.kind === 'pve_storage' ? t.storage : t.basePath,
    node: guest?.node ?? null,
  };
}

/** The enabled jobs PVE runs on `node`: those without `node`, or with this one (any job when the node is unknown). */
export function enabledJobsOn(pve: PveState, node: string | null): VzdumpJob[] {
  return pve.jobs.filter((j) => j.enabled && (j.node === null || node === null || j.node === node));
}

/**
 * One finding per enabled target (`pick` may leave a target out), each judged safely: a throw (a
 * hostile value no parser foresaw) is that target's internal_error, never the gate's. `judge` gets the
 * fields every such finding shares, and the PVE hosts.
 */
export function judgeEachTarget(
  input: RunInput,
  check: string,
  judge: (t: InventoryTarget, base: FreshnessBase, pveHosts: string[]) => Finding,
  pick: (t: InventoryTarget) => boolean = () => true,
): Finding[] {
  const pveHosts = pveHostIds(input.bindings);
  return enabledTargets(input)
    .filter(pick)
    .map((t) => {
      // Frozen, so that V8 copies it into one hidden class it reuses: each `{ ...base, outcome, … }` a
      // check builds is then about ten times cheaper than when `base` is a plain literal (cold code).
      const base = Object.freeze({
        check,
        subject: t.name,
        host: t.host,
        severity: severityByClass[t.classification ?? ''] ?? 'high',
        target: targetRef(input, t, pveHosts),
      } as const);
      const asError = (message: string) =>
        make({
          ...base,
          outcome: 'error',
          reason: 'internal_error',
          message: `${t.name}: ${message}`,
          evidence: [bindingEvidence(t)],
        });
      return judgeSafely(() => judge(t, base, pveHosts), asError);
    });
}

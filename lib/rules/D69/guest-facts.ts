// What several D69 checks share: facts about one lifecycle guest (its targets, the archives PVE
// names for it, its hosts), and the targets that cover a guest's archives, filed once per run.

import { type ClassScope, type InventoryTarget, type LifecycleGuest } from '../../bindings/types.js';
import type { Evidence, Finding, PveState, Severity } from '../../model.js';
import { bindingEvidence, findingsFor, NO_HOST_STATE, pveStateOf } from '../input.js';
import type { RunInput } from '../run-index.js';
import { literalPrefix } from '../glob-index.js';
import { Derived, type RunIndex } from '../run-index.js';

export const { make } = findingsFor('D69');

export type GuestCheck = (input: RunInput, g: LifecycleGuest) => Finding;

export const label = (g: LifecycleGuest) => `${g.vmType}/${g.id}${g.hostname ? ` (${g.hostname})` : ''}`;

export const at = (entry: { source: { file: string; line: number } }) => `${entry.source.file}:${entry.source.line}`;

export const ARCHIVE_EXT = { qemu: 'vma.zst', lxc: 'tar.zst' } as const;

export function guestBase(check: string, g: LifecycleGuest, severity: Severity) {
  return { check, subject: `${g.vmType}/${g.id}`, host: g.proxmoxHost, severity, evidence: [bindingEvidence(g)] };
}

export function targetOf(input: RunInput, g: LifecycleGuest): InventoryTarget | undefined {
  return g.backupTarget === null ? undefined : input.index.targetNamed(g.backupTarget);
}

/** The hosts a guest's own-site targets live on: its hypervisor and the storage host the policy names for it. */
export function siteHosts(input: RunInput, g: LifecycleGuest): string[] {
  const storage = input.bindings.policy.d69.storageHosts[g.proxmoxHost];
  return storage && storage !== g.proxmoxHost ? [g.proxmoxHost, storage] : [g.proxmoxHost];
}

/** The type the host reports when it can be read (what the archives are named after), else vm_type. */
export function guestType(input: RunInput, g: LifecycleGuest): 'qemu' | 'lxc' {
  const pve = input.state ? pveStateOf(input.state, g.proxmoxHost) : null;
  const live = pve && 'value' in pve ? input.index.pve(pve.value).guest(g.id) : undefined;
  return live?.type ?? g.vmType;
}

const ARCHIVE_NAMES = {
  qemu: ['vma.zst', 'vma.gz', 'vma.lzo', 'vma'],
  lxc: ['tar.zst', 'tar.gz', 'tar.lzo', 'tar'],
} as const;

/** Names this guest's archives could have, as globCovers tests them. */
const archiveNames = (type: 'qemu' | 'lxc', vmid: number) =>
  ARCHIVE_NAMES[type].map((ext) => `vzdump-${type}-${vmid}-2026_01_01-02_00_00.${ext}`);

interface VzdumpGlob {
  prefix: string;
  isMatch: (name: string) => boolean;
}

/** A glob's last segment when it names vzdump archives: its compiled matcher and literal prefix. */
function vzdumpGlob(index: RunIndex, glob: string): VzdumpGlob | null {
  const base = glob.split('/').pop() ?? '';
  // app-dump folders (`*.tar.gz`) hold no guest archives
  return base.startsWith('vzdump-') ? { prefix: literalPrefix(base), isMatch: index.globMatcher(base) } : null;
}

/** Whether a glob (see vzdumpGlob) matches this guest's vzdump archives. */
const globCovers = (g: VzdumpGlob, type: 'qemu' | 'lxc', vmid: number) =>
  archiveNames(type, vmid).some((name) => name.startsWith(g.prefix) && g.isMatch(name));

/** The inventory's vzdump file_glob targets (as their indexes), filed under their globs' literal prefixes. */
const TARGETS_BY_GLOB_PREFIX = new Derived<readonly InventoryTarget[], Map<string, { i: number; glob: VzdumpGlob }[]>>(
  'vzdump file_glob targets by literal prefix',
);

/**
 * `targets.filter((t) => <t's glob covers the guest's archive names>)` plus the pve_storage targets of that VMID,
 * without testing every target: a glob covers a name only if its literal prefix starts the name, so only targets
 * filed under one of the names' prefixes are tested.
 */
export function targetsCovering(input: RunInput, type: 'qemu' | 'lxc', vmid: number): InventoryTarget[] {
  const { index } = input;
  const targets = input.bindings.inventory.targets;
  const byPrefix = index.remember(TARGETS_BY_GLOB_PREFIX, targets, () => {
    const filed = new Map<string, { i: number; glob: VzdumpGlob }[]>();
    targets.forEach((t, i) => {
      const glob = t.kind === 'file_glob' ? vzdumpGlob(index, t.glob) : null;
      if (glob) filed.set(glob.prefix, [...(filed.get(glob.prefix) ?? []), { i, glob }]);
    });
    return filed;
  });
  const found = new Set<number>();
  for (const name of archiveNames(type, vmid)) {
    for (let n = 1; n <= name.length; n++) {
      for (const { i, glob } of byPrefix.get(name.slice(0, n)) ?? []) if (globCovers(glob, type, vmid)) found.add(i);
    }
  }
  // A pve_storage target names its guest by VMID: its backups on that storage are the guest's whatever their type.
  for (const t of index.targetsOfVmid(vmid)) if (t.kind === 'pve_storage') found.add(targets.indexOf(t));
  return [...found].sort((a, b) => a - b).map((i) => targets[i]!);
}

/** The guest's PVE host state, or the finding to give instead: skip without host state, error when unreadable. */
export function hostPve(
  input: RunInput,
  base: ReturnType<typeof guestBase>,
  g: LifecycleGuest,
): { pve: PveState } | { finding: Finding } {
  if (!input.state)
    return {
      finding: make({ ...base, outcome: 'skip', reason: NO_HOST_STATE, message: `${label(g)}: ${NO_HOST_STATE}` }),
    };
  const pve = pveStateOf(input.state, g.proxmoxHost);
  if ('problem' in pve) {
    return {
      finding: make({
        ...base,
        outcome: 'error',
        reason: pve.problem.reason,
        message: `${label(g)}: cannot judge, ${pve.problem.message}`,
      }),
    };
  }
  return { pve: pve.value };
}

/** Whether the policy requires something (SOP, offsite decision) of this guest; null when it cannot tell. */
function requiredFor(scope: ClassScope, t: InventoryTarget | undefined): boolean | null {
  if (scope === 'all') return true;
  if (!t) return null;
  return t.classification !== null && scope.includes(t.classification);
}

const scopeText = (scope: ClassScope) => (scope === 'all' ? 'all' : `[${scope.join(', ')}]`);

/** The guest's resolved target, or the skip finding of a check that is about that target. */
export function withTarget(
  input: RunInput,
  g: LifecycleGuest,
  base: ReturnType<typeof guestBase>,
): { t: InventoryTarget } | { finding: Finding } {
  const t = targetOf(input, g);
  if (t) return { t };
  return {
    finding: make({
      ...base,
      outcome: 'skip',
      reason: 'no_target',
      message: `${label(g)}: backup_target does not name an inventory target (see D69.backup-target)`,
    }),
  };
}

/**
 * Whether the policy's `scope` (a d69.*_required_for) takes in this guest: its target, or the skip
 * finding that says why not (its target's classification is outside the scope, or unknown).
 */
export function inScope(
  input: RunInput,
  g: LifecycleGuest,
  base: ReturnType<typeof guestBase>,
  scope: ClassScope,
  policyField: string,
): { t: InventoryTarget | undefined } | { finding: Finding } {
  const t = targetOf(input, g);
  const required = requiredFor(scope, t);
  if (required === null) {
    return {
      finding: make({
        ...base,
        outcome: 'skip',
        reason: 'no_target',
        message: `${label(g)}: backup_target does not name an inventory target, so its classification is unknown (see D69.backup-target)`,
      }),
    };
  }
  if (!required) {
    return {
      finding: make({
        ...base,
        outcome: 'skip',
        reason: 'not_required',
        message: `${label(g)}: ${t!.name} is ${t!.classification ?? 'unclassified'}; drift.gates.yaml d69.${policyField} is ${scopeText(scope)}, so none is required`,
      }),
    };
  }
  return { t };
}

/** The D69 fields targets and guests share, with the same types. */
type RestoreFields = Pick<LifecycleGuest, 'restoreSop' | 'offsite'>;

/**
 * A restore field the policy may require of an active guest (its target's classification in
 * `scope`): where it is declared (the guest wins over its target), or the skip finding.
 */
export function declaredField<K extends 'restoreSop' | 'offsite'>(
  input: RunInput,
  g: LifecycleGuest,
  base: ReturnType<typeof guestBase>,
  key: K,
  scope: ClassScope,
  policyField: string,
):
  | {
      t: InventoryTarget | undefined;
      on: LifecycleGuest | InventoryTarget | null;
      value: RestoreFields[K] | null;
      evidence: Evidence[];
    }
  | { finding: Finding } {
  const scoped = inScope(input, g, base, scope, policyField);
  if ('finding' in scoped) return scoped;
  const { t } = scoped;
  const on = g[key] ? g : t?.[key] ? t : null;
  return {
    t,
    on,
    value: on ? (on as RestoreFields)[key] : null,
    evidence: [...base.evidence, ...(on && on !== g ? [bindingEvidence(on)] : [])],
  };
}

/** "(restore_sop on the guest or on <target>)": the places a missing field may go. */
export const placesFor = (field: string, t: InventoryTarget | undefined) =>
  `(${field} on the guest${t ? ` or on ${t.name}` : ''})`;

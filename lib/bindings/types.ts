// Typed, normalised bindings. The loader (load.ts) accepts the variations real history shows
// (`id`/`vmid`, `description`/`notes`, `updated`/`updated_at`) and hands rules one shape.
// `line` fields point into the source file so findings can cite it.

export type Classification = 'critical' | 'important' | 'rebuildable';

export interface SourceRef {
  /** File name relative to the bindings folder. */
  file: string;
  line: number;
}

export interface InventoryTarget {
  name: string;
  enabled: boolean;
  kind: 'file_glob';
  host: string;
  basePath: string;
  glob: string;
  /** As written; null when the target falls back to `defaults.stale_after_hours`. */
  staleAfterHours: number | null;
  classification: Classification | null;
  /** `description` or the older `notes`. */
  description: string | null;
  /** Path of a restore SOP, relative to the bindings' repository root (D69). */
  restoreSop: string | null;
  offsite: { required: boolean; reason: string | null } | null;
  source: SourceRef;
}

export interface RuntimeUnit {
  unitId: string;
  kind: string;
  hostname: string;
  backupProfile: string | null;
  dataClass: string | null;
  destinationLane: string | null;
  scheduleClass: string | null;
  restoreClass: string | null;
  backupAdmissionState: string | null;
  inventoryTargets: string[];
  source: SourceRef;
}

export interface BackupInventory {
  version: number;
  defaults: { timezone: string | null; staleAfterHours: number; sshTimeoutSec: number | null };
  targets: InventoryTarget[];
  /** The March 2026 `model` block, kept as written (rules read what they need). */
  model: Record<string, unknown> | null;
  runtimeUnits: RuntimeUnit[] | null;
}

export interface LifecycleGuest {
  /** `id`, or the older `vmid`. */
  id: number;
  hostname: string | null;
  proxmoxHost: string;
  /** As written: may be outside the documented enum (real files used template/stopped/planned). */
  status: string;
  vmType: 'qemu' | 'lxc';
  backupTarget: string | null;
  sshTarget: string | null;
  description: string | null;
  restoreSop: string | null;
  offsite: { required: boolean; reason: string | null } | null;
  decommissionedAt: string | null;
  source: SourceRef;
}

export interface VmLifecycle {
  version: number;
  updated: string | null;
  defaults: { proxmoxHost: string | null };
  guests: LifecycleGuest[];
}

export interface SshTarget {
  id: string;
  host: string;
  user: string;
  port: number;
  probeVia: string | null;
  connectTimeoutSec: number | null;
  source: SourceRef;
}

export interface SshTargets {
  defaults: { user: string; port: number; connectTimeoutSec: number | null };
  targets: SshTarget[];
}

export interface CalendarEvent {
  id: string;
  summary: string;
  freq: string;
  byhour: number | null;
  byminute: number | null;
  durationMinutes: number | null;
  description: string | null;
  source: SourceRef;
}

export interface BackupCalendar {
  version: number;
  updated: string | null;
  timezone: string | null;
  dtstartDate: string | null;
  calendarName: string | null;
  events: CalendarEvent[];
}

export interface ScheduleJob {
  id: string;
  enabled: boolean;
  kind: string;
  host: string | null;
  scheduleCron: string | null;
  inventoryTargets: string[];
  source: SourceRef;
}

export interface BackupSchedule {
  version: number;
  timezone: string | null;
  jobs: ScheduleJob[];
}

export interface CalendarHomeContract {
  host: string | null;
  baseUrl: string | null;
  calendarCollection: string | null;
}

/** The project's own policy file, `drift.gates.yaml` (optional; every field has a documented default). */
export interface GatePolicy {
  /** Loosest allowed `stale_after_hours` per classification. */
  thresholds: Record<Classification, number>;
  /** Hosts whose PVE state is collected and judged; default: every lifecycle `proxmox_host`. */
  pveHosts: string[] | null;
  /**
   * Where restore SOP paths are resolved, relative to the bindings folder as written; null: the
   * bindings' git toplevel, else the bindings folder's parent.
   */
  repositoryRoot: string | null;
  d69: D69Policy;
  /** Raw sections owned by later gates (relay, calendar), validated by the schema. */
  relay: Record<string, unknown> | null;
  calendar: Record<string, unknown> | null;
}

/** Classifications a D69 requirement applies to, or every active guest whatever its target. */
export type ClassScope = Classification[] | 'all';

export interface D69Policy {
  /** Default: [critical]. */
  restoreSopRequiredFor: ClassScope;
  /** Default: [critical]. */
  offsiteRequiredFor: ClassScope;
  /** proxmox_host → the ssh id of the storage host its dumps land on (an NFS NAS): not offsite for that site. */
  storageHosts: Record<string, string>;
}

export interface Bindings {
  /** Absolute path of the bindings folder. */
  dir: string;
  inventory: BackupInventory;
  lifecycle: VmLifecycle;
  ssh: SshTargets;
  calendar: BackupCalendar;
  schedule: BackupSchedule | null;
  calendarHome: CalendarHomeContract | null;
  policy: GatePolicy;
  /** sha256 of every file read, by file name. */
  digests: Record<string, string>;
}

/** One problem in one binding file. */
export interface BindingError {
  file: string;
  line: number | null;
  column: number | null;
  /** JSON-pointer-like field path, e.g. `targets[3].stale_after_hours`. */
  path: string;
  expected: string;
  found: string;
}

export function formatBindingError(e: BindingError): string {
  const where = e.line === null ? e.file : `${e.file}:${e.line}:${e.column ?? 1}`;
  const field = e.path ? ` ${e.path}:` : '';
  return `${where}:${field} expected ${e.expected}, found ${e.found}`;
}

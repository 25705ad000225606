// Typed, normalised bindings. The loader (load.ts) accepts the variations real history shows
// (`id`/`vmid`, `description`/`notes`, `updated`/`updated_at`) and hands rules one shape.
// `line` fields point into the source file so findings can cite it.

export type Classification = 'critical' | 'important' | 'rebuildable';

export interface SourceRef {
  /** File name relative to the bindings folder. */
  file: string;
  line: number;
}

/** A backup target of backup.inventory.yaml: files in a folder, or a guest's backups on a PVE storage. */
export type InventoryTarget = FileGlobTarget | PveStorageTarget;

/** The newest file matching `glob` under `basePath` on `host`. */
export interface FileGlobTarget extends TargetCommon {
  kind: 'file_glob';
  basePath: string;
  glob: string;
}

/** The newest backup of guest `vmid` on PVE storage `storage` (PBS, NFS, CIFS, dir…) as PVE host `host` lists it. */
export interface PveStorageTarget extends TargetCommon {
  kind: 'pve_storage';
  /** A storage id as PVE's `pve-storage-id` format allows (validated by the schema). */
  storage: string;
  vmid: number;
}

interface TargetCommon {
  name: string;
  enabled: boolean;
  host: string;
  /** As written; null when the target falls back to `defaults.stale_after_hours`. */
  staleAfterHours: number | null;
  classification: Classification | null;
  /** D19.size: the newest archive under this many bytes is `empty_archive`; null: only 0 bytes is. */
  minSizeBytes: number | null;
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
  /** Where the `targets` list starts: what run-level findings about all targets (D19.judged) point at. */
  targetsSource: SourceRef;
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
  /** null: a placeholder (`host: null`) for a machine not reachable yet; an error only where it is used. */
  host: string | null;
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
  /** WEEKLY: RRULE BYDAY codes (MO…SU); a WEEKLY event without them has no known day. */
  byday: string[] | null;
  /** MONTHLY: days of the month; a MONTHLY event without them has no known day. */
  bymonthday: number[] | null;
  source: SourceRef;
}

export interface BackupCalendar {
  version: number;
  updated: string | null;
  timezone: string | null;
  dtstartDate: string | null;
  calendarName: string | null;
  events: CalendarEvent[];
  /** Where the `events` list starts: what a finding about an event no binding has (calendar.orphan) points at. */
  eventsSource: SourceRef;
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
  d19: D19Policy;
  d69: D69Policy;
  /** relay-stalwart policy; null: no `relay:` section, the gate is skipped. */
  relay: RelayPolicy | null;
  /** null: no `calendar:` section (every default). */
  calendar: CalendarPolicy | null;
  /** `notify:` with its defaults (ops notify; the relay and recipients come from `relay`). */
  notify: NotifyPolicy;
}

export interface NotifyPolicy {
  /** Sender of alert mail; null: spine-gates@<relay.sender_domain>, else ops notify cannot send. */
  from: string | null;
  /** An unchanged failure is mailed again at most this often. Default 24. */
  cooldownHours: number;
}

/** `calendar:` of drift.gates.yaml (radicale-calendar gate). Credentials are never part of it. */
export interface CalendarPolicy {
  /** Collection URL reached directly; null: calendar.home.contract.yaml's, through an SSH tunnel to its host. */
  url: string | null;
  /** UID of each published event, `{id}` standing for the event id. */
  uidScheme: string;
  /** File holding `user:password`, as written (relative to the bindings folder); null: environment only. */
  credentialsFile: string | null;
}

export const DEFAULT_UID_SCHEME = 'spine-backup-{id}@spine-gates';

/** relay-stalwart: Proxmox mail leaves through the estate's relay over implicit TLS, or not at all. */
export interface RelayPolicy {
  /** The relay (Stalwart) host name postfix and smtp endpoints must name. */
  host: string;
  /** Default 465 (SMTPS). */
  port: number;
  /** Only implicit TLS (SMTPS, postfix smtp_tls_wrappermode) is accepted. */
  tls: 'implicit';
  /** PVE hosts in scope; null: every PVE host. */
  hosts: string[] | null;
  /** Addresses (`alerts@example.com`) or whole domains (`@example.com`) backup mail may go to. */
  allowedRecipients: string[];
  /** Domain every sender address must have; null: senders are not judged. */
  senderDomain: string | null;
  /** Longest a message may sit in a host's postfix queue. Default 60. */
  maxQueueAgeMinutes: number;
  /** Fail on any deferred message, whatever its age. Default false. */
  failOnDeferred: boolean;
  /** Per host: `relay` (default) or `disabled` (nothing on it may send mail). */
  mail: Record<string, 'relay' | 'disabled'>;
  source: SourceRef;
}

/** `d19:` of drift.gates.yaml: backups on PVE storages. */
export interface D19Policy {
  /** D19.storage fails storage_full at or above this used/total percentage. Default 90. */
  storageFullPercent: number;
  /**
   * D19.restore-drill: longest a target may go without a restore drill, per class; absent: not held to it. Default
   * {critical: 90}.
   */
  restoreDrillMaxAgeDays: Partial<Record<Classification, number>>;
  /** D19.size: the newest archive below this × the median of the previous ones is a size_drop. Default 0.5. */
  minSizeRatio: number;
  /**
   * D19.verified: longest a PBS-stored guest may go without a verify that passed, per class; absent: not held to it.
   * Default {critical: 7}.
   */
  verifyMaxAgeDays: Partial<Record<Classification, number>>;
  /** D19.retention: fewest restore points per class (0: not required), and storages whose keep-all is on purpose. */
  retention: { minRestorePoints: Record<Classification, number>; allowUnbounded: string[] };
}

/**
 * D19.retention's defaults: three restore points for a critical guest (a bad night and the one before it
 * still leave a good copy), two for important, one for rebuildable.
 */
export const DEFAULT_MIN_RESTORE_POINTS: Record<Classification, number> = { critical: 3, important: 2, rebuildable: 1 };

/** Classifications a D69 requirement applies to, or every active guest whatever its target. */
export type ClassScope = Classification[] | 'all';

export interface D69Policy {
  /** Default: [critical]. */
  restoreSopRequiredFor: ClassScope;
  /** Default: [critical]. */
  offsiteRequiredFor: ClassScope;
  /** Default: all (every active guest). */
  sshTargetRequiredFor: ClassScope;
  /** PVE host → its storages whose data lives at another site: pve_storage targets there are offsite copies. */
  offsiteStorages: Record<string, string[]>;
  /** proxmox_host → the ssh id of the storage host its dumps land on (an NFS NAS): not offsite for that site. */
  storageHosts: Record<string, string>;
}

/** One entry of restore.drills.yaml: a restore drill a person ran (D19.restore-drill). */
export interface RestoreDrill {
  /** An inventory target name (checked). */
  target: string;
  /** UTC day, `YYYY-MM-DD` (a real date). */
  date: string;
  result: 'ok' | 'failed';
  by: string;
  notes: string | null;
  evidence: string | null;
  source: SourceRef;
}

/** One entry of drift.waivers.yaml: findings of one check accepted until a date. */
export interface Waiver {
  gate: string;
  check: string;
  /** Exact, or a glob; matched against a finding's subject and its `host/subject`. */
  subject: string;
  justification: string;
  owner: string;
  /** Last UTC day the waiver applies, `YYYY-MM-DD`. */
  expires: string;
  source: SourceRef;
}

export interface Bindings {
  /** Absolute path of the bindings folder. */
  dir: string;
  inventory: BackupInventory;
  /** null: the file does not exist (yet); the checks that need it skip with `no vm.lifecycle.yaml` (BINDING_FILES). */
  lifecycle: VmLifecycle | null;
  /** null: no ssh.targets.yaml; --live cannot run, host references are not cross-checked. */
  ssh: SshTargets | null;
  /** null: no backup.calendar.yaml. */
  calendar: BackupCalendar | null;
  schedule: BackupSchedule | null;
  calendarHome: CalendarHomeContract | null;
  policy: GatePolicy;
  /** drift.waivers.yaml; empty without the file. */
  waivers: Waiver[];
  /** restore.drills.yaml; null without the file (D19.restore-drill then reads PVE's restore tasks alone). */
  drills: RestoreDrill[] | null;
  /** sha256 of every file read, by file name. */
  digests: Record<string, string>;
}

/** File names of the optional bindings rules may lack, by Bindings field. */
export const BINDING_FILES = {
  lifecycle: 'vm.lifecycle.yaml',
  ssh: 'ssh.targets.yaml',
  calendar: 'backup.calendar.yaml',
} as const;

/** The skip reason of a check whose binding file does not exist: `no vm.lifecycle.yaml`. */
export const noFile = (field: keyof typeof BINDING_FILES): string => `no ${BINDING_FILES[field]}`;

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

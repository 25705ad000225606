// In-memory test data for gate rules: a minimal valid Bindings / HostState / VerifyInput, each
// with overrides. Defaults describe one healthy estate: PVE host `pve1` with guest qemu/100
// (`app1`, active), enabled job `backup-daily` listing 100, pvescheduler active, and one critical
// target `vm-100-primary` whose newest archive is 6 h old at CAPTURED_AT.
// Used by rule tests only; nothing here reads files.

import type {
  Bindings,
  CalendarEvent,
  FileGlobTarget,
  GatePolicy,
  InventoryTarget,
  LifecycleGuest,
  PveStorageTarget,
} from '../../bindings/types.js';
import type {
  BackupVolume,
  CommandRecord,
  FileEntry,
  Guest,
  HostRecord,
  HostState,
  JobRunStates,
  Listing,
  MailState,
  PveState,
  PveStorage,
  PveStorageState,
  RestoreSource,
  RestoreTask,
  RestoreTasks,
  RetentionFacts,
  StateProblem,
  VzdumpJob,
} from '../../model.js';
import { LISTING_MISSING_EXIT, listingCommand } from '../../snapshot/probe.js';
import type { VerifyInput } from '../input.js';

export const CAPTURED_AT = '2026-03-04T07:30:00Z';
export const DUMP_DIR = '/var/lib/vz/dump';

/** Epoch seconds of `hours` before `at` (default CAPTURED_AT); may be fractional hours. */
export function hoursAgo(hours: number, at: string = CAPTURED_AT): number {
  return Math.round(Date.parse(at) / 1000 - hours * 3600);
}

/** A file entry `hours` old at CAPTURED_AT. */
export function fileAged(path: string, hours: number, size = 1024): FileEntry {
  return { path, mtime: hoursAgo(hours), size };
}

/** A standard vzdump qemu archive name for `vmid` (the stamp is cosmetic). */
export function archiveName(vmid: number, stamp = '2026_03_04-02_00_03', ext = 'vma.zst'): string {
  return `vzdump-qemu-${vmid}-${stamp}.${ext}`;
}

export function okListing(files: FileEntry[]): Listing {
  return { status: 'ok', files };
}

// --- bindings -------------------------------------------------------------------------------

export function makeTarget(overrides: Partial<FileGlobTarget> = {}): FileGlobTarget {
  return {
    name: 'vm-100-primary',
    enabled: true,
    kind: 'file_glob',
    host: 'pve1',
    basePath: DUMP_DIR,
    glob: 'vzdump-qemu-100-*.vma.zst',
    staleAfterHours: 26,
    classification: 'critical',
    minSizeBytes: null,
    description: 'App server. Daily 02:00.',
    restoreSop: null,
    offsite: null,
    source: { file: 'backup.inventory.yaml', line: 10 },
    ...overrides,
  };
}

/** A critical pve_storage target for VMID 100 on storage `pbs-main` of pve1. */
export function makeStorageTarget(overrides: Partial<PveStorageTarget> = {}): PveStorageTarget {
  const { kind: _kind, basePath: _basePath, glob: _glob, ...common } = makeTarget();
  return { ...common, name: 'vm-100-pbs', kind: 'pve_storage', storage: 'pbs-main', vmid: 100, ...overrides };
}

export function makeLifecycleGuest(overrides: Partial<LifecycleGuest> = {}): LifecycleGuest {
  const id = overrides.id ?? 100;
  return {
    id,
    hostname: `app${id - 99}`,
    proxmoxHost: 'pve1',
    status: 'active',
    vmType: 'qemu',
    backupTarget: null,
    sshTarget: null,
    description: null,
    restoreSop: null,
    offsite: null,
    decommissionedAt: null,
    source: { file: 'vm.lifecycle.yaml', line: 5 },
    ...overrides,
  };
}

export interface BindingsOverrides {
  targets?: InventoryTarget[];
  /** Lifecycle entries; their `proxmoxHost`s are the PVE hosts unless `policy.pveHosts` is set. */
  guests?: LifecycleGuest[];
  /** `defaults.stale_after_hours` of the inventory. */
  defaultStaleAfterHours?: number;
  policy?: Partial<GatePolicy>;
}

export function makeBindings(o: BindingsOverrides = {}): Bindings {
  return {
    dir: '/test/bindings',
    inventory: {
      version: 1,
      defaults: { timezone: 'Europe/Berlin', staleAfterHours: o.defaultStaleAfterHours ?? 26, sshTimeoutSec: 5 },
      targets: o.targets ?? [makeTarget()],
      targetsSource: { file: 'backup.inventory.yaml', line: 2 },
      model: null,
      runtimeUnits: null,
    },
    lifecycle: {
      version: 1,
      updated: null,
      defaults: { proxmoxHost: null },
      guests: o.guests ?? [makeLifecycleGuest()],
    },
    ssh: { defaults: { user: 'root', port: 22, connectTimeoutSec: 5 }, targets: [] },
    calendar: {
      version: 1,
      updated: null,
      timezone: null,
      dtstartDate: null,
      calendarName: null,
      events: [],
      eventsSource: { file: 'backup.calendar.yaml', line: 3 },
    },
    schedule: null,
    calendarHome: null,
    drills: null,
    policy: {
      thresholds: { critical: 26, important: 48, rebuildable: 168 },
      pveHosts: null,
      repositoryRoot: null,
      d19: {
        storageFullPercent: 90,
        verifyMaxAgeDays: { critical: 7 },
        restoreDrillMaxAgeDays: { critical: 90 },
        minSizeRatio: 0.5,
        retention: { minRestorePoints: { critical: 3, important: 2, rebuildable: 1 }, allowUnbounded: [] },
      },
      d69: {
        restoreSopRequiredFor: ['critical'],
        offsiteRequiredFor: ['critical'],
        sshTargetRequiredFor: 'all',
        storageHosts: {},
        offsiteStorages: {},
      },
      relay: null,
      calendar: null,
      notify: { from: null, cooldownHours: 24 },
      ...o.policy,
    },
    waivers: [],
    digests: {},
  };
}

/** A backup.calendar.yaml event (60 minutes, no description, no days) at line 10. */
export function makeCalendarEvent(
  id: string,
  freq: string,
  byhour: number | null,
  byminute: number | null,
  more: Partial<CalendarEvent> = {},
): CalendarEvent {
  return {
    id,
    summary: id,
    freq,
    byhour,
    byminute,
    durationMinutes: 60,
    description: null,
    byday: null,
    bymonthday: null,
    source: { file: 'backup.calendar.yaml', line: 10 },
    ...more,
  };
}

// --- host state -----------------------------------------------------------------------------

export function makeGuest(vmid: number, overrides: Partial<Guest> = {}): Guest {
  return {
    vmid,
    type: 'qemu',
    node: 'pve1',
    name: `app${vmid - 99}`,
    status: 'running',
    template: false,
    pool: null,
    ...overrides,
  };
}

export function makeJob(id: string, overrides: Partial<VzdumpJob> = {}): VzdumpJob {
  return {
    id,
    line: 1,
    enabled: true,
    schedule: '02:00',
    vmids: null,
    all: false,
    exclude: [],
    pool: null,
    node: null,
    storage: 'local',
    options: {},
    runs: true,
    problems: [],
    ...overrides,
  };
}

export function makePveState(overrides: Partial<PveState> = {}): PveState {
  return {
    jobs: [makeJob('backup-daily', { vmids: [100] })],
    pools: {},
    guests: [makeGuest(100)],
    scheduler: 'active',
    configWarnings: [],
    ...overrides,
  };
}

export interface HostOverrides {
  /** PVE facts; `null` for a host that is not a PVE host; a problem for unreadable PVE state. */
  pve?: PveState | StateProblem | null;
  /** Mail facts (relay-stalwart); default null (not collected); a problem for unreadable mail state. */
  mail?: MailState | StateProblem | null;
  listings?: Record<string, Listing>;
  /**
   * Job run states (D19.job-run); default: backup-daily ran OK at 02:00 Berlin on the capture day; null: not collected;
   * a problem: unreadable.
   */
  jobRuns?: JobRunStates | StateProblem | null;
  /**
   * Storage facts; default (on a PVE host) storage `local` healthy and empty, `null`: not collected (a snapshot older
   * than the storage commands); a problem for unreadable ones.
   */
  storage?: PveStorageState | StateProblem | null;
  /**
   * Retention facts (D19.retention); default PVE 9.1.1 with an empty /etc/vzdump.conf; null: not collected; a problem:
   * unreadable.
   */
  retention?: RetentionFacts | StateProblem | null;
  /**
   * Restore tasks (D19.restore-drill); default (PVE host): VM 100's archive restored OK into 9100 ten days ago; null:
   * not collected.
   */
  restores?: RestoreTasks | StateProblem | null;
  /** `-maxdepth` of the recorded listing commands (the deepest glob on each base path needs); default 1. */
  listingDepth?: number;
}

/** The probe command a snapshot records for a listing, with the exit status its outcome implies. */
export function listingRecord(hostId: string, basePath: string, listing: Listing, depth = 1): CommandRecord {
  const probe = listingCommand(basePath, depth);
  const exit = listing.status === 'ok' ? 0 : listing.status === 'missing' ? LISTING_MISSING_EXIT : 1;
  return { id: probe.id, command: probe.command, exit, output: `hosts/${hostId}/${probe.id}.out`, basePath };
}

/** The default job run: backup-daily started 2026-03-04T01:00:04Z (02:00 Berlin) and ended OK. */
const DEFAULT_JOB_RUNS: JobRunStates = {
  node: 'pve1',
  unreadable: {},
  jobs: {
    'backup-daily': {
      state: 'stopped',
      msg: 'OK',
      upid: 'UPID:pve1:00001234:00ABCDEF:69A78414:vzdump::root@pam:',
      started: 0x69a78414,
      time: null,
      updated: null,
      taskErrors: [],
      taskWarnings: [],
      taskEnd: null,
    },
  },
};

const jobRunsRecord = (runs: JobRunStates | StateProblem | null): Pick<HostRecord, 'jobRuns'> =>
  runs === null ? {} : { jobRuns: 'reason' in runs ? { ok: false, problem: runs } : { ok: true, value: runs } };

/** A restore task ended `hours` before CAPTURED_AT (null: still running), restoring VM `from`'s archive into `into`. */
export function restoreTask(
  from: number,
  into: number,
  hours: number | null,
  status: string | null = 'OK',
  source: Partial<RestoreSource> = {},
): RestoreTask {
  const start = hoursAgo((hours ?? 0) + 0.5);
  const upid = `UPID:pve1:00001234:00ABCDEF:${start.toString(16).toUpperCase()}:qmrestore:${into}:root@pam:`;
  return {
    upid,
    node: 'pve1',
    type: 'qmrestore',
    vmid: into,
    start,
    end: hours === null ? null : hoursAgo(hours),
    status: hours === null ? null : status,
    files: hours === null ? ['active'] : ['index'],
    sourceProblem: null,
    source: { vmid: from, kind: 'vma', archive: `${DUMP_DIR}/${archiveName(from, '2026_02_20-02_00_03')}`, ...source },
  };
}

const DEFAULT_RESTORES: RestoreTasks = { tasks: [restoreTask(100, 9100, 240)], malformed: [] };

const restoresRecord = (r: RestoreTasks | StateProblem | null): Pick<HostRecord, 'restores'> =>
  r === null ? {} : { restores: 'reason' in r ? { ok: false, problem: r } : { ok: true, value: r } };

/** A readable host. By default a PVE host with the default PveState and a fresh archive of 100. */
export function makeHost(id: string, o: HostOverrides = {}): HostRecord {
  const pve = o.pve === undefined ? makePveState() : o.pve;
  const listings = o.listings ?? { [DUMP_DIR]: okListing([fileAged(archiveName(100), 6)]) };
  return {
    id,
    status: 'ok',
    problem: null,
    timezone: 'Europe/Berlin',
    commands: Object.entries(listings).map(([basePath, listing]) =>
      listingRecord(id, basePath, listing, o.listingDepth),
    ),
    pve: pve === null ? null : 'reason' in pve ? { ok: false, problem: pve } : { ok: true, value: pve },
    mail: !o.mail ? null : 'reason' in o.mail ? { ok: false, problem: o.mail } : { ok: true, value: o.mail },
    storage: storageFacts(
      o.storage === undefined && pve
        ? makeStorageState([], { storages: [makeStorage('local', { type: 'dir' })], contents: {} })
        : o.storage,
    ),
    listings,
    ...jobRunsRecord(o.jobRuns === undefined ? DEFAULT_JOB_RUNS : o.jobRuns),
    ...retentionRecord(o.retention === undefined ? (pve ? DEFAULT_RETENTION : null) : o.retention),
    ...restoresRecord(o.restores === undefined ? (pve ? DEFAULT_RESTORES : null) : o.restores),
  };
}

/** A PVE 9 node whose /etc/vzdump.conf sets nothing about retention. */
export const DEFAULT_RETENTION: RetentionFacts = {
  pveVersion: { version: '9.1.1', major: 9, minor: 1 },
  vzdumpConf: { 'prune-backups': null, maxfiles: null, remove: null, storage: null, warnings: [] },
};

const retentionRecord = (r: RetentionFacts | StateProblem | null): Pick<HostRecord, 'retention'> =>
  r === null ? {} : { retention: 'reason' in r ? { ok: false, problem: r } : { ok: true, value: r } };

/** A storage as the status list reports it: enabled, active, 1 TiB with 40 % used, backups allowed. */
export function makeStorage(id: string, overrides: Partial<PveStorage> = {}): PveStorage {
  const total = 2 ** 40;
  return {
    id,
    type: 'pbs',
    enabled: true,
    active: true,
    content: ['backup'],
    total,
    used: 0.4 * total,
    avail: 0.6 * total,
    ...overrides,
  };
}

/** A backup of `vmid` taken `hours` before CAPTURED_AT, as PBS lists it (volid with the UTC time, format pbs-vm). */
export function pbsBackup(
  vmid: number,
  hours: number,
  overrides: Partial<BackupVolume> = {},
  storage = 'pbs-main',
): BackupVolume {
  const ctime = hoursAgo(hours);
  const time = new Date(ctime * 1000).toISOString().replace('.000Z', 'Z');
  return {
    volid: `${storage}:backup/vm/${vmid}/${time}`,
    vmid,
    ctime,
    format: 'pbs-vm',
    size: 2 ** 30,
    protected: false,
    notes: null,
    verification: null,
    ...overrides,
  };
}

/** Storage facts of node pve1: storage `pbs-main` (PBS) holding `backups`. */
export function makeStorageState(
  backups: BackupVolume[] = [pbsBackup(100, 6)],
  overrides: Partial<PveStorageState> = {},
): PveStorageState {
  return {
    node: 'pve1',
    storages: [makeStorage('pbs-main')],
    config: [],
    contents: { 'pbs-main': { status: 'ok', volumes: backups } },
    ...overrides,
  };
}

function storageFacts(s: PveStorageState | StateProblem | null | undefined): HostRecord['storage'] {
  if (!s) return null;
  return 'reason' in s ? { ok: false, problem: s } : { ok: true, value: s };
}

/** A host the probe could not read at all (status error). */
export function makeErrorHost(
  id: string,
  problem: StateProblem = { reason: 'connect_timeout', message: `TCP connect to ${id}:22 timed out after 5000 ms` },
): HostRecord {
  return { id, status: 'error', problem, timezone: null, commands: [], pve: null, mail: null, listings: {} };
}

export function makeState(hosts: HostRecord[] = [makeHost('pve1')], capturedAt: string = CAPTURED_AT): HostState {
  return { capturedAt, origin: '/test/snapshot', hosts: Object.fromEntries(hosts.map((h) => [h.id, h])) };
}

export function makeInput(overrides: Partial<VerifyInput> = {}): VerifyInput {
  const state = overrides.state === undefined ? makeState() : overrides.state;
  return {
    bindings: makeBindings(),
    state,
    now: state?.capturedAt ?? CAPTURED_AT,
    maxSnapshotAgeHours: 24,
    bundledDemo: false,
    ...overrides,
  };
}

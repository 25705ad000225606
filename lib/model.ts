// The one host-state model and the finding shape every gate produces.
// Everything here is plain data (JSON-safe): it crosses from the CLI into vitest workers
// through `provide`, and is written verbatim into receipts.

export type Outcome = 'pass' | 'fail' | 'error' | 'skip' | 'waived';
export const OUTCOMES: readonly Outcome[] = ['pass', 'fail', 'error', 'skip', 'waived'];

export type Severity = 'critical' | 'high' | 'medium' | 'low';

/** Where a verdict's facts came from: a binding file (with line) or a host command. */
export interface Evidence {
  /** Binding file name (relative to the bindings folder) or `snapshot.yaml` / command output file. */
  file?: string;
  line?: number;
  /** Host id whose command produced the fact. */
  host?: string;
  /** Probe command id (see lib/snapshot/probe.ts) and its exact command line. */
  commandId?: string;
  command?: string;
  /** A short excerpt, e.g. the job section or the newest file name. Never secrets. */
  detail?: string;
}

export interface Finding {
  gate: string;
  /** Check id, part of the output contract, e.g. `D19.freshness`. */
  check: string;
  /** What was judged: a target name, `qemu/204`, a job id, `run`. */
  subject: string;
  host: string | null;
  outcome: Outcome;
  /** Machine-readable reason code (`stale`, `no_matches`, `connect_timeout`, `no host state`…). */
  reason: string | null;
  severity: Severity;
  message: string;
  expected?: string;
  actual?: string;
  evidence: Evidence[];
  /** What a person can do about it; null when there is nothing to do (pass/skip). */
  remediation: string | null;
  /**
   * D19.freshness: the newest archive's age (null: no archive) against the target's limit, for the
   * freshness bars; `lastAt`, the newest archive's time in epoch seconds (null: no archive), for `--metrics`.
   */
  freshness?: { ageHours: number | null; limitHours: number; lastAt?: number | null };
  /**
   * D19.freshness and D19.verified: the target's guest and storage, named as prometheus-pve-exporter names them
   * (`--metrics` labels).
   */
  target?: TargetRef;
  /** D19.verified (PBS), judged: when a backup of the guest was last verified ok, epoch seconds (null: never). */
  verifiedAt?: number | null;
  /**
   * D19.job-run, judged (pass, missed_runs, run_failed): the job's last start (epoch seconds; null when
   * PVE counts from an `updated` time, an edit or scheduler restart, not a run), the runs missed since, its node.
   */
  jobRun?: { lastStartAt: number | null; missedRuns: number; node: string | null };
  /**
   * D19.retention, judged: where the policy PVE applies comes from, the policy as PVE prints it, the
   * guest's backups there (`present`), the restore points PVE's prune leaves (`kept`: keep and
   * protected marks), how many are protected, and the class's minimum (`min`). `--metrics` restore points.
   */
  retention?: {
    source: 'job' | 'storage' | 'vzdump.conf' | 'default';
    policy: string;
    present: number;
    kept: number;
    protected: number;
    min: number;
  };
  /**
   * D19.restore-drill, judged (pass, no_recent_drill, drill_failed): the newest drill, epoch seconds of
   * its end (a PVE task) or day (restore.drills.yaml), null when there never was one; how it went; where it is
   * recorded.
   */
  drill?: { at: number | null; ok: boolean | null; source: 'pve' | 'restore.drills.yaml' | null };
  /**
   * D19.size, judged (pass, size_drop, empty_archive): bytes of the newest archive's history, oldest first, newest
   * last (at most 8).
   */
  sizeHistory?: number[];
  /**
   * The binding edits of the remediation, when it is only binding edits and they are fully known
   * (no value a person must choose): applied together, they clear this finding and fail no other
   * binding check. Absent otherwise. For a later `ops fix`; in `--json` as `fix` (null when absent).
   */
  fix?: BindingEdit[];
  /** The drift.waivers.yaml entry that waived this finding, or whose expiry let it count again. */
  waiver?: WaiverNote;
  /** Fail, error and waived findings: the stable identity baselines and alert mail compare (lib/results/drift.ts). */
  fingerprint?: string;
  /** With `ops verify --baseline`: whether a fail or error was already in the baseline. */
  drift?: 'new' | 'known';
}

/** The guest and storage a backup target is about. */
export interface TargetRef {
  vmid: number | null;
  /** `qemu/102` or `lxc/103`, prometheus-pve-exporter's `id`; null when the guest's type is unknown. */
  guest: string | null;
  /** A pve_storage target's PVE storage id; a folder target's base path. */
  storage: string;
  /** The PVE node the guest is on, when the host state lists it. */
  node: string | null;
}

/** One edit of a binding file: set the field at `path`, or append `value` to the list at `path`. */
export interface BindingEdit {
  /** File name relative to the bindings folder. */
  file: string;
  /** YAML path: map keys and list indexes, e.g. `['events']`, `['targets', 3, 'stale_after_hours']`. */
  path: (string | number)[];
  op: 'set' | 'append';
  value: unknown;
}

/** A waiver as a finding carries it: who accepted the drift, why, until when. */
export interface WaiverNote {
  owner: string;
  justification: string;
  /** Last UTC day the waiver applies, `YYYY-MM-DD`. */
  expires: string;
  /** True when the waiver has run out and the finding counts again. */
  expired: boolean;
  file: string;
  line: number;
}

/** Stable identity of a finding: used for test names and (later) baselines. */
export function findingId(f: Pick<Finding, 'check' | 'subject' | 'host'>): string {
  return f.host ? `${f.check} ${f.host}/${f.subject}` : `${f.check} ${f.subject}`;
}

// ---------------------------------------------------------------------------
// Host state

/** A regular file under a listed base path. */
export interface FileEntry {
  /** Path relative to the base path, `/`-separated. */
  path: string;
  /** Modification time, epoch seconds (integer). */
  mtime: number;
  size: number;
}

/** A listing record that does not read exactly: reported for every target it could concern, never skipped. */
export interface MalformedRecord {
  /** 1-based position of the record in the listing output. */
  record: number;
  problem: string;
  /** The file it names, when that much reads; null: it could be any file. */
  path: string | null;
  /** The record, bounded and with control characters escaped. */
  text: string;
}

export type Listing =
  | { status: 'ok'; files: FileEntry[]; malformed?: MalformedRecord[] }
  | { status: 'missing' }
  | { status: 'error'; reason: string; message: string };

/** One `vzdump:` section of /etc/pve/jobs.cfg, normalised. */
export interface VzdumpJob {
  id: string;
  /** Line of the section header in jobs.cfg, or of the cron line in vzdump.cron (1-based), for evidence. */
  line: number;
  /**
   * `vzdump.cron` for a legacy job: a line of /etc/pve/vzdump.cron, which cron runs (pve-cluster
   * links it as /etc/cron.d/vzdump), with no pvescheduler state file. Absent: a jobs.cfg section.
   */
  source?: 'vzdump.cron';
  enabled: boolean;
  schedule: string | null;
  /** Explicit `vmid` list (normalised numbers), null when the key is absent. */
  vmids: number[] | null;
  all: boolean;
  exclude: number[];
  pool: string | null;
  node: string | null;
  storage: string | null;
  /** Every key as written, dropped ones included (comment decoded), for rules that need more (mail, tmpdir…). */
  options: Record<string, string>;
  /**
   * False when PVE never runs this job or its run aborts before backing anything up (a section
   * PVE skips, `vmid` beside `all`/`exclude`/`pool`, nothing selected): it covers no guest.
   */
  runs: boolean;
  /** What PVE's parser drops from this section or rejects about it (see `JobProblem`). */
  problems: JobProblem[];
}

/**
 * One thing PVE does differently from what a vzdump section says: `key_dropped` (SectionConfig
 * drops a key whose value fails its format, with a warning) or `job_invalid` (PVE never runs the
 * job, or the run aborts).
 */
export interface JobProblem {
  kind: 'key_dropped' | 'job_invalid';
  /** The key concerned; null for the section as a whole. */
  key: string | null;
  /** PVE's reason, in its words. */
  reason: string;
  /** jobs.cfg line (1-based) and its text as written. */
  line: number;
  text: string;
  /** The exact fix. */
  fix: string;
  /** A key PVE dropped in this major version and older nodes read (`maxfiles`: 9): a problem only from that version. */
  readBefore?: number;
}

/** A parser warning PVE logs about a config file (a line it ignores, a VMID it skips…). */
export interface ConfigWarning {
  /** `jobs.cfg`, `vzdump.cron`, `user.cfg`. */
  file: string;
  line: number;
  message: string;
}

export interface Guest {
  vmid: number;
  type: 'qemu' | 'lxc';
  node: string;
  name: string | null;
  status: string | null;
  template: boolean;
  pool: string | null;
}

/** Facts from a Proxmox VE host. Each field is null when its command could not be read. */
export interface PveState {
  jobs: VzdumpJob[];
  /** Pool id → member VMIDs, from /etc/pve/user.cfg. */
  pools: Record<string, number[]>;
  guests: Guest[];
  /** `systemctl is-active pvescheduler` output: active, inactive, failed… */
  scheduler: string;
  /** Parser warnings about jobs.cfg, vzdump.cron and user.cfg that no job's `problems` carries. */
  configWarnings: ConfigWarning[];
  /**
   * Why /etc/pve/vzdump.cron was not read (a snapshot older than the `vzdump-cron` command, or the
   * command failed): its legacy jobs are then missing from `jobs`. Absent when it was read.
   */
  cronNotRead?: StateProblem;
}

/**
 * A job's node-local run state, /var/lib/pve-manager/jobs/vzdump-<id>.json (PVE::Jobs):
 * `created` (never started; `time` is the creation), `starting`, `started` (running: `upid`),
 * `stopped` (finished: `msg` is `OK` or the error, `upid` the task).
 */
export interface JobRunState {
  state: string;
  /** Epoch seconds: creation (`created`), start attempt (`starting`, or a `stopped` run that never got a task). */
  time: number | null;
  upid: string | null;
  /** The task's start time, from the UPID (its 5th field, hex epoch seconds). */
  started: number | null;
  msg: string | null;
  /** Epoch seconds the schedule or enabled flag last changed, or pvescheduler started without repeat-missed. */
  updated: number | null;
  /** `ERROR:` lines of the job's last task log (a guest whose backup failed, or the job's own error). */
  taskErrors: string[];
  /** The first `WARN:` lines of that task log (at most three). */
  taskWarnings: string[];
  /**
   * How that task ended, as PVE::UPID read_status reads its last line: `OK`, `WARNINGS: n`, the error
   * text of `TASK ERROR: …`, or `unexpected status`; null while its log has no `TASK` line (still
   * running, or no log was read).
   */
  taskEnd: string | null;
}

/** Run state per job id on one host; a job without a state file is absent. */
export interface JobRunStates {
  /** The node's name (`uname -n`, short), as jobs.cfg `node` names it; null when not reported. */
  node: string | null;
  jobs: Record<string, JobRunState>;
  /** State files that did not parse: file name → why. */
  unreadable: Record<string, string>;
}

/** One storage as `pvesh get /nodes/<node>/storage` reports it (pve-storage API2/Storage/Status.pm index). */
export interface PveStorage {
  id: string;
  /** Plugin type: pbs, nfs, cifs, dir, lvmthin, … */
  type: string;
  /**
   * False when storage.cfg disables it, or its `nodes` list leaves this node out (Storage.pm storage_check_enabled).
   */
  enabled: boolean;
  /** Whether PVE could activate it (mounted, PBS reachable); never true for a disabled storage. */
  active: boolean;
  /** Content types it may hold (`backup`, `images`, …). */
  content: string[];
  /** Bytes; null when PVE did not say (storage inactive). */
  total: number | null;
  used: number | null;
  avail: number | null;
}

/** One section of /etc/pve/storage.cfg: what the status list does not say. */
export interface StorageConfig {
  id: string;
  type: string;
  /** Line of the section header, for evidence. */
  line: number;
  /** `disable` is set. */
  disabled: boolean;
  /** The nodes it is restricted to; null: every node. */
  nodes: string[] | null;
  /** File storages (dir, nfs, cifs…): the folder the storage lives in; null when storage.cfg gives none. */
  path: string | null;
  /** `content-dirs`: content type → folder relative to `path` that replaces the default (Plugin.pm get_subdir). */
  contentDirs: Record<string, string>;
  /** PBS: datastore, namespace, server. */
  datastore: string | null;
  namespace: string | null;
  server: string | null;
  /** `prune-backups` and `maxfiles` as written (null: not set); lib/pve/prune.ts reads them as PVE does. */
  pruneBackups?: string | null;
  maxfiles?: string | null;
}

/** A backup on a storage, as `pvesh get /nodes/<node>/storage/<storage>/content --content backup` lists it. */
export interface BackupVolume {
  /** `pbs-main:backup/vm/101/2026-12-01T01:00:12Z`, `nfs-dump:backup/vzdump-qemu-101-2026_12_01-01_00_12.vma.zst`. */
  volid: string;
  /** Null when PVE could not tell (a non-standard file name). */
  vmid: number | null;
  /** Backup time, epoch seconds: PBS backup-time, the time in a vzdump file name, else the file's ctime. */
  ctime: number | null;
  /** `pbs-vm`, `pbs-ct`, `vma.zst`, `tar.zst`, … */
  format: string;
  size: number | null;
  protected: boolean;
  notes: string | null;
  /** PBS only: the last verification of this snapshot. */
  verification: { state: string; upid: string | null } | null;
}

export type StorageContent =
  { status: 'ok'; volumes: BackupVolume[] } | { status: 'error'; reason: string; message: string };

/** Storages of a PVE host and the backups on those the bindings and enabled jobs use. */
export interface PveStorageState {
  /** The node name (first label of `hostname`), as PVE's API paths use it. */
  node: string;
  storages: PveStorage[];
  config: StorageConfig[];
  /** Storage id → its backup content; only storages a target or an enabled job here names. */
  contents: Record<string, StorageContent>;
}

/** A PVE restore task type: `qmrestore` (VMs), `vzrestore` (containers). */
export type RestoreType = 'qmrestore' | 'vzrestore';

/** What was restored: the guest whose backup it was, and the archive as the log names it. */
export interface RestoreSource {
  vmid: number;
  /** The archive's path or volid (`vm/101/2026-…Z` for a PBS VM image, as pbs-restore names it). */
  archive: string;
  kind: 'vma' | 'pbs-vm' | 'lxc' | 'pbs-ct';
  /**
   * pbs-vm: pbs-restore's `--repository` (`user@realm@server[:port]:datastore`, PVE::PBSClient get_repository): which
   * PBS it read.
   */
  repository?: string;
}

export interface RestoreTask {
  upid: string;
  node: string;
  type: RestoreType;
  /** The VMID restored into (the UPID's id); null when that is not a VMID. */
  vmid: number | null;
  start: number;
  /** End time, epoch seconds; null while it runs (or an index line without one). */
  end: number | null;
  /** PVE's status (`OK`, `WARNINGS: n`, the error); null while it runs, or when PVE recorded an end without one. */
  status: string | null;
  /** Which files listed it (index, index.1, active). Only in active without an end: still running. */
  files: string[];
  /** From its log; null when no log line names it (the log was not read, is gone, or says something else). */
  source: RestoreSource | null;
  /**
   * Why the source is unknown: the log could not be read, names no backup, or its lines disagree; null when known or
   * no log line came.
   */
  sourceProblem: string | null;
}

/** The restore tasks of one PVE node (lib/pve/task-index.ts), from the `restore-tasks` probe. */
export interface RestoreTasks {
  tasks: RestoreTask[];
  /** Records that did not read, escaped and bounded: each could have been any target's drill. */
  malformed: string[];
}

/** A queued message as `postqueue -p` lists it. */
export interface QueuedMessage {
  id: string;
  /** `*` active, `!` hold, `#` forced to expire; unmarked: deferred (or just arrived). */
  status: 'active' | 'hold' | 'expiring' | 'deferred';
  size: number;
  /** Arrival time as printed, in the host's local time and without a year: `Mon Feb 23 10:15:02`. */
  arrival: string;
  sender: string;
  recipients: string[];
  /** Why the last delivery attempt failed, as printed in parentheses (one per failing recipient group). */
  reasons: string[];
}

/** One endpoint (target) of /etc/pve/notifications.cfg, or a built-in PVE injects. */
export interface NotificationEndpoint {
  type: 'sendmail' | 'smtp' | 'gotify' | 'webhook';
  name: string;
  /** Header line in notifications.cfg; null for a built-in the file does not redefine. */
  line: number | null;
  origin: 'builtin' | 'modified-builtin' | 'user-created';
  disabled: boolean;
  mailto: string[];
  /** PVE user ids whose user.cfg email receives the mail. */
  mailtoUser: string[];
  fromAddress: string | null;
  /** smtp only: `server`, `port` (null: the mode's default), `mode` (null: tls). */
  server: string | null;
  port: number | null;
  mode: string | null;
  /** Every key as written (array keys joined with "\n"). Secrets live in /etc/pve/priv, never here. */
  options: Record<string, string>;
}

export interface NotificationMatcher {
  name: string;
  line: number | null;
  origin: 'builtin' | 'modified-builtin' | 'user-created';
  disabled: boolean;
  /** `all` (default) or `any` of the match rules. */
  mode: string;
  invertMatch: boolean;
  targets: string[];
  matchSeverity: string[];
  matchField: string[];
  matchCalendar: string[];
  /** Every key as written (array keys joined with "\n"). */
  options: Record<string, string>;
}

/** Mail facts of a PVE host: its postfix, its queue and PVE's notification routing. */
export interface MailState {
  /** `postconf -n`: the main.cf parameters set explicitly; null when postfix is not installed. */
  postfix: Record<string, string> | null;
  /** Paths under /etc/postfix (names only, never contents): whether a SASL map was built. */
  postfixFiles: string[];
  /** `postqueue -p`; empty when postfix is not installed. */
  queue: QueuedMessage[];
  /** /etc/pve/notifications.cfg plus the built-ins PVE injects unless the file redefines them. */
  endpoints: NotificationEndpoint[];
  matchers: NotificationMatcher[];
  /** `email_from` of /etc/pve/datacenter.cfg: the sender of PVE's mail when an endpoint names none. */
  emailFrom: string | null;
  /** PVE user id → email address, from /etc/pve/user.cfg (what `mailto-user` resolves to). */
  userEmails: Record<string, string>;
  /** Lines of notifications.cfg PVE's parser warns about and ignores. */
  configWarnings?: ConfigWarning[];
}

/** Why a piece of host state is unavailable. */
export interface StateProblem {
  reason: string;
  message: string;
}

/** A recorded probe command, for evidence. */
export interface CommandRecord {
  id: string;
  command: string;
  exit: number | null;
  /** Output file relative to the snapshot folder. */
  output: string | null;
  /** For listing commands: the base path listed. */
  basePath?: string;
  /** Why its output is not its facts (`output_too_large`): the facts it carries are errors with this reason. */
  problem?: StateProblem;
}

export interface HostRecord {
  id: string;
  status: 'ok' | 'error';
  /** Set when status is error: the reason code for the whole host. */
  problem: StateProblem | null;
  timezone: string | null;
  commands: CommandRecord[];
  /** Parsed PVE facts, or the problem that kept them from being read; absent for non-PVE hosts. */
  pve: { ok: true; value: PveState } | { ok: false; problem: StateProblem } | null;
  /**
   * Storages and their backups (D19.storage, D19.verified, pve_storage freshness), kept apart from `pve` like `mail`;
   * null when not collected.
   */
  storage?: { ok: true; value: PveStorageState } | { ok: false; problem: StateProblem } | null;
  /**
   * Parsed mail facts (relay-stalwart), kept apart from `pve` so a postfix problem never blinds D19; null when not
   * collected.
   */
  mail: { ok: true; value: MailState } | { ok: false; problem: StateProblem } | null;
  /** Listings keyed by base path. */
  listings: Record<string, Listing>;
  /**
   * Job run states (D19.job-run), apart from `pve` so an older snapshot still judges coverage; null when not collected.
   */
  jobRuns?: { ok: true; value: JobRunStates } | { ok: false; problem: StateProblem } | null;
  /**
   * Restore tasks (D19.restore-drill), apart from `pve` so an older snapshot judges everything else; absent or null
   * when not collected.
   */
  restores?: { ok: true; value: RestoreTasks } | { ok: false; problem: StateProblem } | null;
  /**
   * The node's retention defaults and PVE version (D19.retention), apart from `pve`: absent in a snapshot older than
   * their commands.
   */
  retention?: { ok: true; value: RetentionFacts } | { ok: false; problem: StateProblem } | null;
}

/** A `prune-backups` policy as PVE holds it after validate_prune_backups: `{keep-all: 1}` alone, or keep-* counts. */
export type PrunePolicy =
  | { 'keep-all': 1 }
  | Partial<
      Record<'keep-last' | 'keep-hourly' | 'keep-daily' | 'keep-weekly' | 'keep-monthly' | 'keep-yearly', number>
    >;

/** /etc/vzdump.conf's retention keys as read_vzdump_defaults reads them (lib/pve/prune.ts parseVzdumpConf). */
export interface VzdumpConf {
  'prune-backups': PrunePolicy | null;
  maxfiles: number | null;
  remove: 0 | 1 | null;
  storage: string | null;
  /** Lines and values PVE warns about and ignores (`parse error in '/etc/vzdump.conf' - 'KEY': …`). */
  warnings: string[];
}

/** What D19.retention needs beyond jobs.cfg and storage.cfg: /etc/vzdump.conf as PVE reads it, and the PVE version. */
export interface RetentionFacts {
  pveVersion: { version: string; major: number; minor: number };
  vzdumpConf: VzdumpConf;
}

export interface HostState {
  /** Snapshot capture time (UTC ISO-8601). Artifact ages are judged at this instant. */
  capturedAt: string;
  /** Snapshot folder (absolute) or `live`. */
  origin: string;
  hosts: Record<string, HostRecord>;
  /** The Radicale collection (radicale-calendar); absent or null when the snapshot did not record it. */
  calendar?: CalendarState | null;
}

// ---------------------------------------------------------------------------
// Calendar state

/** The master VEVENT (no RECURRENCE-ID) of one collection item, as parsed values: servers rewrite the text. */
export interface CalendarEventFact {
  href: string;
  etag: string | null;
  uid: string;
  /** DTSTART as written: `YYYY-MM-DDTHH:MM:SS`, or `YYYY-MM-DD` for a date; null when absent. */
  dtstart: string | null;
  /** DTSTART's TZID; `UTC` for a UTC time; null for a floating time or a date. */
  tzid: string | null;
  dtend: string | null;
  /** RRULE with its parts in a fixed order (FREQ, INTERVAL, COUNT, UNTIL, then BY* by name); null: one occurrence. */
  rrule: string | null;
  status: string | null;
  summary: string | null;
  description: string | null;
  /** X-SPINE-GATES-EVENT: the binding event `ops calendar publish` wrote this for; null for any other event. */
  publishedFor: string | null;
}

export type CalendarState =
  | {
      status: 'ok';
      /** The collection URL, as seen from `via` (or from here when via is null). Never with credentials. */
      url: string;
      /** ssh.targets.yaml id of the host the calendar was reached through. */
      via: string | null;
      /** The recorded collection file, relative to the snapshot folder. */
      output: string | null;
      events: CalendarEventFact[];
      /** Items whose calendar data did not parse. */
      unreadable: Array<{ href: string; message: string }>;
    }
  | { status: 'error'; url: string; via: string | null; problem: StateProblem };

// ---------------------------------------------------------------------------
// A collection: what the live collector gathers (lib/collect), and what a snapshot is written and
// merged from (lib/snapshot). Command outputs are raw bytes here; the snapshot reader turns them into
// the host state above.

/** Why a host could not be read (receipts, JSON, JUnit): any check about that host may give it. */
export const HOST_REASONS = [
  'dns_unresolved',
  'connect_refused',
  'connect_timeout',
  'handshake_timeout',
  'auth_denied',
  'host_key_unknown',
  'host_key_mismatch',
  'command_timeout',
  'connection_lost',
  'command_failed',
  // ssh.targets.yaml has `host: null` for it (or for the host it is probed through): a placeholder.
  'no_address',
  // The probe installed as the key's forced command is another version's (probe-script.ts).
  'probe_mismatch',
] as const;
export type HostReason = (typeof HOST_REASONS)[number];

/** One resource of a CalDAV collection as the server returned it. */
export interface CalendarItem {
  href: string;
  etag: string | null;
  data: string;
}

export interface CollectedCommand {
  id: string;
  command: string;
  /** Exit status; null when killed or not run. */
  exit: number | null;
  stdout: Buffer;
  /** Only for listing commands. */
  basePath?: string;
  /** Why the command's output is not its facts (`output_too_large`); its facts are then errors with this reason. */
  problem?: { reason: string; message: string };
}

export type CollectedHost =
  | { id: string; status: 'ok'; timezone: string | null; commands: CollectedCommand[] }
  | { id: string; status: 'error'; reason: HostReason; message: string; commands: CollectedCommand[] };

export interface Collection {
  capturedAt: string;
  hosts: CollectedHost[];
  insecureAcceptAnyHostKey: boolean;
  /** The Radicale collection (radicale-calendar); absent or null when it was not collected. */
  calendar?: CollectedCalendar | null;
}

/**
 * The calendar collection as the server returned it, or why it could not be read (reason codes in
 * docs/gates/radicale-calendar.md).
 */
export type CollectedCalendar =
  | { status: 'ok'; url: string; via: string | null; items: CalendarItem[] }
  | { status: 'error'; url: string; via: string | null; reason: string; message: string };

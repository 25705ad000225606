// The fixed, read-only probe: every fact about a host is the verbatim stdout of one of these
// commands, so live collection and snapshots feed the same parsers. Live, they run as sections of
// one script (probe-script.ts), which gets base paths, node and storage names as data; the
// `command` text recorded here is the same command with those values single-quoted (shellQuote),
// what a person runs by hand to reproduce a fact. Globs never leave the process.

import { createHash } from 'node:crypto';
import { isStorageId, nodeName } from '../pve/storage.js';

export interface ProbeCommand {
  id: string;
  command: string;
  /** How the probe script runs it: a fixed command by id, or a parameterised one with its arguments. */
  section: ProbeSection;
  /** For listing commands: the base path listed. */
  basePath?: string;
  /**
   * A non-zero exit makes only the facts this command carries an error (the host's `mail` facts),
   * not the whole host: a broken postfix must not blind the backup gates.
   */
  isolated?: true;
}

export type ProbeSection =
  | { kind: 'fixed' }
  | { kind: 'listing'; path: string; depth: number }
  | { kind: 'storage-status'; node: string }
  | { kind: 'storage-content'; node: string; storage: string };

/** Exit status a listing command uses to say "base path is not a directory". */
export const LISTING_MISSING_EXIT = 10;

/** Exit status the postfix commands use to say "postfix is not installed". */
export const NO_POSTFIX_EXIT = 11;

/** Whether an exit status is data rather than failure: a listing's missing base path, a host without postfix. */
export function isDataExit(c: { id: string; basePath?: string }, exit: number | null): boolean {
  if (c.basePath !== undefined) return exit === LISTING_MISSING_EXIT;
  return POSTFIX_COMMAND_IDS.includes(c.id) && exit === NO_POSTFIX_EXIT;
}

const isNodeName = (node: string) => nodeName(node) === node;

/** POSIX single-quote a value: the only way a binding value reaches a remote shell. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

const FIXED = { kind: 'fixed' } as const;

// `cat` of a file that may legitimately be absent (no jobs yet, no pools): absent reads as empty.
const catOptional = (path: string) => `[ ! -e ${path} ] || cat ${path}`;

export const PVE_COMMANDS: readonly ProbeCommand[] = [
  { id: 'jobs-cfg', section: FIXED, command: catOptional('/etc/pve/jobs.cfg') },
  // Legacy backup jobs (lib/pve/vzdump-cron.ts), which cron still runs; isolated: a failure only
  // leaves them unread (cronNotRead), the jobs.cfg facts stand.
  { id: 'vzdump-cron', section: FIXED, command: catOptional('/etc/pve/vzdump.cron'), isolated: true },
  { id: 'user-cfg', section: FIXED, command: catOptional('/etc/pve/user.cfg') },
  { id: 'guests', section: FIXED, command: 'pvesh get /cluster/resources --type vm --output-format json' },
  // is-active exits non-zero for every state but "active"; the state word on stdout is the fact.
  { id: 'scheduler', section: FIXED, command: 'systemctl is-active pvescheduler || true' },
  // Job run state (lib/pve/job-state.ts): the node's name, each vzdump job's state file (bounded),
  // and the ERROR/WARN lines and last line of the task log its UPID names. The UPID is matched by shape and may not
  // hold a `/`, so the log path stays under /var/log/pve/tasks; it is only ever a quoted argument.
  { id: 'job-state', section: FIXED, command: jobStateCommand(), isolated: true },
  // Retention (D19.retention, lib/pve/prune.ts): the node's vzdump defaults (prune-backups, remove,
  // storage; maxfiles before PVE 9) and the PVE version, which decides whether maxfiles counts.
  // Isolated: an older snapshot without them, or a failure, makes only D19.retention an error.
  { id: 'vzdump-conf', section: FIXED, command: catOptional('/etc/vzdump.conf'), isolated: true },
  { id: 'pveversion', section: FIXED, command: 'pveversion', isolated: true },
];

/** The commands D19.retention reads, kept apart from the other PVE facts. */
export const RETENTION_COMMAND_IDS = ['vzdump-conf', 'pveversion'] as const;

function jobStateCommand(): string {
  return [
    `printf 'node %s\\n' "$(uname -n | cut -d. -f1)"`,
    'cd /var/lib/pve-manager/jobs 2>/dev/null || exit 0',
    'for f in vzdump-*.json; do [ -f "$f" ] || continue',
    `printf 'state %s ' "$f"; head -c 65536 "$f" | tr -d '\\n'; echo`,
    `u=$(head -c 65536 "$f" | grep -o '"upid":"UPID:[^"]*"' | head -n 1 | cut -d'"' -f4)`,
    'case "$u" in */*|*..*) continue;; UPID:*:*:*:*:vzdump:*) ;; *) continue;; esac',
    'l="/var/log/pve/tasks/$(printf %s "$u" | cut -d: -f5 | cut -c8)/$u"; [ -f "$l" ] || continue',
    // Its errors, a few warnings, and its last line: the `TASK …` status once the task has ended (PVE::UPID read_status).
    `{ grep -a -m 50 '^ERROR: ' "$l"; grep -a -m 3 '^WARN: ' "$l"; tail -n 1 "$l"; } | cut -c1-500 | while IFS= read -r line; do printf 'log %s %s\\n' "$f" "$line"; done`,
    'done',
  ].join('; ');
}

// ---------------------------------------------------------------------------
// Restore drills (D19.restore-drill, lib/pve/task-index.ts): kept in their own list and section so
// the restore facts stand or fall alone.

/** How many restore tasks' logs the probe reads (the newest), and how far back (400 days: restore_drill_max_age_days is at most 366). */
export const RESTORE_LOGS_MAX = 64;
export const RESTORE_LOGS_MAX_AGE_DAYS = 400;

/**
 * PVE's task index (index.1, index: past 50,000 bytes PVE renames it) and active list, only their
 * qmrestore/vzrestore lines (each read up to 1 MiB, lines cut at 600 bytes), then the restore lines
 * of the newest RESTORE_LOGS_MAX of those tasks' logs started within RESTORE_LOGS_MAX_AGE_DAYS (16
 * lines each, 1000 bytes a line). A UPID is matched by PVE's own shape (no `/`, so its log path
 * stays under /var/log/pve/tasks) before it names a file, and is only ever a quoted argument. An
 * index file that exists but cannot be read fails the command (exit 12): its drills are unknown.
 */
export const RESTORE_TASK_UPID_ERE =
  '^UPID:[A-Za-z0-9-]+:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:(qmrestore|vzrestore):[^: /]*:[^: /]+:( |$)';

function restoreTasksCommand(): string {
  return [
    'cd /var/log/pve/tasks 2>/dev/null || exit 0',
    `t=$(for f in index.1 index active; do [ -e "$f" ] || continue; [ -r "$f" ] || { echo "cannot read /var/log/pve/tasks/$f" >&2; exit 12; }; head -c 1048576 "$f" | grep -a -E '${RESTORE_TASK_UPID_ERE}' | cut -c1-600 | sed "s/^/task $f /"; done) || exit 12`,
    `[ -z "$t" ] && exit 0`,
    `printf '%s\\n' "$t"`,
    `c=$(( $(date +%s) - ${RESTORE_LOGS_MAX_AGE_DAYS * 86400} ))`,
    `printf '%s\\n' "$t" | cut -d' ' -f3 | sort -u | sort -t: -k5,5r | head -n ${RESTORE_LOGS_MAX} | while IFS= read -r u; do case $u in */*) continue;; UPID:*:*:*:*:qmrestore:*|UPID:*:*:*:*:vzrestore:*) ;; *) continue;; esac`,
    `s=$(printf %s "$u" | cut -d: -f5); case $s in [0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]) ;; *) continue;; esac`,
    `[ "$(( 0x$s ))" -ge "$c" ] || continue`,
    `d="/var/log/pve/tasks/\${s#???????}"; l="$d/$u"`,
    // A folder the probe's user cannot search, or a log it cannot read, hides a drill: said, never skipped.
    `if [ -d "$d" ] && [ ! -x "$d" ]; then printf 'unreadable %s\\n' "$u"; continue; fi`,
    `[ -f "$l" ] || continue`,
    `[ -r "$l" ] || { printf 'unreadable %s\\n' "$u"; continue; }`,
    `grep -a -m 16 -E '^(restore vma archive: |restore proxmox backup image: |recovering backed-up configuration from )' "$l" | cut -c1-1000 | while IFS= read -r line; do printf 'log %s %s\\n' "$u" "$line"; done`,
    'done',
  ].join('; ');
}

/** The restore facts of PVE hosts (isolated: a snapshot without them makes only D19.restore-drill an error `not_collected`). */
export const RESTORE_COMMANDS: readonly ProbeCommand[] = [
  { id: 'restore-tasks', section: FIXED, command: restoreTasksCommand(), isolated: true },
];

// postfix lives in /usr/sbin, which a non-root login's PATH may lack; appended, so a stand-in earlier on PATH still wins.
const ifPostfix = (tool: string, args: string) =>
  `PATH="$PATH:/usr/sbin:/sbin"; command -v ${tool} >/dev/null || exit ${NO_POSTFIX_EXIT}; ${tool} ${args}`;

/** Mail facts of PVE hosts (relay-stalwart). Never /etc/pve/priv, never the SASL password file itself. */
export const MAIL_COMMANDS: readonly ProbeCommand[] = [
  { id: 'postconf', section: FIXED, command: ifPostfix('postconf', '-n'), isolated: true },
  // Names only, never contents: whether the SASL password map was built (`sasl_passwd.db`). A fixed
  // command, so no value read from the host ever reaches a shell; the map is located locally from postconf.
  {
    id: 'postfix-files',
    section: FIXED,
    command: "[ ! -d /etc/postfix ] || find /etc/postfix -maxdepth 2 -type f -printf '%P\\n'",
    isolated: true,
  },
  { id: 'postqueue', section: FIXED, command: ifPostfix('postqueue', '-p'), isolated: true },
  { id: 'notifications-cfg', section: FIXED, command: catOptional('/etc/pve/notifications.cfg'), isolated: true },
  { id: 'datacenter-cfg', section: FIXED, command: catOptional('/etc/pve/datacenter.cfg'), isolated: true },
];

const POSTFIX_COMMAND_IDS = ['postconf', 'postqueue'];

/**
 * Storage facts of PVE hosts (D19.storage, D19.verified, pve_storage targets), isolated like the mail
 * commands: a PBS that cannot be reached costs the findings about that storage, not the host.
 * These two run first; the node name and the jobs they and the PVE commands return decide the
 * follow-up commands (storageCommands), which need the node in their API paths.
 */
export const PVE_STORAGE_COMMANDS: readonly ProbeCommand[] = [
  { id: 'hostname', section: FIXED, command: 'hostname', isolated: true },
  { id: 'storage-cfg', section: FIXED, command: catOptional('/etc/pve/storage.cfg'), isolated: true },
];

/** Command id prefix of a storage's backup content; the storage id follows, hex-encoded (ids allow `_`, `.` and capitals). */
export const STORAGE_CONTENT_PREFIX = 'storage-content-';

/**
 * The storage status list and, per storage, its backups. Node and storage ids must have PVE's
 * formats (checked here, so nothing else reaches a shell) and are single-quoted anyway.
 */
export function storageCommands(node: string, storages: readonly string[]): ProbeCommand[] {
  if (!isNodeName(node)) throw new Error(`not a PVE node name: ${JSON.stringify(node)}`);
  const n = shellQuote(node);
  return [
    { id: 'storage-status', command: storageStatusShell(n), section: { kind: 'storage-status', node }, isolated: true },
    ...storages.map((storage) => {
      if (!isStorageId(storage)) throw new Error(`not a PVE storage id: ${JSON.stringify(storage)}`);
      return {
        id: `${STORAGE_CONTENT_PREFIX}${Buffer.from(storage).toString('hex')}`,
        command: storageContentShell(n, shellQuote(storage)),
        section: { kind: 'storage-content', node, storage } as const,
        isolated: true as const,
      };
    }),
  ];
}

// The parameterised commands as shell text around shell words: quoted values in the recorded
// command, "$1"/"$2" in the probe script, so both are the same command.
export const storageStatusShell = (node: string) => `pvesh get /nodes/${node}/storage --output-format json`;
export const storageContentShell = (node: string, storage: string) =>
  `pvesh get /nodes/${node}/storage/${storage}/content --content backup --output-format json`;
export const listingShell = (path: string, depth: string) =>
  `[ -d ${path} ] || exit ${LISTING_MISSING_EXIT}; find -H ${path} -mindepth 1 -maxdepth ${depth} -type f -printf '%T@ %s %P\\0'`;

/** The storage a content command reads, from its id; null for any other command. */
export function contentCommandStorage(id: string): string | null {
  if (!id.startsWith(STORAGE_CONTENT_PREFIX)) return null;
  const storage = Buffer.from(id.slice(STORAGE_CONTENT_PREFIX.length), 'hex').toString('utf8');
  return isStorageId(storage) ? storage : null;
}

export const TIMEZONE_COMMAND: ProbeCommand = {
  id: 'timezone',
  section: FIXED,
  command: 'timedatectl show -p Timezone --value 2>/dev/null || cat /etc/timezone',
};

/**
 * One listing per (host, base path): mtime (epoch seconds), size and path relative to the base
 * of each regular file, at most `depth` levels down (the deepest glob on that base needs).
 * NUL-terminated: a file name may hold a newline (and a forged record after it), never a NUL.
 */
export function listingCommand(basePath: string, depth: number): ProbeCommand {
  const id = `listing-${createHash('sha256').update(basePath).digest('hex').slice(0, 12)}`;
  return {
    id,
    basePath,
    command: listingShell(shellQuote(basePath), String(depth)),
    section: { kind: 'listing', path: basePath, depth },
  };
}

/**
 * Most bytes of stdout one command may print before it is stopped (its facts then error
 * `output_too_large`, the host's other facts stand): a hostile or broken host cannot make the
 * collector hold, or the snapshot carry, more than this. A listing is the large one (100,000 archives
 * are about 8 MB); a PVE config, the guest list or a mail queue is well under a megabyte on a large
 * site; a zone name is a few bytes.
 */
export const OUTPUT_CAPS = {
  listing: 64 * 1024 * 1024,
  timezone: 4096,
  retention: 64 * 1024,
  other: 8 * 1024 * 1024,
} as const;

export function outputCap(c: Pick<ProbeCommand, 'id' | 'basePath'>): number {
  if (c.basePath !== undefined) return OUTPUT_CAPS.listing;
  if (c.id === TIMEZONE_COMMAND.id) return OUTPUT_CAPS.timezone;
  // vzdump.conf is a few hundred bytes, pveversion one line.
  if ((RETENTION_COMMAND_IDS as readonly string[]).includes(c.id)) return OUTPUT_CAPS.retention;
  return OUTPUT_CAPS.other;
}

/** Depth a glob needs: one level per path segment. */
export function globDepth(glob: string): number {
  return glob.split('/').length;
}

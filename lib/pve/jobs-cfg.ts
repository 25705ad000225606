// /etc/pve/jobs.cfg → VzdumpJob[] as PVE reads and runs them, and which guests a job covers.
// Sources (pve-common, pve-guest-common, pve-manager):
// - SectionConfig.pm parse_config: each value is checked against its schema (check_value); a value
//   that fails is dropped with a warning ("unable to parse value of 'KEY': …"), an unknown key too
//   ("unexpected property"), a repeated key too ("duplicate attribute"). Then check_config: a section
//   missing a required option (`schedule`) is skipped, stored as undef.
// - VZDump/Common.pm (confdesc) and VZDump/JobBase.pm options, Job/Registry.pm: the keys and formats.
// - Jobs.pm run_jobs: jobs in `sort keys` order; a skipped section's undefined schedule makes
//   parse_calendar_event die, which ends that minute's run_jobs: no later job is ever started.
// - API2/VZDump.pm vzdump → VZDump.pm verify_vzdump_parameters: `vmid` beside `all`, `exclude` or
//   `pool` aborts the run, as does a job selecting nothing; get_included_guests: what a run backs up.

import type { ConfigWarning, Guest, JobProblem, VzdumpJob } from '../model.js';
import { parseCalendarEvent } from './calendar-event.js';
import { parsePruneBackups } from './prune.js';
import { sortedUnique, splitList } from './lists.js';
import { parseSectionConfig, type Section, type SectionEntry } from './section-config.js';

const JOB_TYPES = ['vzdump', 'realm-sync'];

/** A value check: PVE's error text, or null when the value passes. */
export type ValueCheck = (value: string) => string | null;

const VMID = /^[1-9][0-9]{2,8}$/; // JSONSchema.pm pve_verify_vmid
const NODE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/; // pve_verify_node_name
const STORAGE_ID = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i; // pve_verify_storage_id

export const boolean: ValueCheck = (v) =>
  v === '0' || v === '1' ? null : `type check ('boolean') failed - got '${v}'`;
const integer =
  (min: number | null = null, max: number | null = null): ValueCheck =>
  (v) => {
    if (!/^-?\d+$/.test(v)) return `type check ('integer') failed - got '${v}'`;
    if (min !== null && Number(v) < min) return `value must have a minimum value of ${min}`;
    if (max !== null && Number(v) > max) return `value must have a maximum value of ${max}`;
    return null;
  };
const oneOf =
  (...values: string[]): ValueCheck =>
  (v) =>
    values.includes(v) ? null : `value '${v}' does not have a value in the enumeration '${values.join(', ')}'`;
const maxLength =
  (n: number, next: ValueCheck = () => null): ValueCheck =>
  (v) =>
    v.length > n ? `value may only be ${n} characters long` : next(v);
const vmidList: ValueCheck = (v) =>
  splitList(v).every((id) => VMID.test(id)) ? null : 'invalid format - value does not look like a valid VM ID';
const anyString: ValueCheck = () => null;

// PVE::VZDump::Common backup-fleecing: `[enabled=]<bool>[,storage=<id>]`; enabled without storage is refused.
const fleecing: ValueCheck = (v) => {
  const parts = new Map<string, string>();
  for (const part of v.split(',')) {
    const [k, val] = part.includes('=') ? (part.split(/=(.*)/s) as [string, string]) : ['enabled', part];
    if (!['enabled', 'storage'].includes(k)) return `invalid format - unknown key '${k}'`;
    parts.set(k, val);
  }
  const enabled = parts.get('enabled') ?? '0';
  if (boolean(enabled)) return `invalid format - enabled: type check ('boolean') failed - got '${enabled}'`;
  if (enabled === '1' && !parts.get('storage'))
    return "invalid format - 'storage' parameter is required when 'enabled' is set";
  return null;
};

const schedule: ValueCheck = maxLength(128, (v) => {
  try {
    parseCalendarEvent(v);
    return null;
  } catch (e) {
    return `invalid format - invalid calendar event '${v}' - ${(e as Error).message}`;
  }
});

/** The keys a vzdump section may hold (JobBase options: Registry's plus VZDump::Common confdesc). */
export const VZDUMP_KEYS: Record<string, ValueCheck> = {
  enabled: boolean,
  schedule,
  comment: maxLength(512),
  'repeat-missed': boolean,
  vmid: vmidList,
  exclude: vmidList,
  node: (v) => (NODE.test(v) ? null : 'invalid format - value does not look like a valid node name'),
  all: boolean,
  stdexcludes: boolean,
  quiet: boolean,
  stop: boolean,
  remove: boolean,
  protected: boolean,
  compress: oneOf('0', '1', 'gzip', 'lzo', 'zstd'),
  mode: oneOf('snapshot', 'suspend', 'stop'),
  mailnotification: oneOf('always', 'failure'),
  'notification-mode': oneOf('auto', 'legacy-sendmail', 'notification-system'),
  'pbs-change-detection-mode': oneOf('legacy', 'data', 'metadata'),
  pigz: integer(),
  zstd: integer(),
  bwlimit: integer(0),
  ionice: integer(0, 8),
  lockwait: integer(0),
  stopwait: integer(0),
  storage: (v) => (STORAGE_ID.test(v) ? null : `invalid format - storage ID '${v}' contains illegal characters`),
  fleecing,
  'notes-template': maxLength(1024),
  'exclude-path': anyString,
  mailto: anyString,
  tmpdir: anyString,
  dumpdir: anyString,
  script: anyString,
  pool: anyString,
  performance: anyString,
  // pve-storage's prune-backups format with validate_prune_backups: PVE drops a value that fails it.
  'prune-backups': (v) => {
    const p = parsePruneBackups(v);
    return 'error' in p ? `invalid format - ${p.error}` : null;
  },
};

/** Keys PVE 9 dropped that older nodes still read (pve-manager 9b193c4a): key → its format there. */
export const LEGACY_KEYS: Record<string, { until: number; check: ValueCheck }> = {
  maxfiles: { until: 9, check: integer(0) },
};
export const BOOLEAN_KEYS = new Set(
  Object.entries(VZDUMP_KEYS)
    .filter(([, check]) => check === boolean)
    .map(([k]) => k),
);
const ARRAY_KEYS = new Set(['exclude-path']);

export function parseJobsCfg(text: string): { jobs: VzdumpJob[]; warnings: ConfigWarning[] } {
  const parsed = parseSectionConfig(text, [], false);
  const warnings = parsed.warnings.map((w) => configWarning('jobs.cfg', w));
  const sections = parsed.sections.filter((s) => {
    if (JOB_TYPES.includes(s.type)) return true;
    warnings.push({
      file: 'jobs.cfg',
      line: s.line,
      message: `section '${s.id}' skipped: unsupported type '${s.type}'`,
    });
    return false;
  });
  const jobs = sections.filter((s) => s.type === 'vzdump').map(toJob);
  // run_jobs walks the ids sorted and dies at the first section PVE skipped for want of a schedule.
  const stopper = sections
    .filter((s) => (s.type === 'vzdump' ? jobs.find((j) => j.id === s.id)!.schedule === null : !hasValidSchedule(s)))
    .map((s) => s.id)
    .sort(byteOrder)[0];
  if (stopper !== undefined) {
    for (const job of jobs.filter((j) => byteOrder(j.id, stopper) > 0)) {
      job.runs = false;
      job.problems.push({
        kind: 'job_invalid',
        key: null,
        line: job.line,
        text: headerText(job),
        reason: `pvescheduler never reaches it: jobs run in id order and the run stops at '${stopper}', whose section PVE skipped (parse_calendar_event dies on its missing schedule)`,
        fix: `Fix job ${stopper} (see its D19.job-valid finding); this job then runs again.`,
      });
    }
  }
  return { jobs, warnings };
}

/** Perl's default `sort`: by code unit, as JS compares strings. */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const hasValidSchedule = (s: Section) => {
  const entry = s.entries.find((e) => e.key === 'schedule');
  return entry?.value != null && schedule(entry.value) === null;
};

const headerText = (job: { id: string }) => `vzdump: ${job.id}`;

/** A section-config warning (`line N: …`) as a ConfigWarning. */
export function configWarning(file: string, warning: string): ConfigWarning {
  const m = /^line (\d+): (.*)$/s.exec(warning);
  return m ? { file, line: Number(m[1]), message: m[2]! } : { file, line: 0, message: warning };
}

function toJob(section: Section): VzdumpJob {
  const problems: JobProblem[] = [];
  const kept = new Map<string, SectionEntry>();
  const values = new Map<string, string>();
  const drop = (entry: SectionEntry, reason: string) =>
    problems.push({
      kind: 'key_dropped',
      key: entry.key,
      line: entry.line,
      text: entry.text.trim(),
      reason,
      fix: fixFor(section.id, entry, reason),
    });
  for (const entry of section.entries) {
    const check = Object.hasOwn(VZDUMP_KEYS, entry.key) ? VZDUMP_KEYS[entry.key]! : null;
    if (check === null) {
      drop(entry, `unexpected property '${entry.key}'`);
      // Read by nodes older than the version that dropped it (judged with the node's version, D19.job-valid).
      const legacy = Object.hasOwn(LEGACY_KEYS, entry.key) ? LEGACY_KEYS[entry.key]! : null;
      const readByOlder = legacy && entry.value !== null && legacy.check(entry.value) === null && !kept.has(entry.key);
      if (readByOlder) problems.at(-1)!.readBefore = legacy.until;
      continue;
    }
    if (kept.has(entry.key) && !ARRAY_KEYS.has(entry.key)) {
      drop(entry, 'duplicate attribute');
      continue;
    }
    // A bare key is 1 for a boolean; any other bare key has no value (check_value).
    const value = entry.value ?? (BOOLEAN_KEYS.has(entry.key) ? '1' : null);
    const error = value === null ? 'got undefined value' : check(value);
    if (error !== null) {
      drop(entry, error);
      continue;
    }
    kept.set(entry.key, entry);
    values.set(entry.key, values.has(entry.key) ? `${values.get(entry.key)}\n${value}` : value!);
  }
  const get = (key: string) => values.get(key);
  const header = { line: section.line, text: `vzdump: ${section.id}` };
  if (get('schedule') === undefined) {
    const dropped = problems.find((p) => p.key === 'schedule');
    problems.push({
      kind: 'job_invalid',
      key: 'schedule',
      ...header,
      reason: "PVE skips the section, the job never runs: missing value for required option 'schedule'",
      fix:
        dropped?.fix ??
        `In /etc/pve/jobs.cfg, give job ${section.id} a \`schedule\` line (a calendar event such as \`02:30\` or \`mon..fri 02:30\`).`,
    });
  }
  const vmidLine = kept.get('vmid');
  const { conflicts, selectsNothing, all, pool } = vzdumpSelection(get);
  if (vmidLine && conflicts.length) {
    problems.push({
      kind: 'job_invalid',
      key: 'vmid',
      line: vmidLine.line,
      text: vmidLine.text.trim(),
      reason: `the run aborts, nothing is backed up: ${conflicts.map((k) => `${k}: option conflicts with option 'vmid'`).join('; ')}`,
      fix: `In /etc/pve/jobs.cfg, job ${section.id}: delete \`${vmidLine.text.trim()}\` (line ${vmidLine.line}) to back up what ${conflicts.join('/')} selects, or delete the ${conflicts.map((k) => `\`${k}\``).join(', ')} line(s) to back up exactly the listed VMIDs.`,
    });
  }
  if (selectsNothing) {
    problems.push({
      kind: 'job_invalid',
      key: 'vmid',
      ...header,
      reason: 'the run aborts, nothing is backed up: vmid: property is missing (no vmid, all, exclude or pool)',
      fix: `On any node: \`pvesh set /cluster/backup/${section.id} --vmid <the guests to back up>\` (or \`--all 1\`).`,
    });
  }
  // As written (first of a repeated key), dropped keys included: the mail rules judge what the file says.
  const options = { ...section.keys };
  if (options.comment !== undefined) options.comment = decodeText(options.comment);
  return {
    id: section.id,
    line: section.line,
    enabled: get('enabled') !== '0',
    schedule: get('schedule') ?? null,
    vmids: vmidLine ? sortedUnique(splitList(get('vmid')!).map(Number)) : null,
    all,
    exclude: sortedUnique(splitList(get('exclude') ?? '').map(Number)),
    pool,
    node: get('node') ?? null,
    storage: get('storage') ?? null,
    options,
    runs: !problems.some((p) => p.kind === 'job_invalid'),
    problems,
  };
}

/**
 * verify_vzdump_parameters' selection rules: the keys that conflict with `vmid` (the run aborts),
 * whether nothing is selected (it aborts too); then `exclude` means all unless a pool is named.
 */
export function vzdumpSelection(get: (key: string) => string | undefined): {
  conflicts: string[];
  selectsNothing: boolean;
  all: boolean;
  pool: string | null;
} {
  const truthy = (key: string) => {
    const v = get(key);
    return v !== undefined && v !== '' && v !== '0';
  };
  const pool = get('pool') || null;
  const all = truthy('all') || (get('exclude') !== undefined && pool === null);
  const conflicts = get('vmid') === undefined ? [] : ['all', 'exclude', 'pool'].filter(truthy);
  return {
    conflicts,
    selectsNothing: get('vmid') === undefined && !all && !truthy('stop') && pool === null,
    all,
    pool,
  };
}

/** The exact edit that makes PVE keep a dropped key (or says to delete it). */
function fixFor(jobId: string, entry: SectionEntry, reason: string): string {
  const where = `In /etc/pve/jobs.cfg, job ${jobId}, line ${entry.line}`;
  const text = entry.text.trim();
  const replace = (by: string, why = '') => `${where}: replace \`${text}\` with \`${by}\`${why}.`;
  const remove = (why = '') => `${where}: delete \`${text}\`${why}.`;
  const value = entry.value ?? '';
  switch (entry.key) {
    case 'vmid':
    case 'exclude': {
      const ids = splitList(value)
        .filter((id) => /^\d+$/.test(id))
        .map(Number)
        .filter((n) => n >= 100 && n <= 999_999_999);
      const bad = splitList(value).filter((id) => !VMID.test(id));
      if (reason === 'duplicate attribute')
        return `${where}: merge \`${text}\` into the first \`${entry.key}\` line (PVE ignores this one).`;
      const note = ` (${bad.map((b) => `'${b}'`).join(', ')} ${bad.length === 1 ? 'is' : 'are'} no VMID: PVE ignores the whole line)`;
      return ids.length ? replace(`${entry.key} ${sortedUnique(ids).join(',')}`, note) : remove(note);
    }
    case 'node': {
      const nodes = splitList(value).filter((n) => NODE.test(n));
      if (nodes.length > 1) {
        return `${where}: a job runs on one node or on all; PVE ignores \`${text}\` and runs the job on every node. Keep \`node ${nodes[0]}\` and copy the job for ${nodes.slice(1).join(', ')} (\`pvesh create /cluster/backup … --node ${nodes[1]}\`), or delete the line to run on every node.`;
      }
      return remove();
    }
    case 'schedule': {
      const converted = cronToCalendarEvent(value);
      return converted
        ? replace(`schedule ${converted}`, ` (\`${value}\` is cron syntax; PVE's schedules are calendar events)`)
        : `${where}: replace \`${text}\` with a calendar event, e.g. \`schedule mon..fri 02:30\` (see \`man 7 systemd.time\`, PVE's subset).`;
    }
    case 'maxfiles': {
      const n = /^\+?\d+$/.test(value) ? Number(value) : null;
      if (n !== null && reason.startsWith('unexpected property')) {
        return `${where}: replace \`${text}\` with \`prune-backups ${n ? `keep-last=${n}` : 'keep-all=1'}\` (PVE 9 dropped maxfiles; older nodes read it so) or delete it if the job has prune-backups.`;
      }
      return remove();
    }
    default:
      if (reason.startsWith('unexpected property'))
        return remove(` (PVE does not know \`${entry.key}\`${DEAD_KEYS[entry.key] ?? ''})`);
      if (reason === 'duplicate attribute') return remove(` (PVE keeps the first \`${entry.key}\`)`);
      return `${where}: give \`${entry.key}\` a valid value or delete the line (${reason}).`;
  }
}

const DEAD_KEYS: Record<string, string> = {
  'notification-policy': '; notifications go through /etc/pve/notifications.cfg matchers',
  'notification-target': '; notifications go through /etc/pve/notifications.cfg matchers',
};

const CRON_DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** `M H * * DOW` (one minute and hour, any days of the month and months) as a calendar event; null otherwise. */
export function cronToCalendarEvent(cron: string): string | null {
  const m = /^(\d{1,2}) (\d{1,2}) \* \* (\S+)$/.exec(cron.trim().replace(/\s+/g, ' '));
  if (!m) return null;
  const [minute, hour] = [Number(m[1]), Number(m[2])];
  if (minute > 59 || hour > 23) return null;
  const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  if (m[3] === '*') return time;
  const days: string[] = [];
  for (const part of m[3]!.split(',')) {
    const range = /^([0-7])(?:-([0-7]))?$/.exec(part);
    if (!range) return null;
    const [from, to] = [Number(range[1]), Number(range[2] ?? range[1])];
    if (to < from) return null;
    days.push(from === to ? CRON_DAYS[from]! : `${CRON_DAYS[from]}..${CRON_DAYS[to]}`);
  }
  return `${days.join(',')} ${time}`;
}

// PVE::Tools::decode_text: %XX byte escapes, then UTF-8 (invalid bytes become U+FFFD, never an error).
function decodeText(text: string): string {
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (escapes) =>
    Buffer.from(escapes.replaceAll('%', ''), 'hex').toString('utf8'),
  );
}

/**
 * VMIDs a job backs up, in PVE's precedence (get_included_guests): pool (existing members,
 * `exclude` ignored) → vmid (as listed, even guests that no longer exist: they fail visibly in the
 * run) → all minus exclude → nothing. With `node` set, guests hosted elsewhere are dropped; unknown
 * ids have no node and stay. A job PVE never runs (`runs` false) backs up nothing. Disabled jobs are
 * not filtered here.
 */
export function selectGuests(job: VzdumpJob, guests: Guest[], pools: Record<string, number[]>): number[] {
  if (!job.runs) return [];
  const [first = []] = selections(job, guests, pools);
  return first;
}

/** Every VMID any of a job's selection keys names, whether or not PVE runs it (for saying why a guest is not covered). */
export function selectedBy(job: VzdumpJob, guests: Guest[], pools: Record<string, number[]>): number[] {
  return sortedUnique(selections(job, guests, pools).flat());
}

/** What each selection key present names, in PVE's precedence, on the job's node. */
function selections(job: VzdumpJob, guests: Guest[], pools: Record<string, number[]>): number[][] {
  const byId = new Map(guests.map((g) => [g.vmid, g]));
  const named: number[][] = [];
  if (job.pool !== null) {
    const members = Object.hasOwn(pools, job.pool) ? (pools[job.pool] ?? []) : [];
    named.push(members.filter((id) => byId.has(id)));
  }
  if (job.vmids !== null) named.push(job.vmids);
  if (job.all) named.push(guests.map((g) => g.vmid).filter((id) => !job.exclude.includes(id)));
  const onNode = (id: number) => {
    const node = byId.get(id)?.node;
    return job.node === null || node === undefined || node === job.node;
  };
  return named.map((ids) => sortedUnique(ids.filter(onNode)));
}

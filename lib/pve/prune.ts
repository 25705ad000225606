// Backup retention as PVE applies it: the `prune-backups` property string, the policy a vzdump run
// uses, and which backups its prune keeps. Ported from (read at these commits):
// - pve-storage 0c56bad src/PVE/Storage/Plugin.pm: $prune_backups_format, validate_prune_backups,
//   prune_backups (protected and renamed marks, groups per type/vmid); src/PVE/Storage.pm
//   archive_info (the ctime of a standard name is timelocal() of its stamp) and
//   prune_mark_backup_group / $prune_mark (the passes, newest first, the "already included" pre-scan).
// - pve-common src/PVE/JSONSchema.pm parse_property_string, parse_boolean, check_type, parse_config
//   (/etc/vzdump.conf: `key: value`, the last line wins, a value failing its format is dropped).
// - pve-manager 14a22df PVE/VZDump.pm new(): job option, else the storage's (storage_info), else
//   vzdump.conf's, else keep-all=1; remove forced to 0 under keep-all; the `remove 0` backup limit
//   (the sum of the keeps). Legacy `maxfiles` as pve-manager 9b193c4a^ and pve-storage e502404^
//   converted it (0 → keep-all=1, N → keep-last=N, ignored beside prune-backups); PVE 9 dropped it.
// Pure: no I/O; times are bucketed in the zone given (the node's for file storages).

import type { PrunePolicy, VzdumpConf } from '../model.js';
import { wallTimeAt, zonedToUtc } from '../time/zone.js';

export const KEEP_KEYS = [
  'keep-last',
  'keep-hourly',
  'keep-daily',
  'keep-weekly',
  'keep-monthly',
  'keep-yearly',
] as const;
export type KeepKey = (typeof KEEP_KEYS)[number];

/**
 * A policy as PVE holds it after validate_prune_backups: `{keep-all: 1}` alone, or keep-* counts (zeros kept as
 * written).
 */
export type { PrunePolicy, VzdumpConf };

export const KEEP_ALL: PrunePolicy = { 'keep-all': 1 };

export const isKeepAll = (p: PrunePolicy): boolean =>
  ((p as Record<string, number>)['keep-all'] ?? 0) > 0 ||
  !KEEP_KEYS.some((k) => ((p as Record<string, number>)[k] ?? 0) > 0);

/** VZDump.pm's backup_limit: the sum of the keeps (0 under keep-all). */
export const keepSum = (p: PrunePolicy): number =>
  isKeepAll(p) ? 0 : KEEP_KEYS.reduce((n, k) => n + ((p as Record<string, number>)[k] ?? 0), 0);

/** As PVE prints it (print_property_string, the task log's "retention:"): keys sorted, `k=v` joined by commas. */
export function policyText(p: PrunePolicy): string {
  return Object.entries(p)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** pve-common parse_boolean. */
export function parseBoolean(v: string): 0 | 1 | null {
  if (/^(1|on|yes|true)$/i.test(v)) return 1;
  if (/^(0|off|no|false)$/i.test(v)) return 0;
  return null;
}

/**
 * parse_property_string('prune-backups', text) then validate_prune_backups: the policy, or PVE's
 * error (then SectionConfig and parse_config drop the value, and the lookup falls through).
 */
export function parsePruneBackups(text: string): { policy: PrunePolicy } | { error: string } {
  const res: Record<string, string | number> = {};
  const errors: string[] = [];
  for (const part of text.split(',')) {
    if (/^\s*$/.test(part)) continue;
    const m = /^([^=]+)=(.+)$/s.exec(part);
    if (!m)
      return {
        error: part.includes('=')
          ? 'missing key in comma-separated list property'
          : 'value without key, but schema does not define a default key',
      };
    const [, k, v] = m as unknown as [string, string, string];
    if (Object.hasOwn(res, k)) return { error: `duplicate key in comma-separated list property: ${k}` };
    res[k] = k === 'keep-all' ? (parseBoolean(v) ?? v) : v;
  }
  // check_object: every key known and typed.
  for (const [k, v] of Object.entries(res)) {
    if (k === 'keep-all') {
      if (v !== 0 && v !== 1) errors.push(`${k}: type check ('boolean') failed - got '${v}'`);
    } else if (!(KEEP_KEYS as readonly string[]).includes(k)) {
      errors.push(`${k}: property is not defined in schema and the schema does not allow additional properties`);
    } else if (!/^[+-]?\d+$/.test(String(v))) {
      errors.push(`${k}: type check ('integer') failed - got '${v}'`);
    } else if (Number(v) < 0) {
      errors.push(`${k}: value must have a minimum value of 0`);
    }
  }
  if (errors.length) return { error: `format error: ${errors.sort().join('; ')}` };
  // validate_prune_backups.
  const keepAll = res['keep-all'];
  delete res['keep-all'];
  const counts = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, Number(v)])) as Partial<
    Record<KeepKey, number>
  >;
  if (!Object.values(counts).some((n) => n! > 0)) return { policy: { 'keep-all': 1 } };
  if (keepAll === 1) return { error: 'keep-all cannot be set together with other options.' };
  return { policy: counts };
}

/** Legacy `maxfiles` (PVE ≤ 8): 0 keeps all, N keeps the last N. */
export const maxfilesPolicy = (n: number): PrunePolicy => (n ? { 'keep-last': n } : { 'keep-all': 1 });

// ---------------------------------------------------------------------------
// Marks

export type PruneMark = 'keep' | 'remove' | 'protected' | 'renamed';

export interface PruneEntry {
  /** Epoch seconds PVE sorts and buckets by (for a standard file name: timelocal of its stamp). */
  ctime: number;
  mark?: PruneMark;
}

type IdFunc = (ctime: number) => string;

/** $prune_mark: one pass; entries already marked, or in a period a kept entry owns, are skipped. */
function pruneMark(entries: PruneEntry[], keepCount: number | undefined, id: IdFunc): void {
  if (!keepCount) return;
  const alreadyIncluded = new Set<string>();
  const newlyIncluded = new Set<string>();
  for (const e of entries) if (e.mark === 'keep') alreadyIncluded.add(id(e.ctime));
  for (const e of entries) {
    const i = id(e.ctime);
    if (e.mark !== undefined || alreadyIncluded.has(i)) continue;
    if (!newlyIncluded.has(i)) {
      if (newlyIncluded.size >= keepCount) break;
      newlyIncluded.add(i);
      e.mark = 'keep';
    } else {
      e.mark = 'remove';
    }
  }
}

/** ISO 8601 week and week-year of a calendar date (strftime %V/%G). */
export function isoWeek(year: number, month: number, day: number): { week: number; year: number } {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0
  d.setUTCDate(d.getUTCDate() - weekday + 3); // the Thursday of this week decides the year
  const isoYear = d.getUTCFullYear();
  const jan4 = new Date(0);
  jan4.setUTCFullYear(isoYear, 0, 4);
  const firstThursday = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000 + 3 * 86_400_000;
  return { week: 1 + Math.round((d.getTime() - firstThursday) / (7 * 86_400_000)), year: isoYear };
}

/**
 * PVE::Storage::prune_mark_backup_group: marks one group (one guest and type on one storage) in
 * place. `zone` is the zone of `localtime` (the node's; PBS prunes in the PBS server's).
 */
export function pruneMarkBackupGroup(group: PruneEntry[], keep: PrunePolicy, zone: string): void {
  if (isKeepAll(keep)) {
    // preserve additional information like 'protected'
    for (const e of group) if (!e.mark || e.mark === 'remove') e.mark = 'keep';
    return;
  }
  const k = keep as Partial<Record<KeepKey, number>>;
  const list = [...group].sort((a, b) => b.ctime - a.ctime);
  // wallTimeAt is cheap (lib/time/zone.ts keeps each zone's offsets): no cache of its own here.
  const local = (c: number) => wallTimeAt(zone, c);
  pruneMark(list, k['keep-last'], (c) => String(c));
  pruneMark(list, k['keep-hourly'], (c) => {
    const t = local(c);
    return `${t.hour}/${t.day}/${t.month}/${t.year}`;
  });
  pruneMark(list, k['keep-daily'], (c) => {
    const t = local(c);
    return `${t.day}/${t.month}/${t.year}`;
  });
  pruneMark(list, k['keep-weekly'], (c) => {
    const t = local(c);
    const w = isoWeek(t.year, t.month, t.day);
    return `${w.week}/${w.year}`;
  });
  pruneMark(list, k['keep-monthly'], (c) => {
    const t = local(c);
    return `${t.month}/${t.year}`;
  });
  pruneMark(list, k['keep-yearly'], (c) => String(local(c).year));
  for (const e of list) e.mark ??= 'remove';
}

// ---------------------------------------------------------------------------
// One storage's backups of one guest, as Plugin::prune_backups marks them

/** A backup as a storage lists it: a volid or file name, its listed ctime (mtime), protected or not. */
export interface BackupItem {
  /** Volume id (`store:backup/vzdump-…`) or file name; PBS: `store:backup/vm/101/2024-…Z`. */
  name: string;
  /** The time the storage lists (file storages: the name's stamp, else the mtime; PBS: backup time). */
  ctime: number;
  protected: boolean;
  /** PBS snapshots carry their type in the group (`vm`→qemu, `ct`→lxc) and always count as standard. */
  type?: 'qemu' | 'lxc' | 'openvz';
}

export interface MarkedBackup extends Omit<BackupItem, 'type'> {
  mark: PruneMark;
  /** `qemu`, `lxc`, `openvz`; `unknown` when the name is no vzdump archive name. */
  type: 'qemu' | 'lxc' | 'openvz' | 'unknown';
  vmid: number | null;
}

const ARCHIVE = /^vzdump-(lxc|openvz|qemu)-.+\.(tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?)$/;
/** archive_info's standard name: type, VMID and time stamp; every name it matches ARCHIVE matches too. */
const STANDARD_ARCHIVE =
  /^vzdump-(lxc|openvz|qemu)-([1-9][0-9]{2,8})-(\d{4})_(\d{2})_(\d{2})-(\d{2})_(\d{2})_(\d{2})\.(?:tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?)$/;

/**
 * archive_info of a file name: its type, and for a standard name its VMID and ctime (Time::Local
 * timelocal of the stamp in `zone`; a stamp that is no real time makes archive_info die, so the
 * backup is `unknown` and, like any non-standard name, `renamed`).
 */
export function archiveInfo(
  name: string,
  zone: string,
): { type: 'qemu' | 'lxc' | 'openvz'; vmid: number | null; ctime: number | null } | null {
  const file = name.slice(name.lastIndexOf('/') + 1);
  const base = file.slice(file.indexOf(':') + 1); // a volid's `storage:`
  // Most names are standard: one match then.
  const s = STANDARD_ARCHIVE.exec(base);
  if (!s) {
    const m = ARCHIVE.exec(base);
    return m ? { type: m[1] as 'qemu' | 'lxc' | 'openvz', vmid: null, ctime: null } : null;
  }
  const type = s[1] as 'qemu' | 'lxc' | 'openvz';
  // Indexed, not destructured: this runs for every backup of every target.
  const year = Number(s[3]);
  const month = Number(s[4]);
  const day = Number(s[5]);
  const hour = Number(s[6]);
  const minute = Number(s[7]);
  const second = Number(s[8]);
  // Time::Local dies on a field out of range (month 13, hour 24, Feb 30).
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  if (probe.getUTCDate() !== day || probe.getUTCMonth() !== month - 1) return null;
  return {
    type,
    vmid: Number(s[2]),
    ctime: Math.floor(zonedToUtc(zone, year, month - 1, day, hour, minute, second) / 1000),
  };
}

/**
 * Plugin::prune_backups (dry run) for one guest on one storage: each backup's mark. With `type`,
 * backups of another type (and names that are no archive) are left out, as vzdump's prune after a
 * backup passes its guest's type. File storages take the time from the name (timelocal in `zone`);
 * PBS snapshots (`item.type` set) their listed time.
 */
export function markBackups(
  items: BackupItem[],
  keep: PrunePolicy,
  zone: string,
  type?: 'qemu' | 'lxc' | 'openvz',
): MarkedBackup[] {
  const out: MarkedBackup[] = [];
  const groups = new Map<string, MarkedBackup[]>();
  for (const item of items) {
    let entry: MarkedBackup;
    // Built field by field, not spread: this loop runs for every backup of every target.
    if (item.type) {
      entry = {
        name: item.name,
        ctime: item.ctime,
        protected: item.protected,
        type: item.type,
        vmid: null,
        mark: undefined as unknown as PruneMark,
      };
      push(groups, item.type, entry);
    } else {
      const info = archiveInfo(item.name, zone);
      const backupType = info?.type ?? 'unknown';
      if (type !== undefined && backupType !== type) continue;
      entry = {
        name: item.name,
        ctime: item.ctime,
        protected: item.protected,
        type: backupType,
        vmid: info?.vmid ?? null,
        mark: undefined as unknown as PruneMark,
      };
      if (info && info.ctime !== null) {
        entry.ctime = info.ctime;
        push(groups, `${backupType}/${info.vmid}`, entry);
      } else {
        entry.mark = 'renamed';
      }
    }
    if (item.protected) entry.mark = 'protected';
    out.push(entry);
  }
  for (const group of groups.values()) pruneMarkBackupGroup(group, keep, zone);
  return out;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

// ---------------------------------------------------------------------------
// Which policy a vzdump run applies

/** pveversion's first line: `pve-manager/8.2.4/faa83925c9641325 (running kernel: …)`. */
export function parsePveVersion(text: string): { major: number; minor: number; version: string } | null {
  const m = /^pve-manager\/((\d{1,3})\.(\d{1,3})(?:[.-][0-9A-Za-z.~+-]{0,40})?)\//m.exec(text.slice(0, 4096));
  return m ? { version: m[1]!, major: Number(m[2]), minor: Number(m[3]) } : null;
}

/** The PVE major version that dropped `maxfiles` (pve-manager 9b193c4a, pve-storage e502404). */
export const MAXFILES_DROPPED_IN = 9;

/**
 * /etc/vzdump.conf as read_vzdump_defaults reads the keys retention needs (`key: value`, `#`
 * comments, the last of a repeated key wins, a value failing its format is dropped with a warning).
 * `maxfiles` only counts on a node older than PVE 9 (`major`; null: unknown, then it is kept).
 */
export function parseVzdumpConf(text: string, major: number | null): VzdumpConf {
  const conf: VzdumpConf = { 'prune-backups': null, maxfiles: null, remove: null, storage: null, warnings: [] };
  const raw: Record<string, string> = {};
  for (const m of text.matchAll(/^\s*(.+?)\s*$/gm)) {
    const line = m[1]!;
    if (line.startsWith('#')) continue;
    const kv = /^(\S+?):\s*(.*)$/s.exec(line);
    if (!kv) {
      conf.warnings.push(`ignore config line: ${line}`);
      continue;
    }
    raw[kv[1]!] = kv[2]!;
  }
  const warn = (k: string, e: string) => conf.warnings.push(`parse error in '/etc/vzdump.conf' - '${k}': ${e}`);
  if (raw['prune-backups'] !== undefined) {
    const p = parsePruneBackups(raw['prune-backups']);
    if ('policy' in p) conf['prune-backups'] = p.policy;
    else warn('prune-backups', p.error);
  }
  if (raw.maxfiles !== undefined) {
    if (major !== null && major >= MAXFILES_DROPPED_IN)
      warn('maxfiles', 'property is not defined in schema and the schema does not allow additional properties');
    else if (!/^[+-]?\d+$/.test(raw.maxfiles))
      warn('maxfiles', `type check ('integer') failed - got '${raw.maxfiles}'`);
    else if (Number(raw.maxfiles) < 0) warn('maxfiles', 'value must have a minimum value of 0');
    else conf.maxfiles = Number(raw.maxfiles);
  }
  if (raw.remove !== undefined) {
    const b = parseBoolean(raw.remove);
    if (b === null) warn('remove', `type check ('boolean') failed - got '${raw.remove}'`);
    else conf.remove = b;
  }
  if (raw.storage !== undefined) {
    if (/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(raw.storage)) conf.storage = raw.storage;
    else warn('storage', `invalid format - storage ID '${raw.storage}' contains illegal characters`);
  }
  return conf;
}

export type PolicySource = 'job' | 'storage' | 'vzdump.conf' | 'default';

export interface LevelSettings {
  /** The raw `prune-backups` value (null: not set). */
  pruneBackups: string | null;
  /** The raw `maxfiles` value (null: not set). */
  maxfiles: string | null;
}

export interface EffectivePolicy {
  policy: PrunePolicy;
  source: PolicySource;
  /** What set it: `prune-backups keep-last=3` or `maxfiles 3`. */
  setting: string | null;
  /** Whether vzdump prunes after a backup (its `remove`, forced to 0 under keep-all). */
  remove: boolean;
  /** Values PVE ignored on the way (an invalid prune-backups, maxfiles on PVE 9), for the message. */
  ignored: string[];
}

/**
 * The policy a vzdump run of `job` on `storage` applies (VZDump.pm new()): the job's prune-backups
 * (or, before PVE 9, its maxfiles), else the storage's (storage.cfg; its maxfiles before PVE 9 when no
 * prune-backups), else vzdump.conf's, else keep-all=1. An invalid value is dropped where PVE
 * reads it and the lookup falls through. `remove`: the job's, else vzdump.conf's, else 1; 0 under keep-all.
 */
export function effectivePolicy(args: {
  job: LevelSettings & { remove: string | null };
  storage: LevelSettings | null;
  vzdumpConf: VzdumpConf | null;
  major: number | null;
}): EffectivePolicy {
  const ignored: string[] = [];
  const legacy = args.major === null || args.major < MAXFILES_DROPPED_IN;
  const level = (where: string, s: LevelSettings): { policy: PrunePolicy; setting: string } | null => {
    if (s.pruneBackups !== null) {
      const p = parsePruneBackups(s.pruneBackups);
      if ('policy' in p) {
        if (s.maxfiles !== null && legacy) ignored.push(`${where} maxfiles ${s.maxfiles} (prune-backups wins)`);
        return { policy: p.policy, setting: `prune-backups ${s.pruneBackups}` };
      }
      ignored.push(`${where} prune-backups ${s.pruneBackups} (${p.error})`);
    }
    if (s.maxfiles !== null) {
      if (!legacy) {
        ignored.push(`${where} maxfiles ${s.maxfiles} (PVE ${args.major} dropped maxfiles)`);
        return null;
      }
      if (/^\+?\d+$/.test(s.maxfiles))
        return { policy: maxfilesPolicy(Number(s.maxfiles)), setting: `maxfiles ${s.maxfiles}` };
      ignored.push(`${where} maxfiles ${s.maxfiles} (not a whole number ≥ 0)`);
    }
    return null;
  };
  let found: { policy: PrunePolicy; setting: string | null; source: PolicySource } | null = null;
  const job = level('job', args.job);
  if (job) found = { ...job, source: 'job' };
  if (!found && args.storage) {
    const s = level('storage', args.storage);
    if (s) found = { ...s, source: 'storage' };
  }
  if (!found && args.vzdumpConf) {
    const c = args.vzdumpConf;
    if (c['prune-backups'])
      found = {
        policy: c['prune-backups'],
        setting: `prune-backups ${policyText(c['prune-backups'])}`,
        source: 'vzdump.conf',
      };
    else if (c.maxfiles !== null && legacy)
      found = { policy: maxfilesPolicy(c.maxfiles), setting: `maxfiles ${c.maxfiles}`, source: 'vzdump.conf' };
  }
  found ??= { policy: KEEP_ALL, setting: null, source: 'default' };
  let remove = true;
  if (args.job.remove !== null) {
    const b = parseBoolean(args.job.remove);
    if (b === null) ignored.push(`job remove ${args.job.remove} (not a boolean)`);
    else remove = b === 1;
    if (b === null && args.vzdumpConf?.remove !== null && args.vzdumpConf?.remove !== undefined)
      remove = args.vzdumpConf.remove === 1;
  } else if (args.vzdumpConf?.remove !== null && args.vzdumpConf?.remove !== undefined) {
    remove = args.vzdumpConf.remove === 1;
  }
  if (isKeepAll(found.policy)) remove = false;
  return { policy: found.policy, source: found.source, setting: found.setting, remove, ignored };
}

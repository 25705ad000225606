// /etc/pve/vzdump.cron (legacy backup jobs of hosts upgraded from PVE 6) → VzdumpJob[], as PVE
// reads and cron runs them. Sources:
// - pve-cluster PVE/Cluster/Setup.pm gen_pve_vzdump_symlink (called by `pvecm updatecerts`, which
//   pveproxy runs before it starts): /etc/cron.d/vzdump is a symlink to /etc/pve/vzdump.cron on
//   every node, so cron still runs every line on every node; pvescheduler only runs jobs.cfg.
// - pve-guest-common PVE/VZDump/Common.pm parse_vzdump_cron_config: the lines PVE reads (shown in
//   Datacenter → Backup): `M H * * DOW root [/path/][#]vzdump ARGS`; `#` before vzdump disables the
//   job; the id is `<sha1 of the file>:<n>` (n counts the lines read, from 1); DOW by parse_dow;
//   ARGS by JSONSchema get_options with bare arguments as the vmid list. A line it cannot read is a
//   "malformed line" the GUI does not show.
// - pve-manager PVE/API2/Backup.pm update_job / $convert_to_schedule: editing such a job moves it
//   to jobs.cfg under the same id with schedule `DOW HH:MM` (`HH:MM` for every day).
// - PVE/API2/VZDump.pm vzdump: the cron run backs up the node's own guests of the selection, as a
//   jobs.cfg run does (get_included_guests), after verify_vzdump_parameters.

import { createHash } from 'node:crypto';
import type { ConfigWarning, JobProblem, VzdumpJob } from '../model.js';
import { BOOLEAN_KEYS, VZDUMP_KEYS, vzdumpSelection } from './jobs-cfg.js';
import { sortedUnique, splitList } from './lists.js';

const LINE = /^(\d+)\s+(\d+)\s+\*\s+\*\s+(\S+)\s+root\s+(\/\S+\/)?(#)?vzdump(\s+(.*))?$/;
const CRON_LIKE = /^\S+\s+(\S+)\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S.*)$/;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
// Job keys of jobs.cfg that are no vzdump command-line option (JobBase/Registry, not confdesc).
const JOB_ONLY_KEYS = new Set(['enabled', 'schedule', 'comment', 'repeat-missed']);
// get_options lists: repeated options add up, joined with `,`.
const LIST_KEYS = new Set(['vmid', 'exclude']);

export function parseVzdumpCron(text: string): { jobs: VzdumpJob[]; warnings: ConfigWarning[] } {
  const digest = createHash('sha1').update(text).digest('hex');
  const jobs: VzdumpJob[] = [];
  const warnings: ConfigWarning[] = [];
  const warn = (line: number, message: string) => warnings.push({ file: 'vzdump.cron', line, message });
  const notRun = 'PVE does not list it as a backup job; cron may still run it, but it is not counted as coverage';
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (/^#/.test(line) || /^\s*$/.test(line) || /^PATH\s*=/.test(line)) return;
    const m = LINE.exec(line);
    if (!m) {
      warn(
        i + 1,
        CRON_LIKE.test(line) ? `malformed line \`${line}\`: ${notRun}` : `ignoring malformed line \`${line}\``,
      );
      return;
    }
    try {
      const [minute, hour] = [Number(m[1]), Number(m[2])];
      if (minute > 59 || hour > 23) throw new Error(`start time ${m[2]}:${m[1]} is out of range`);
      const days = parseDow(m[3]!);
      const options = parseArgs(m[7] ?? '');
      const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
      jobs.push(
        toJob(
          `${digest}:${jobs.length + 1}`,
          i + 1,
          line,
          m[5] === undefined,
          days.length === 7 ? time : `${days.join(',')} ${time}`,
          options,
        ),
      );
    } catch (e) {
      warn(i + 1, `parse error in \`${line}\`: ${(e as Error).message}; ${notRun}`);
    }
  });
  return { jobs, warnings };
}

/** Common.pm parse_dow: `*`, or a list of day names, name ranges (`mon-fri`) and digits 0-7; as PVE orders them. */
function parseDow(dow: string): string[] {
  const days = new Set<number>();
  for (const day of splitList(dow === '*' ? '1,2,3,4,5,6,7' : dow)) {
    const range = /^(mon|tue|wed|thu|fri|sat|sun)-(mon|tue|wed|thu|fri|sat|sun)$/i.exec(day);
    if (range) {
      for (let d = DAYS.indexOf(range[1]!.toLowerCase()); d <= DAYS.indexOf(range[2]!.toLowerCase()); d++) days.add(d);
    } else if (/^(mon|tue|wed|thu|fri|sat|sun)$/i.test(day)) {
      days.add(DAYS.indexOf(day.toLowerCase()));
    } else if (/^[0-7]$/.test(day)) {
      days.add((Number(day) + 6) % 7); // 0 and 7 are Sunday
    } else {
      throw new Error(`unable to parse day of week '${dow}'`);
    }
  }
  if (days.size === 0) throw new Error(`unable to parse day of week '${dow}'`);
  return [...days].sort().map((d) => DAYS[d]!);
}

/**
 * The vzdump arguments as get_options reads them: `--key value`, `--key=value` (or one dash),
 * a bare boolean is 1, bare words are the vmid list. An option vzdump does not know fails the
 * line (Getopt::Long: "unable to parse option").
 */
function parseArgs(args: string): Map<string, string> {
  const words = shellWords(args);
  const options = new Map<string, string>();
  const vmids: string[] = [];
  const add = (key: string, value: string) =>
    options.set(key, LIST_KEYS.has(key) && options.has(key) ? `${options.get(key)},${value}` : value);
  for (let i = 0; i < words.length; i++) {
    const opt = /^--?([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(words[i]!);
    if (!opt) {
      vmids.push(words[i]!);
      continue;
    }
    const key = opt[1]!;
    if (!Object.hasOwn(VZDUMP_KEYS, key) || JOB_ONLY_KEYS.has(key)) throw new Error(`Unknown option: ${key}`);
    if (opt[2] !== undefined) {
      add(key, opt[2]);
      continue;
    }
    const next = words[i + 1];
    const takesNext = next !== undefined && !/^--?[a-z]/.test(next);
    if (BOOLEAN_KEYS.has(key)) {
      add(key, takesNext ? booleanOf(key, words[++i]!) : '1');
      continue;
    }
    if (!takesNext) throw new Error(`Option ${key} requires an argument`);
    add(key, words[++i]!);
  }
  if (vmids.length) add('vmid', vmids.join(','));
  return options;
}

/** JSONSchema parse_boolean, as get_options applies it. */
function booleanOf(key: string, value: string): string {
  if (/^(1|on|yes|true)$/i.test(value)) return '1';
  if (/^(0|off|no|false)$/i.test(value)) return '0';
  throw new Error(`unable to parse boolean option '${key}' ('${value}')`);
}

/** PVE::Tools::split_args (shellwords): blanks separate words; quotes and backslashes as in sh. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  const re = /\s*(?:((?:[^\s'"\\]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+)|(\S))/gs;
  for (const m of text.matchAll(re)) {
    if (m[2] !== undefined) throw new Error(`unbalanced quote in \`${text}\``);
    words.push(
      m[1]!.replace(
        /\\(.)|'([^']*)'|"((?:[^"\\]|\\.)*)"/gs,
        (_, esc, single, double) => esc ?? single ?? (double as string).replace(/\\([$`"\\\n])/g, '$1'),
      ),
    );
  }
  return words;
}

function toJob(
  id: string,
  line: number,
  text: string,
  enabled: boolean,
  schedule: string,
  options: Map<string, string>,
): VzdumpJob {
  const problems: JobProblem[] = [];
  const invalid = (key: string | null, reason: string, fix: string) =>
    problems.push({ kind: 'job_invalid', key, line, text, reason, fix });
  const where = `/etc/pve/vzdump.cron line ${line}`;
  // vzdump checks every value against its schema before it backs anything up.
  for (const [key, value] of options) {
    const error = VZDUMP_KEYS[key]!(value);
    if (error !== null)
      invalid(
        key,
        `the cron run of vzdump fails, nothing is backed up: ${key}: ${error}`,
        `In ${where}: give --${key} a valid value, or convert the job (see its legacy_cron_job finding) and fix it there.`,
      );
  }
  const get = (key: string) => options.get(key);
  const { conflicts, selectsNothing, all, pool } = vzdumpSelection(get);
  if (conflicts.length) {
    invalid(
      'vmid',
      `the run aborts, nothing is backed up: ${conflicts.map((k) => `${k}: option conflicts with option 'vmid'`).join('; ')}`,
      `In ${where}: drop the listed VMIDs to back up what ${conflicts.join('/')} selects, or drop ${conflicts.map((k) => `--${k}`).join(', ')} to back up exactly the listed VMIDs.`,
    );
  }
  if (selectsNothing) {
    invalid(
      'vmid',
      'the run aborts, nothing is backed up: vmid: property is missing (no vmid, --all, --exclude or --pool)',
      `In ${where}: name the guests to back up (or --all 1).`,
    );
  }
  return {
    id,
    line,
    source: 'vzdump.cron',
    enabled,
    schedule,
    vmids: get('vmid') === undefined ? null : sortedUnique(splitList(get('vmid')!).map(Number)),
    all,
    exclude: sortedUnique(splitList(get('exclude') ?? '').map(Number)),
    pool,
    node: get('node') ?? null,
    storage: get('storage') ?? null,
    options: Object.fromEntries(options),
    runs: problems.length === 0,
    problems,
  };
}

/** The command that moves a legacy job into jobs.cfg under the same id and schedule, as the GUI's edit does. */
export function convertCommand(job: VzdumpJob): string {
  return `pvesh set /cluster/backup/${job.id} --enabled ${job.enabled ? 1 : 0}`;
}

// Reads a snapshot folder (snapshot.yaml + hosts/<id>/<command>.out) into the host-state model.
// A malformed manifest is bad input (file, line, field); a command that failed on the host is
// host state (an error the gates report with its reason), not bad input.

import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Bindings, BindingError } from '../bindings/types.js';
import { compileSchema } from '../bindings/schema.js';
import { readSource } from '../bindings/source.js';
import { parseItems, readCollectionJson } from '../calendar/vevent.js';
import { readInputFile } from '../input-file.js';
import type {
  CalendarState,
  CommandRecord,
  HostRecord,
  HostState,
  Listing,
  MailState,
  PveState,
  PveStorageState,
  StateProblem,
  StorageContent,
} from '../model.js';
import { parsePostconf } from '../postfix/postconf.js';
import { parsePostqueue } from '../postfix/postqueue.js';
import { parseDatacenterCfg } from '../pve/datacenter-cfg.js';
import { parseGuests } from '../pve/guests.js';
import { parseJobStates } from '../pve/job-state.js';
import { parsePveVersion, parseVzdumpConf } from '../pve/prune.js';
import { parseRestoreTasks } from '../pve/task-index.js';
import { configWarning, parseJobsCfg } from '../pve/jobs-cfg.js';
import { parseVzdumpCron } from '../pve/vzdump-cron.js';
import { listingSeparator, parseListing } from '../pve/listing.js';
import { parseNotificationsCfg } from '../pve/notifications-cfg.js';
import { nodeName, parseBackupContent, parseStorageCfg, parseStorageStatus } from '../pve/storage.js';
import { parsePools, parseUserEmails } from '../pve/user-cfg.js';
import { pveHostIds } from '../bindings/pve-hosts.js';
import { contentCommandStorage, isDataExit, LISTING_MISSING_EXIT } from './probe.js';
import snapshotSchema from './snapshot.schema.json' with { type: 'json' };

export const MANIFEST = 'snapshot.yaml';
const validateManifest = compileSchema(snapshotSchema);

export interface ManifestCommand {
  id: string;
  command: string;
  exit: number | null;
  output: string | null;
  base_path?: string;
  reason?: string;
  message?: string;
}
export interface ManifestHost {
  id: string;
  status: 'ok' | 'error';
  reason?: string;
  message?: string;
  timezone?: string | null;
  commands?: ManifestCommand[];
}
export interface ManifestCalendar {
  status: 'ok' | 'error';
  url: string;
  via?: string | null;
  reason?: string;
  message?: string;
  output?: string;
}
export interface Manifest {
  format: 1;
  captured_at: string;
  hosts: ManifestHost[];
  calendar?: ManifestCalendar;
}

export type SnapshotRead =
  { ok: true; state: HostState; digests: Record<string, string> } | { ok: false; errors: BindingError[] };

/** The validated manifest of a snapshot folder (each host once), or its problems with the folder in the file name. */
export async function readManifest(
  dir: string,
  digests: Record<string, string> = {},
): Promise<{ ok: true; manifest: Manifest } | { ok: false; errors: BindingError[] }> {
  const errors: BindingError[] = [];
  const source = await readSource(dir, MANIFEST, true, errors, digests);
  if (!source || !validateManifest(source)) return { ok: false, errors: errors.map(inFolder(dir)) };
  const manifest = source.data as Manifest;
  if (!isRealUtcTime(manifest.captured_at))
    source.report(
      ['captured_at'],
      'a real UTC time (month 01-12, a day the month has, 00:00:00-23:59:59)',
      JSON.stringify(manifest.captured_at),
    );
  manifest.hosts.forEach((h, i) => {
    if (manifest.hosts.findIndex((o) => o.id === h.id) !== i)
      source.report(['hosts', i, 'id'], 'each host once', `${JSON.stringify(h.id)} a second time`);
  });
  return errors.length ? { ok: false, errors: errors.map(inFolder(dir)) } : { ok: true, manifest };
}

/**
 * Whether a `YYYY-MM-DDTHH:MM:SS(.fff)Z` time (the schema's shape) names an instant that exists: Date.parse alone takes
 * 2026-02-30 and gives NaN for month 13.
 */
export function isRealUtcTime(text: string): boolean {
  const ms = Date.parse(text);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19);
}

export async function readSnapshot(dir: string, bindings: Bindings): Promise<SnapshotRead> {
  const digests: Record<string, string> = {};
  const read = await readManifest(dir, digests);
  if (!read.ok) return read;
  const { manifest } = read;

  const pveHosts = new Set(pveHostIds(bindings));
  const hosts: Record<string, HostRecord> = {};
  const errors: BindingError[] = [];
  const output = (file: string) => readOutput(dir, file, digests, errors);
  for (const host of manifest.hosts) {
    const outputs = await readOutputs(host, output);
    hosts[host.id] = hostRecord(host, outputs, pveHosts.has(host.id));
  }
  const calendar = manifest.calendar ? await readCalendarRecord(manifest.calendar, output) : null;
  if (errors.length) return { ok: false, errors };
  return { ok: true, state: { capturedAt: manifest.captured_at, origin: dir, hosts, calendar }, digests };
}

/**
 * One output file's bytes, or null when it is absent (host state: `output_missing`). A file that
 * is there but refused (a link out of the snapshot, a pipe, a device) is bad input: `errors`.
 */
async function readOutput(
  dir: string,
  file: string,
  digests: Record<string, string>,
  errors: BindingError[],
): Promise<Buffer | null> {
  const read = await readInputFile(dir, file);
  if (read.ok) {
    digests[file] = createHash('sha256').update(read.bytes).digest('hex');
    return read.bytes;
  }
  if (!read.absent)
    errors.push({
      file: path.join(dir, file),
      line: null,
      column: null,
      path: '',
      expected: read.expected,
      found: read.found,
    });
  return null;
}

type OutputReader = (file: string) => Promise<Buffer | null>;

/** The recorded collection; a missing or malformed file is the calendar's problem (output_missing, parse_error). */
async function readCalendarRecord(c: ManifestCalendar, output: OutputReader): Promise<CalendarState> {
  const at = { url: c.url, via: c.via ?? null };
  if (c.status === 'error') return { ...at, status: 'error', problem: { reason: c.reason!, message: c.message! } };
  const bytes = await output(c.output!);
  if (!bytes)
    return {
      ...at,
      status: 'error',
      problem: { reason: 'output_missing', message: `the calendar file ${c.output} cannot be read` },
    };
  try {
    return { ...at, status: 'ok', output: c.output!, ...parseItems(readCollectionJson(bytes.toString('utf8'))) };
  } catch (e) {
    return {
      ...at,
      status: 'error',
      problem: { reason: 'parse_error', message: `${c.output}: ${(e as Error).message}` },
    };
  }
}

/** Errors name the manifest by its path, so a user sees which snapshot is broken. */
const inFolder =
  (dir: string) =>
  (e: BindingError): BindingError => ({ ...e, file: path.join(dir, e.file) });

/** Output text by command id; null when the output file is absent. */
async function readOutputs(host: ManifestHost, output: OutputReader): Promise<Map<string, string | null>> {
  const outputs = new Map<string, string | null>();
  for (const c of host.commands ?? []) {
    const bytes = c.output === null ? null : await output(c.output);
    outputs.set(c.id, bytes === null ? null : bytes.toString('utf8'));
  }
  return outputs;
}

function hostRecord(host: ManifestHost, outputs: Map<string, string | null>, isPve: boolean): HostRecord {
  const commands: CommandRecord[] = (host.commands ?? []).map((c) => ({
    id: c.id,
    command: c.command,
    exit: c.exit,
    output: c.output,
    ...(c.base_path ? { basePath: c.base_path } : {}),
    ...(c.reason ? { problem: { reason: c.reason, message: c.message ?? c.reason } } : {}),
  }));
  const record: HostRecord = {
    id: host.id,
    status: host.status,
    timezone: host.timezone ?? null,
    commands,
    pve: null,
    mail: null,
    listings: {},
    problem: host.status === 'error' ? { reason: host.reason!, message: host.message! } : null,
  };
  if (host.status === 'error') return record;
  const output = (id: string): { text: string } | { problem: StateProblem } => {
    const c = commands.find((x) => x.id === id);
    if (!c)
      return { problem: { reason: 'not_collected', message: `command ${id} is not in the snapshot of ${host.id}` } };
    if (c.problem) return { problem: c.problem };
    const text = outputs.get(id);
    if (text === null || text === undefined)
      return { problem: { reason: 'output_missing', message: `output ${c.output ?? '(none)'} of ${id} is missing` } };
    if (c.exit !== 0)
      return { problem: { reason: 'command_failed', message: `\`${c.command}\` exited ${c.exit ?? 'by signal'}` } };
    return { text };
  };
  if (isPve) record.pve = withLegacyCron(readPve(output), output('vzdump-cron'));
  if (isPve) record.mail = readMail(output, commands);
  if (isPve) {
    record.jobRuns = readJobRuns(output);
    record.retention = readRetention(output);
    record.storage = readStorage(output, commands, outputs);
  }
  if (isPve) record.restores = readRestores(output);
  for (const c of commands.filter((x) => x.basePath)) record.listings[c.basePath!] = readListing(c, outputs.get(c.id));
  return record;
}

function readPve(output: (id: string) => { text: string } | { problem: StateProblem }): HostRecord['pve'] {
  const texts: Record<string, string> = {};
  for (const id of ['jobs-cfg', 'user-cfg', 'guests', 'scheduler']) {
    const o = output(id);
    if ('problem' in o) return { ok: false, problem: o.problem };
    texts[id] = o.text;
  }
  try {
    const jobs = parseJobsCfg(texts['jobs-cfg']!);
    const pools = parsePools(texts['user-cfg']!);
    const value: PveState = {
      jobs: jobs.jobs,
      pools: pools.pools,
      guests: parseGuests(texts['guests']!),
      scheduler: texts['scheduler']!.trim(),
      configWarnings: [...jobs.warnings, ...pools.warnings],
    };
    return { ok: true, value };
  } catch (e) {
    return { ok: false, problem: { reason: 'parse_error', message: (e as Error).message } };
  }
}

/**
 * The legacy /etc/pve/vzdump.cron jobs join the jobs.cfg ones. Its command is isolated: when it is
 * not in the snapshot (older than the command) or failed, the jobs.cfg facts still stand and
 * `cronNotRead` says why cron jobs are missing (a guest only they back up then reads uncovered).
 */
function withLegacyCron(pve: HostRecord['pve'], cron: { text: string } | { problem: StateProblem }): HostRecord['pve'] {
  if (!pve?.ok) return pve;
  if ('problem' in cron) return { ok: true, value: { ...pve.value, cronNotRead: cron.problem } };
  try {
    const parsed = parseVzdumpCron(cron.text);
    return {
      ok: true,
      value: {
        ...pve.value,
        jobs: [...pve.value.jobs, ...parsed.jobs],
        configWarnings: [...pve.value.configWarnings, ...parsed.warnings],
      },
    };
  } catch (e) {
    return {
      ok: true,
      value: { ...pve.value, cronNotRead: { reason: 'parse_error', message: `vzdump.cron: ${(e as Error).message}` } },
    };
  }
}

/** Job run states, apart from `pve`: a snapshot older than the `job-state` command still judges coverage. */
function readJobRuns(output: (id: string) => { text: string } | { problem: StateProblem }): HostRecord['jobRuns'] {
  const o = output('job-state');
  return 'problem' in o ? { ok: false, problem: o.problem } : { ok: true, value: parseJobStates(o.text) };
}

/** Restore tasks, apart from `pve`: a snapshot older than the `restore-tasks` command makes only D19.restore-drill an error. */
function readRestores(output: (id: string) => { text: string } | { problem: StateProblem }): HostRecord['restores'] {
  const o = output('restore-tasks');
  return 'problem' in o ? { ok: false, problem: o.problem } : { ok: true, value: parseRestoreTasks(o.text) };
}

/**
 * Retention facts (D19.retention), apart from `pve`: a snapshot older than the `vzdump-conf` and
 * `pveversion` commands, or a failed one, makes only D19.retention an error. vzdump.conf is read as the
 * node's version reads it (maxfiles counts before PVE 9).
 */
function readRetention(output: (id: string) => { text: string } | { problem: StateProblem }): HostRecord['retention'] {
  const version = output('pveversion');
  if ('problem' in version) return { ok: false, problem: version.problem };
  const conf = output('vzdump-conf');
  if ('problem' in conf) return { ok: false, problem: conf.problem };
  const pveVersion = parsePveVersion(version.text);
  if (!pveVersion)
    return {
      ok: false,
      problem: {
        reason: 'parse_error',
        message: `\`pveversion\` printed ${JSON.stringify(version.text.slice(0, 120).trim())}, not pve-manager/<version>/…`,
      },
    };
  return { ok: true, value: { pveVersion, vzdumpConf: parseVzdumpConf(conf.text, pveVersion.major) } };
}

/**
 * Storage facts, apart from `pve` like the mail facts: a snapshot older than the storage commands
 * makes only the storage checks errors (not_collected). A content command that failed (a PBS that
 * cannot be reached) is that storage's error, not the host's.
 */
function readStorage(
  output: (id: string) => { text: string } | { problem: StateProblem },
  commands: CommandRecord[],
  outputs: Map<string, string | null>,
): HostRecord['storage'] {
  const texts: Record<string, string> = {};
  for (const id of ['hostname', 'storage-cfg', 'storage-status']) {
    const o = output(id);
    if ('problem' in o) return { ok: false, problem: o.problem };
    texts[id] = o.text;
  }
  const node = nodeName(texts['hostname']!);
  if (node === null)
    return {
      ok: false,
      problem: {
        reason: 'parse_error',
        message: `\`hostname\` printed ${JSON.stringify(texts['hostname']!.trim())}, not a PVE node name`,
      },
    };
  try {
    const contents: PveStorageState['contents'] = {};
    for (const c of commands) {
      const storage = contentCommandStorage(c.id);
      if (storage !== null) contents[storage] = readContent(c, outputs.get(c.id));
    }
    return {
      ok: true,
      value: {
        node,
        storages: parseStorageStatus(texts['storage-status']!),
        config: parseStorageCfg(texts['storage-cfg']!),
        contents,
      },
    };
  } catch (e) {
    return { ok: false, problem: { reason: 'parse_error', message: (e as Error).message } };
  }
}

function readContent(c: CommandRecord, text: string | null | undefined): StorageContent {
  if (c.exit !== 0)
    return { status: 'error', reason: 'command_failed', message: `\`${c.command}\` exited ${c.exit ?? 'by signal'}` };
  if (text === null || text === undefined)
    return {
      status: 'error',
      reason: 'output_missing',
      message: `output ${c.output ?? '(none)'} of ${c.id} is missing`,
    };
  try {
    return { status: 'ok', volumes: parseBackupContent(text) };
  } catch (e) {
    return { status: 'error', reason: 'parse_error', message: `${c.output}: ${(e as Error).message}` };
  }
}

/**
 * The mail facts, apart from `pve`: a snapshot older than the mail commands, or a failed postfix
 * command, makes only these an error. `postconf`/`postqueue` exiting NO_POSTFIX_EXIT is data.
 */
function readMail(
  output: (id: string) => { text: string } | { problem: StateProblem },
  commands: CommandRecord[],
): HostRecord['mail'] {
  const texts: Partial<Record<keyof MailOutputs, string | null>> = {};
  const ids: (keyof MailOutputs)[] = [
    'postconf',
    'postfix-files',
    'postqueue',
    'notifications-cfg',
    'datacenter-cfg',
    'user-cfg',
  ];
  for (const id of ids) {
    const c = commands.find((x) => x.id === id);
    if (c && !c.problem && c.exit !== 0 && isDataExit(c, c.exit)) {
      texts[id] = null;
      continue;
    }
    const o = output(id);
    if ('problem' in o) return { ok: false, problem: o.problem };
    texts[id] = o.text;
  }
  try {
    return { ok: true, value: parseMailState(texts as MailOutputs) };
  } catch (e) {
    return { ok: false, problem: { reason: 'parse_error', message: (e as Error).message } };
  }
}

/** Output of each mail command (and user-cfg); null for postconf/postqueue: postfix is not installed. */
export interface MailOutputs {
  'postconf': string | null;
  'postfix-files': string;
  'postqueue': string | null;
  'notifications-cfg': string;
  'datacenter-cfg': string;
  'user-cfg': string;
}

export function parseMailState(o: MailOutputs): MailState {
  const notifications = parseNotificationsCfg(o['notifications-cfg']);
  return {
    postfix: o.postconf === null ? null : parsePostconf(o.postconf).params,
    postfixFiles: o['postfix-files'].split('\n').filter(Boolean),
    queue: o.postqueue === null ? [] : parsePostqueue(o.postqueue).messages,
    endpoints: notifications.endpoints,
    matchers: notifications.matchers,
    emailFrom: parseDatacenterCfg(o['datacenter-cfg'])['email_from'] ?? null,
    userEmails: parseUserEmails(o['user-cfg']),
    configWarnings: notifications.warnings.map((w) => configWarning('notifications.cfg', w)),
  };
}

function readListing(c: CommandRecord, text: string | null | undefined): Listing {
  if (c.problem) return { status: 'error', ...c.problem };
  if (c.exit === LISTING_MISSING_EXIT) return { status: 'missing' };
  if (c.exit !== 0)
    return {
      status: 'error',
      reason: 'command_failed',
      message: `listing ${c.basePath} exited ${c.exit ?? 'by signal'}`,
    };
  if (text === null || text === undefined)
    return { status: 'error', reason: 'output_missing', message: `output ${c.output} is missing` };
  const { files, malformed } = parseListing(text, listingSeparator(c.command));
  return { status: 'ok', files, ...(malformed.length ? { malformed } : {}) };
}

// Live collection: every host the bindings need (probePlan), read over SSH with the fixed probe.
// Hosts run in parallel (bounded); each host gets one connection, one probe exec (probe-run.ts)
// and a time budget; a host that cannot be read is an error entry with its reason, and the other
// hosts are still collected.

import os from 'node:os';
import type { Bindings } from '../bindings/types.js';
import { readRegularFile, refusalText } from '../input-file.js';
import { calendarLocation, type CalendarLocation } from '../calendar/location.js';
import { probePlan, type HostPlan } from '../snapshot/plan.js';
import { isDataExit } from '../snapshot/probe.js';
import { collectCalendar } from './calendar.js';
import { Connections, defaultResolve, type HostKeyPolicy } from './connect.js';
import { Credentials, PASSPHRASE_ENV } from './credentials.js';
import { resolveEndpoints, type Endpoint } from './endpoints.js';
import { CollectSetupError, HostError, redact } from './errors.js';
import { KnownHosts } from './known-hosts.js';
import { runProbe, type CommandResult } from './probe-run.js';
import { SshConfigFile } from './ssh-config.js';
import type { Collect, CollectOptions } from './types.js';
import type { CollectedCommand, CollectedHost } from '../model.js';

export const collect: Collect = async (bindings, options) => {
  const capturedAt = new Date().toISOString();
  const placeholder = placeholderErrors(bindings);
  // A calendar reached through a placeholder is not read: its checks say not_collected.
  const wanted = calendarToCollect(bindings, options);
  const calendarAt = wanted?.via && placeholder(wanted.via) ? null : wanted;
  const unaddressed: CollectedHost[] = [];
  const plans = selectPlans(probePlan(bindings), options.onlyHosts, calendarAt?.via ?? null).filter((p) => {
    const error = placeholder(p.hostId);
    if (error) unaddressed.push(hostEntry(p.hostId, [], error));
    return !error;
  });
  // The calendar host's connection is one more use of it (it may also be probed).
  const calendarVia =
    calendarAt?.via && bindings.ssh?.targets.some((t) => t.id === calendarAt.via) ? calendarAt.via : null;
  const { endpoints, connections, passphrase } = await openConnections(
    bindings,
    [...plans.map((p) => p.hostId), ...(calendarVia ? [calendarVia] : [])],
    options,
  );
  let done = 0;
  const running = new Map<string, number>();
  try {
    const [hosts, calendar] = await Promise.all([
      mapBounded(plans, options.concurrency, async (plan) => {
        running.set(plan.hostId, Date.now());
        options.onProgress?.({ done, total: plans.length, running });
        const host = await collectHost(plan, endpoints.get(plan.hostId)!, connections, options);
        running.delete(plan.hostId);
        options.onProgress?.({ done: ++done, total: plans.length, running });
        return redactHost(host, passphrase);
      }),
      calendarAt &&
        collectCalendar(bindings, calendarAt, calendarVia ? endpoints.get(calendarVia)! : null, connections, options),
    ]);
    return {
      capturedAt,
      hosts: [...hosts, ...unaddressed],
      insecureAcceptAnyHostKey: options.insecureAcceptAnyHostKey,
      ...(calendar ? { calendar } : {}),
    };
  } finally {
    connections.closeAll();
  }
};

/**
 * Why a host cannot be reached at all: its ssh.targets.yaml entry, or one on its probe_via chain,
 * is a `host: null` placeholder. Its checks become errors citing that line; nothing connects.
 */
function placeholderErrors(bindings: Bindings): (id: string) => HostError | null {
  const byId = new Map(bindings.ssh?.targets.map((t) => [t.id, t]));
  return (id) => {
    const seen = new Set<string>();
    for (let t = byId.get(id); t && !seen.has(t.id); t = t.probeVia ? byId.get(t.probeVia) : undefined) {
      seen.add(t.id);
      if (t.host === null) {
        const through = t.id === id ? '' : ` (${id} is probed through it)`;
        return new HostError(
          'no_address',
          `${t.source.file}:${t.source.line}: ssh target ${t.id} has host: null, a placeholder${through}; set its address to check ${id}`,
        );
      }
    }
    return null;
  };
}

/**
 * SSH connections for these hosts (a host id once per planned use: each use ends with
 * `connections.done`), checked against known_hosts with the configured keys.
 */
export async function openConnections(bindings: Bindings, uses: string[], options: CollectOptions) {
  const home = options.home ?? os.homedir();
  const passphrase =
    options.keyPassphrase === undefined ? (process.env[PASSPHRASE_ENV] ?? null) : options.keyPassphrase;
  const endpoints = resolveEndpoints(bindings, [...new Set(uses)], {
    config: await sshConfig(options.sshConfigFile, home),
    connectTimeoutMs: options.connectTimeoutMs,
    localUser: localUser(),
  });
  const connections = new Connections(
    uses.map((id) => endpoints.get(id)!),
    {
      hostKeys: await hostKeyPolicy(options),
      credentials: new Credentials({
        identityFiles: options.identityFiles,
        home,
        passphrase,
        agentSocket: options.agentSocket === undefined ? (process.env['SSH_AUTH_SOCK'] ?? null) : options.agentSocket,
      }),
      resolve: options.resolve ?? defaultResolve,
    },
  );
  return { endpoints, connections, passphrase };
}

/**
 * Where the calendar is, when this collection reads it: not with --host, unless it names the
 * calendar's host; a calendar reached directly only when asked for (`calendar: true`, shard 1).
 */
function calendarToCollect(bindings: Bindings, options: CollectOptions): CalendarLocation | null {
  const at = options.calendar === false ? null : calendarLocation(bindings);
  if (!at || !options.onlyHosts) return at;
  if (!at.via) return options.calendar === true ? at : null;
  return options.onlyHosts.includes(at.via) ? at : null;
}

function selectPlans(plans: HostPlan[], only: string[] | null, calendarHost: string | null): HostPlan[] {
  if (!only) return plans;
  const unknown = only.filter((id) => id !== calendarHost && !plans.some((p) => p.hostId === id));
  if (unknown.length) {
    throw new CollectSetupError(
      `${unknown.map((id) => `"${id}"`).join(', ')}: not a host these bindings need; hosts: ${plans.map((p) => p.hostId).join(', ')}`,
    );
  }
  return plans.filter((p) => only.includes(p.hostId));
}

async function hostKeyPolicy(options: CollectOptions): Promise<HostKeyPolicy> {
  const file = options.knownHostsFile;
  if (options.insecureAcceptAnyHostKey) return { knownHosts: null, file, fileMissing: false };
  const text = await readSetupFile(file);
  return { knownHosts: KnownHosts.parse(text ?? ''), file, fileMissing: text === null };
}

async function sshConfig(file: string | null, home: string): Promise<SshConfigFile | null> {
  if (file === null) return null;
  const text = await readSetupFile(file);
  if (text === null) throw new CollectSetupError(`cannot read ${file}: it does not exist`);
  return SshConfigFile.parse(text, file, home);
}

/** Most a known_hosts or ssh config file may hold (a large organisation's known_hosts is a few MiB). */
const MAX_SETUP_FILE_BYTES = 16 * 1024 * 1024;

/**
 * A collection input file's text; null when it does not exist; unreadable (a pipe, a device, too large) is bad input.
 */
async function readSetupFile(file: string): Promise<string | null> {
  const read = await readRegularFile(file, MAX_SETUP_FILE_BYTES);
  if (read.ok) return read.bytes.toString('utf8');
  if (read.absent) return null;
  throw new CollectSetupError(`cannot read ${file}: ${refusalText(read)}`);
}

function localUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] ?? 'root';
  }
}

/** One host: its connection, its commands, inside the host budget. */
async function collectHost(
  plan: HostPlan,
  ep: Endpoint,
  connections: Connections,
  options: CollectOptions,
): Promise<CollectedHost> {
  const budget = new AbortController();
  let connected = false;
  const timer = setTimeout(
    () =>
      budget.abort(
        new HostError(
          connected ? 'command_timeout' : 'handshake_timeout',
          `the host budget of ${options.hostBudgetMs} ms (connect and every command) ran out`,
        ),
      ),
    options.hostBudgetMs,
  );
  try {
    const conn = await untilAborted(connections.get(ep), budget.signal);
    connected = true;
    const run = await runProbe(conn, plan, { timeoutMs: options.commandTimeoutMs, signal: budget.signal });
    return hostEntry(plan.hostId, run.results, run.failure ?? commandFailures(run.results));
  } catch (e) {
    const error = e instanceof HostError ? e : new HostError('connection_lost', `${ep.label}: ${(e as Error).message}`);
    return hostEntry(plan.hostId, [], error);
  } finally {
    clearTimeout(timer);
    connections.done(ep);
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Non-zero exits are command_failed; data exits (a listing's missing path, no postfix) are not, and an
 * isolated command's failure is recorded for the facts it carries (the snapshot keeps its exit).
 */
export function commandFailures(results: readonly CommandResult[]): HostError | null {
  // Too much output is the problem of that command's facts (recorded with it), not of the host.
  const failed = results.filter(
    (r) => r.exit !== 0 && !isDataExit(r.command, r.exit) && !r.command.isolated && !r.tooLarge,
  );
  if (!failed.length) return null;
  return new HostError(
    'command_failed',
    failed
      .map((r) => {
        const how = r.exit === null ? 'was stopped' : `exited ${r.exit}`;
        return `${r.command.id} ${how}: ${
          r.stderr
            .split('\n')
            .map((l) => l.trim())
            .find(Boolean) ?? '(nothing on stderr)'
        }`;
      })
      .join('; '),
  );
}

function hostEntry(id: string, results: readonly CommandResult[], error: HostError | null): CollectedHost {
  const commands: CollectedCommand[] = results.map((r) => ({
    id: r.command.id,
    command: r.command.command,
    exit: r.exit,
    stdout: r.stdout,
    ...(r.command.basePath !== undefined ? { basePath: r.command.basePath } : {}),
    ...(r.tooLarge
      ? {
          problem: {
            reason: 'output_too_large',
            message: `${r.command.id} printed more than ${r.tooLarge.cap} bytes and was stopped`,
          },
        }
      : {}),
  }));
  if (error) return { id, status: 'error', reason: error.reason, message: error.message, commands };
  const tz = results
    .find((r) => r.command.id === 'timezone')
    ?.stdout.toString('utf8')
    .split('\n')[0]
    ?.trim();
  return { id, status: 'ok', timezone: tz || null, commands };
}

function redactHost(host: CollectedHost, secret: string | null): CollectedHost {
  return host.status === 'error' ? { ...host, message: redact(host.message, secret) } : host;
}

/** `fn` over `items`, at most `limit` at once, results in input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

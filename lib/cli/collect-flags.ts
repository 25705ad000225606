// The live-collection flags, shared by `ops verify --live` and `ops snapshot`: one parser, one
// set of defaults, one place that runs a collection and writes its snapshot.

import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bindings } from '../bindings/types.js';
import { CollectSetupError } from '../collect/errors.js';
import type { CollectOptions, CollectProgress } from '../collect/types.js';
import type { Collection } from '../model.js';
import { oneLine } from '../escape.js';
import { shellQuote } from '../snapshot/probe.js';
import { UsageError } from './usage.js';

export const COLLECT_FLAGS = {
  'known-hosts': { type: 'string' },
  identity: { type: 'string', multiple: true },
  'ssh-config': { type: 'string' },
  'insecure-accept-any-host-key': { type: 'boolean' },
  concurrency: { type: 'string' },
  'connect-timeout': { type: 'string' },
  'command-timeout': { type: 'string' },
} as const;

export type CollectFlagValues = {
  'known-hosts'?: string;
  identity?: string[];
  'ssh-config'?: string;
  'insecure-accept-any-host-key'?: boolean;
  concurrency?: string;
  'connect-timeout'?: string;
  'command-timeout'?: string;
};

export const COLLECT_FLAG_LIST = Object.keys(COLLECT_FLAGS)
  .map((f) => `--${f}`)
  .join(' ');
export const HOST_BUDGET_MS = 300_000;

/** The collection flags given on a command line (to refuse them where they do not apply). */
export const collectFlagsGiven = (values: CollectFlagValues): string[] =>
  Object.keys(COLLECT_FLAGS)
    .filter((f) => values[f as keyof CollectFlagValues] !== undefined)
    .map((f) => `--${f}`);

/**
 * The collection flags given, as the words that repeat them on a command line (`--known-hosts FILE --identity KEY …`).
 */
export function collectFlagWords(values: CollectFlagValues): string[] {
  const word = (v: string) => (/^[\w./:=@%+-]+$/.test(v) ? v : shellQuote(v));
  return Object.keys(COLLECT_FLAGS).flatMap((f) => {
    const value = values[f as keyof CollectFlagValues];
    if (value === undefined || value === false) return [];
    if (value === true) return [`--${f}`];
    return (Array.isArray(value) ? value : [value]).flatMap((v) => [`--${f}`, word(v)]);
  });
}

/** CollectOptions from the flags; ~/.ssh defaults come from `home`. Bad values are usage errors. */
export function collectOptionsFrom(values: CollectFlagValues, home = os.homedir()): CollectOptions {
  const sshDir = path.join(home, '.ssh');
  const defaultConfig = path.join(sshDir, 'config');
  return {
    knownHostsFile:
      values['known-hosts'] !== undefined
        ? existingFile('--known-hosts', values['known-hosts'])
        : path.join(sshDir, 'known_hosts'),
    insecureAcceptAnyHostKey: values['insecure-accept-any-host-key'] ?? false,
    identityFiles: values.identity?.map((f) => existingFile('--identity', f)) ?? null,
    sshConfigFile:
      values['ssh-config'] !== undefined
        ? existingFile('--ssh-config', values['ssh-config'])
        : existsSync(defaultConfig)
          ? defaultConfig
          : null,
    concurrency: positive('--concurrency', values.concurrency ?? '16', true),
    connectTimeoutMs: positive('--connect-timeout', values['connect-timeout'] ?? '10', false) * 1000,
    commandTimeoutMs: positive('--command-timeout', values['command-timeout'] ?? '60', false) * 1000,
    hostBudgetMs: HOST_BUDGET_MS,
    onlyHosts: null,
    home,
  };
}

function existingFile(flag: string, file: string): string {
  const full = path.resolve(file);
  let isFile = false;
  try {
    isFile = statSync(full).isFile();
  } catch {
    throw new UsageError(`${flag} ${file}: no such file`);
  }
  if (!isFile) throw new UsageError(`${flag} ${file}: not a file`);
  return full;
}

function positive(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  const ok = (integer ? /^\d+$/ : /^\d+(\.\d+)?$/).test(value) && n > 0 && n <= (integer ? 1024 : 86_400);
  if (!ok)
    throw new UsageError(
      `${flag} takes ${integer ? 'a whole number from 1 to 1024' : 'a number of seconds greater than 0'}, got "${value}"`,
    );
  return n;
}

export type LiveResult = { ok: true; collection: Collection } | { ok: false; error: string };

/**
 * Collects and writes the snapshot to `dir`. The insecure-host-key warning always goes to stderr;
 * the progress line only on a TTY and not with --json. Bad collection input is returned, not thrown.
 */
export async function collectSnapshot(
  bindings: Bindings,
  options: CollectOptions,
  dir: string,
  quiet: boolean,
): Promise<LiveResult> {
  if (!bindings.ssh)
    return {
      ok: false,
      error:
        'ssh.targets.yaml: expected the file to exist (collecting from hosts needs their addresses), found no such file',
    };
  if (options.insecureAcceptAnyHostKey) {
    process.stderr.write(
      "ops: WARNING: --insecure-accept-any-host-key: host keys are not checked, so anyone on the network path can answer for a host; this run's receipt records it\n",
    );
  }
  const progress = !quiet && process.stderr.isTTY ? progressLine(process.stderr) : null;
  // Imported here: ssh2, the collector and the snapshot writer (yaml) are loaded only by runs that collect.
  const { SnapshotWriteError, writeSnapshot } = await import('../snapshot/write.js');
  try {
    const { collect } = await import('../collect/collect.js');
    const collection = await collect(bindings, { ...options, ...(progress ? { onProgress: progress.update } : {}) });
    progress?.clear();
    await writeSnapshot(dir, collection);
    return { ok: true, collection };
  } catch (e) {
    progress?.clear();
    if (e instanceof CollectSetupError || e instanceof SnapshotWriteError) return { ok: false, error: e.message };
    throw e;
  }
}

/** `reading hosts 3/16; slowest pve-home 12s`, rewritten in place (and each second while a host is slow). */
export function progressLine(stream: Pick<NodeJS.WriteStream, 'write'>, clock: () => number = Date.now) {
  let last: CollectProgress | null = null;
  const draw = () => {
    if (!last) return;
    const slowest = [...last.running].sort(([, a], [, b]) => a - b)[0];
    const wait = slowest ? `; slowest ${oneLine(slowest[0])} ${Math.round((clock() - slowest[1]) / 1000)}s` : '';
    stream.write(`\r\u001b[Kreading hosts ${last.done}/${last.total}${wait}`);
  };
  const timer = setInterval(draw, 1000);
  timer.unref();
  return {
    update: (progress: CollectProgress) => {
      last = progress;
      draw();
    },
    clear: () => {
      clearInterval(timer);
      if (last) stream.write('\r\u001b[K');
    },
  };
}

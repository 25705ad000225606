// Test-only: a real Radicale (Debian's /usr/bin/radicale, 3.1.x) on 127.0.0.1 with its own config
// (`--config`, so /etc/radicale/config is never read), a plain htpasswd users file and a storage
// folder under a fresh temp dir; stop() ends it and removes the dir. Imported by *.test.ts only.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../collect/testing/fake-host.js';

export const RADICALE = '/usr/bin/radicale';

export interface Radicale {
  port: number;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** The storage folder (collection-root/<user>/<calendar>/…). */
  storage: string;
  log(): string;
  /** A raw request as `user`, for setting up and inspecting collections beside the code under test. */
  request(
    user: string,
    method: string,
    urlPath: string,
    body?: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: string; etag: string | null }>;
  stop(): Promise<void>;
}

/** Null when this machine can run the tests' Radicale, else why not. */
export function radicaleUnavailable(): string | null {
  return existsSync(RADICALE) ? null : `${RADICALE} is missing (apt-get install radicale)`;
}

/** Starts Radicale with these users (name → plain password); retries on a port taken meanwhile. */
export async function startRadicale(users: Record<string, string>): Promise<Radicale> {
  const dir = await mkdtemp(path.join(tmpdir(), 'radicale-'));
  await writeFile(
    path.join(dir, 'users'),
    Object.entries(users)
      .map(([u, p]) => `${u}:${p}\n`)
      .join(''),
    { mode: 0o600 },
  );
  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    await writeFile(
      path.join(dir, 'config'),
      [
        '[server]',
        `hosts = 127.0.0.1:${port}`,
        '[auth]',
        'type = htpasswd',
        `htpasswd_filename = ${path.join(dir, 'users')}`,
        'htpasswd_encryption = plain',
        // No pause after a wrong password (upstream default 1 s): the tests try wrong ones on purpose.
        'delay = 0',
        '[rights]',
        'type = owner_only',
        '[storage]',
        `filesystem_folder = ${path.join(dir, 'storage')}`,
        '[web]',
        'type = none',
        '[logging]',
        'level = info',
        '',
      ].join('\n'),
    );
    const started = await launch(dir, port, users);
    if ('server' in started) return started.server;
    lastLog = started.log;
    if (!/Address already in use/.test(lastLog)) break;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`radicale did not start:\n${lastLog}`);
}

async function launch(
  dir: string,
  port: number,
  users: Record<string, string>,
): Promise<{ server: Radicale } | { log: string }> {
  const child = spawn(RADICALE, ['--config', path.join(dir, 'config')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    log += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    log += d;
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    const check = () => {
      if (log.includes('Radicale server ready')) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stderr!.on('data', check);
    child.stdout!.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) {
    await stopChild(child);
    process.off('exit', killOnExit);
    return { log };
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  let stopped = false;
  return {
    server: {
      port,
      baseUrl,
      storage: path.join(dir, 'storage'),
      log: () => log,
      async request(user, method, urlPath, body, headers = {}) {
        const res = await fetch(`${baseUrl}${urlPath}`, {
          method,
          body: body ?? null,
          headers: {
            Authorization: `Basic ${Buffer.from(`${user}:${users[user] ?? ''}`).toString('base64')}`,
            ...headers,
          },
        });
        return { status: res.status, body: await res.text(), etag: res.headers.get('etag') };
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopChild(child);
        process.off('exit', killOnExit);
        await rm(dir, { recursive: true, force: true });
      },
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

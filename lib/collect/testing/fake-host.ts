// Test-only: fake SSH hosts for the live collector tests. Imported by *.test.ts files only.
//
// Each fake host is the machine's own OpenSSH sshd (Debian 12: /usr/sbin/sshd), run as root on
// 127.0.0.1 in private PID + mount namespaces and chrooted into an overlay of the machine's root:
//
//   setpriv --pdeathsig KILL unshare --pid --fork --kill-child --mount --propagation private <dir>/wrapper.sh <dir>
//     wrapper: mount a tmpfs on <dir>/ns; copy the staged tree (<dir>/tree) into <dir>/ns/upper;
//              mount overlay(lower=/, upper=<dir>/ns/upper) on <dir>/ns/root;
//              bind the stand-in folder (<dir>/bin) read-only over <root>/usr/local/bin;
//              rbind /dev, mount a fresh /proc; exec chroot <root> /usr/sbin/sshd -D -e -f …
//
// So fixture files sit at their real paths (/etc/pve/jobs.cfg, /volume1/…, /srv/…) although the
// machine has no /etc/pve or /volume1: they exist only in the host's upper layer, which lives in a
// tmpfs mounted inside the host's private mount namespace. Every write made on the fake host
// (including any injected `touch`) lands in that tmpfs and vanishes with the host; the machine's
// real filesystem is never written (not /etc/pve, not /run/sshd, not /usr/local/bin). The stand-ins
// (pvesh, systemctl, timedatectl, postconf …) replace /usr/local/bin entirely, which precedes
// /usr/bin on sshd's default PATH for root (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:…);
// the host gets an empty /root/.bashrc (a Debian root default) so the dev machine's dotfiles
// cannot reorder PATH. sshd is pid 1 of its PID namespace: SIGKILL to it ends every process of
// the host at once, and "every process of this host" is exactly the processes in that namespace.
// The parent-death signals (setpriv, --kill-child) end the host too when the test process itself
// is killed without running any cleanup.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';

const execFileP = promisify(execFile);

export const SSHD = '/usr/sbin/sshd';
/** Where the host's own sshd files sit inside the host (in its private layer only). */
const HOST_CONF_DIR = '/run/spine-fake';

export type FakeFile = string | { content: string; mtime?: number /* epoch seconds */; mode?: number };

export interface FakeHostSpec {
  id: string;
  /** Absolute path on the host → content (mtime defaults to now). */
  files: Record<string, FakeFile>;
  /** Stand-in commands in /usr/local/bin: name → sh script body (run by /bin/sh). */
  commands?: Record<string, string>;
  /** OpenSSH public key lines accepted for root. */
  authorizedKeys: string[];
  /** Empty directories to create on the host. */
  dirs?: string[];
  /** sshd LogLevel; DEBUG1 also logs direct-tcpip channel opens (probe_via). Default VERBOSE. */
  logLevel?: 'VERBOSE' | 'DEBUG1';
}

export interface FakeHost {
  id: string;
  port: number;
  /** The listener sshd (pid 1 of the host's PID namespace), as seen from the test. */
  pid: number;
  /** "ssh-ed25519 AAAA…" */
  hostKeyLine: string;
  /** "[127.0.0.1]:<port> ssh-ed25519 AAAA…" */
  knownHostsLine(): string;
  /** The host's staging folder on this machine (keys, sshd_config, the tree); stop() removes it. */
  workDir: string;
  /** sshd's log (stderr) so far. */
  log(): string;
  /** The path under which the test can see the host's filesystem (/proc/<pid>/root/…). */
  hostPath(p: string): string;
  /** kill -9 every process of this host except the listener: every open connection drops. */
  killSessions(): Promise<void>;
  /** Processes of this host other than the listener (for tests). */
  sessionPids(): Promise<number[]>;
  stop(): Promise<void>;
}

/** Can this machine run fake hosts? (root, OpenSSH sshd, unshare, overlayfs). Null when yes, else why not. */
export function fakeHostsUnavailable(): string | null {
  if (process.platform !== 'linux') return `fake hosts need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'fake hosts need root (mount/PID namespaces, sshd privilege separation)';
  if (!existsSync(SSHD)) return `${SSHD} is missing (apt-get install openssh-server)`;
  if (!['/usr/bin/unshare', '/bin/unshare'].some(existsSync)) return 'unshare (util-linux) is missing';
  if (!existsSync('/usr/bin/ssh-keygen')) return 'ssh-keygen (openssh-client) is missing';
  try {
    if (!/\boverlay\b/.test(readFileSync('/proc/filesystems', 'utf8'))) return 'the kernel has no overlayfs';
  } catch {
    return '/proc/filesystems is unreadable';
  }
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    /* reported below */
  }
  if (!passwd.split('\n').some((l) => l.startsWith('sshd:'))) {
    return 'the sshd privilege-separation user does not exist (openssh-server postinst creates it)';
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: every process started here is killed on stop()/close(), and as a last
// resort when the worker exits (e.g. a test crashed before its afterAll).

const live = new Set<number>();
let exitHookInstalled = false;
function track(pid: number): void {
  live.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const p of live) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
  }
}
const untrack = (pid: number) => live.delete(pid);

/**
 * [command, args] that dies with this process even when it is SIGKILLed (a crashed or killed
 * vitest worker runs no exit hook): `setpriv --pdeathsig KILL` execs the command with a
 * parent-death signal. For a fake host the chain is worker → unshare (pdeathsig) → sshd, pid 1 of
 * its namespace (unshare --kill-child), whose death ends every process of the host.
 */
function orphanProof(argv: string[]): [string, string[]] {
  if (existsSync('/usr/bin/setpriv')) return ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', ...argv]];
  return [argv[0]!, argv.slice(1)];
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller retries if it is taken meanwhile). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Keys

let keySeq = 0;
/** A fresh ed25519 client key (OpenSSH format) in `dir`, optionally passphrase-protected. */
export async function generateClientKey(
  dir: string,
  passphrase = '',
): Promise<{ privateKeyPath: string; publicKeyLine: string }> {
  await mkdir(dir, { recursive: true });
  const privateKeyPath = path.join(dir, `client_ed25519_${process.pid}_${++keySeq}`);
  await execFileP('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    passphrase,
    '-C',
    'spine-gates-test',
    '-f',
    privateKeyPath,
  ]);
  const publicKeyLine = (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim();
  return { privateKeyPath, publicKeyLine };
}

/** "ssh-ed25519 AAAA…" of a public key line (type and base64, no comment). */
const keyOf = (publicKeyLine: string) => publicKeyLine.trim().split(/\s+/).slice(0, 2).join(' ');

// ---------------------------------------------------------------------------------------------
// Fake hosts

const WRAPPER = `#!/bin/sh
# Runs as pid 1 of a fresh PID namespace, in a private mount namespace (see fake-host.ts).
set -eu
D=$1
R="$D/ns/root"
mount -t tmpfs -o mode=0755,size=64m spine-fake-host "$D/ns"
mkdir "$D/ns/upper" "$D/ns/work" "$R"
cp -a "$D/tree/." "$D/ns/upper/"
mount -t overlay spine-fake-host -o "lowerdir=/,upperdir=$D/ns/upper,workdir=$D/ns/work" "$R"
mount --bind "$D/bin" "$R/usr/local/bin"
mount -o remount,bind,ro "$R/usr/local/bin"
mount --rbind /dev "$R/dev"
mount -t proc proc "$R/proc"
exec chroot "$R" ${SSHD} -D -e -f ${HOST_CONF_DIR}/sshd_config
`;

/** Mode of the first existing real directory at or above `p` (so staged parents keep e.g. /tmp's 1777). */
async function realDirMode(p: string): Promise<number | null> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? s.mode & 0o7777 : null;
  } catch {
    return null;
  }
}

/** mkdir -p inside the staging tree, giving each created directory the mode the real one has (0755 if none). */
async function stageDir(tree: string, hostDir: string): Promise<void> {
  const parts = hostDir.split('/').filter(Boolean);
  let rel = '';
  for (const part of parts) {
    rel = `${rel}/${part}`;
    const staged = path.join(tree, rel);
    if (existsSync(staged)) continue;
    await mkdir(staged);
    await chmod(staged, (await realDirMode(rel)) ?? 0o755);
  }
}

function assertHostPath(p: string): void {
  if (!p.startsWith('/') || p.split('/').includes('..'))
    throw new Error(`fake host paths must be absolute without "..": ${p}`);
}

export async function startFakeHost(spec: FakeHostSpec): Promise<FakeHost> {
  const dir = await mkdtemp(path.join(tmpdir(), `fake-host-${spec.id.replace(/[^A-Za-z0-9_-]/g, '_')}-`));
  const tree = path.join(dir, 'tree');
  const bin = path.join(dir, 'bin');
  await mkdir(path.join(dir, 'ns'));
  await mkdir(tree, { mode: 0o755 });
  await mkdir(bin, { mode: 0o755 });
  await chmod(dir, 0o755);

  try {
    // The host's sshd files, in its private layer only.
    const conf = path.join(tree, HOST_CONF_DIR);
    await stageDir(tree, HOST_CONF_DIR);
    await execFileP('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      `fake-host-${spec.id}`,
      '-f',
      path.join(conf, 'host_ed25519'),
    ]);
    const hostKeyLine = keyOf(await readFile(path.join(conf, 'host_ed25519.pub'), 'utf8'));
    await writeFile(path.join(conf, 'authorized_keys'), spec.authorizedKeys.map((k) => `${k.trim()}\n`).join(''), {
      mode: 0o600,
    });
    // Privilege-separation directory, normally created by systemd (RuntimeDirectory=sshd).
    await stageDir(tree, '/run/sshd');
    // A Debian-default root ~/.bashrc (comments only): the machine's own dotfiles stay out.
    if (!('/root/.bashrc' in spec.files)) {
      await stageDir(tree, '/root');
      await writeFile(path.join(tree, 'root/.bashrc'), '# ~/.bashrc: fake host (empty)\n');
    }
    for (const d of spec.dirs ?? []) {
      assertHostPath(d);
      await stageDir(tree, d);
    }
    for (const [hostFile, file] of Object.entries(spec.files)) {
      assertHostPath(hostFile);
      if (hostFile.startsWith('/usr/local/bin/'))
        throw new Error(`put stand-ins in spec.commands, not files: ${hostFile}`);
      await stageDir(tree, path.dirname(hostFile));
      const staged = path.join(tree, hostFile);
      const content = typeof file === 'string' ? file : file.content;
      await writeFile(staged, content, { mode: 0o644 });
      if (typeof file !== 'string' && file.mode !== undefined) await chmod(staged, file.mode);
      if (typeof file !== 'string' && file.mtime !== undefined) await utimes(staged, file.mtime, file.mtime);
    }
    for (const [name, body] of Object.entries(spec.commands ?? {})) {
      if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`bad stand-in name ${name}`);
      await writeFile(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    }
    await writeFile(path.join(dir, 'wrapper.sh'), WRAPPER, { mode: 0o755 });

    let lastError: Error | null = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      await writeFile(path.join(conf, 'sshd_config'), sshdConfig(port, spec.logLevel ?? 'VERBOSE'));
      try {
        return await launch(spec.id, dir, port, hostKeyLine);
      } catch (e) {
        lastError = e as Error;
        if (!/Address already in use|Cannot bind/.test(lastError.message)) break;
      }
    }
    throw lastError ?? new Error('fake host did not start');
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

function sshdConfig(port: number, logLevel: string): string {
  // Root's shadow field on this image is "*" (not "!…"), so UsePAM no lets root log in with a key;
  // with a locked root ("!"), sshd would refuse — see /work/shared/notes/platform.md §7.1.
  const lockedRoot = rootAccountLocked();
  return [
    `ListenAddress 127.0.0.1`,
    `Port ${port}`,
    `HostKey ${HOST_CONF_DIR}/host_ed25519`,
    `AuthorizedKeysFile ${HOST_CONF_DIR}/authorized_keys`,
    `PidFile ${HOST_CONF_DIR}/sshd.pid`,
    `PasswordAuthentication no`,
    `KbdInteractiveAuthentication no`,
    `UsePAM ${lockedRoot ? 'yes' : 'no'}`,
    `StrictModes no`,
    `PermitRootLogin prohibit-password`,
    `MaxSessions 10`,
    `AllowTcpForwarding yes`,
    `LogLevel ${logLevel}`,
    '',
  ].join('\n');
}

function rootAccountLocked(): boolean {
  try {
    const root = readFileSync('/etc/shadow', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('root:'));
    return root?.split(':')[1]?.startsWith('!') ?? false;
  } catch {
    return false;
  }
}

async function launch(id: string, dir: string, port: number, hostKeyLine: string): Promise<FakeHost> {
  const child = spawn(
    ...orphanProof([
      'unshare',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount',
      '--propagation',
      'private',
      path.join(dir, 'wrapper.sh'),
      dir,
    ]),
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid === undefined) throw new Error('could not spawn unshare');
  track(child.pid);
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    log += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    log += d;
  });

  const ready = `Server listening on 127.0.0.1 port ${port}.`;
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    const check = () => {
      if (log.includes(ready)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(log.includes(ready));
    });
    check();
  });
  if (!ok) {
    child.kill('SIGKILL');
    await waitExit(child, 2000);
    untrack(child.pid);
    throw new Error(`fake host ${id}: sshd did not start:\n${log}`);
  }

  // The sshd listener is unshare's only child, pid 1 of the new PID namespace.
  const children = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8'))
    .trim()
    .split(/\s+/)
    .map(Number);
  const pid = children[0];
  if (!pid || children.length !== 1)
    throw new Error(`fake host ${id}: cannot find the sshd listener under unshare ${child.pid}`);
  track(pid);
  const pidNs = await readlink(`/proc/${pid}/ns/pid`);

  const sessionPids = async (): Promise<number[]> => {
    const pids: number[] = [];
    for (const name of await readdir('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === pid) continue;
      try {
        if ((await readlink(`/proc/${name}/ns/pid`)) === pidNs) pids.push(Number(name));
      } catch {
        /* exited meanwhile */
      }
    }
    return pids;
  };

  let stopped = false;
  return {
    id,
    port,
    pid,
    hostKeyLine,
    workDir: dir,
    knownHostsLine: () => `[127.0.0.1]:${port} ${hostKeyLine}`,
    log: () => log,
    hostPath: (p: string) => path.join(`/proc/${pid}/root`, p),
    sessionPids,
    async killSessions() {
      // Repeat: a session may fork between listing and killing.
      for (let round = 0; round < 50; round++) {
        const pids = await sessionPids();
        if (!pids.length) return;
        for (const p of pids) {
          try {
            process.kill(p, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`fake host ${id}: sessions survive kill -9: ${(await sessionPids()).join(' ')}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // SIGKILL to pid 1 of the namespace ends every process in it; unshare (still our child, so
      // reaped by node) then exits too. Its --kill-child covers the reverse order.
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      if (!(await waitExit(child, 5000))) {
        child.kill('SIGKILL');
        await waitExit(child, 2000);
      }
      untrack(pid);
      untrack(child.pid!);
      // The tmpfs/overlay lived only in the dead mount namespace; the staging dir is ours.
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Network misbehaviour

/** Accepts TCP connections and never says a word: an SSH handshake that never completes. */
export function startSilentTcpServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Does a TCP connect to 127.0.0.1:port complete within `ms`? */
export function connects(port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, ms);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(false);
    });
  });
}

/**
 * A port where TCP connect hangs (SYNs dropped): connect_timeout on loopback.
 *
 * Node's own server accepts every connection as soon as libuv sees it, so the listener is a child
 * node process that listens with backlog 1 and then stops itself (SIGSTOP) before anyone connects:
 * the kernel keeps answering the handshake until the accept queue is full, then drops further
 * SYNs. We fill the queue and check that a fresh connect really hangs before handing the port out.
 */
export async function startBlackholePort(): Promise<{ port: number; pid: number; close(): Promise<void> }> {
  const child = spawn(
    ...orphanProof([
      process.execPath,
      '-e',
      `
    const s = require('node:net').createServer();
    s.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
      process.stdout.write(s.address().port + '\\n', () => process.kill(process.pid, 'SIGSTOP'));
    });
  `,
    ]),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  track(child.pid!);
  const fill: net.Socket[] = [];
  const close = async () => {
    for (const s of fill) s.destroy();
    child.kill('SIGKILL');
    await waitExit(child, 5000);
    untrack(child.pid!);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('blackhole listener did not start')), 10_000);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(Number(out.trim()));
        }
      });
      child.once('exit', () => reject(new Error('blackhole listener exited')));
    });
    // Wait until the child is really stopped (state T), so it can no longer accept.
    for (let i = 0; i < 200; i++) {
      const state = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]?.[0];
      if (state === 'T') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    for (let i = 0; i < 32; i++) {
      const s = net.connect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      fill.push(s);
      const established = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 300);
        s.once('connect', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (!established) break;
    }
    if (await connects(port, 1000)) throw new Error('blackhole port still completes TCP connects');
    return { port, pid: child.pid!, close };
  } catch (e) {
    await close();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Bindings for an estate of fake hosts

export interface EstateHost {
  id: string;
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  user?: string;
  probeVia?: string;
  connectTimeoutSec?: number;
}

export interface EstateTarget {
  name: string;
  host: string;
  basePath: string;
  glob: string;
  enabled?: boolean;
  staleAfterHours?: number;
  classification?: 'critical' | 'important' | 'rebuildable';
  description?: string;
}

/** A `kind: pve_storage` target: a guest's backups on a storage of a PVE host. */
export interface EstateStorageTarget {
  name: string;
  host: string;
  storage: string;
  vmid: number;
  staleAfterHours?: number;
  classification?: 'critical' | 'important' | 'rebuildable';
}

export interface EstateGuest {
  id: number;
  hostname: string;
  proxmoxHost: string;
  status?: string;
  vmType?: 'qemu' | 'lxc';
  backupTarget?: string | null;
}

export interface Estate {
  hosts: EstateHost[];
  targets: EstateTarget[];
  storageTargets?: EstateStorageTarget[];
  guests: EstateGuest[];
  /** drift.gates.yaml pve_hosts; default: every guest's proxmox_host. */
  pveHosts?: string[];
  timezone?: string;
  /** ssh.defaults.connect_timeout_sec (absent by default). */
  connectTimeoutSec?: number;
  /** More drift.gates.yaml sections (e.g. `relay`), written as given. */
  policy?: Record<string, unknown>;
}

/** Writes a binding folder (ssh.targets, inventory, lifecycle, calendar, drift.gates) for `estate`. */
export async function writeBindings(dir: string, estate: Estate): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tz = estate.timezone ?? 'Europe/Berlin';
  const files: Record<string, unknown> = {
    'ssh.targets.yaml': {
      ssh: {
        // No connect_timeout_sec by default: a binding value would override the collector's option.
        defaults: {
          user: 'root',
          port: 22,
          ...(estate.connectTimeoutSec ? { connect_timeout_sec: estate.connectTimeoutSec } : {}),
        },
        targets: estate.hosts.map((h) => ({
          id: h.id,
          host: h.host ?? '127.0.0.1',
          port: h.port,
          ...(h.user ? { user: h.user } : {}),
          ...(h.probeVia ? { probe_via: h.probeVia } : {}),
          ...(h.connectTimeoutSec ? { connect_timeout_sec: h.connectTimeoutSec } : {}),
        })),
      },
    },
    'backup.inventory.yaml': {
      version: 1,
      defaults: { timezone: tz, stale_after_hours: 26 },
      targets: [
        ...estate.targets.map((t) => ({
          name: t.name,
          enabled: t.enabled ?? true,
          kind: 'file_glob',
          host: t.host,
          base_path: t.basePath,
          glob: t.glob,
          stale_after_hours: t.staleAfterHours ?? 26,
          classification: t.classification ?? 'critical',
          description: t.description ?? `test target ${t.name}`,
        })),
        ...(estate.storageTargets ?? []).map((t) => ({
          name: t.name,
          enabled: true,
          kind: 'pve_storage',
          host: t.host,
          storage: t.storage,
          vmid: t.vmid,
          stale_after_hours: t.staleAfterHours ?? 26,
          classification: t.classification ?? 'critical',
          description: `test target ${t.name}`,
        })),
      ],
    },
    'vm.lifecycle.yaml': {
      version: 1,
      vms: estate.guests.map((g) => ({
        id: g.id,
        hostname: g.hostname,
        proxmox_host: g.proxmoxHost,
        status: g.status ?? 'active',
        ...(g.vmType === 'lxc' ? { vm_type: 'lxc' } : {}),
        backup_target: g.backupTarget ?? null,
      })),
    },
    'backup.calendar.yaml': { version: 1, timezone: tz, events: [] },
    'drift.gates.yaml': { version: 1, ...(estate.pveHosts ? { pve_hosts: estate.pveHosts } : {}), ...estate.policy },
  };
  for (const [name, data] of Object.entries(files)) await writeFile(path.join(dir, name), stringify(data));
  return dir;
}

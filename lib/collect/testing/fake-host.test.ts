// The fake-host harness itself: real sshd on 127.0.0.1 in private namespaces, fixture files at
// their real paths, stand-ins first on PATH, the machine untouched, nothing left running.

import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'ssh2';
import { afterAll, assert, beforeAll, describe, expect, it } from 'vitest';
import { loadBindings } from '../../bindings/load.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import { skipNamed } from '../../testing/skip.js';
import { listingCommand, PVE_COMMANDS, TIMEZONE_COMMAND } from '../../snapshot/probe.js';
import {
  connects,
  fakeHostsUnavailable,
  generateClientKey,
  startBlackholePort,
  startFakeHost,
  startSilentTcpServer,
  writeBindings,
  type FakeHost,
} from './fake-host.js';

const unavailable = fakeHostsUnavailable();

describe('fake-host prerequisites', () => {
  it('root, /usr/sbin/sshd, unshare and overlayfs are available', (ctx) => {
    if (unavailable && process.env.CI === 'true') throw new Error(`CI must run the live SSH tests: ${unavailable}`);
    if (unavailable) ctx.skip(`live SSH tests skipped: ${unavailable}`);
  });
});

interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Connect with a pinned host key (like the collector must) and run commands. */
function connect(host: FakeHost, privateKey: Buffer, opts: { passphrase?: string } = {}): Promise<Client> {
  const expected = Buffer.from(host.hostKeyLine.split(' ')[1]!, 'base64');
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once('ready', () => resolve(c));
    c.once('error', reject);
    c.connect({
      host: '127.0.0.1',
      port: host.port,
      username: 'root',
      privateKey,
      readyTimeout: 10_000,
      hostVerifier: (key: Buffer) => key.equals(expected),
      ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
    });
  });
}

function exec(c: Client, command: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    c.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      let signal: string | null = null;
      stream.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      stream.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      stream.on('exit', (c2: number | null, s?: string) => {
        code = c2;
        signal = s ?? null;
      });
      stream.on('close', () => resolve({ code, signal, stdout, stderr }));
    });
  });
}

/** Wait until a process named `comm` runs on the host (a session is in progress). */
async function waitForCommand(host: FakeHost, comm: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    for (const pid of await host.sessionPids()) {
      if ((await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() === comm) return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${comm} on ${host.id}`);
}

const JOBS_CFG = 'vzdump: backup-5a2e90c4-1b7d\n\tschedule 03:00\n\tall 1\n\tenabled 1\n\tstorage nas-backup\n';

describe.skipIf(unavailable !== null)(skipNamed('fake hosts', unavailable), () => {
  let work: string;
  let key: { privateKeyPath: string; publicKeyLine: string };
  let privateKey: Buffer;
  let host: FakeHost;
  const realPveBefore = existsSync('/etc/pve') ? readdirSync('/etc/pve').sort() : null;
  const realUsrLocalBin = readdirSync('/usr/local/bin').sort();
  const realRunSshd = existsSync('/run/sshd');
  const realVolume1 = existsSync('/volume1');

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'fake-host-test-'));
    key = await generateClientKey(work);
    privateKey = await readFile(key.privateKeyPath);
    host = await startFakeHost({
      id: 'pve-home',
      authorizedKeys: [key.publicKeyLine],
      files: {
        '/etc/pve/jobs.cfg': JOBS_CFG,
        '/etc/pve/user.cfg': 'user:root@pam:1:0:::owner@home.example.net:::\n',
        '/mnt/pve/nas-backup/dump/vzdump-qemu-201-2026_02_28-03_00_02.vma.zst': {
          content: 'x'.repeat(37),
          mtime: 1772244709,
        },
        '/mnt/pve/nas-backup/dump/vzdump-qemu-201-2026_02_28-03_00_02.log': { content: 'log\n', mtime: 1772244711 },
        '/volume1/backups/apps/erp/2026-03-04/erp-db.sql.gz': { content: 'gz', mtime: 1772584302 },
      },
      commands: {
        pvesh: `[ "$*" = "get /cluster/resources --type vm --output-format json" ] || { echo "unexpected: $*" >&2; exit 2; }
printf '%s\\n' '[{"id":"qemu/201","name":"family-cloud","node":"pve-home","status":"running","template":0,"type":"qemu","vmid":201}]'`,
        systemctl: `[ "$*" = "is-active pvescheduler" ] || exit 2; echo failed; exit 3`,
        timedatectl: `echo Europe/Berlin`,
        sleeper: 'exec sleep 60',
      },
    });
  }, 30_000);

  afterAll(async () => {
    await host?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('answers the production probe commands over ssh2 with the fixture content', async () => {
    const c = await connect(host, privateKey);
    try {
      const jobs = await exec(c, PVE_COMMANDS.find((x) => x.id === 'jobs-cfg')!.command);
      expect(jobs).toMatchObject({ code: 0, stdout: JOBS_CFG });
      expect((await exec(c, 'cat /etc/pve/jobs.cfg')).stdout).toBe(JOBS_CFG);
      const guests = await exec(c, PVE_COMMANDS.find((x) => x.id === 'guests')!.command);
      expect(guests.code).toBe(0);
      expect(JSON.parse(guests.stdout)[0].vmid).toBe(201);
      // `systemctl is-active` exits 3 for "failed"; the probe's `|| true` keeps the word and exit 0.
      expect(await exec(c, PVE_COMMANDS.find((x) => x.id === 'scheduler')!.command)).toMatchObject({
        code: 0,
        stdout: 'failed\n',
      });
      expect(await exec(c, TIMEZONE_COMMAND.command)).toMatchObject({ code: 0, stdout: 'Europe/Berlin\n' });
    } finally {
      c.end();
    }
  });

  it('keeps the fixture mtimes (the listing command sees them) and reports a missing base path with exit 10', async () => {
    const c = await connect(host, privateKey);
    try {
      const dump = await exec(c, listingCommand('/mnt/pve/nas-backup/dump', 1).command);
      expect(dump.code).toBe(0);
      expect(dump.stdout.split('\0').filter(Boolean).sort()).toEqual([
        '1772244709.0000000000 37 vzdump-qemu-201-2026_02_28-03_00_02.vma.zst',
        '1772244711.0000000000 4 vzdump-qemu-201-2026_02_28-03_00_02.log',
      ]);
      const erp = await exec(c, listingCommand('/volume1/backups/apps/erp', 2).command);
      expect(erp).toMatchObject({ code: 0, stdout: '1772584302.0000000000 2 2026-03-04/erp-db.sql.gz\0' });
      expect(await exec(c, listingCommand('/volume1/offsite/pve-shop', 1).command)).toMatchObject({
        code: 10,
        stdout: '',
      });
    } finally {
      c.end();
    }
  });

  it("puts the stand-ins first on root's PATH", async () => {
    const c = await connect(host, privateKey);
    try {
      const r = await exec(c, 'echo "$PATH"; command -v pvesh systemctl timedatectl; id -u');
      const [pathLine, ...rest] = r.stdout.trim().split('\n');
      const dirs = pathLine!.split(':');
      expect(dirs.indexOf('/usr/local/bin')).toBeGreaterThanOrEqual(0);
      expect(dirs.indexOf('/usr/local/bin')).toBeLessThan(dirs.indexOf('/usr/bin'));
      expect(rest).toEqual(['/usr/local/bin/pvesh', '/usr/local/bin/systemctl', '/usr/local/bin/timedatectl', '0']);
    } finally {
      c.end();
    }
  });

  it('accepts only the authorized key', async () => {
    const other = await generateClientKey(work);
    await expect(connect(host, await readFile(other.privateKeyPath))).rejects.toThrow(/authentication methods failed/);
  });

  it('never touches the machine: no /etc/pve, /volume1, /run/sshd or /usr/local/bin change outside the host', async () => {
    const c = await connect(host, privateKey);
    try {
      // Writes on the host land in its private layer…
      expect(
        (
          await exec(
            c,
            'echo changed > /etc/pve/written-on-host && touch /usr/local/bin/x 2>/dev/null; cat /etc/pve/written-on-host',
          )
        ).stdout,
      ).toBe('changed\n');
    } finally {
      c.end();
    }
    expect(existsSync(host.hostPath('/etc/pve/written-on-host'))).toBe(true);
    // …and never on the machine.
    expect(existsSync('/etc/pve') ? readdirSync('/etc/pve').sort() : null).toEqual(realPveBefore);
    expect(existsSync('/volume1')).toBe(realVolume1);
    expect(existsSync('/run/sshd')).toBe(realRunSshd);
    expect(readdirSync('/usr/local/bin').sort()).toEqual(realUsrLocalBin);
  });

  it('killSessions() drops open connections and keeps the listener', async () => {
    const c = await connect(host, privateKey);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.on('error', () => undefined);
    const running = exec(c, 'sleeper').catch((e: Error) => e);
    await waitForCommand(host, 'sleep');
    expect((await host.sessionPids()).length).toBeGreaterThan(0);
    const t0 = Date.now();
    await host.killSessions();
    await closed;
    expect(Date.now() - t0).toBeLessThan(5000);
    await running;
    expect(await host.sessionPids()).toEqual([]);
    const again = await connect(host, privateKey); // the listener survived
    expect((await exec(again, 'echo hi')).stdout).toBe('hi\n');
    again.end();
  });

  it('stop() leaves no process behind', async () => {
    const extra = await startFakeHost({
      id: 'short-lived',
      authorizedKeys: [key.publicKeyLine],
      files: {},
      commands: { sleeper: 'exec sleep 60' },
    });
    const c = await connect(extra, privateKey);
    c.on('error', () => undefined);
    void exec(c, 'sleeper').catch(() => undefined);
    await waitForCommand(extra, 'sleep');
    const pids = [extra.pid, ...(await extra.sessionPids())];
    expect(pids.length).toBeGreaterThan(1);
    await extra.stop();
    for (const pid of pids) expect(existsSync(`/proc/${pid}`), `pid ${pid}`).toBe(false); // gone, not even a zombie
    expect(await connects(extra.port, 500)).toBe(false);
    c.end();
  });
});

describe.skipIf(unavailable !== null)(skipNamed('a test process that dies without cleaning up', unavailable), () => {
  const built = path.join(PACKAGE_ROOT, 'dist', 'lib', 'collect', 'testing', 'fake-host.js');

  it('takes its fake hosts and blackhole listener with it (kill -9 of the test process)', async (ctx) => {
    if (!existsSync(built)) ctx.skip(`${built} is missing: run \`npm run build\``);
    const script = `
      import { startFakeHost, startBlackholePort } from ${JSON.stringify(pathToFileURL(built).href)};
      const host = await startFakeHost({ id: 'orphan', authorizedKeys: [], files: { '/etc/pve/jobs.cfg': '' } });
      const hole = await startBlackholePort();
      process.stdout.write(JSON.stringify({ sshd: host.pid, port: host.port, hole: hole.pid, dir: host.workDir }) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const info = await new Promise<{ sshd: number; port: number; hole: number; dir: string }>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out));
      });
      child.once('exit', (code) => reject(new Error(`child exited ${code} before reporting`)));
    });
    expect(existsSync(`/proc/${info.sshd}`)).toBe(true);
    expect(await connects(info.port, 2000)).toBe(true);
    child.kill('SIGKILL'); // no exit hook, no afterAll
    const gone = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z'; // a zombie only until reaped
      } catch {
        return true;
      }
    };
    for (let i = 0; i < 250 && !(gone(info.sshd) && gone(info.hole)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(gone(info.sshd), `sshd ${info.sshd} survived`).toBe(true);
    expect(gone(info.hole), `blackhole listener ${info.hole} survived`).toBe(true);
    expect(await connects(info.port, 500)).toBe(false);
    rmSync(info.dir, { recursive: true, force: true }); // the staging folder is all that is left
  });
});

describe.skipIf(unavailable !== null)(skipNamed('misbehaving network peers', unavailable), () => {
  it('a silent TCP server accepts and never speaks', async () => {
    const silent = await startSilentTcpServer();
    try {
      const got = await new Promise<string>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: silent.port });
        let data = '';
        s.on('data', (d) => {
          data += d.toString();
        });
        s.on('connect', () =>
          setTimeout(() => {
            s.destroy();
            resolve(`connected:${data}`);
          }, 500),
        );
        s.on('error', (e) => resolve(`error:${e.message}`));
      });
      expect(got).toBe('connected:');
    } finally {
      await silent.close();
    }
  });

  it('a blackhole port never completes a TCP connect', async () => {
    const hole = await startBlackholePort();
    try {
      expect(await connects(hole.port, 1500)).toBe(false);
    } finally {
      await hole.close();
    }
  });
});

describe('writeBindings', () => {
  it('writes a binding folder that loads', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bindings-'));
    try {
      await writeBindings(dir, {
        hosts: [
          { id: 'pve-a', port: 2201 },
          { id: 'nas', port: 2202, probeVia: 'pve-a' },
        ],
        targets: [{ name: 't1', host: 'nas', basePath: '/volume1/x', glob: '*.zst' }],
        guests: [{ id: 101, hostname: 'files', proxmoxHost: 'pve-a' }],
      });
      const loaded = await loadBindings(dir);
      expect(loaded.ok, JSON.stringify(loaded)).toBe(true);
      if (loaded.ok) {
        assert.isNotNull(loaded.bindings.ssh);
        expect(loaded.bindings.ssh.targets.map((t) => [t.id, t.host, t.port, t.probeVia])).toEqual([
          ['pve-a', '127.0.0.1', 2201, null],
          ['nas', '127.0.0.1', 2202, 'pve-a'],
        ]);
        expect(lstatSync(path.join(dir, 'drift.gates.yaml')).isFile()).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// `ops init --live` as the README runs it, through the built CLI against in-process SSH servers
// (npm run build first): a fake estate whose backups are fresh and covered, but for one guest no
// job backs up. The first verify after init shows that guest's drift and nothing else; a run that
// reads no PVE host writes nothing and says which flags to add.

import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { keyPair, startServer, type InProcessServer, type Reply } from '../collect/testing/in-process-ssh.js';
import { DEMO_SITE, PACKAGE_ROOT } from '../package-root.js';
import { PVE_COMMANDS, PVE_STORAGE_COMMANDS, TIMEZONE_COMMAND } from '../snapshot/probe.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const TMP = mkdtempSync(path.join(tmpdir(), 'ops-init-'));
const HOME = path.join(TMP, 'home'); // no ~/.ssh: nothing of the machine's own ssh set-up leaks in
mkdirSync(HOME);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ops(args: string[], cwd: string): Promise<Run> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'SSH_AUTH_SOCK' && k !== 'SPINE_GATES_KEY_PASSPHRASE'),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OPS, ...args],
      { cwd, env: { ...env, HOME, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** `2026_03_04-02_00_02`, vzdump's archive time (the host's zone is UTC). */
const vzdumpTime = (ms: number) =>
  new Date(ms).toISOString().slice(0, 19).replace(/-/g, '_').replace('T', '-').replace(/:/g, '_');

/**
 * One PVE host, zone UTC: a daily job at a time 3 hours ago that backs up qemu/100 and lxc/101 to
 * `local`, which ran then and left fresh archives; qemu/102 is in no job (the estate's real drift).
 */
function pveHost(now: number): (command: string) => Reply {
  const run = Math.floor((now - 3 * 3600_000) / 60_000) * 60_000;
  const hhmm = new Date(run).toISOString().slice(11, 16);
  const started = Math.floor(run / 1000) + 2;
  const archive = (type: string, vmid: number, ext: string) =>
    `${started + 60} 123456 vzdump-${type}-${vmid}-${vzdumpTime(run + 2000)}.${ext}\0`;
  const fixed: Record<string, string> = {
    [TIMEZONE_COMMAND.id]: 'Etc/UTC\n',
    'jobs-cfg': `vzdump: backup-daily\n\tschedule ${hhmm}\n\tcompress zstd\n\tenabled 1\n\tmode snapshot\n\tstorage local\n\tvmid 100,101\n`,
    'vzdump-cron': '',
    'user-cfg': '',
    'postfix-files': '',
    'notifications-cfg': '',
    'datacenter-cfg': '',
    guests: JSON.stringify([
      { id: 'qemu/100', name: 'app', node: 'pve1', status: 'running', template: 0, type: 'qemu', vmid: 100 },
      { id: 'lxc/101', name: 'dns', node: 'pve1', status: 'running', template: 0, type: 'lxc', vmid: 101 },
      { id: 'qemu/102', name: 'forgotten', node: 'pve1', status: 'running', template: 0, type: 'qemu', vmid: 102 },
    ]),
    scheduler: 'active\n',
    'job-state': `node pve1\nstate vzdump-backup-daily.json {"config":{"enabled":1,"schedule":"${hhmm}"},"msg":"OK","state":"stopped","upid":"UPID:pve1:0003A2F1:01B7C3D2:${started.toString(16).toUpperCase()}:vzdump::root@pam:"}\n`,
    hostname: 'pve1\n',
    'storage-cfg': 'dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n',
  };
  const byCommand = new Map([...PVE_COMMANDS, ...PVE_STORAGE_COMMANDS, TIMEZONE_COMMAND].map((c) => [c.command, c.id]));
  return (command) => {
    const id = byCommand.get(command);
    if (id === 'postconf' || id === 'postqueue') return { exit: 11 }; // no postfix
    if (id !== undefined && id in fixed) return { stdout: fixed[id]! };
    if (command.includes("find -H '/var/lib/vz/dump'"))
      return { stdout: archive('qemu', 100, 'vma.zst') + archive('lxc', 101, 'tar.zst') };
    if (command.includes('/storage --output-format json')) {
      return {
        stdout: JSON.stringify([
          {
            active: 1,
            avail: 8e10,
            content: 'iso,vztmpl,backup',
            enabled: 1,
            shared: 0,
            storage: 'local',
            total: 1e11,
            type: 'dir',
            used: 2e10,
            used_fraction: 0.2,
          },
        ]),
      };
    }
    if (command.includes('/content --content backup')) return { stdout: '[]' };
    return { stderr: `not a probe command: ${command}\n`, exit: 127 };
  };
}

describe('ops init --live on a fake estate', () => {
  const client = keyPair();
  const keyFile = path.join(TMP, 'id_client');
  let server: InProcessServer;
  let knownHosts = '';

  beforeAll(async () => {
    writeFileSync(keyFile, client.private, { mode: 0o600 });
    server = await startServer({ accept: [client.wire], reply: pveHost(Date.now()) });
    knownHosts = path.join(TMP, 'known_hosts');
    writeFileSync(knownHosts, `${server.knownHostsLine()}\n`);
  });
  afterAll(() => server.close());

  /** A new operator repository whose ssh.targets.yaml lists the PVE host, as the README says. */
  function operatorRepo(): { repo: string; bindings: string } {
    const repo = mkdtempSync(path.join(TMP, 'repo-'));
    mkdirSync(path.join(repo, '.git'));
    const bindings = path.join(repo, 'ops', 'bindings');
    mkdirSync(bindings, { recursive: true });
    writeFileSync(
      path.join(bindings, 'ssh.targets.yaml'),
      stringify({
        ssh: { defaults: { user: 'root' }, targets: [{ id: 'pve1', host: '127.0.0.1', port: server.port }] },
      }),
    );
    return { repo, bindings };
  }

  it('the first verify after init fails only on the guest no job backs up', async () => {
    const { repo } = operatorRepo();
    const flags = ['--known-hosts', knownHosts, '--identity', keyFile];
    const init = await ops(['init', '--bindings', 'ops/bindings', '--live', ...flags], repo);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const verify = await ops(['verify', '--bindings', 'ops/bindings', '--live', ...flags, '--json'], repo);
    const result = JSON.parse(verify.stdout);
    expect(result.inputErrors).toEqual([]);
    type Check = { id: string; subject: string; outcome: string; reason: string | null; message: string };
    const checks: Check[] = result.gates.flatMap((g: { checks: Check[] }) => g.checks);
    const bad = checks.filter((c) => c.outcome === 'fail' || c.outcome === 'error');
    expect(bad.map((c) => `${c.id} ${c.subject}`).sort()).toEqual([
      'D19.guest-covered qemu/102',
      'D69.backup-target qemu/102',
      'D69.enrolled qemu/102',
    ]);
    expect(verify.code).toBe(1);
    // What init could not know is named, and its checks skip with a reason rather than fail.
    expect(init.stdout).toContain(
      'ssh.targets.yaml has no entry for 3 guest(s): 100 (app), 101 (dns), 102 (forgotten)',
    );
    const sshTarget = checks.filter((c) => c.id === 'D69.ssh-target');
    expect(sshTarget.map((c) => `${c.subject} ${c.outcome} ${c.reason}`)).toEqual([
      'qemu/100 skip not_required',
      'lxc/101 skip not_required',
      'qemu/102 skip no_target',
    ]);
    expect(sshTarget[0]!.message).toContain(
      'drift.gates.yaml d69.ssh_target_required_for is [critical], so none is required',
    );
    for (const id of ['D69.restore-sop', 'D69.offsite']) {
      expect(checks.filter((c) => c.id === id && c.subject === 'qemu/100').map((c) => c.reason)).toEqual([
        'not_required',
      ]);
    }
  });

  it('repeats the collection flags it was given in its Next: line', async () => {
    const { repo } = operatorRepo();
    const init = await ops(
      ['init', '--live', '--known-hosts', knownHosts, '--identity', keyFile, '--connect-timeout', '5'],
      repo,
    );
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(
      `Next: \`ops verify --bindings ops/bindings --live --known-hosts ${knownHosts} --identity ${keyFile} --connect-timeout 5\``,
    );
  });

  it('reads no PVE host (no known_hosts given): exit 2, nothing written, which host, why and the flag to add', async () => {
    const { repo, bindings } = operatorRepo();
    const init = await ops(['init', '--bindings', 'ops/bindings', '--live', '--identity', keyFile], repo);
    expect(init.code).toBe(2);
    expect(readdirSync(bindings)).toEqual(['ssh.targets.yaml']);
    expect(init.stdout).toContain('input error ops init read no PVE host (of 1: pve1), so it wrote nothing');
    expect(init.stdout).toMatch(
      /^input error pve1: host_key_unknown: \[127\.0\.0\.1\]:\d+ is not in .* To read it: add --known-hosts FILE holding its host key$/m,
    );
    // Run again as it says: the files are written (nothing empty was kept from the first run).
    const again = await ops(
      ['init', '--bindings', 'ops/bindings', '--live', '--identity', keyFile, '--known-hosts', knownHosts],
      repo,
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`wrote   ${path.join(bindings, 'vm.lifecycle.yaml')}`);
  });

  it('--snapshot with no PVE host in it: exit 2, nothing written', async () => {
    const snapshot = path.join(mkdtempSync(path.join(TMP, 'snap-')), 'snapshot');
    cpSync(path.join(DEMO_SITE, 'snapshot'), snapshot, { recursive: true });
    const manifest = parse(readFileSync(path.join(snapshot, 'snapshot.yaml'), 'utf8'));
    manifest.hosts = manifest.hosts.filter((h: { id: string }) => h.id === 'nas');
    writeFileSync(path.join(snapshot, 'snapshot.yaml'), stringify(manifest));
    const repo = mkdtempSync(path.join(TMP, 'repo-'));
    const init = await ops(['init', '--bindings', 'b', '--snapshot', snapshot], repo);
    expect(init.code).toBe(2);
    expect(init.stdout).toContain('input error ops init read no PVE host (of 1: nas), so it wrote nothing');
    expect(init.stdout).toMatch(/^input error nas: .* To read it: check that it is a PVE host/m);
    expect(readdirSync(repo)).toEqual([]);
  });

  it('prints host text in its notes on one line each: a guest name cannot set the title, clear the screen or forge a note', async () => {
    const snapshot = path.join(mkdtempSync(path.join(TMP, 'snap-')), 'snapshot');
    cpSync(path.join(DEMO_SITE, 'snapshot'), snapshot, { recursive: true });
    const guests = path.join(snapshot, 'hosts', 'pve-shop', 'guests.out');
    const hostile = 'scan\u001b]0;pwned\u0007\u001b[2J\r\n  - forged note';
    writeFileSync(
      guests,
      readFileSync(guests, 'utf8').replace('"name":"scan-archive"', `"name":${JSON.stringify(hostile)}`),
    );
    const repo = mkdtempSync(path.join(TMP, 'repo-'));
    const init = await ops(['init', '--bindings', 'b', '--snapshot', snapshot], repo);
    expect(init.code).toBe(0);
    const notes = init.stdout.slice(init.stdout.indexOf('To decide:'));
    expect(notes).toContain('scan\\u001b]0;pwned');
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(notes).not.toMatch(/[\u001b\u0007\r]/);
    expect(notes.split('\n').filter((l) => l.startsWith('  - forged note'))).toEqual([]);
  });

  it('--help lists the collection flags and --ci github', async () => {
    const help = await ops(['init', '--help'], TMP);
    expect(help.code).toBe(0);
    for (const flag of [
      '--known-hosts FILE',
      '--identity FILE',
      '--ssh-config FILE',
      '--insecure-accept-any-host-key',
      '--connect-timeout S',
      '--command-timeout S',
      '--ci github',
    ]) {
      expect(help.stdout).toContain(flag);
    }
  });
});

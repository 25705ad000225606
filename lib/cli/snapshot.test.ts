// `ops snapshot` and `ops verify --live` through the built CLI (npm run build first): usage errors,
// and a live run against in-process SSH servers answering the demo estate's probe.

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadBindings } from '../bindings/load.js';
import { keyPair, startServer, type InProcessServer } from '../collect/testing/in-process-ssh.js';
import { DEMO_SITE, PACKAGE_ROOT } from '../package-root.js';
import { probePlan } from '../snapshot/plan.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const TMP = mkdtempSync(path.join(tmpdir(), 'ops-live-'));
const HOME = path.join(TMP, 'home'); // no ~/.ssh: nothing of the machine's own ssh set-up leaks in
mkdirSync(HOME);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ops(
  args: string[],
  env: Record<string, string> = {},
  cwd = mkdtempSync(path.join(TMP, 'cwd-')),
): Promise<Run & { cwd: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'SSH_AUTH_SOCK' && k !== 'SPINE_GATES_KEY_PASSPHRASE'),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OPS, ...args],
      { cwd, env: { ...clean, HOME, NO_COLOR: '1', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr, cwd });
      },
    );
  });
}

/** The demo bindings with every host the probe needs served locally (others on a dead port). */
function localBindings(ports: Record<string, number>): string {
  const dir = mkdtempSync(path.join(TMP, 'bindings-'));
  cpSync(path.join(DEMO_SITE, 'bindings'), dir, { recursive: true });
  const file = path.join(dir, 'ssh.targets.yaml');
  const doc = parse(readFileSync(file, 'utf8'));
  doc.ssh.targets = doc.ssh.targets.map((t: { id: string }) => ({
    id: t.id,
    host: '127.0.0.1',
    port: ports[t.id] ?? 9,
  }));
  writeFileSync(file, stringify(doc));
  return dir;
}

describe('ops snapshot / verify --live: usage', () => {
  const bindings = localBindings({});

  it.each([
    [['verify', '--live', '--snapshot', 'x', '--bindings', bindings], /--live and --snapshot exclude each other/],
    [['verify', '--known-hosts', 'x', '--concurrency', '2'], /--known-hosts, --concurrency only apply with --live/],
    [['verify', '--live'], /live collection needs your bindings/],
    [['snapshot', '--bindings', bindings], /ops snapshot needs --out DIR/],
    [
      ['snapshot', '--out', 'o', '--bindings', bindings, '--concurrency', '0'],
      /--concurrency takes a whole number from 1 to 1024, got "0"/,
    ],
    [
      ['snapshot', '--out', 'o', '--bindings', bindings, '--command-timeout', '1m'],
      /--command-timeout takes a number of seconds/,
    ],
    [
      ['snapshot', '--out', 'o', '--bindings', bindings, '--identity', '/nonexistent/key'],
      /--identity \/nonexistent\/key: no such file/,
    ],
    [['snapshot', '--out', 'o', '--bindings', bindings, '--passphrase', 'x'], /Unknown option '--passphrase'/],
  ])('%j exits 2: %s', async (args, message) => {
    const run = await ops(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain(`Run \`ops ${args[0]} --help\` for usage.`); // the subcommand's own help
  });

  it('prints bindings errors the way verify does, and refuses a non-empty --out before connecting', async () => {
    const broken = mkdtempSync(path.join(TMP, 'broken-'));
    cpSync(bindings, broken, { recursive: true });
    writeFileSync(
      path.join(broken, 'ssh.targets.yaml'),
      'ssh:\n  defaults: {user: root}\n  targets: [{id: x, host: 1, port: "22"}]\n',
    );
    const bad = await ops(['snapshot', '--bindings', broken, '--out', 'o']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/^input error .*ssh\.targets\.yaml:3:/m);

    const full = mkdtempSync(path.join(TMP, 'full-'));
    writeFileSync(path.join(full, 'x'), '');
    const taken = await ops(['snapshot', '--bindings', bindings, '--out', full]);
    expect(taken.code).toBe(2);
    expect(taken.stdout).toContain(`input error ${full} already exists and is not empty`);
  });

  it('refuses a --host the bindings do not need', async () => {
    const run = await ops([
      'snapshot',
      '--bindings',
      bindings,
      '--out',
      'o',
      '--host',
      'files',
      '--known-hosts',
      writeKnownHosts([]),
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      'input error "files": not a host these bindings need; hosts: git-vm, nas, pve-home, pve-shop',
    );
    expect(existsSync(path.join(run.cwd, 'o'))).toBe(false);
  });

  it('documents the collection flags in both help texts', async () => {
    for (const command of ['verify', 'snapshot']) {
      const help = await ops([command, '--help']);
      expect(help.code).toBe(0);
      for (const flag of [
        '--known-hosts',
        '--identity',
        '--ssh-config',
        '--insecure-accept-any-host-key',
        '--concurrency',
        '--connect-timeout',
        '--command-timeout',
      ]) {
        expect(help.stdout).toContain(flag);
      }
    }
    expect((await ops(['--help'])).stdout).toContain('ops snapshot [options]');
  });
});

function writeKnownHosts(lines: string[]): string {
  const file = path.join(mkdtempSync(path.join(TMP, 'kh-')), 'known_hosts');
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return file;
}

describe('ops snapshot / verify --live against in-process SSH servers', () => {
  const client = keyPair();
  const keyFile = path.join(TMP, 'id_client');
  const servers: Record<string, InProcessServer> = {};
  let bindings = '';

  beforeAll(async () => {
    writeFileSync(keyFile, client.private, { mode: 0o600 });
    const manifest = parse(readFileSync(path.join(DEMO_SITE, 'snapshot', 'snapshot.yaml'), 'utf8'));
    const ids = ['git-vm', 'nas', 'pve-home', 'pve-shop'];
    let plan: ReturnType<typeof probePlan> = [];
    for (const id of ids) {
      servers[id] = await startServer({
        accept: [client.wire],
        reply: (command) => {
          const probe = plan.find((p) => p.hostId === id)?.commands.find((c) => c.command === command);
          if (!probe) return { stderr: 'not a probe command\n', exit: 127 };
          const recorded = manifest.hosts
            .find((h: { id: string }) => h.id === id)
            ?.commands?.find((c: { id: string }) => c.id === probe.id);
          if (!recorded) return { stdout: '', exit: 0 };
          return {
            stdout: readFileSync(path.join(DEMO_SITE, 'snapshot', 'hosts', id, `${probe.id}.out`)),
            exit: recorded.exit,
          };
        },
      });
    }
    bindings = localBindings(Object.fromEntries(ids.map((id) => [id, servers[id]!.port])));
    const loaded = await loadBindings(bindings);
    if (!loaded.ok) throw new Error('bindings');
    plan = probePlan(loaded.bindings);
  });
  afterAll(() => Promise.all(Object.values(servers).map((s) => s.close())));

  it('writes a snapshot verify --snapshot reads, and exits 0 when every host was read', async () => {
    const kh = writeKnownHosts(Object.values(servers).map((s) => s.knownHostsLine()));
    const run = await ops([
      'snapshot',
      '--bindings',
      bindings,
      '--out',
      'snap',
      '--identity',
      keyFile,
      '--known-hosts',
      kh,
    ]);
    expect(run.stderr).not.toContain('ops:');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('OK: 4 of 4 hosts read (exit 0)');
    const judged = await ops([
      'verify',
      '--bindings',
      bindings,
      '--snapshot',
      path.join(run.cwd, 'snap'),
      '--json',
      '--max-snapshot-age',
      '0',
    ]);
    expect(JSON.parse(judged.stdout).inputErrors).toEqual([]);
    expect(readdirSync(path.join(run.cwd, 'snap', 'hosts')).sort()).toEqual(['git-vm', 'nas', 'pve-home', 'pve-shop']);
  });

  it('verify --live keeps its snapshot in the receipt folder, records the insecure flag, and never shows a passphrase', async () => {
    const secret = 'sw0rdf1sh-never-print-me';
    const locked = path.join(TMP, 'id_locked');
    writeFileSync(locked, keyPair('the-real-one').private, { mode: 0o600 });
    // pve-shop's key is unknown to known_hosts; everything else is insecure-accepted anyway.
    const run = await ops(
      [
        'verify',
        '--live',
        '--bindings',
        bindings,
        '--identity',
        keyFile,
        '--identity',
        locked,
        '--insecure-accept-any-host-key',
        '--json',
      ],
      { SPINE_GATES_KEY_PASSPHRASE: secret },
    );
    expect(run.stderr).toContain('WARNING: --insecure-accept-any-host-key');
    const result = JSON.parse(run.stdout);
    expect(result.source).toMatchObject({ kind: 'live', insecureAcceptAnyHostKey: true });
    const receipts = path.join(run.cwd, 'reports', 'receipts');
    const [key] = readdirSync(receipts);
    const folder = path.join(receipts, key!);
    expect(result.source.snapshot).toBe(path.join(folder, 'snapshot'));
    expect(readdirSync(folder).sort()).toEqual(['receipt.json', 'receipt.md', 'report.html', 'snapshot']);
    const receipt = JSON.parse(readFileSync(path.join(folder, 'receipt.json'), 'utf8'));
    expect(receipt.source.insecureAcceptAnyHostKey).toBe(true);
    expect(receipt.hosts.map((h: { id: string; status: string }) => `${h.id}:${h.status}`)).toEqual([
      'git-vm:ok',
      'nas:ok',
      'pve-home:ok',
      'pve-shop:ok',
    ]);
    expect(receipt.inputs.some((i: { file: string }) => i.file === 'snapshot/snapshot.yaml')).toBe(true);
    expect(readFileSync(path.join(folder, 'receipt.md'), 'utf8')).toContain('host keys were not checked');

    // The live verdict is the verdict on the snapshot it wrote.
    const again = await ops(
      ['verify', '--bindings', bindings, '--snapshot', path.join(folder, 'snapshot'), '--json'],
      {},
      run.cwd,
    );
    const strip = (r: { gates: unknown; summary: unknown; outcome: unknown }) => ({
      gates: r.gates,
      summary: r.summary,
      outcome: r.outcome,
    });
    expect(strip(JSON.parse(again.stdout))).toEqual(strip(result));

    const everything = [run.stdout, run.stderr, ...filesUnder(run.cwd).map((f) => readFileSync(f, 'utf8'))].join('\n');
    expect(everything).not.toContain(secret);
  });

  it('exits 2 with the reason when a host cannot be read (unknown host key)', async () => {
    const kh = writeKnownHosts(['git-vm', 'nas', 'pve-home'].map((id) => servers[id]!.knownHostsLine()));
    const run = await ops([
      'snapshot',
      '--bindings',
      bindings,
      '--out',
      'snap',
      '--identity',
      keyFile,
      '--known-hosts',
      kh,
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /^unreadable pve-shop: host_key_unknown: \[127\.0\.0\.1\]:\d+ is not in .*known_hosts; it presented ssh-ed25519 key SHA256:/m,
    );
    expect(run.stdout).toContain('ERROR: 3 of 4 hosts read (exit 2)');
    expect(readFileSync(kh, 'utf8').split('\n').filter(Boolean)).toHaveLength(3); // never written to
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : [full];
  });
}

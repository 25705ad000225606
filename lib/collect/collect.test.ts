// The collector end to end against in-process ssh2 servers (no sshd needed): the demo estate's
// probe answered from the demo snapshot's files, then every failure the reason codes name.
// The real-OpenSSH tests are in live.test.ts.

import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadBindings } from '../bindings/load.js';
import type { Bindings } from '../bindings/types.js';
import { DEMO_SITE } from '../package-root.js';
import { probePlan, type HostPlan } from '../snapshot/plan.js';
import type { ProbeCommand } from '../snapshot/probe.js';
import { followUpStdin, PROBE_EXEC, probeStdin } from '../snapshot/probe-script.js';
import { readSnapshot } from '../snapshot/read.js';
import { writeSnapshot } from '../snapshot/write.js';
import { collect, mapBounded } from './collect.js';
import { keyPair, startServer, type InProcessServer, type Reply, type ServerSpec } from './testing/in-process-ssh.js';
import { fingerprint } from './known-hosts.js';
import type { CollectOptions } from './types.js';
import type { CollectedHost } from '../model.js';

const DEMO_SNAPSHOT = path.join(DEMO_SITE, 'snapshot');
const TMP = mkdtempSync(path.join(tmpdir(), 'collect-'));

const CLIENT = keyPair();
const CLIENT_KEY = path.join(TMP, 'id_client');
writeFileSync(CLIENT_KEY, CLIENT.private, { mode: 0o600 });

type Fake = InProcessServer;
const servers: Fake[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function fakeHost(spec: Omit<ServerSpec, 'accept'> & { accept?: Buffer[] }): Promise<Fake> {
  const server = await startServer({ accept: [CLIENT.wire], ...spec });
  servers.push(server);
  return server;
}

/** The demo bindings, with ssh.targets.yaml pointing at local ports. */
async function demoBindings(
  targets: Record<string, { port: number; host?: string; probe_via?: string; user?: string }>,
): Promise<Bindings> {
  const dir = mkdtempSync(path.join(TMP, 'bindings-'));
  cpSync(path.join(DEMO_SITE, 'bindings'), dir, { recursive: true });
  const file = path.join(dir, 'ssh.targets.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as {
    ssh: { defaults: Record<string, unknown>; targets: Record<string, unknown>[] };
  };
  delete doc.ssh.defaults['connect_timeout_sec']; // the tests' connectTimeoutMs applies
  doc.ssh.targets = doc.ssh.targets.map((t) => {
    const local = targets[t['id'] as string];
    return local
      ? {
          id: t['id'],
          host: local.host ?? '127.0.0.1',
          user: local.user ?? 'root',
          port: local.port,
          ...(local.probe_via ? { probe_via: local.probe_via } : {}),
        }
      : { id: t['id'], host: '127.0.0.1', port: 9 };
  });
  writeFileSync(file, stringify(doc));
  const loaded = await loadBindings(dir);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.bindings;
}

/** Replies from the demo snapshot: the output file and exit recorded for that command. */
/** The commands a host runs: its plan's, then those its followUp makes of the demo's recorded output. */
function plannedCommands(plan: HostPlan): ProbeCommand[] {
  const out = (id: string) => path.join(DEMO_SNAPSHOT, 'hosts', plan.hostId, `${id}.out`);
  const outputs = new Map(
    plan.commands.filter((c) => existsSync(out(c.id))).map((c) => [c.id, readFileSync(out(c.id), 'utf8')]),
  );
  return [...plan.commands, ...(plan.followUp?.(outputs) ?? [])];
}

function demoReplies(bindings: Bindings, hostId: string): (command: string) => Reply {
  const manifest = parse(readFileSync(path.join(DEMO_SNAPSHOT, 'snapshot.yaml'), 'utf8')) as {
    hosts: { id: string; commands?: { id: string; exit: number }[] }[];
  };
  const commands = plannedCommands(probePlan(bindings).find((p) => p.hostId === hostId)!);
  return (command) => {
    const probe = commands.find((c) => c.command === command);
    if (!probe) return { stderr: 'not a probe command\n', exit: 127 };
    const recorded = manifest.hosts.find((h) => h.id === hostId)?.commands?.find((c) => c.id === probe.id);
    if (!recorded) return { stdout: '', exit: 0 };
    return { stdout: readFileSync(path.join(DEMO_SNAPSHOT, 'hosts', hostId, `${probe.id}.out`)), exit: recorded.exit };
  };
}

function knownHosts(entries: [Fake, Buffer?][]): string {
  const file = path.join(mkdtempSync(path.join(TMP, 'kh-')), 'known_hosts');
  writeFileSync(file, entries.map(([f, key]) => `${f.knownHostsLine(key)}\n`).join(''));
  return file;
}

function options(over: Partial<CollectOptions> & Pick<CollectOptions, 'knownHostsFile'>): CollectOptions {
  return {
    insecureAcceptAnyHostKey: false,
    identityFiles: [CLIENT_KEY],
    sshConfigFile: null,
    concurrency: 4,
    connectTimeoutMs: 3000,
    commandTimeoutMs: 3000,
    hostBudgetMs: 20_000,
    onlyHosts: null,
    agentSocket: null,
    keyPassphrase: null,
    home: TMP,
    ...over,
  };
}

const byId = (hosts: CollectedHost[], id: string) => hosts.find((h) => h.id === id)!;

describe('collect against in-process SSH servers', () => {
  let bindings: Bindings;
  let fakes: Record<string, Fake>;

  beforeAll(async () => {
    const ids = ['pve-shop', 'pve-home', 'nas', 'git-vm'];
    const ports: Record<string, number> = {};
    fakes = {};
    // Bindings need ports before replies need bindings: start with a placeholder reply.
    let replies: Record<string, (c: string) => Reply> = {};
    for (const id of ids) {
      fakes[id] = await fakeHost({ reply: (c) => replies[id]!(c), forwarding: id === 'pve-home' });
      ports[id] = fakes[id]!.port;
    }
    bindings = await demoBindings(
      Object.fromEntries(
        ids.map((id) => [id, { port: ports[id]!, ...(id === 'git-vm' ? { probe_via: 'pve-home' } : {}) }]),
      ),
    );
    replies = Object.fromEntries(ids.map((id) => [id, demoReplies(bindings, id)]));
  });

  it('collects the demo estate exactly as the demo snapshot records it, running only probe commands', async () => {
    const progress: string[] = [];
    const kh = knownHosts(Object.values(fakes).map((f) => [f]));
    const collection = await collect(
      bindings,
      options({ knownHostsFile: kh, onProgress: (p) => progress.push(`${p.done}/${p.total}`) }),
    );
    expect(collection.hosts.map((h) => [h.id, h.status])).toEqual([
      ['git-vm', 'ok'],
      ['nas', 'ok'],
      ['pve-home', 'ok'],
      ['pve-shop', 'ok'],
    ]);
    // One call as each host starts and one as it ends.
    expect(progress).toHaveLength(8);
    expect([...new Set(progress)]).toEqual(['0/4', '1/4', '2/4', '3/4', '4/4']);
    expect(collection.insecureAcceptAnyHostKey).toBe(false);

    // Every command any host ran is one of probePlan's (or of its followUp), for that host, each once.
    for (const plan of probePlan(bindings)) {
      expect([...fakes[plan.hostId]!.commands].sort()).toEqual(
        plannedCommands(plan)
          .map((c) => c.command)
          .sort(),
      );
    }
    // One connection per host; git-vm's went through pve-home's (which was not opened twice).
    expect(Object.values(fakes).map((f) => f.connections)).toEqual([1, 1, 1, 1]);

    const dir = path.join(TMP, 'live-snapshot');
    await writeSnapshot(dir, collection);
    const live = await readSnapshot(dir, bindings);
    const demo = await readSnapshot(DEMO_SNAPSHOT, bindings);
    if (!live.ok || !demo.ok) throw new Error('unreadable snapshot');
    for (const id of ['pve-shop', 'pve-home', 'nas']) {
      const strip = ({ commands, ...rest }: Record<string, unknown>) => ({
        ...rest,
        commands: (commands as { id: string }[]).map((c) => c.id).sort(),
      });
      expect(strip({ ...live.state.hosts[id]! })).toEqual(strip({ ...demo.state.hosts[id]! }));
    }
  });

  it('reads a host with one session and one exec, so a server allowing one session (MaxSessions 1) is enough', async () => {
    const one = await fakeHost({ reply: demoReplies(bindings, 'pve-shop'), maxSessions: 1 });
    const b = await demoBindings({ 'pve-shop': { port: one.port } });
    const result = await collect(b, options({ knownHostsFile: knownHosts([[one]]), onlyHosts: ['pve-shop'] }));
    expect(byId(result.hosts, 'pve-shop')).toMatchObject({ status: 'ok', timezone: 'Europe/Berlin' });
    expect(one.execs).toEqual(['sh -s']);
    expect(one.maxOpenSessions).toBe(1);
    expect(one.commands.length).toBeGreaterThan(15);
  });

  it('says host_key_unknown, and host_key_mismatch with the presented SHA256 fingerprint', async () => {
    const other = keyPair().wire;
    const kh = knownHosts([[fakes['pve-shop']!, other], [fakes['pve-home']!]]);
    const result = await collect(bindings, options({ knownHostsFile: kh, onlyHosts: ['pve-shop', 'nas'] }));
    expect(byId(result.hosts, 'pve-shop')).toMatchObject({ status: 'error', reason: 'host_key_mismatch' });
    expect((byId(result.hosts, 'pve-shop') as { message: string }).message).toContain(
      fingerprint(fakes['pve-shop']!.hostKey),
    );
    expect(byId(result.hosts, 'nas')).toMatchObject({ status: 'error', reason: 'host_key_unknown', commands: [] });
    expect(fakes['pve-shop']!.commands.length).toBe(
      plannedCommands(probePlan(bindings).find((p) => p.hostId === 'pve-shop')!).length,
    ); // nothing ran this time
  });

  it('treats a @revoked key as a mismatch, and accepts any key only when told to', async () => {
    const f = fakes['nas']!;
    const kh = path.join(mkdtempSync(path.join(TMP, 'kh-')), 'known_hosts');
    writeFileSync(
      kh,
      `[127.0.0.1]:${f.port} ssh-ed25519 ${f.hostKey.toString('base64')}\n@revoked * ssh-ed25519 ${f.hostKey.toString('base64')}\n`,
    );
    const revoked = await collect(bindings, options({ knownHostsFile: kh, onlyHosts: ['nas'] }));
    expect(byId(revoked.hosts, 'nas')).toMatchObject({
      reason: 'host_key_mismatch',
      message: expect.stringContaining('revoked'),
    });
    const insecure = await collect(
      bindings,
      options({ knownHostsFile: path.join(TMP, 'nothing-here'), insecureAcceptAnyHostKey: true, onlyHosts: ['nas'] }),
    );
    expect(byId(insecure.hosts, 'nas').status).toBe('ok');
    expect(insecure.insecureAcceptAnyHostKey).toBe(true);
  });

  it('says auth_denied with what it tried, and a jump host failure names the jump', async () => {
    const stranger = path.join(TMP, 'id_stranger');
    writeFileSync(stranger, keyPair().private, { mode: 0o600 });
    const kh = knownHosts(Object.values(fakes).map((f) => [f]));
    const result = await collect(
      bindings,
      options({
        knownHostsFile: kh,
        identityFiles: [stranger, path.join(TMP, 'missing-key')],
        onlyHosts: ['pve-home', 'git-vm'],
      }),
    );
    expect(byId(result.hosts, 'pve-home')).toMatchObject({
      reason: 'auth_denied',
      message: expect.stringContaining(`tried ${stranger}; skipped ${path.join(TMP, 'missing-key')} (not found)`),
    });
    expect(byId(result.hosts, 'git-vm')).toMatchObject({
      reason: 'auth_denied',
      message: expect.stringMatching(/^via jump host pve-home: authentication to root@127\.0\.0\.1:\d+ failed/),
    });
  });

  it('decrypts a key with the passphrase from the environment variable and never shows it', async () => {
    const secret = 'correct horse battery staple';
    const locked = keyPair(secret);
    const file = path.join(TMP, 'id_locked');
    writeFileSync(file, locked.private, { mode: 0o600 });
    const f = await fakeHost({ reply: () => ({ stdout: 'Etc/UTC\n' }), accept: [locked.wire] });
    const b = await demoBindings({ 'git-vm': { port: f.port } });
    const base = options({ knownHostsFile: knownHosts([[f]]), identityFiles: [file], onlyHosts: ['git-vm'] });
    const before = process.env['SPINE_GATES_KEY_PASSPHRASE'];
    process.env['SPINE_GATES_KEY_PASSPHRASE'] = secret;
    try {
      const { keyPassphrase: _omitted, ...fromEnv } = base;
      expect(byId((await collect(b, fromEnv)).hosts, 'git-vm')).toMatchObject({ status: 'ok', timezone: 'Etc/UTC' });
    } finally {
      if (before === undefined) delete process.env['SPINE_GATES_KEY_PASSPHRASE'];
      else process.env['SPINE_GATES_KEY_PASSPHRASE'] = before;
    }
    const none = byId((await collect(b, base)).hosts, 'git-vm');
    expect(none).toMatchObject({
      reason: 'auth_denied',
      message: expect.stringContaining('(encrypted; set SPINE_GATES_KEY_PASSPHRASE)'),
    });
    const wrong = byId((await collect(b, { ...base, keyPassphrase: 'not-the-passphrase' })).hosts, 'git-vm');
    expect(wrong).toMatchObject({ reason: 'auth_denied', message: expect.stringContaining('cannot decrypt') });
    expect(JSON.stringify(wrong)).not.toContain('not-the-passphrase');
  });

  it('records non-zero exits as command_failed (stderr first line), a missing listing path as data', async () => {
    const f = await fakeHost({
      reply: (c) =>
        c.startsWith('pvesh')
          ? { stderr: '\nipcc_send_rec failed: permission denied\nmore\n', exit: 255 }
          : c.includes('exit 10')
            ? { exit: 10 }
            : { stdout: 'ok\n' },
    });
    const b = await demoBindings({ 'pve-shop': { port: f.port }, nas: { port: f.port } });
    const result = await collect(b, options({ knownHostsFile: knownHosts([[f]]), onlyHosts: ['pve-shop', 'nas'] }));
    expect(byId(result.hosts, 'pve-shop')).toMatchObject({
      status: 'error',
      reason: 'command_failed',
      message: 'guests exited 255: ipcc_send_rec failed: permission denied',
    });
    expect(byId(result.hosts, 'pve-shop').commands.map((c) => c.id)).toContain('scheduler');
    const nas = byId(result.hosts, 'nas');
    expect(nas.status).toBe('ok');
    expect(nas.commands.filter((c) => c.basePath).map((c) => c.exit)).toEqual([10, 10]);
  });

  it('ends a host with command_timeout when a command hangs, and with connection_lost when it drops', async () => {
    const hang = await fakeHost({ reply: (c) => (c.startsWith('systemctl') ? 'hang' : { stdout: 'x\n' }) });
    const drop = await fakeHost({ reply: (c) => (c.startsWith('pvesh') ? 'drop' : { stdout: 'x\n' }) });
    const b = await demoBindings({ 'pve-shop': { port: hang.port }, 'pve-home': { port: drop.port } });
    const result = await collect(
      b,
      options({
        knownHostsFile: knownHosts([[hang], [drop]]),
        commandTimeoutMs: 400,
        onlyHosts: ['pve-shop', 'pve-home'],
      }),
    );
    expect(byId(result.hosts, 'pve-shop')).toMatchObject({
      reason: 'command_timeout',
      message: 'scheduler did not finish within 400 ms',
    });
    expect(byId(result.hosts, 'pve-shop').commands.find((c) => c.id === 'scheduler')).toMatchObject({ exit: null });
    expect(byId(result.hosts, 'pve-home')).toMatchObject({ reason: 'connection_lost' });
  });

  it('tells refused, unresolvable and silent hosts apart', async () => {
    const silent = net.createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const closed = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => closed.once('listening', r));
    const closedPort = (closed.address() as net.AddressInfo).port;
    closed.close();
    const b = await demoBindings({
      'pve-shop': { port: closedPort },
      'pve-home': { port: (silent.address() as net.AddressInfo).port },
      nas: { port: 22, host: 'nas.invalid' },
    });
    const resolve = async (host: string) => {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };
    const result = await collect(
      b,
      options({
        knownHostsFile: path.join(TMP, 'none'),
        connectTimeoutMs: 500,
        resolve,
        onlyHosts: ['pve-shop', 'pve-home', 'nas'],
      }),
    );
    silent.close();
    expect(byId(result.hosts, 'pve-shop')).toMatchObject({
      reason: 'connect_refused',
      message: `TCP connect to 127.0.0.1:${closedPort} refused`,
    });
    expect(byId(result.hosts, 'pve-home')).toMatchObject({
      reason: 'handshake_timeout',
      message: expect.stringContaining('within 500 ms'),
    });
    expect(byId(result.hosts, 'nas')).toMatchObject({
      reason: 'dns_unresolved',
      message: 'cannot resolve nas.invalid: getaddrinfo ENOTFOUND nas.invalid',
    });
  });

  it("sends the probe script only the plan's commands, then its followUp's, as request lines, to the hosts asked for", async () => {
    // Hosts of its own, so what each received is this collection's alone.
    const ids = ['pve-shop', 'pve-home', 'nas', 'git-vm'];
    let replies: Record<string, (c: string) => Reply> = {};
    const own: Record<string, Fake> = {};
    for (const id of ids) own[id] = await fakeHost({ reply: (c) => replies[id]!(c), forwarding: id === 'pve-home' });
    const b = await demoBindings(
      Object.fromEntries(
        ids.map((id) => [id, { port: own[id]!.port, ...(id === 'git-vm' ? { probe_via: 'pve-home' } : {}) }]),
      ),
    );
    replies = Object.fromEntries(ids.map((id) => [id, demoReplies(b, id)]));
    const asked = ['pve-shop', 'nas', 'git-vm'];
    const result = await collect(
      b,
      options({ knownHostsFile: knownHosts(Object.values(own).map((f) => [f])), onlyHosts: asked }),
    );
    expect(result.hosts.map((h) => [h.id, h.status])).toEqual([
      ['git-vm', 'ok'],
      ['nas', 'ok'],
      ['pve-shop', 'ok'],
    ]);
    // One probe per host asked for; pve-home only carries git-vm's connection.
    expect(Object.fromEntries(ids.map((id) => [id, own[id]!.stdin.length]))).toEqual({
      'pve-shop': 1,
      'pve-home': 0,
      nas: 1,
      'git-vm': 1,
    });
    for (const id of asked) {
      const plan = probePlan(b).find((p) => p.hostId === id)!;
      const stdin = Buffer.from(own[id]!.stdin[0]!, 'latin1').toString('utf8');
      const token = /\ntoken ([0-9a-f]{16,})\n/.exec(stdin)?.[1];
      expect(token, id).toBeDefined();
      const followUp = plan.followUp ? followUpStdin(plannedCommands(plan).slice(plan.commands.length)) : '';
      expect(stdin, id).toBe(probeStdin(token!, plan.commands, plan.followUp !== undefined) + followUp);
    }
    expect(
      probePlan(b)
        .filter((p) => p.followUp)
        .map((p) => p.hostId),
    ).toContain('pve-shop');
  });

  it('refuses a --host the bindings do not need', async () => {
    await expect(
      collect(bindings, options({ knownHostsFile: path.join(TMP, 'none'), onlyHosts: ['files'] })),
    ).rejects.toThrow(/"files": not a host these bindings need/);
  });
});

describe('mapBounded', () => {
  it('keeps order and the bound', async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([5, 1, 3, 2, 4], 2, async (n) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, n));
      running -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(most).toBe(2);
  });
});

describe('what reaches a remote shell', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const sources = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => ({ f, text: readFileSync(path.join(here, f), 'utf8') }));

  it('has exactly one exec call, and it runs the probe script', () => {
    const remote = sources.flatMap(({ f, text }) =>
      [...text.matchAll(/\.(exec|shell|subsys|sftp)\(([^)]*)/g)]
        .filter((m) => !/\/\.exec\($/.test(text.slice(0, (m.index ?? 0) + 6))) // a RegExp literal's exec
        .map((m) => `${f}: ${m[0]}`),
    );
    expect(remote).toEqual(['probe-run.ts: .exec(PROBE_EXEC, (err, channel']);
    expect(PROBE_EXEC).toBe('sh -s');
  });
});

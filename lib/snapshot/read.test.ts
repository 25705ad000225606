// The mail facts of a snapshot: kept apart from the PVE facts, so an old snapshot (no mail
// commands) or a failed postfix command leaves D19's state readable.

import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadBindings } from '../bindings/load.js';
import type { Bindings, FileGlobTarget } from '../bindings/types.js';
import { DEMO_SITE } from '../package-root.js';
import { MAIL_COMMANDS, NO_POSTFIX_EXIT } from './probe.js';
import { readSnapshot } from './read.js';

interface Manifest {
  hosts: { id: string; commands?: { id: string; exit: number | null }[] }[];
}

let bindings: Bindings;
beforeAll(async () => {
  const loaded = await loadBindings(path.join(DEMO_SITE, 'bindings'));
  if (!loaded.ok) throw new Error('the demo bindings do not load');
  bindings = loaded.bindings;
});

/** The demo snapshot, copied, with pve-home's manifest entry edited. */
async function demoWith(
  edit: (commands: { id: string; exit: number | null }[]) => { id: string; exit: number | null }[],
) {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'read-')), 'snap');
  cpSync(path.join(DEMO_SITE, 'snapshot'), dir, { recursive: true });
  const file = path.join(dir, 'snapshot.yaml');
  const manifest = parse(readFileSync(file, 'utf8')) as Manifest;
  const home = manifest.hosts.find((h) => h.id === 'pve-home')!;
  home.commands = edit(home.commands!);
  writeFileSync(file, stringify(manifest));
  const read = await readSnapshot(dir, bindings);
  if (!read.ok) throw new Error(JSON.stringify(read.errors));
  return read.state.hosts['pve-home']!;
}

describe('readSnapshot mail facts', () => {
  it('reads postfix, its files, the queue, notifications.cfg with the built-ins, email_from and user emails', async () => {
    const host = await demoWith((c) => c);
    if (!host.mail?.ok) throw new Error(JSON.stringify(host.mail));
    expect(host.mail.value).toMatchObject({
      postfix: { relayhost: '', myhostname: 'pve-home.home.example.net' },
      emailFrom: null,
      userEmails: { 'root@pam': 'owner@home.example.net' },
    });
    expect(host.mail.value.queue.map((m) => [m.id, m.status])).toEqual([
      ['4C1F82A0E3', 'deferred'],
      ['7B9D12A0F1', 'deferred'],
      ['A3E5F7A112', 'deferred'],
      ['C8D04A1B27', 'deferred'],
    ]);
    expect(host.mail.value.endpoints.map((e) => `${e.type}/${e.name} ${e.origin}`)).toEqual([
      'sendmail/mail-to-root builtin',
    ]);
    expect(host.mail.value.postfixFiles).toContain('main.cf');
  });

  it('an old snapshot without the mail commands: mail not_collected, PVE facts intact', async () => {
    const host = await demoWith((c) => c.filter((x) => !MAIL_COMMANDS.some((m) => m.id === x.id)));
    expect(host.mail).toEqual({
      ok: false,
      problem: { reason: 'not_collected', message: 'command postconf is not in the snapshot of pve-home' },
    });
    expect(host.pve?.ok).toBe(true);
  });

  it('no postfix (exit 11) is data: postfix null, empty queue', async () => {
    const host = await demoWith((c) =>
      c.map((x) => (x.id === 'postconf' || x.id === 'postqueue' ? { ...x, exit: NO_POSTFIX_EXIT } : x)),
    );
    expect(host.mail?.ok && host.mail.value).toMatchObject({ postfix: null, queue: [] });
  });

  it('a failed postfix command makes only the mail facts an error', async () => {
    const host = await demoWith((c) => c.map((x) => (x.id === 'postqueue' ? { ...x, exit: 69 } : x)));
    expect(host.mail).toMatchObject({ ok: false, problem: { reason: 'command_failed' } });
    expect(host.status).toBe('ok');
    expect(host.pve?.ok).toBe(true);
  });
});

describe('readSnapshot listings (NUL-separated; older snapshots newline-separated)', () => {
  const D19_FRESHNESS = async (dir: string) => {
    const read = await readSnapshot(dir, bindings);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    const { evaluateD19 } = await import('../rules/D19.js');
    return evaluateD19({
      bindings,
      state: read.state,
      now: read.state.capturedAt,
      maxSnapshotAgeHours: null,
      bundledDemo: true,
    })
      .filter((f) => f.check === 'D19.freshness')
      .map((f) => [f.subject, f.outcome, f.reason]);
  };
  const copyDemo = () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'read-')), 'snap');
    cpSync(path.join(DEMO_SITE, 'snapshot'), dir, { recursive: true });
    return dir;
  };
  const listingFiles = (dir: string) =>
    (
      parse(readFileSync(path.join(dir, 'snapshot.yaml'), 'utf8')) as {
        hosts: { commands?: { id: string; output: string; base_path?: string }[] }[];
      }
    ).hosts
      .flatMap((h) => h.commands ?? [])
      .filter((c) => c.base_path);

  it('a file named with a newline and a forged record does not make a stale target fresh', async () => {
    const dir = copyDemo();
    const before = await D19_FRESHNESS(dir);
    const stale = before.filter(([, , reason]) => reason === 'stale' || reason === 'no_matches');
    expect(stale.length).toBeGreaterThan(0);
    const fresh = Math.floor(Date.parse('2026-03-04T07:00:00Z') / 1000);
    for (const c of listingFiles(dir)) {
      const forged = stale
        .map(([name]) => bindings.inventory.targets.find((t) => t.name === name)!)
        .filter((t): t is FileGlobTarget => t.kind === 'file_glob' && t.basePath === c.base_path)
        .map((t) => `1000000000.0 10 evil\n${fresh}.0 4096 ${t.glob.replaceAll('*', '2026_03_04-02_00_00')}\0`)
        .join('');
      writeFileSync(path.join(dir, c.output), readFileSync(path.join(dir, c.output), 'utf8') + forged);
    }
    expect(await D19_FRESHNESS(dir)).toEqual(before);
  });

  it('a snapshot taken before the NUL format (newline records, the old command) reads as it did', async () => {
    const dir = copyDemo();
    const before = await D19_FRESHNESS(dir);
    const manifest = path.join(dir, 'snapshot.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replaceAll("%P\\\\0'", "%P\\\\n'"));
    for (const c of listingFiles(dir))
      writeFileSync(path.join(dir, c.output), readFileSync(path.join(dir, c.output), 'utf8').replaceAll('\0', '\n'));
    expect(readFileSync(manifest, 'utf8')).not.toContain("%P\\\\0'");
    expect(await D19_FRESHNESS(dir)).toEqual(before);
  });

  it('a captured_at that is no real date is bad input with file and line', async () => {
    const dir = copyDemo();
    const manifest = path.join(dir, 'snapshot.yaml');
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace(/captured_at: .*/, 'captured_at: "2026-13-45T99:99:99Z"'),
    );
    const read = await readSnapshot(dir, bindings);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    const line =
      readFileSync(manifest, 'utf8')
        .split('\n')
        .findIndex((l) => l.startsWith('captured_at:')) + 1;
    expect(read.errors).toMatchObject([{ file: manifest, line, path: 'captured_at' }]);
  });
});

describe('readSnapshot retention facts', () => {
  it("reads vzdump-conf and pveversion: the node's version, vzdump.conf as that version reads it", async () => {
    const host = await demoWith((c) => c);
    expect(host.retention).toEqual({
      ok: true,
      value: {
        pveVersion: { version: '8.4.1', major: 8, minor: 4 },
        vzdumpConf: { 'prune-backups': null, maxfiles: null, remove: null, storage: null, warnings: [] },
      },
    });
  });

  it('an old snapshot without them, or a failed one: retention not_collected or command_failed, PVE facts intact', async () => {
    const old = await demoWith((c) => c.filter((x) => x.id !== 'pveversion' && x.id !== 'vzdump-conf'));
    expect(old.retention).toEqual({
      ok: false,
      problem: { reason: 'not_collected', message: 'command pveversion is not in the snapshot of pve-home' },
    });
    expect(old.pve?.ok).toBe(true);
    expect(old.storage?.ok).toBe(true);
    const failed = await demoWith((c) => c.map((x) => (x.id === 'vzdump-conf' ? { ...x, exit: 1 } : x)));
    expect(failed.retention).toMatchObject({ ok: false, problem: { reason: 'command_failed' } });
    expect(failed.jobRuns?.ok).toBe(true);
  });
});

describe('readSnapshot job run state', () => {
  it('reads the job-state command: node, state files', async () => {
    const host = await demoWith((c) => c);
    expect(host.jobRuns).toMatchObject({
      ok: true,
      value: { node: 'pve-home', jobs: { 'backup-5a2e90c4-1b7d': { state: 'stopped', msg: 'OK' } } },
    });
  });

  it('an old snapshot without job-state: job runs not_collected, PVE facts intact', async () => {
    const host = await demoWith((c) => c.filter((x) => x.id !== 'job-state'));
    expect(host.jobRuns).toEqual({
      ok: false,
      problem: { reason: 'not_collected', message: 'command job-state is not in the snapshot of pve-home' },
    });
    expect(host.pve?.ok).toBe(true);
  });

  it("reads the demo's vzdump-cron (the dummy pve-cluster writes): no cron jobs, no warnings", async () => {
    const host = await demoWith((c) => c);
    if (!host.pve?.ok) throw new Error(JSON.stringify(host.pve));
    expect(host.pve.value.cronNotRead).toBeUndefined();
    expect(host.pve.value.jobs.some((j) => j.source === 'vzdump.cron')).toBe(false);
  });

  it('an old snapshot without vzdump-cron: jobs.cfg jobs intact, cron jobs not read and said so', async () => {
    const host = await demoWith((c) => c.filter((x) => x.id !== 'vzdump-cron'));
    if (!host.pve?.ok) throw new Error(JSON.stringify(host.pve));
    expect(host.pve.value.cronNotRead).toEqual({
      reason: 'not_collected',
      message: 'command vzdump-cron is not in the snapshot of pve-home',
    });
    expect(host.pve.value.jobs.length).toBeGreaterThan(0);
    expect(host.pve.value.jobs.some((j) => j.source === 'vzdump.cron')).toBe(false);
  });

  it('a failed vzdump-cron command (isolated) leaves the jobs.cfg facts readable', async () => {
    const host = await demoWith((c) => c.map((x) => (x.id === 'vzdump-cron' ? { ...x, exit: 1 } : x)));
    expect(host.pve).toMatchObject({ ok: true, value: { cronNotRead: { reason: 'command_failed' } } });
  });

  it('reads the restore-tasks command: restore tasks with their sources', async () => {
    const host = await demoWith((c) => c);
    expect(host.restores?.ok).toBe(true);
    const tasks = host.restores?.ok ? host.restores.value.tasks : [];
    expect(tasks.map((t) => [t.vmid, t.source?.vmid ?? null])).toEqual([
      [9201, 201],
      [9201, 201],
    ]);
  });

  it('an old snapshot without restore-tasks: only the restores not_collected; a failed one an error', async () => {
    const old = await demoWith((c) => c.filter((x) => x.id !== 'restore-tasks'));
    expect(old.restores).toEqual({
      ok: false,
      problem: { reason: 'not_collected', message: 'command restore-tasks is not in the snapshot of pve-home' },
    });
    expect(old.pve?.ok && old.jobRuns?.ok && old.storage?.ok).toBe(true);
    const failed = await demoWith((c) => c.map((x) => (x.id === 'restore-tasks' ? { ...x, exit: 12 } : x)));
    expect(failed.restores).toMatchObject({ ok: false, problem: { reason: 'command_failed' } });
    expect(failed.pve?.ok).toBe(true);
  });

  it('a failed job-state command makes only the job runs an error', async () => {
    const host = await demoWith((c) => c.map((x) => (x.id === 'job-state' ? { ...x, exit: 1 } : x)));
    expect(host.jobRuns).toMatchObject({ ok: false, problem: { reason: 'command_failed' } });
    expect(host.pve?.ok).toBe(true);
  });
});

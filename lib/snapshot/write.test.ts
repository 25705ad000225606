import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadBindings } from '../bindings/load.js';
import type { Bindings } from '../bindings/types.js';
import type { Collection, CollectedHost } from '../model.js';
import type { HostRecord } from '../model.js';
import { DEMO_SITE, TOOL } from '../package-root.js';
import { probePlan } from './plan.js';
import type { ProbeCommand } from './probe.js';
import { readSnapshot } from './read.js';
import { writeSnapshot } from './write.js';

const DEMO_SNAPSHOT = path.join(DEMO_SITE, 'snapshot');
let bindings: Bindings;

beforeAll(async () => {
  const loaded = await loadBindings(path.join(DEMO_SITE, 'bindings'));
  if (!loaded.ok) throw new Error('the demo bindings do not load');
  bindings = loaded.bindings;
});

interface DemoHost {
  id: string;
  status: string;
  reason?: string;
  message?: string;
  timezone?: string;
  commands?: { id: string; exit: number }[];
}

/** What a live collection of the demo estate would have returned: the probe plan, the demo snapshot's results. */
function demoCollection(): Collection {
  const manifest = parse(readFileSync(path.join(DEMO_SNAPSHOT, 'snapshot.yaml'), 'utf8')) as { hosts: DemoHost[] };
  const hosts: CollectedHost[] = probePlan(bindings).map((plan) => {
    const demo = manifest.hosts.find((h) => h.id === plan.hostId)!;
    if (demo.status === 'error')
      return { id: demo.id, status: 'error', reason: 'connect_timeout', message: demo.message!, commands: [] };
    const run = (cs: readonly ProbeCommand[]) =>
      cs.map((c) => ({
        id: c.id,
        command: c.command,
        exit: demo.commands!.find((x) => x.id === c.id)!.exit,
        stdout: readFileSync(path.join(DEMO_SNAPSHOT, 'hosts', plan.hostId, `${c.id}.out`)),
        ...(c.basePath ? { basePath: c.basePath } : {}),
      }));
    const first = run(plan.commands);
    // The storage commands follow from what the first ones printed (node name, jobs), as in a live run.
    const commands = [
      ...first,
      ...run(plan.followUp?.(new Map(first.map((c) => [c.id, c.stdout.toString('utf8')]))) ?? []),
    ];
    return { id: plan.hostId, status: 'ok', timezone: demo.timezone ?? null, commands };
  });
  return { capturedAt: '2026-03-04T07:30:00Z', hosts, insecureAcceptAnyHostKey: false };
}

const fresh = () => path.join(mkdtempSync(path.join(tmpdir(), 'snap-')), 'out');
const comparable = (h: HostRecord) => ({ ...h, commands: [...h.commands].sort((a, b) => a.id.localeCompare(b.id)) });

describe('writeSnapshot', () => {
  it('writes what readSnapshot reads: the same host state as the bundled demo snapshot', async () => {
    const dir = fresh();
    await writeSnapshot(dir, demoCollection());
    const written = await readSnapshot(dir, bindings);
    const original = await readSnapshot(DEMO_SNAPSHOT, bindings);
    if (!written.ok || !original.ok) throw new Error(JSON.stringify(written));
    expect(written.state.capturedAt).toBe('2026-03-04T07:30:00Z');
    expect(Object.keys(written.state.hosts).sort()).toEqual(Object.keys(original.state.hosts).sort());
    for (const id of Object.keys(original.state.hosts)) {
      expect(comparable(written.state.hosts[id]!)).toEqual(comparable(original.state.hosts[id]!));
    }
    const outputs = (d: Record<string, string>) =>
      Object.fromEntries(Object.entries(d).filter(([f]) => f.startsWith('hosts/')));
    expect(outputs(written.digests)).toEqual(outputs(original.digests));
    const manifest = readFileSync(path.join(dir, 'snapshot.yaml'), 'utf8');
    expect(manifest).toContain(`tool: ${TOOL.name} ${TOOL.version}`);
    expect(manifest).toMatch(/^format: 1\ncaptured_at: /);
  });

  it('keeps stdout byte for byte, records exit 10 listings and failed hosts with their commands', async () => {
    const dir = fresh();
    const bytes = Buffer.from([0xff, 0x00, 0x0a, 0xc3, 0x28, 0x0d, 0x0a]);
    const collection: Collection = {
      capturedAt: '2026-03-04T07:30:00.123Z',
      insecureAcceptAnyHostKey: true,
      hosts: [
        {
          id: 'nas',
          status: 'ok',
          timezone: null,
          commands: [
            { id: 'timezone', command: 'tz', exit: 0, stdout: bytes },
            {
              id: 'listing-0123456789ab',
              command: "[ -d '/gone' ] || exit 10; find …",
              exit: 10,
              stdout: Buffer.alloc(0),
              basePath: '/gone',
            },
          ],
        },
        {
          id: 'pve-home',
          status: 'error',
          reason: 'command_failed',
          message: 'guests exited 2: pvesh: permission denied',
          commands: [
            {
              id: 'guests',
              command: 'pvesh get /cluster/resources --type vm --output-format json',
              exit: 2,
              stdout: Buffer.from(''),
            },
            {
              id: 'scheduler',
              command: 'systemctl is-active pvescheduler || true',
              exit: null,
              stdout: Buffer.from('act'),
            },
          ],
        },
      ],
    };
    await writeSnapshot(dir, collection);
    expect(readFileSync(path.join(dir, 'hosts/nas/timezone.out')).equals(bytes)).toBe(true);
    const read = await readSnapshot(dir, bindings);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    expect(read.state.hosts['nas']!.listings['/gone']).toEqual({ status: 'missing' });
    expect(read.state.hosts['pve-home']).toMatchObject({
      status: 'error',
      problem: { reason: 'command_failed', message: 'guests exited 2: pvesh: permission denied' },
      commands: [
        { id: 'guests', exit: 2, output: 'hosts/pve-home/guests.out' },
        { id: 'scheduler', exit: null },
      ],
    });
  });

  it('records a command stopped for too much output without its output; its facts read as errors output_too_large', async () => {
    const dir = fresh();
    const tooLarge = {
      reason: 'output_too_large',
      message: 'listing-0123456789ab printed more than 67108864 bytes and was stopped',
    };
    const collection: Collection = {
      capturedAt: '2026-03-04T07:30:00Z',
      insecureAcceptAnyHostKey: false,
      hosts: [
        {
          id: 'nas',
          status: 'ok',
          timezone: null,
          commands: [
            {
              id: 'listing-0123456789ab',
              command: "find … -printf '%T@ %s %P\\0'",
              exit: null,
              stdout: Buffer.alloc(0),
              basePath: '/srv',
              problem: tooLarge,
            },
          ],
        },
      ],
    };
    await writeSnapshot(dir, collection);
    expect(existsSync(path.join(dir, 'hosts/nas/listing-0123456789ab.out'))).toBe(false);
    expect(readFileSync(path.join(dir, 'snapshot.yaml'), 'utf8')).toContain('reason: output_too_large');
    const read = await readSnapshot(dir, bindings);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    expect(read.state.hosts['nas']).toMatchObject({
      status: 'ok',
      listings: { '/srv': { status: 'error', ...tooLarge } },
    });
  });

  it('refuses a non-empty folder, and leaves nothing behind when it does', async () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    await expect(writeSnapshot(dir, demoCollection())).rejects.toThrow(/already exists and is not empty/);
    expect(readdirSync(dir)).toEqual(['keep.txt']);
    expect(readdirSync(path.dirname(dir))).toEqual(['out']);
  });

  it('writes into an existing empty folder', async () => {
    const dir = fresh();
    mkdirSync(dir);
    await writeSnapshot(dir, demoCollection());
    expect(readdirSync(dir).sort()).toEqual(['hosts', 'snapshot.yaml']);
    expect(readdirSync(path.dirname(dir))).toEqual(['out']);
  });

  it.each(['../escape', 'a/b', '.hidden', '', '..'])('rejects the host id %j before writing anything', async (id) => {
    const dir = fresh();
    const collection: Collection = {
      capturedAt: '2026-03-04T07:30:00Z',
      insecureAcceptAnyHostKey: false,
      hosts: [{ id, status: 'ok', timezone: null, commands: [] }],
    };
    await expect(writeSnapshot(dir, collection)).rejects.toThrow(/host id must not/);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(path.dirname(dir))).toEqual([]);
  });

  it('rejects a command id that is no safe file name', async () => {
    const collection: Collection = {
      capturedAt: '2026-03-04T07:30:00Z',
      insecureAcceptAnyHostKey: false,
      hosts: [
        {
          id: 'nas',
          status: 'ok',
          timezone: null,
          commands: [{ id: '../x', command: 'true', exit: 0, stdout: Buffer.alloc(0) }],
        },
      ],
    };
    await expect(writeSnapshot(fresh(), collection)).rejects.toThrow(/bad or repeated command id/);
  });
});

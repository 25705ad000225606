// Sharded collection: which hosts each shard reads (shardHosts), and `ops merge` joining shard
// snapshots into one that judges exactly like the unsharded snapshot. The shards here are the demo
// snapshot split the way `ops snapshot --shard i/n` would split the collection.

import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadBindings } from '../bindings/load.js';
import type { Bindings } from '../bindings/types.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { mergeSnapshots, MergeError } from './merge.js';
import { probePlan } from './plan.js';
import { readSnapshot } from './read.js';
import { parseShard, shardHosts } from './shard.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');

async function demoBindings(): Promise<Bindings> {
  const loaded = await loadBindings(path.join(DEMO, 'bindings'));
  if (!loaded.ok) throw new Error('the demo bindings do not load');
  return loaded.bindings;
}

interface ManifestHost {
  id: string;
  commands?: Array<{ output: string | null }>;
}

/** The demo snapshot as shard `index` of `count` would have recorded it (the calendar with its host, nas). */
function demoShard(bindings: Bindings, index: number, count: number, root: string): string {
  const manifest = parse(readFileSync(path.join(DEMO, 'snapshot', 'snapshot.yaml'), 'utf8')) as {
    hosts: ManifestHost[];
    calendar?: { via: string };
  };
  const mine = new Set(shardHosts(bindings, { index, count }));
  const dir = path.join(root, `shard-${index}`);
  mkdirSync(dir, { recursive: true });
  const hosts = manifest.hosts.filter((h) => mine.has(h.id));
  for (const h of hosts)
    if (h.commands?.length)
      cpSync(path.join(DEMO, 'snapshot', 'hosts', h.id), path.join(dir, 'hosts', h.id), { recursive: true });
  const calendar = manifest.calendar && mine.has(manifest.calendar.via) ? manifest.calendar : undefined;
  if (calendar) cpSync(path.join(DEMO, 'snapshot', 'calendar'), path.join(dir, 'calendar'), { recursive: true });
  writeFileSync(path.join(dir, 'snapshot.yaml'), stringify({ ...manifest, hosts, calendar }));
  return dir;
}

function ops(args: string[], cwd: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [OPS, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout) =>
      resolve({ code: error ? Number(error.code) : 0, stdout }),
    );
  });
}

describe('shards', () => {
  it('parse i/n with 1 ≤ i ≤ n only', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1', '1/0', 'a/b', '1/3/5', ' 1/3']) expect(parseShard(bad), bad).toBeNull();
  });

  it('put every host the collection needs (the calendar host too) in exactly one shard, the same split on every runner', async () => {
    const bindings = await demoBindings();
    const all = [...new Set([...probePlan(bindings).map((p) => p.hostId), 'nas'])].sort();
    for (const count of [1, 2, 3, all.length, all.length + 2]) {
      const shards = Array.from({ length: count }, (_, i) => shardHosts(bindings, { index: i + 1, count }));
      expect(shards.flat().sort(), `${count} shards`).toEqual(all);
      expect(
        shards.map((s) => s.length).every((n) => Math.abs(n - all.length / count) < 1),
        `${count} shards are balanced`,
      ).toBe(true);
    }
    expect(shardHosts(bindings, { index: 1, count: 2 })).toEqual(shardHosts(bindings, { index: 1, count: 2 }));
  });
});

describe('ops merge', () => {
  it('joins shard snapshots into one that reads back exactly like the unsharded snapshot, outputs byte for byte', async () => {
    const bindings = await demoBindings();
    const root = mkdtempSync(path.join(tmpdir(), 'merge-'));
    const shards = [1, 2, 3].map((i) => demoShard(bindings, i, 3, root));
    const merged = await mergeSnapshots(shards, path.join(root, 'merged'));
    expect(merged.hosts.sort()).toEqual(['git-vm', 'nas', 'pve-home', 'pve-shop']);
    expect(merged.calendarFrom).toMatch(/shard-\d$/);
    const original = await readSnapshot(path.join(DEMO, 'snapshot'), bindings);
    const joined = await readSnapshot(path.join(root, 'merged'), bindings);
    if (!original.ok || !joined.ok) throw new Error('a snapshot did not read');
    expect({ ...joined.state, origin: '' }).toEqual({ ...original.state, origin: '' });
    // Every output file has the same bytes (the manifest itself is rewritten).
    const { 'snapshot.yaml': _a, ...before } = original.digests;
    const { 'snapshot.yaml': _b, ...after } = joined.digests;
    expect(after).toEqual(before);
  });

  it('takes the earliest captured_at, and refuses a host or a calendar in two shards, a broken shard, a non-empty target', async () => {
    const bindings = await demoBindings();
    const root = mkdtempSync(path.join(tmpdir(), 'merge-'));
    const [one, two] = [1, 2].map((i) => demoShard(bindings, i, 2, root));
    const manifest = path.join(two!, 'snapshot.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('2026-03-04T07:30:00Z', '2026-03-04T07:29:10.5Z'));
    expect((await mergeSnapshots([one!, two!], path.join(root, 'm1'))).capturedAt).toBe('2026-03-04T07:29:10.5Z');

    const twice = demoShard(bindings, 1, 1, path.join(root, 'all'));
    await expect(mergeSnapshots([twice, one!], path.join(root, 'm2'))).rejects.toThrow(
      /^host \S+ is in both .*all\/shard-1 and .*shard-1: shards of one collection never share a host$/,
    );
    writeFileSync(manifest, 'format: 2\n');
    await expect(mergeSnapshots([one!, two!], path.join(root, 'm3'))).rejects.toThrow(MergeError);
    await expect(mergeSnapshots([one!, two!], path.join(root, 'm3'))).rejects.toThrow(
      /shard-2\/snapshot\.yaml:1:9: format: expected exactly 1, found 2/,
    );
    await expect(mergeSnapshots([one!], path.join(root, 'm1'))).rejects.toThrow(/already exists and is not empty/);
  });

  it('a shard whose captured_at is no real date is bad input (file:line), never the "earliest"', async () => {
    const bindings = await demoBindings();
    const root = mkdtempSync(path.join(tmpdir(), 'merge-date-'));
    const [one, two] = [1, 2].map((i) => demoShard(bindings, i, 2, root));
    const manifest = path.join(two!, 'snapshot.yaml');
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8').replace(/captured_at: .*/, 'captured_at: "2026-13-45T99:99:99Z"'),
    );
    await expect(mergeSnapshots([one!, two!], path.join(root, 'merged'))).rejects.toThrow(
      /shard-2\/snapshot\.yaml:\d+:\d+: captured_at: expected a real UTC time/,
    );
  });

  it('on the command line: judged like the unsharded snapshot, exit 0; bad input exit 2', async () => {
    const bindings = await demoBindings();
    const root = mkdtempSync(path.join(tmpdir(), 'merge-cli-'));
    const shards = [1, 2].map((i) => demoShard(bindings, i, 2, root));
    const run = await ops(['merge', '--out', 'merged', ...shards], root);
    expect(run.stdout).toMatch(
      /^OK: merged 2 snapshots, 4 hosts \(.+\), the calendar from .+, captured_at 2026-03-04T07:30:00Z \(the earliest\); snapshot .+merged\n$/,
    );
    expect(run.code).toBe(0);
    const judge = async (snapshot: string) => {
      const r = await ops(
        [
          'verify',
          '--json',
          '--bindings',
          path.join(DEMO, 'bindings'),
          '--snapshot',
          snapshot,
          '--max-snapshot-age',
          '0',
        ],
        root,
      );
      const json = JSON.parse(r.stdout);
      return { code: r.code, summary: json.summary, gates: json.gates };
    };
    expect(await judge(path.join(root, 'merged'))).toEqual(await judge(path.join(DEMO, 'snapshot')));
    const again = await ops(['merge', '--out', 'merged', ...shards], root);
    expect(again.code).toBe(2);
    expect(again.stdout).toContain('input error');
    expect((await ops(['merge', ...shards], root)).code).toBe(2);
  });
});

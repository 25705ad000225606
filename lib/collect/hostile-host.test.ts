// Hosts whose data is hostile or broken, collected live from real sshd fake hosts on 127.0.0.1
// (lib/collect/testing/fake-host.ts) and judged as `ops verify --live` judges them: a file name that
// forges a listing record, a command printing 150 MB. One bad fact costs one finding, never the run.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBindings } from '../bindings/load.js';
import type { Finding } from '../model.js';
import { evaluateD19 } from '../rules/D19.js';
import { OUTPUT_CAPS } from '../snapshot/probe.js';
import { readSnapshot } from '../snapshot/read.js';
import { skipNamed } from '../testing/skip.js';
import { writeSnapshot } from '../snapshot/write.js';
import { collect } from './collect.js';
import {
  fakeHostsUnavailable,
  generateClientKey,
  startFakeHost,
  writeBindings,
  type FakeHost,
} from './testing/fake-host.js';
import type { Collection } from '../model.js';

const NOW = Math.floor(Date.now() / 1000);
const ago = (hours: number) => NOW - Math.round(hours * 3600);
const archive = (vmid: number, epoch: number) =>
  `vzdump-qemu-${vmid}-${new Date(epoch * 1000).toISOString().slice(0, 19).replace(/-/g, '_').replace('T', '-').replace(/:/g, '_')}.vma.zst`;
const DUMP = '/var/lib/vz/dump';
const HUGE = 150 * 1024 * 1024;

const unavailable = fakeHostsUnavailable();
describe.skipIf(unavailable !== null)(skipNamed('hostile hosts, live', unavailable), () => {
  let work: string;
  let hosts: FakeHost[] = [];
  let collection: Collection;
  let findings: Finding[];
  let peakRssGrowth = 0;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'hostile-'));
    const key = await generateClientKey(work);
    const standIns = (pvesh: string) => ({
      pvesh,
      systemctl: 'echo active',
      timedatectl: 'echo UTC',
    });
    // pve-forged: 102's newest archive is 50 h old; a file whose name holds a newline and a forged
    // record names a fresh 102 archive. pve-loud: pvesh prints one 150 MB line.
    const forgedName = `note\n${NOW - 60}.0000000000 4096 ${archive(102, NOW - 600)}`;
    hosts = await Promise.all([
      startFakeHost({
        id: 'pve-forged',
        authorizedKeys: [key.publicKeyLine],
        commands: standIns('echo "[]"'),
        files: {
          '/etc/pve/jobs.cfg': '',
          [`${DUMP}/${archive(101, ago(2))}`]: { content: 'z', mtime: ago(2) },
          [`${DUMP}/${archive(102, ago(50))}`]: { content: 'z', mtime: ago(50) },
          [`${DUMP}/${forgedName}`]: { content: 'x', mtime: ago(80) },
        },
      }),
      startFakeHost({
        id: 'pve-loud',
        authorizedKeys: [key.publicKeyLine],
        commands: standIns(`head -c ${HUGE} /dev/zero | tr '\\0' a`),
        files: { '/etc/pve/jobs.cfg': '', [`${DUMP}/${archive(201, ago(3))}`]: { content: 'z', mtime: ago(3) } },
      }),
    ]);
    const dir = await writeBindings(path.join(work, 'bindings'), {
      hosts: hosts.map((h) => ({ id: h.id, port: h.port })),
      targets: [
        { name: 'vm-101', host: 'pve-forged', basePath: DUMP, glob: 'vzdump-qemu-101-*.vma.zst' },
        { name: 'vm-102', host: 'pve-forged', basePath: DUMP, glob: 'vzdump-qemu-102-*.vma.zst' },
        { name: 'vm-201', host: 'pve-loud', basePath: DUMP, glob: 'vzdump-qemu-201-*.vma.zst' },
      ],
      guests: [],
      pveHosts: ['pve-forged', 'pve-loud'],
    });
    const loaded = await loadBindings(dir);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const knownHosts = path.join(work, 'known_hosts');
    writeFileSync(knownHosts, hosts.map((h) => `${h.knownHostsLine()}\n`).join(''));
    const base = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRssGrowth = Math.max(peakRssGrowth, process.memoryUsage().rss - base);
    }, 20);
    try {
      collection = await collect(loaded.bindings, {
        knownHostsFile: knownHosts,
        insecureAcceptAnyHostKey: false,
        identityFiles: [key.privateKeyPath],
        sshConfigFile: null,
        concurrency: 4,
        connectTimeoutMs: 5000,
        commandTimeoutMs: 60_000,
        hostBudgetMs: 120_000,
        onlyHosts: null,
      });
    } finally {
      clearInterval(sampler);
    }
    const snapshot = path.join(work, 'snapshot');
    await writeSnapshot(snapshot, collection);
    const read = await readSnapshot(snapshot, loaded.bindings);
    if (!read.ok) throw new Error(JSON.stringify(read.errors));
    findings = evaluateD19({
      bindings: loaded.bindings,
      state: read.state,
      now: read.state.capturedAt,
      maxSnapshotAgeHours: null,
      bundledDemo: false,
    });
  }, 180_000);
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
  });

  const finding = (check: string, subject: string) => findings.find((f) => f.check === check && f.subject === subject)!;

  it('a file name with a newline and a forged record does not make a stale target fresh', () => {
    expect(finding('D19.freshness', 'vm-102')).toMatchObject({ outcome: 'fail', reason: 'stale' });
    expect(finding('D19.freshness', 'vm-101')).toMatchObject({ outcome: 'pass' });
  });

  it('a command printing 150 MB: that fact errors output_too_large, the host and every other host are judged', () => {
    const loud = collection.hosts.find((h) => h.id === 'pve-loud')!;
    expect(loud.status).toBe('ok');
    const guests = loud.commands.find((c) => c.id === 'guests')!;
    expect(guests.problem).toEqual({
      reason: 'output_too_large',
      message: `guests printed more than ${OUTPUT_CAPS.other} bytes and was stopped`,
    });
    expect(guests.stdout.length).toBe(0);
    // The loud host: its PVE facts (one group with `guests`) are one error each, its listing is judged.
    expect(
      findings.filter((f) => f.host === 'pve-loud').map((f) => `${f.check} ${f.subject} ${f.outcome} ${f.reason}`),
    ).toEqual([
      'D19.freshness vm-201 pass null',
      ...[
        'D19.guest-covered pve-loud',
        'D19.target-enrolled vm-201',
        'D19.job-guest-active pve-loud',
        'D19.scheduler pve-loud',
        'D19.job-valid pve-loud',
        'D19.job-run pve-loud',
        'D19.storage pve-loud',
      ].map((s) => `${s} error output_too_large`),
      'D19.retention vm-201 error guest_not_found',
      'D19.restore-drill vm-201 fail no_recent_drill',
      'D19.size vm-201 skip short_history',
    ]);
    expect(findings.find((f) => f.check === 'D19.guest-covered' && f.host === 'pve-loud')).toMatchObject({
      outcome: 'error',
      reason: 'output_too_large',
    });
    expect(finding('D19.freshness', 'vm-201')).toMatchObject({ outcome: 'pass' });
    expect(findings.find((f) => f.check === 'D19.scheduler' && f.host === 'pve-forged')).toMatchObject({
      outcome: 'pass',
    });
  });

  it('reads no more than the cap into memory', () => {
    expect(peakRssGrowth).toBeLessThan(100 * 1024 * 1024);
  });
});

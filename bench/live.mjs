// Live collection timing: `ops verify --live` on 1, 4 and 16 fake PVE hosts (real sshd on 127.0.0.1,
// see lib/collect/testing/fake-host.ts) beside the floor of the same number of plain `ssh host true`
// in parallel. Median of 5 runs each; prints a table and writes reports/bench-live.json.
// Needs root, sshd and a build (`npm run build`). Usage: node bench/live.mjs [hostCounts…]

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { fakeHostsUnavailable, generateClientKey, startFakeHost, writeBindings } = await import(path.join(root, 'dist/lib/collect/testing/fake-host.js'));
const run = promisify(execFile);
const RUNS = 5;
const ARCHIVES_PER_GUEST = 3;
const GUESTS_PER_HOST = 10;

const why = fakeHostsUnavailable();
if (why) { console.error(`bench/live: ${why}`); process.exit(2); }

const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
const work = mkdtempSync(path.join(tmpdir(), 'bench-live-'));
const key = await generateClientKey(work);
const now = Math.floor(Date.now() / 1000);

// VMIDs are unique across the estate (vm.lifecycle.yaml is keyed by them): host k owns (k+1)00…
const vmidsOf = (k) => Array.from({ length: GUESTS_PER_HOST }, (_, i) => 100 * (k + 1) + i);

function hostSpec(k) {
  const id = `pve-${k + 1}`;
  const guests = vmidsOf(k);
  const files = {
    '/etc/pve/jobs.cfg': `vzdump: backup-${id}\n\tschedule 02:00\n\tenabled 1\n\tvmid ${guests.join(',')}\n\tstorage backup\n\n`,
    '/var/lib/fake-pve/resources.json': JSON.stringify(guests.map((vmid) => ({ id: `qemu/${vmid}`, vmid, node: id, type: 'qemu', status: 'running', name: `g${vmid}`, template: 0 }))),
  };
  for (const vmid of guests) {
    for (let k = 0; k < ARCHIVES_PER_GUEST; k++) {
      const mtime = now - (2 + 24 * k) * 3600;
      files[`/srv/dump/vzdump-qemu-${vmid}-2026_01_0${k + 1}-02_00_00.vma.zst`] = { content: 'z', mtime };
      files[`/srv/dump/vzdump-qemu-${vmid}-2026_01_0${k + 1}-02_00_00.log`] = { content: 'ok', mtime };
    }
  }
  return {
    id, authorizedKeys: [key.publicKeyLine], files,
    commands: {
      pvesh: 'exec cat /var/lib/fake-pve/resources.json',
      systemctl: 'echo active',
      timedatectl: 'echo Europe/Berlin',
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const rows = [];
for (const n of counts.length ? counts : [1, 4, 16]) {
  const hosts = await Promise.all(Array.from({ length: n }, (_, i) => startFakeHost(hostSpec(i))));
  try {
    const dir = path.join(work, `estate-${n}`);
    const bindings = await writeBindings(path.join(dir, 'bindings'), {
      hosts: hosts.map((h) => ({ id: h.id, port: h.port })),
      targets: hosts.flatMap((h, k) => vmidsOf(k).map((vmid) => ({
        name: `vm-${vmid}-primary`, host: h.id, basePath: '/srv/dump', glob: `vzdump-qemu-${vmid}-*.vma.zst`,
      }))),
      guests: hosts.flatMap((h, k) => vmidsOf(k).map((vmid) => ({ id: vmid, hostname: `g${vmid}`, proxmoxHost: h.id }))),
    });
    const knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${hosts.map((h) => h.knownHostsLine()).join('\n')}\n`);
    const verify = () => run(process.execPath, [path.join(root, 'dist/lib/cli/ops.js'), 'verify', '--live', '--gate', 'D19', '--bindings', bindings,
      '--known-hosts', knownHosts, '--identity', key.privateKeyPath, '--reports', path.join(dir, 'reports'), '--json'],
    { env: { ...process.env, HOME: dir } }).catch((e) => { if (e.code !== 0 && e.code !== 1) throw new Error(`ops verify --live exited ${e.code}: ${e.stderr}`); });
    const sshTrue = () => Promise.all(hosts.map((h) => run('ssh', ['-q', '-i', key.privateKeyPath, '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes', '-p', String(h.port), 'root@127.0.0.1', 'true'])));
    await verify(); await sshTrue(); // warm-up
    const ours = []; const floor = [];
    for (let r = 0; r < RUNS; r++) { ours.push(await timed(verify)); floor.push(await timed(sshTrue)); }
    rows.push({ hosts: n, targets: n * GUESTS_PER_HOST, verifyLiveMs: Math.round(median(ours)), sshTrueMs: Math.round(median(floor)) });
  } finally {
    await Promise.all(hosts.map((h) => h.stop()));
  }
}
rmSync(work, { recursive: true, force: true });

console.log('hosts  targets  ops verify --live (ms)  parallel `ssh host true` (ms)  ratio');
for (const r of rows) console.log(`${String(r.hosts).padStart(5)}  ${String(r.targets).padStart(7)}  ${String(r.verifyLiveMs).padStart(22)}  ${String(r.sshTrueMs).padStart(29)}  ${(r.verifyLiveMs / r.sshTrueMs).toFixed(2)}`);
mkdirSync(path.join(root, 'reports'), { recursive: true });
writeFileSync(path.join(root, 'reports', 'bench-live.json'), `${JSON.stringify({ runs: RUNS, medianOf: RUNS, rows }, null, 2)}\n`);

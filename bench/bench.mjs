// `npm run bench`: how fast `ops verify` is at homelab and at estate scale, against the floor and
// against what operators use today. Prints one table (median of RUNS runs after one warm-up, with
// the spread) and writes it as JSON to reports/bench/<stamp>.json.
//
//   1. demo      `ops verify` on the bundled demo site: whole process, wall time and peak RSS.
//   2. large     `ops verify --snapshot` on a generated estate (5,000 guests on 10 PVE hosts, 200 jobs,
//                2,000 targets, 100,000 archives in one dump folder on a storage host), and on half of
//                it: whole process wall and peak RSS, and the receipt's split (load, read, gates).
//   3. live      `ops verify --live` on 1, 4, 16 and 32 fake PVE hosts (real sshd on 127.0.0.1, see
//                lib/collect/testing/fake-host.ts; 50 guests, 2,000 archives and 50 targets each),
//                beside two references measured in the same rounds:
//                  floor  one ssh2 connection + one `true` exec per host, all hosts in parallel, in
//                         this process (no process start, no imports);
//                  old    today's practice: one `ssh` process per inventory target, one after the
//                         other, as the operator's old backup-status script did. It is a sum of
//                         independent ssh runs, so it is timed on an even sample of OLD_SAMPLE
//                         targets and scaled to all targets (`--old-full` times every target).
//
// Peak RSS is GNU time's %M (max resident set of the `ops` process and its threads; vitest's
// worker is a thread of it). Wall time is measured here around the child process.
// Needs `npm run build` (npm run bench does it); the live part needs root, sshd and unshare
// (it is skipped, with the reason, when fake hosts cannot run).
// Usage: node bench/bench.mjs [--runs N] [--only demo,large,live] [--hosts 1,4,16,32] [--old-full]
//                             [--budget-s S]
//        node bench/bench.mjs --write-large DIR   (only writes DIR/{half,full,full+pbs}/{bindings,snapshot}, for profiling)
//        node bench/bench.mjs --rules-only BINDINGS --rules-only SNAPSHOT   (load, read and every gate's rule
//                             function in this process, no vitest, no reports: prints JSON timings)
// Every process it starts is stopped, also on Ctrl-C and when the time budget (default 600 s) runs out.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const OPS = path.join(ROOT, 'dist', 'lib', 'cli', 'ops.js');
const TIME = '/usr/bin/time';
const dist = (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string', default: 'demo,large,live' },
    hosts: { type: 'string', default: '1,4,16,32' },
    'old-full': { type: 'boolean', default: false },
    'budget-s': { type: 'string', default: '600' },
    'write-large': { type: 'string' },
    'rules-only': { type: 'string', multiple: true },
  },
});
const RUNS = Math.max(1, Number(args.runs));
const ONLY = new Set(args.only.split(','));
const HOST_COUNTS = args.hosts
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const OLD_SAMPLE = 20;
const GOALS = { demoMs: 1000, demoMB: 250, largeMs: 2000, largeMB: 400, liveVsFloor: 1.5, oldVsOurs16: 10 };

if (!existsSync(OPS)) {
  console.error(`bench: ${OPS} is missing: run \`npm run build\` first`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: every child is tracked and killed on exit, Ctrl-C and budget expiry.

// Each child leads its own process group (GNU time and its `ops`, a shell and its ssh), killed whole.
const children = new Set();
const killGroup = (c) => {
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
};
const cleanups = [];
let work = null;
async function cleanup() {
  for (const c of children) killGroup(c);
  for (const f of cleanups.splice(0)) await f().catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
  work = null;
}
const budgetMs = Number(args['budget-s']) * 1000;
// On overrun: stop everything, then print and write what was measured so far (marked incomplete).
let onBudget = async () => {};
const budget = setTimeout(async () => {
  console.error(`bench: the time budget of ${budgetMs / 1000} s ran out; stopping everything`);
  await cleanup();
  await onBudget();
  process.exit(3);
}, budgetMs);
budget.unref();
for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, async () => {
    await cleanup();
    process.exit(130);
  });
process.on('exit', () => {
  for (const c of children) killGroup(c);
});

/**
 * Runs a command, optionally under GNU time; resolves with wall ms, peak RSS (KB, when timed) and exit code.
 * stdout is discarded unless `capture` (then returned).
 */
function run(cmd, argv, { env, cwd, timeoutMs = 180_000, rss = false, capture = false } = {}) {
  const rssFile = rss ? path.join(work, `time-${process.hrtime.bigint()}.txt`) : null;
  const [bin, full] = rss && existsSync(TIME) ? [TIME, ['-f', '%e %M', '-o', rssFile, cmd, ...argv]] : [cmd, argv];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, full, {
      env: env ?? process.env,
      cwd: cwd ?? work,
      stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'],
      detached: true,
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      if (err.length < 20_000) err += d;
    });
    const timer = setTimeout(() => killGroup(child), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - t0;
      clearTimeout(timer);
      children.delete(child);
      if (signal)
        return reject(
          new Error(`${cmd} ${argv.slice(0, 3).join(' ')}… killed by ${signal} (timeout ${timeoutMs} ms?)\n${err}`),
        );
      let rssKB = null;
      if (rssFile && existsSync(rssFile)) {
        rssKB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1).split(' ')[1]);
        rmSync(rssFile, { force: true });
      }
      resolve({ wallMs, rssKB, code, stdout: out, stderr: err });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
function stat(xs) {
  const m = median(xs);
  return {
    median: Math.round(m),
    min: Math.round(Math.min(...xs)),
    max: Math.round(Math.max(...xs)),
    spreadPct: Math.round(((Math.max(...xs) - Math.min(...xs)) / m) * 100),
    runs: xs.map(Math.round),
  };
}
/** Runs `fns` (name → async () => sample) round-robin: one warm-up round, then RUNS measured rounds. */
async function rounds(fns, runs = RUNS) {
  const samples = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = -1; r < runs; r++) {
    for (const [name, fn] of Object.entries(fns)) {
      const s = await fn(r < 0);
      if (r >= 0) samples[name].push(s);
    }
  }
  return samples;
}
const pick = (samples, key) => samples.map((s) => s[key]);

// ---------------------------------------------------------------------------------------------
// 1. The demo site

async function benchDemo() {
  const reports = path.join(work, 'demo-reports');
  const once = async () => {
    const r = await run(process.execPath, [OPS, 'verify', '--reports', reports], {
      rss: true,
      env: { ...process.env, NO_COLOR: '1' },
    });
    if (r.code !== 2) throw new Error(`demo: ops verify exited ${r.code} (the demo exits 2):\n${r.stderr}`);
    return { wallMs: r.wallMs, rssMB: r.rssKB / 1024, timings: lastReceipt(reports).timingsMs };
  };
  const { demo } = await rounds({ demo: once });
  return { wallMs: stat(pick(demo, 'wallMs')), rssMB: stat(pick(demo, 'rssMB')), timingsMs: medianTimings(demo) };
}

/** The newest receipt under a reports folder (run keys sort by time). */
function lastReceipt(reports) {
  const dir = path.join(reports, 'receipts');
  const key = readdirSync(dir).sort().at(-1);
  return JSON.parse(readFileSync(path.join(dir, key, 'receipt.json'), 'utf8'));
}
function medianTimings(samples) {
  const keys = Object.keys(samples[0].timings);
  return Object.fromEntries(keys.map((k) => [k, Math.round(median(samples.map((s) => s.timings[k] ?? 0)))]));
}

// ---------------------------------------------------------------------------------------------
// 2. A large estate as a snapshot

const CAPTURED_AT = '2026-03-04T07:30:00Z';
const CAPTURED = Date.parse(CAPTURED_AT) / 1000;
const day = (epoch) => new Date(epoch * 1000).toISOString().slice(0, 10).replace(/-/g, '_');

/**
 * An MSP-sized estate: `pveHosts` hosts with `guestsPerHost` guests each, `jobsPerHost` vmid-list
 * jobs per host, `archivesPerGuest` archives per guest in one NFS dump folder on `nas`, and one
 * inventory target (on nas) for each of the first `targetsPerHost` guests of each host. Realistic
 * drift: 1 guest in 100 in no job, one destroyed VMID left in a job per host, 1 target in 50 stale.
 * Every PVE host reports its storages (the jobs write to the NFS storage `nfs-backup`, whose content
 * list is left empty here: its archives are judged through the nas listing). With `pbsTargets`, pve-1
 * also has a PBS storage `pbs-bench` whose content list holds every guest of the estate (3 snapshots
 * each, as a datastore shared by all hosts lists them; 1 in 100 newest failed its verify), and that
 * many pve_storage targets on it.
 */
function largeEstate({
  pveHosts = 10,
  guestsPerHost,
  jobsPerHost,
  archivesPerGuest = 20,
  targetsPerHost,
  pbsTargets = 0,
}) {
  const hosts = Array.from({ length: pveHosts }, (_, k) => {
    const id = `pve-${k + 1}`;
    const vmids = Array.from({ length: guestsPerHost }, (_, i) => 1000 * (k + 1) + i);
    return { id, vmids };
  });
  const perJob = Math.ceil(guestsPerHost / jobsPerHost);
  const dump = '/mnt/pve/backup/dump';
  const stale = (i) => i % 50 === 3;
  const unenrolled = (i) => i % 100 === 7;
  const targets = hosts.flatMap((h) =>
    h.vmids.slice(0, targetsPerHost).map((vmid) => ({
      name: `vm-${vmid}-g${vmid}`,
      enabled: true,
      kind: 'file_glob',
      host: 'nas',
      base_path: dump,
      glob: `vzdump-qemu-${vmid}-*.vma.zst`,
      stale_after_hours: 26,
      classification: 'important',
      description: `daily vzdump of g${vmid}`,
    })),
  );
  targets.push(
    ...hosts[0].vmids.slice(0, pbsTargets).map((vmid) => ({
      name: `vm-${vmid}-pbs`,
      enabled: true,
      kind: 'pve_storage',
      host: hosts[0].id,
      storage: 'pbs-bench',
      vmid,
      stale_after_hours: 26,
      classification: 'critical',
      description: `g${vmid} on the PBS`,
    })),
  );
  const bindings = {
    'ssh.targets.yaml': {
      ssh: {
        defaults: { user: 'root', port: 22 },
        targets: [
          ...hosts.map((h) => ({ id: h.id, host: `10.0.0.${hosts.indexOf(h) + 1}` })),
          { id: 'nas', host: '10.0.0.200' },
          ...hosts.flatMap((h) =>
            h.vmids.map((vmid) => ({ id: `g${vmid}`, host: `10.${(vmid >> 8) & 255}.${vmid & 255}.1`, user: 'admin' })),
          ),
        ],
      },
    },
    'backup.inventory.yaml': { version: 1, defaults: { timezone: 'Europe/Berlin', stale_after_hours: 26 }, targets },
    'vm.lifecycle.yaml': {
      version: 1,
      vms: hosts.flatMap((h) =>
        h.vmids.map((vmid, i) => ({
          id: vmid,
          hostname: `g${vmid}`,
          proxmox_host: h.id,
          status: 'active',
          backup_target: i < targetsPerHost ? `vm-${vmid}-g${vmid}` : null,
        })),
      ),
    },
    'backup.calendar.yaml': {
      version: 1,
      timezone: 'Europe/Berlin',
      events: [
        {
          id: 'vzdump-daily',
          summary: 'vzdump, every PVE host',
          freq: 'DAILY',
          byhour: 2,
          byminute: 0,
          duration_minutes: 120,
        },
      ],
    },
    'drift.gates.yaml': {
      version: 1,
      pve_hosts: hosts.map((h) => h.id),
      d69: { storage_hosts: Object.fromEntries(hosts.map((h) => [h.id, 'nas'])) },
    },
  };
  const outputs = new Map(); // host id → command id → {stdout, exit}
  for (const h of hosts) {
    const jobs = [];
    for (let j = 0; j < jobsPerHost; j++) {
      const list = h.vmids.slice(j * perJob, (j + 1) * perJob).filter((_, x) => !unenrolled(j * perJob + x));
      if (j === 0) list.push(1000 * (hosts.indexOf(h) + 1) + 999); // destroyed long ago, still listed
      jobs.push(
        `vzdump: backup-${h.id}-${j}\n\tschedule 02:00\n\tcompress zstd\n\tenabled 1\n\tmode snapshot\n\tprune-backups keep-last=${archivesPerGuest}\n\tstorage nfs-backup\n\tvmid ${list.join(',')}\n`,
      );
    }
    const guests = h.vmids.map((vmid) => ({
      id: `qemu/${vmid}`,
      maxcpu: 2,
      maxmem: 4294967296,
      name: `g${vmid}`,
      node: h.id,
      status: 'running',
      template: 0,
      type: 'qemu',
      uptime: 86400,
      vmid,
    }));
    const pbs = pbsTargets > 0 && h === hosts[0];
    const storageStatus = (id, type, used) => ({
      storage: id,
      type,
      enabled: 1,
      active: 1,
      shared: 1,
      content: 'backup',
      total: 2 ** 44,
      used: used * 2 ** 44,
      avail: (1 - used) * 2 ** 44,
    });
    outputs.set(h.id, {
      timezone: 'Europe/Berlin\n',
      'jobs-cfg': jobs.join('\n'),
      'user-cfg': 'user:root@pam:1:0:::root@example.com:::\n',
      guests: JSON.stringify(guests),
      scheduler: 'active\n',
      postconf: { stdout: '', exit: 11 },
      'postfix-files': '',
      postqueue: { stdout: '', exit: 11 },
      'notifications-cfg': '',
      'datacenter-cfg': '',
      // No legacy cron jobs; every job ran OK at 02:00 Berlin (01:00 UTC) on the capture day (D19.job-run passes).
      'vzdump-cron': '',
      'job-state': `node ${h.id}\n${jobs.map((_, j) => `state vzdump-backup-${h.id}-${j}.json ${JSON.stringify({ state: 'stopped', msg: 'OK', updated: CAPTURED - 6.5 * 3600 })}\n`).join('')}`,
      hostname: `${h.id}\n`,
      'storage-cfg': `nfs: nfs-backup\n\tpath /mnt/pve/backup\n\tserver 10.0.0.200\n\texport /backup\n\tcontent backup\n${pbs ? '\npbs: pbs-bench\n\tdatastore main\n\tserver 10.0.0.201\n\tcontent backup\n' : ''}`,
      'storage-status': JSON.stringify([
        storageStatus('nfs-backup', 'nfs', 0.5),
        ...(pbs ? [storageStatus('pbs-bench', 'pbs', 0.6)] : []),
      ]),
      [contentId('nfs-backup')]: '[]',
      ...(pbs ? { [contentId('pbs-bench')]: pbsContent(hosts.flatMap((x) => x.vmids)) } : {}),
    });
  }
  const lines = [];
  for (const h of hosts) {
    h.vmids.forEach((vmid, i) => {
      const newest = CAPTURED - (stale(i) ? 60 : 5.5) * 3600;
      for (let a = 0; a < archivesPerGuest; a++) {
        const mtime = newest - a * 86400;
        lines.push(`${mtime}.2758811250 ${1_000_000 + vmid} vzdump-qemu-${vmid}-${day(mtime)}-02_00_00.vma.zst`);
      }
    });
  }
  // NUL-terminated records, as the listing probe prints them (lib/pve/listing.ts).
  outputs.set('nas', { timezone: 'Europe/Berlin\n', listing: lines.map((l) => `${l}\0`).join('') });
  return {
    bindings,
    outputs,
    shape: {
      guests: pveHosts * guestsPerHost,
      jobs: pveHosts * jobsPerHost,
      archives: lines.length,
      targets: targets.length,
    },
  };
}

/** The probe's command id of a storage's content listing (lib/snapshot/probe.ts storageCommands). */
const contentId = (storage) => `storage-content-${Buffer.from(storage).toString('hex')}`;

/** A PBS content list as `pvesh … /content` prints it (PBSPlugin.pm list_volumes): 3 nightly snapshots per guest. */
function pbsContent(vmids) {
  const upid = (epoch) =>
    `UPID:pbs:000004B6:0000B1F0:00000006:${epoch.toString(16).toUpperCase()}:verificationjob:main\\x3av\\x2dnightly:root@pam:`;
  const items = [];
  vmids.forEach((vmid, i) => {
    for (let a = 0; a < 3; a++) {
      const ctime = Math.round(CAPTURED - (5.5 + 24 * a) * 3600);
      const state = a === 0 && i % 100 === 11 ? 'failed' : 'ok';
      items.push({
        volid: `pbs-bench:backup/vm/${vmid}/${new Date(ctime * 1000).toISOString().replace('.000Z', 'Z')}`,
        format: 'pbs-vm',
        size: 34359738368,
        content: 'backup',
        vmid,
        ctime,
        subtype: 'qemu',
        verification: { state, upid: upid(ctime + 3 * 3600) },
      });
    }
  });
  return JSON.stringify(items);
}

/** Writes the estate's bindings and, with the project's own plan and writer, its snapshot. */
async function writeLargeEstate(dir, estate) {
  const { stringify } = await import('yaml');
  const bindingsDir = path.join(dir, 'bindings');
  mkdirSync(bindingsDir, { recursive: true });
  for (const [file, data] of Object.entries(estate.bindings)) {
    writeFileSync(path.join(bindingsDir, file), stringify(data, { lineWidth: 0 }));
  }
  const { loadBindings } = await dist('lib/bindings/load.js');
  const { probePlan } = await dist('lib/snapshot/plan.js');
  const { writeSnapshot } = await dist('lib/snapshot/write.js');
  const loaded = await loadBindings(bindingsDir);
  if (!loaded.ok) throw new Error(`large estate bindings do not load: ${JSON.stringify(loaded.errors.slice(0, 3))}`);
  const hosts = probePlan(loaded.bindings).map((plan) => {
    const out = estate.outputs.get(plan.hostId);
    const run = (cs) =>
      cs.map((c) => {
        const o = out[c.basePath ? 'listing' : c.id];
        if (o === undefined) throw new Error(`large estate: no output for ${plan.hostId} ${c.id}`);
        const { stdout, exit } = typeof o === 'string' ? { stdout: o, exit: 0 } : o;
        return {
          id: c.id,
          command: c.command,
          exit,
          stdout: Buffer.from(stdout),
          ...(c.basePath ? { basePath: c.basePath } : {}),
        };
      });
    const first = run(plan.commands);
    const followUp = plan.followUp?.(new Map(first.map((c) => [c.id, c.stdout.toString('utf8')]))) ?? [];
    return { id: plan.hostId, status: 'ok', timezone: 'Europe/Berlin', commands: [...first, ...run(followUp)] };
  });
  const snapshotDir = path.join(dir, 'snapshot');
  await writeSnapshot(snapshotDir, { capturedAt: CAPTURED_AT, hosts, insecureAcceptAnyHostKey: false });
  return { bindingsDir, snapshotDir };
}

const LARGE_SIZES = [
  { name: 'half', guestsPerHost: 250, jobsPerHost: 10, targetsPerHost: 100 },
  { name: 'full', guestsPerHost: 500, jobsPerHost: 20, targetsPerHost: 200 },
  { name: 'full+pbs', guestsPerHost: 500, jobsPerHost: 20, targetsPerHost: 200, pbsTargets: 500 },
];

async function benchLarge() {
  const rows = [];
  for (const size of LARGE_SIZES) {
    const estate = largeEstate(size);
    const dir = path.join(work, `large-${size.name}`);
    const { bindingsDir, snapshotDir } = await writeLargeEstate(dir, estate);
    const reports = path.join(dir, 'reports');
    const once = async () => {
      const r = await run(
        process.execPath,
        [
          OPS,
          'verify',
          '--bindings',
          bindingsDir,
          '--snapshot',
          snapshotDir,
          '--max-snapshot-age',
          '0',
          '--reports',
          reports,
        ],
        { rss: true, env: { ...process.env, NO_COLOR: '1' } },
      );
      if (r.code !== 1)
        throw new Error(
          `large ${size.name}: ops verify exited ${r.code} (expected 1: drift):\n${r.stderr.slice(0, 4000)}`,
        );
      const receipt = lastReceipt(reports);
      return {
        wallMs: r.wallMs,
        rssMB: r.rssKB / 1024,
        timings: receipt.timingsMs,
        checks: Object.values(receipt.summary).reduce((a, b) => a + b, 0),
      };
    };
    // The same evaluation with no vitest and no reports: bindings, snapshot and the rule functions alone.
    const rulesOnly = async () => {
      const r = await run(
        process.execPath,
        [fileURLToPath(import.meta.url), '--rules-only', bindingsDir, '--rules-only', snapshotDir],
        { rss: true, capture: true },
      );
      if (r.code !== 0)
        throw new Error(`large ${size.name}: --rules-only exited ${r.code}:\n${r.stderr.slice(0, 4000)}`);
      const j = JSON.parse(r.stdout);
      return {
        wallMs: r.wallMs,
        rssMB: r.rssKB / 1024,
        rulesMs: Object.values(j.rulesMs).reduce((a, b) => a + b, 0),
        findings: j.findings,
      };
    };
    const { large, rules } = await rounds({ large: once, rules: rulesOnly });
    rows.push({
      size: size.name,
      ...estate.shape,
      checks: large[0].checks,
      wallMs: stat(pick(large, 'wallMs')),
      rssMB: stat(pick(large, 'rssMB')),
      timingsMs: medianTimings(large),
      rulesOnly: {
        wallMs: stat(pick(rules, 'wallMs')),
        rssMB: stat(pick(rules, 'rssMB')),
        rulesMs: stat(pick(rules, 'rulesMs')),
        findings: rules[0].findings,
      },
    });
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 3. Live collection on fake PVE hosts

const LIVE_GUESTS = 50;
const LIVE_ARCHIVES_PER_GUEST = 40;
const LIVE_DUMP = '/var/lib/vz/dump';
const RESOURCES = '/var/lib/fake-pve/resources.json';

function liveHostSpec(k, key, now) {
  const id = `pve-${k + 1}`;
  const vmids = Array.from({ length: LIVE_GUESTS }, (_, i) => 100 * (k + 1) + i);
  const half = LIVE_GUESTS / 2;
  const job = (n, list) =>
    `vzdump: backup-${id}-${n}\n\tschedule 02:00\n\tcompress zstd\n\tenabled 1\n\tmode snapshot\n\tvmid ${list.join(',')}\n\tstorage local\n\n`;
  const files = {
    '/etc/pve/jobs.cfg': job(0, vmids.slice(0, half)) + job(1, vmids.slice(half)),
    '/etc/pve/user.cfg': 'user:root@pam:1:0:::root@example.com:::\n',
    [RESOURCES]: JSON.stringify(
      vmids.map((vmid) => ({
        id: `qemu/${vmid}`,
        vmid,
        node: id,
        type: 'qemu',
        status: 'running',
        name: `g${vmid}`,
        template: 0,
      })),
    ),
  };
  for (const vmid of vmids) {
    for (let a = 0; a < LIVE_ARCHIVES_PER_GUEST; a++) {
      const mtime = now - Math.round((2.5 + 24 * a) * 3600);
      files[`${LIVE_DUMP}/vzdump-qemu-${vmid}-${day(mtime)}-02_00_00.vma.zst`] = { content: 'z', mtime };
    }
  }
  return {
    id,
    vmids,
    spec: {
      id,
      authorizedKeys: [key.publicKeyLine],
      files,
      commands: {
        // The cluster resources; for the storage commands, the jobs' storage `local` and no backups on it.
        pvesh: [
          'case "$*" in',
          `"get /cluster/resources --type vm --output-format json") exec cat ${RESOURCES} ;;`,
          `"get /nodes/"*"/storage --output-format json") echo '[{"storage":"local","type":"dir","enabled":1,"active":1,"content":"backup","total":107374182400,"used":10737418240,"avail":96636764160}]' ;;`,
          '"get /nodes/"*"/content --content backup --output-format json") echo \'[]\' ;;',
          '*) exit 2 ;;',
          'esac',
        ].join('\n'),
        systemctl: 'echo active',
        timedatectl: 'echo Europe/Berlin',
      },
    },
  };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU the fake hosts have spent, in ms: each listener sshd's own and its reaped descendants' user +
 * system time (/proc/<pid>/stat fields 14–17), so every probe command a host ran counts once its
 * session has ended. On this machine the hosts' work shares the cores with the collector: this
 * splits a live run's time into what the hosts did and what we did.
 */
async function hostsCpuMs(hosts) {
  await new Promise((r) => setTimeout(r, 200)); // the per-connection sshd is reaped just after the client leaves
  let ticks = 0;
  for (const h of hosts)
    ticks += readFileSync(`/proc/${h.pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ')
      .slice(11, 15)
      .reduce((a, b) => a + Number(b), 0);
  return (ticks * 1000) / CLOCK_TICKS;
}

async function benchLive() {
  const { fakeHostsUnavailable, generateClientKey, startFakeHost, writeBindings } = await dist(
    'lib/collect/testing/fake-host.js',
  );
  const why = fakeHostsUnavailable();
  if (why) return { skipped: why };
  const { Client } = (await import('ssh2')).default;
  const key = await generateClientKey(path.join(work, 'key'));
  const privateKey = readFileSync(key.privateKeyPath);
  const now = Math.floor(Date.now() / 1000);
  const max = Math.max(...HOST_COUNTS);

  // One set of hosts, started once: the n-host estate is the first n of them.
  const specs = Array.from({ length: max }, (_, k) => liveHostSpec(k, key, now));
  const hosts = [];
  cleanups.push(() => Promise.all(hosts.map((h) => h.stop())));
  const t0 = performance.now();
  for (let i = 0; i < specs.length; i += 4)
    hosts.push(...(await Promise.all(specs.slice(i, i + 4).map((s) => startFakeHost(s.spec)))));
  const startMs = performance.now() - t0;

  const rows = [];
  for (const n of HOST_COUNTS) {
    const estateHosts = hosts.slice(0, n);
    const dir = path.join(work, `live-${n}`);
    const targets = specs.slice(0, n).flatMap((s) =>
      s.vmids.map((vmid) => ({
        name: `vm-${vmid}-g${vmid}`,
        host: s.id,
        basePath: LIVE_DUMP,
        glob: `vzdump-qemu-${vmid}-*.vma.zst`,
        classification: 'important',
      })),
    );
    // A well-kept estate (what an hourly run mostly sees): every guest onboarded, its ssh target
    // listed (never connected to: only PVE hosts and target hosts are read), the job's time in the calendar.
    const bindings = await writeBindings(path.join(dir, 'bindings'), {
      hosts: [
        ...estateHosts.map((h) => ({ id: h.id, port: h.port })),
        ...specs.slice(0, n).flatMap((s) => s.vmids.map((vmid) => ({ id: `g${vmid}`, port: 22 }))),
      ],
      targets,
      guests: specs
        .slice(0, n)
        .flatMap((s) =>
          s.vmids.map((vmid) => ({
            id: vmid,
            hostname: `g${vmid}`,
            proxmoxHost: s.id,
            backupTarget: `vm-${vmid}-g${vmid}`,
          })),
        ),
      pveHosts: estateHosts.map((h) => h.id),
    });
    writeFileSync(
      path.join(bindings, 'backup.calendar.yaml'),
      'version: 1\ntimezone: Europe/Berlin\nevents:\n  - {id: vzdump-daily, summary: vzdump, freq: DAILY, byhour: 2, byminute: 0, duration_minutes: 60}\n',
    );
    const knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${estateHosts.map((h) => h.knownHostsLine()).join('\n')}\n`);
    const reports = path.join(dir, 'reports');

    const ours = async () => {
      const cpu0 = await hostsCpuMs(estateHosts);
      const r = await run(
        process.execPath,
        [
          OPS,
          'verify',
          '--live',
          '--bindings',
          bindings,
          '--known-hosts',
          knownHosts,
          '--identity',
          key.privateKeyPath,
          '--reports',
          reports,
        ],
        { rss: true, env: { ...process.env, HOME: dir, NO_COLOR: '1' } },
      );
      const receipt = lastReceipt(reports);
      const unread = receipt.hosts.filter((h) => h.status !== 'ok');
      if (r.code === 2 || unread.length)
        throw new Error(
          `live ${n}: ops verify --live exited ${r.code}; unread hosts: ${unread.map((h) => `${h.id} ${h.reason}`).join(', ')}\n${r.stderr.slice(0, 4000)}`,
        );
      rmSync(path.join(reports, 'receipts'), { recursive: true, force: true });
      return {
        wallMs: r.wallMs,
        rssMB: r.rssKB / 1024,
        timings: receipt.timingsMs,
        summary: receipt.summary,
        hostsCpuMs: (await hostsCpuMs(estateHosts)) - cpu0,
      };
    };

    // The floor: one ssh2 connection per host, all at once, each running `true`. The probe floor:
    // the same, each running the probe script with this estate's request (its first sections plus
    // the storage ones, answered at once), output read and dropped: the hosts' share of a live run.
    const { probePlan } = await dist('lib/snapshot/plan.js');
    const { probeStdin } = await dist('lib/snapshot/probe-script.js');
    const { storageCommands } = await dist('lib/snapshot/probe.js');
    const { loadBindings } = await dist('lib/bindings/load.js');
    const loaded = await loadBindings(bindings);
    const requests = new Map(
      probePlan(loaded.bindings).map((plan) => [
        plan.hostId,
        probeStdin(
          '0'.repeat(32),
          [...plan.commands, ...storageCommands(os.hostname().split('.')[0], ['local'])],
          false,
        ),
      ]),
    );
    const sshFloor = (request) => async () => {
      const cpu0 = await hostsCpuMs(estateHosts);
      const t = performance.now();
      await Promise.all(
        estateHosts.map(
          (h) =>
            new Promise((resolve, reject) => {
              const c = new Client();
              const expected = h.hostKeyLine.split(' ')[1];
              c.on('ready', () =>
                c.exec(request ? 'sh -s' : 'true', (err, stream) => {
                  if (err) {
                    c.end();
                    return reject(err);
                  }
                  stream
                    .on('close', () => {
                      c.end();
                      resolve();
                    })
                    .resume();
                  stream.stderr.resume();
                  if (request) stream.end(requests.get(h.id));
                }),
              );
              c.on('error', reject);
              c.connect({
                host: '127.0.0.1',
                port: h.port,
                username: 'root',
                privateKey,
                readyTimeout: 30_000,
                hostVerifier: (k) => k.toString('base64') === expected,
              });
            }),
        ),
      );
      const wallMs = performance.now() - t;
      return { wallMs, hostsCpuMs: (await hostsCpuMs(estateHosts)) - cpu0 };
    };
    const floor = sshFloor(false);
    const probeFloor = sshFloor(true);

    // The old loop, over an even sample of the targets (every target with --old-full).
    const every = args['old-full'] ? 1 : Math.max(1, Math.floor(targets.length / OLD_SAMPLE));
    const sample = targets.filter((_, i) => i % every === 0).slice(0, args['old-full'] ? targets.length : OLD_SAMPLE);
    const portOf = new Map(estateHosts.map((h) => [h.id, h.port]));
    const loop = path.join(dir, 'old-backup-status.sh');
    writeFileSync(
      loop,
      [
        '#!/bin/sh',
        "# One ssh per target, in turn: newest archive and its mtime (the operator's old backup-status loop).",
        `while read -r port base glob; do`,
        `  ssh -n -q -i '${key.privateKeyPath}' -o UserKnownHostsFile='${knownHosts}' -o BatchMode=yes -o StrictHostKeyChecking=yes -p "$port" root@127.0.0.1 \\`,
        `    "f=\\$(ls -1t -- $base/$glob | head -1); echo \\"\\$f\\"; stat -c %Y -- \\"\\$f\\"" || echo "FAILED $port $glob"`,
        'done',
        '',
      ].join('\n'),
    );
    const sampleFile = path.join(dir, 'old-sample.txt');
    writeFileSync(sampleFile, sample.map((t) => `${portOf.get(t.host)} ${t.basePath} ${t.glob}`).join('\n') + '\n');
    const old = async (warmUp) => {
      const r = await run('sh', ['-c', `sh '${loop}' < '${warmUp ? sampleFile + '.1' : sampleFile}'`], {
        capture: true,
        timeoutMs: 300_000,
      });
      if (r.code !== 0 || r.stdout.includes('FAILED'))
        throw new Error(`live ${n}: old loop failed:\n${r.stdout.slice(0, 2000)}${r.stderr.slice(0, 2000)}`);
      return { wallMs: (r.wallMs / (warmUp ? 1 : sample.length)) * targets.length };
    };
    writeFileSync(`${sampleFile}.1`, `${portOf.get(sample[0].host)} ${sample[0].basePath} ${sample[0].glob}\n`);

    const s = await rounds({ floor, probeFloor, ours, old });
    const oursStat = stat(pick(s.ours, 'wallMs'));
    const floorStat = stat(pick(s.floor, 'wallMs'));
    const probeFloorStat = stat(pick(s.probeFloor, 'wallMs'));
    const oldStat = stat(pick(s.old, 'wallMs'));
    rows.push({
      hosts: n,
      targets: targets.length,
      archives: n * LIVE_GUESTS * LIVE_ARCHIVES_PER_GUEST,
      summary: s.ours[0].summary,
      checks: Object.values(s.ours[0].summary).reduce((a, b) => a + b, 0),
      oursMs: oursStat,
      oursRssMB: stat(pick(s.ours, 'rssMB')),
      oursTimingsMs: medianTimings(s.ours),
      floorMs: floorStat,
      oldMs: oldStat,
      oldSampled: sample.length,
      oursHostsCpuMs: stat(pick(s.ours, 'hostsCpuMs')),
      floorHostsCpuMs: stat(pick(s.floor, 'hostsCpuMs')),
      probeFloorMs: probeFloorStat,
      oursOverProbeFloor: +(oursStat.median / probeFloorStat.median).toFixed(2),
      oursOverFloor: +(oursStat.median / floorStat.median).toFixed(2),
      oldOverOurs: +(oldStat.median / oursStat.median).toFixed(1),
    });
    rmSync(dir, { recursive: true, force: true });
  }
  return { hostStartMs: Math.round(startMs), rows };
}

// ---------------------------------------------------------------------------------------------
// Main

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memGB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
};
const startedAt = new Date();
const loadBefore = os.loadavg()[0];
if (args['rules-only']) {
  const [bindingsDir, snapshotDir] = args['rules-only'];
  const t0 = performance.now();
  const { loadBindings } = await dist('lib/bindings/load.js');
  const { readSnapshot } = await dist('lib/snapshot/read.js');
  const { GATES } = await dist('lib/catalogue/gates.js');
  const t1 = performance.now();
  const loaded = await loadBindings(bindingsDir);
  const t2 = performance.now();
  const read = await readSnapshot(snapshotDir, loaded.bindings);
  const t3 = performance.now();
  const input = {
    bindings: loaded.bindings,
    state: read.state,
    now: read.state.capturedAt,
    maxSnapshotAgeHours: null,
    bundledDemo: false,
  };
  const rulesMs = {};
  let findings = 0;
  for (const gate of GATES) {
    // A gate's rules are in lib/rules/<id>.ts, exported as evaluate…
    const rule = Object.entries(await dist(`lib/rules/${gate.id}.js`)).find(
      ([k, v]) => k.startsWith('evaluate') && typeof v === 'function',
    )?.[1];
    const t = performance.now();
    findings += rule(input).length;
    rulesMs[gate.id] = Math.round(performance.now() - t);
  }
  const ms = (a, b) => Math.round(b - a);
  console.log(
    JSON.stringify({ importMs: ms(t0, t1), loadBindingsMs: ms(t1, t2), readSnapshotMs: ms(t2, t3), rulesMs, findings }),
  );
  clearTimeout(budget);
  process.exit(0);
}
if (args['write-large']) {
  for (const size of LARGE_SIZES)
    await writeLargeEstate(path.join(path.resolve(args['write-large']), size.name), largeEstate(size));
  clearTimeout(budget);
  process.exit(0);
}
work = mkdtempSync(path.join(os.tmpdir(), 'spine-bench-'));
const result = { startedAt: startedAt.toISOString(), machine, runs: RUNS, warmUp: 1, goals: GOALS, sectionS: {} };
onBudget = async () => {
  result.incomplete = `the time budget of ${budgetMs / 1000} s ran out`;
  report();
};
const section = async (name, what, fn) => {
  if (!ONLY.has(name)) return;
  process.stderr.write(`bench: ${what}…\n`);
  const t = Date.now();
  result[name] = await fn();
  result.sectionS[name] = Math.round((Date.now() - t) / 1000);
};
try {
  await section('demo', 'demo', benchDemo);
  await section('large', 'large snapshot', benchLarge);
  await section('live', 'live (starting fake hosts)', benchLive);
} finally {
  await cleanup();
  clearTimeout(budget);
}
report();

function report() {
  result.durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
  result.loadAverage = { before: +loadBefore.toFixed(2), after: +os.loadavg()[0].toFixed(2) };

  // ---------------------------------------------------------------------------------------------
  // The table

  const ok = (cond) => (cond ? 'ok' : 'MISSED');
  const ms = (s) => `${s.median} ms [${s.min}–${s.max}]`;
  const mb = (s) => `${s.median} MB`;
  const lines = [];
  lines.push(
    `spine-gates bench, ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC: ${machine.cpu} ×${machine.cores}, ${machine.memGB} GB, Node ${machine.node}`,
  );
  lines.push(
    `median of ${RUNS} runs after 1 warm-up, [min–max]; load average ${result.loadAverage.before} → ${result.loadAverage.after}; ${result.durationS} s in all (${Object.entries(
      result.sectionS,
    )
      .map(([k, v]) => `${k} ${v} s`)
      .join(', ')})`,
  );
  if (result.incomplete) lines.push(`INCOMPLETE: ${result.incomplete}`);
  if (result.demo) {
    const d = result.demo;
    lines.push('', '1. demo site, `ops verify` (whole process)');
    lines.push(
      `   wall ${ms(d.wallMs)}, peak RSS ${mb(d.rssMB)}   goal < ${GOALS.demoMs} ms, < ${GOALS.demoMB} MB: ${ok(d.wallMs.median < GOALS.demoMs && d.rssMB.median < GOALS.demoMB)}`,
    );
    lines.push(
      `   receipt split (ms): ${Object.entries(d.timingsMs)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  if (result.large) {
    lines.push('', '2. large snapshot, `ops verify --snapshot` (whole process)');
    lines.push(
      '   size  guests  jobs  archives  targets  checks   wall                     peak RSS   loadBindings  readSnapshot  gates   rules alone: wall, RSS, rule fns',
    );
    for (const r of result.large) {
      lines.push(
        `   ${r.size.padEnd(5)} ${String(r.guests).padStart(6)} ${String(r.jobs).padStart(5)} ${String(r.archives).padStart(9)} ${String(r.targets).padStart(8)} ${String(r.checks).padStart(7)}   ${ms(r.wallMs).padEnd(24)} ${mb(r.rssMB).padStart(8)}   ${String(r.timingsMs.loadBindings).padStart(12)}  ${String(r.timingsMs.readSnapshot).padStart(12)}  ${String(r.timingsMs.gates).padStart(5)}   ${r.rulesOnly.wallMs.median} ms, ${mb(r.rulesOnly.rssMB)}, ${r.rulesOnly.rulesMs.median} ms`,
      );
    }
    const [h, f] = result.large;
    if (h && f) {
      const g = (a, b) => (b / a).toFixed(2);
      lines.push(
        `   growth half → full (inputs ×2): wall ×${g(h.wallMs.median, f.wallMs.median)}, gates ×${g(h.timingsMs.gates, f.timingsMs.gates)}, readSnapshot ×${g(h.timingsMs.readSnapshot, f.timingsMs.readSnapshot)}, RSS ×${g(h.rssMB.median, f.rssMB.median)}`,
      );
      lines.push(
        `   goal full < ${GOALS.largeMs} ms, < ${GOALS.largeMB} MB, growth ≤ linear: ${ok(f.wallMs.median < GOALS.largeMs && f.rssMB.median < GOALS.largeMB && f.wallMs.median / h.wallMs.median <= 2.2)}`,
      );
    }
  }
  if (result.live?.skipped) lines.push('', `3. live: skipped: ${result.live.skipped}`);
  else if (result.live) {
    lines.push(
      '',
      `3. live, \`ops verify --live\` (whole process) vs floor (in-process ssh2 connect + exec per host, parallel) vs old (one ssh per target, sequential; ${args['old-full'] ? 'every target' : `sample of ${OLD_SAMPLE} scaled`})`,
    );
    lines.push(
      '   hosts  targets  checks  ours                     floor                  old                         ours/floor  old/ours  ours RSS  collect  gates  hosts CPU ours/floor  probe floor  ours/probe floor',
    );
    for (const r of result.live.rows) {
      lines.push(
        `   ${String(r.hosts).padStart(5)}  ${String(r.targets).padStart(7)}  ${String(r.checks).padStart(6)}  ${ms(r.oursMs).padEnd(24)} ${ms(r.floorMs).padEnd(22)} ${ms(r.oldMs).padEnd(27)} ${String(r.oursOverFloor).padStart(10)}  ${String(r.oldOverOurs).padStart(8)}  ${mb(r.oursRssMB).padStart(8)}  ${String(r.oursTimingsMs.collect).padStart(7)}  ${String(r.oursTimingsMs.gates).padStart(5)}  ${Math.round(r.oursHostsCpuMs.median)}/${Math.round(r.floorHostsCpuMs.median)} ms  ${ms(r.probeFloorMs)}  ${r.oursOverProbeFloor}`,
      );
    }
    const r16 = result.live.rows.find((r) => r.hosts === 16);
    lines.push(
      `   goal ours/floor ≤ ${GOALS.liveVsFloor} for every count: ${ok(result.live.rows.every((r) => r.oursOverFloor <= GOALS.liveVsFloor))}; old/ours ≥ ${GOALS.oldVsOurs16} at 16 hosts: ${r16 ? ok(r16.oldOverOurs >= GOALS.oldVsOurs16) : 'not run'}`,
    );
    lines.push(`   (fake hosts started in ${result.live.hostStartMs} ms, not counted)`);
  }
  console.log(lines.join('\n'));
  const out = path.join(ROOT, 'reports', 'bench');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `${result.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
}

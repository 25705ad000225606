// `ops verify` with waivers (drift.waivers.yaml) and a baseline (--baseline, --fail-on new), end
// to end on a copy of the demo site: the built CLI in a child process. Needs `npm run build`.

import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
interface Check {
  id: string;
  subject: string;
  host: string | null;
  outcome: string;
  reason: string | null;
  message: string;
  fingerprint: string | null;
  drift: string | null;
  waiver: Record<string, unknown> | null;
}

function ops(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OPS, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** A copy of the demo site (bindings + snapshot) to edit. */
function site(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drift-site-'));
  cpSync(DEMO, dir, { recursive: true });
  return dir;
}

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${from} not in ${file}`);
  writeFileSync(file, text.replace(from, to));
}

const ARGS = ['verify', '--bindings', 'bindings', '--snapshot', 'snapshot', '--max-snapshot-age', '0'];
const checks = (json: { gates: Array<{ checks: Check[] }> }) => json.gates.flatMap((g) => g.checks);
const latestReceipt = (dir: string) => {
  const keys = readdirSync(path.join(dir, 'reports', 'receipts')).sort();
  return path.join('reports', 'receipts', keys[keys.length - 1]!, 'receipt.json');
};

describe('ops verify with drift.waivers.yaml', () => {
  it('waives what it names until its expiry, reports expired and stale waivers, and says so in JUnit', async () => {
    const dir = site();
    writeFileSync(
      path.join(dir, 'bindings', 'drift.waivers.yaml'),
      [
        'version: 1',
        'waivers:',
        '  - {gate: D19, check: D19.freshness, subject: "home-vm-20*", owner: alice@shop.example.com, expires: 2099-12-31,',
        '     justification: "home NAS replaced; first full backup on Saturday"}',
        '  - {gate: relay-stalwart, check: relay.queue, subject: "pve-home/queue", owner: bob, expires: 2026-01-31, justification: "old"}',
        '  - {gate: D69, check: D69.status, subject: "qemu/1234", owner: bob, expires: 2099-12-31, justification: "a typo"}',
        '',
      ].join('\n'),
    );
    const run = await ops([...ARGS, '--json'], dir);
    const result = JSON.parse(run.stdout);
    const all = checks(result);
    const waived = all.filter((c) => c.outcome === 'waived');
    expect(waived.map((c) => c.subject).sort()).toEqual([
      'home-vm-201-family-cloud-primary',
      'home-vm-202-home-auto-primary',
    ]);
    expect(waived[0]).toMatchObject({
      reason: 'stale',
      waiver: {
        owner: 'alice@shop.example.com',
        expires: '2099-12-31',
        expired: false,
        file: 'drift.waivers.yaml',
        line: 3,
      },
    });
    expect(result.summary.waived).toBe(2);
    const queue = all.find((c) => c.id === 'relay.queue' && c.host === 'pve-home')!;
    expect(queue.outcome).toBe('fail');
    expect(queue.message).toContain('(its waiver expired: bob accepted it until 2026-01-31: old)');
    expect(all.filter((c) => c.id === 'waivers.stale').map((c) => `${c.subject} ${c.outcome} ${c.reason}`)).toEqual([
      'D19.freshness home-vm-20* pass null',
      'D69.status qemu/1234 fail matches_nothing',
      'relay.queue pve-home/queue skip waiver_expired',
    ]);
    expect(run.code).toBe(2); // the demo's unreadable host still errors

    const junit = readFileSync(path.join(dir, 'reports', 'junit.xml'), 'utf8');
    expect(junit).toContain(
      '<testcase classname="D19.pve-home" name="D19.freshness pve-home/home-vm-201-family-cloud-primary"',
    );
    expect(junit).toMatch(
      /<skipped message="waived by alice@shop\.example\.com until 2099-12-31 \(drift\.waivers\.yaml:3\): home NAS replaced; first full backup on Saturday \| stale: home-vm-201-family-cloud-primary: newest archive [^"]+"\/>/,
    );
    expect(junit).toMatch(
      /<failure message="the waiver at drift\.waivers\.yaml:6 matches no finding of gate D69[^"]*" type="matches_nothing">severity: /,
    );

    const text = await ops(ARGS, dir);
    expect(text.stdout).toContain('  waived D19.freshness pve-home/home-vm-202-home-auto-primary: ');
    expect(text.stdout).toContain(
      '(by alice@shop.example.com until 2099-12-31: home NAS replaced; first full backup on Saturday)',
    );
  });

  it("never waives an error: waivers on D19.judged and the unreachable host's target leave the run at exit 2", async () => {
    const dir = site();
    writeFileSync(
      path.join(dir, 'bindings', 'drift.waivers.yaml'),
      [
        'version: 1',
        'waivers:',
        '  - {gate: D19, check: D19.judged, subject: run, owner: mallory, expires: 2099-12-31, justification: "git-vm is down"}',
        '  - {gate: D19, check: D19.freshness, subject: "git-vm/*", owner: mallory, expires: 2099-12-31, justification: "git-vm is down"}',
        '',
      ].join('\n'),
    );
    const run = await ops([...ARGS, '--json'], dir);
    const all = checks(JSON.parse(run.stdout));
    expect(all.filter((c) => c.outcome === 'error').map((c) => `${c.id} ${c.subject}`)).toEqual([
      'D19.freshness app-gitea-dump',
      'D19.judged run',
      'D19.size app-gitea-dump',
    ]);
    expect(all.find((c) => c.id === 'D19.judged')!.message).toContain(
      '(not waived: the waiver at drift.waivers.yaml:3 accepts drift, and this could not be checked)',
    );
    expect(all.filter((c) => c.outcome === 'waived')).toEqual([]);
    expect(run.code).toBe(2);
  }, 60_000);

  it('rejects a waiver without an expiry like any bad binding: file, line, field, exit 2', async () => {
    const dir = site();
    writeFileSync(
      path.join(dir, 'bindings', 'drift.waivers.yaml'),
      'version: 1\nwaivers:\n  - {gate: D19, check: D19.freshness, subject: x, owner: bob, justification: forever}\n',
    );
    const run = await ops(ARGS, dir);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      'input error drift.waivers.yaml:3:5: waivers[0].expires: expected a UTC date YYYY-MM-DD (required), found no such field',
    );
  });
});

describe('ops verify --baseline', () => {
  it('marks each failure and error new or known; --fail-on new exits on new drift only', async () => {
    const dir = site();
    const withErrors = await ops([...ARGS, '--json'], dir);
    expect(withErrors.code).toBe(2);

    // Known errors (the unreadable host's target, D19.judged) are never known enough to exit 0.
    const again = await ops([...ARGS, '--json', '--baseline', latestReceipt(dir), '--fail-on', 'new'], dir);
    const againJson = JSON.parse(again.stdout);
    expect(
      checks(againJson)
        .filter((c) => c.outcome === 'error')
        .map((c) => `${c.id} ${c.drift}`),
    ).toEqual(['D19.freshness known', 'D19.judged known', 'D19.size known']);
    expect(againJson.baseline).toMatchObject({ new: 0 });
    expect(again.code).toBe(2);
    expect(againJson.exitCode).toBe(2);

    // Without the unreadable host's target, only failures are left.
    edit(
      path.join(dir, 'bindings', 'backup.inventory.yaml'),
      '  - name: app-gitea-dump\n    enabled: true',
      '  - name: app-gitea-dump\n    enabled: false',
    );
    const base = await ops([...ARGS, '--json'], dir);
    expect(base.code).toBe(1);
    const baseline = latestReceipt(dir);

    // The same drift again: everything known, and with --fail-on new a clean exit despite it.
    const same = await ops([...ARGS, '--json', '--baseline', baseline, '--fail-on', 'new'], dir);
    const sameJson = JSON.parse(same.stdout);
    expect(sameJson.outcome).toBe('fail');
    expect(sameJson.baseline).toMatchObject({
      receipt: baseline,
      runKey: JSON.parse(base.stdout).runKey,
      failOn: 'new',
      new: 0,
      known: 44,
    });
    expect(
      checks(sameJson)
        .filter((c) => c.outcome === 'fail' || c.outcome === 'error')
        .every((c) => c.drift === 'known'),
    ).toBe(true);
    expect(
      checks(sameJson)
        .filter((c) => c.outcome === 'pass')
        .every((c) => c.drift === null && c.fingerprint === null),
    ).toBe(true);
    expect(sameJson.exitCode).toBe(0);
    expect(same.code).toBe(0);

    // A binding change that breaks a gate: that failure is new, exit 1.
    edit(
      path.join(dir, 'bindings', 'backup.inventory.yaml'),
      'stale_after_hours: 26\n    classification: critical\n    description: "File server',
      'stale_after_hours: 200\n    classification: critical\n    description: "File server',
    );
    const broken = await ops([...ARGS, '--baseline', baseline, '--fail-on', 'new'], dir);
    expect(broken.stdout).toContain(
      '  fail  medium   [new] D19.threshold vm-101-files-primary: vm-101-files-primary: stale_after_hours 200 is looser than critical allows (26)',
    );
    expect(broken.stdout).toContain('  fail  medium   [known] D19.threshold app-erp-db:');
    expect(broken.stdout).toMatch(
      /\nbaseline reports\/receipts\/[^ ]+\/receipt\.json \(run [^)]+\): 1 new, 44 known fail\/error; only new drift sets the exit code \(--fail-on new\)\n/,
    );
    expect(broken.code).toBe(1);
    const receipt = JSON.parse(readFileSync(path.join(dir, latestReceipt(dir)), 'utf8'));
    expect(receipt).toMatchObject({ exitCode: 1, baseline: { new: 1, known: 44, failOn: 'new' } });
    expect(readFileSync(path.join(dir, path.dirname(latestReceipt(dir)), 'receipt.md'), 'utf8')).toMatch(
      /\n\| \*\*fail\*\* \(new\) \| \w+ \| `D19\.threshold vm-101-files-primary` \| /,
    );
    const junit = readFileSync(path.join(dir, 'reports', 'junit.xml'), 'utf8');
    expect(junit).toContain(
      '<failure message="[new] vm-101-files-primary: stale_after_hours 200 is looser than critical allows (26)" type="threshold_too_loose">severity: ',
    );

    // Without --fail-on new every failure counts, as ever; new and known are still marked.
    const any = await ops([...ARGS, '--json', '--baseline', baseline], dir);
    expect(JSON.parse(any.stdout).baseline).toMatchObject({ failOn: 'any', new: 1 });
    expect(any.code).toBe(1);

    // A host that became unreadable: new errors, exit 2.
    edit(
      path.join(dir, 'snapshot', 'snapshot.yaml'),
      '  - id: nas\n    status: ok',
      '  - id: nas\n    status: error\n    reason: connect_refused\n    message: "nothing listens on nas:22"',
    );
    const unreadable = await ops([...ARGS, '--json', '--baseline', baseline, '--fail-on', 'new'], dir);
    const newErrors = checks(JSON.parse(unreadable.stdout)).filter((c) => c.drift === 'new' && c.outcome === 'error');
    expect(newErrors.length).toBeGreaterThan(0);
    expect(unreadable.code).toBe(2);
  }, 120_000);

  it('treats a missing, unreadable or input-error baseline as bad input, and --fail-on new without one as bad usage', async () => {
    const dir = site();
    const missing = await ops([...ARGS, '--baseline', 'nope/receipt.json', '--fail-on', 'new'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('input error --baseline nope/receipt.json: no such file');
    writeFileSync(path.join(dir, 'junk.json'), '{"runKey": 1}');
    const junk = await ops([...ARGS, '--baseline', 'junk.json'], dir);
    expect(junk.code).toBe(2);
    expect(junk.stdout).toContain(
      'input error --baseline junk.json: not an ops verify receipt (expected receipt.json with gates[].findings[])',
    );
    writeFileSync(path.join(dir, 'text.json'), 'secret-token-123');
    const text = await ops([...ARGS, '--baseline', 'text.json'], dir);
    expect(text.stdout).toContain('input error --baseline text.json: not JSON\n');
    expect(text.stdout).not.toContain('secret-token'); // JSON.parse's message would quote it
    execFileSync('mkfifo', [path.join(dir, 'pipe.json')]); // a pipe must not hang the run
    expect((await ops([...ARGS, '--baseline', 'pipe.json'], dir)).stdout).toContain(
      'input error --baseline pipe.json: expected a regular file, found a named pipe',
    );
    edit(path.join(dir, 'bindings', 'backup.inventory.yaml'), 'stale_after_hours: 72', 'stale_after_hours: "72h"');
    await ops(ARGS, dir);
    const judgedNothing = await ops(
      ['verify', '--bindings', path.join(DEMO, 'bindings'), '--baseline', latestReceipt(dir)],
      dir,
    );
    expect(judgedNothing.code).toBe(2);
    expect(judgedNothing.stdout).toContain('that run judged nothing (it had input errors)');
    const usage = await ops([...ARGS, '--fail-on', 'new'], dir);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--fail-on new needs --baseline RECEIPT');
    expect((await ops([...ARGS, '--fail-on', 'old'], dir)).stderr).toContain('--fail-on takes any or new, got "old"');
  }, 120_000);
});

describe('a gate run alone with an unreadable host it needs', () => {
  it('relay-stalwart and radicale-calendar each error (exit 2), never read clean', async () => {
    const dir = site();
    edit(
      path.join(dir, 'snapshot', 'snapshot.yaml'),
      '  - id: pve-shop\n    status: ok',
      '  - id: pve-shop\n    status: error\n    reason: connect_timeout\n    message: "TCP connect to pve-shop:22 timed out"\n    commands: []\n  - id: pve-shop-was\n    status: ok',
    );
    for (const gate of ['relay-stalwart', 'radicale-calendar']) {
      const run = await ops([...ARGS, '--json', '--gate', gate], dir);
      const errors = checks(JSON.parse(run.stdout)).filter((c) => c.outcome === 'error' && c.host === 'pve-shop');
      expect(errors.length, gate).toBeGreaterThan(0);
      expect(
        errors.every((c) => c.reason === 'connect_timeout'),
        gate,
      ).toBe(true);
      expect(run.code, gate).toBe(2);
    }
  }, 60_000);
});

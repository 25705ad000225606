// `ops verify` end to end: the built CLI in a child process, as users and CI run it.
// Needs `npm run build` first (`npm test` does it).

import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');
const XSD = path.join(PACKAGE_ROOT, 'fixtures', 'schemas', 'junit-10.xsd');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  cwd: string;
}

function ops(args: string[], cwd = mkdtempSync(path.join(tmpdir(), 'ops-'))): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OPS, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr, cwd });
      },
    );
  });
}

const receiptsIn = (cwd: string) => readdirSync(path.join(cwd, 'reports', 'receipts')).sort();
const receiptOf = (cwd: string, key: string) =>
  JSON.parse(readFileSync(path.join(cwd, 'reports', 'receipts', key, 'receipt.json'), 'utf8'));

/** A binding folder with no drift a binding-only run can see: the demo's, minus its two binding drifts. */
function cleanBindings(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bindings-'));
  cpSync(path.join(DEMO, 'bindings'), dir, { recursive: true });
  const inventory = path.join(dir, 'backup.inventory.yaml');
  const text = readFileSync(inventory, 'utf8')
    .replace(/stale_after_hours: 72/, 'stale_after_hours: 48')
    .replace(/(name: vm-106-scan-archive-primary\n)/, '$1    description: "retired with the scanner"\n');
  writeFileSync(inventory, text);
  return dir;
}

describe('ops verify on the bundled demo site', () => {
  it('says which bindings it judges, reports drift and errors, and exits 2', async () => {
    const run = await ops(['verify']);
    expect(run.code).toBe(2);
    const [first] = run.stdout.split('\n');
    expect(first).toMatch(
      /bindings .*fixtures\/demo-site\/bindings \(bundled demo site\), snapshot .*demo-site\/snapshot$/,
    );
    // Each failure shows its severity; the lines below compare what follows it.
    expect(run.stdout).toMatch(/\n {2}fail {2}critical D19\.scheduler pve-home\/pvescheduler: /);
    const stdout = run.stdout.replace(/^( {2}(?:fail |error)) (?:critical|high|medium|low) +/gm, '$1 ');
    expect(stdout).toContain('fail  D19.scheduler pve-home/pvescheduler: pve-home: pvescheduler is failed');
    expect(run.stdout).toContain('→ On pve-shop: `pvesh set /cluster/backup/');
    expect(stdout).toContain(
      'fail  D69.unregistered-guest pve-home/lxc/204: lxc/204 (vpn-test) runs on pve-home but is not in vm.lifecycle.yaml',
    );
    expect(stdout).toContain(
      'fail  relay.postfix pve-home/postfix: pve-home: postfix does not relay through [mail.shop.example.com]:465',
    );
    expect(run.stdout).toContain("\n          postconf -e 'relayhost = [mail.shop.example.com]:465'\n"); // a multi-line remediation stays indented
    // Each gate's failures (fixtures/demo-site/README.md lists them all): D19 13 (and 2 errors), D69 14,
    // relay-stalwart 4, radicale-calendar 6; the summary line adds up every gate's.
    const fails = Object.fromEntries(
      [...run.stdout.matchAll(/^(\S+) [^\n]*: [A-Z]+ {2}\(([^)]*)\)$/gm)].map(([, id, counts]): [string, number] => [
        id!,
        Number(/(\d+) fail/.exec(counts!)?.[1] ?? 0),
      ]),
    );
    expect(fails).toMatchObject({ D19: 20, D69: 14, 'relay-stalwart': 4, 'radicale-calendar': 6 });
    const total = Object.values(fails).reduce((a, b) => a + b, 0);
    expect(run.stdout).toMatch(
      new RegExp(`^ERROR: \\d+ pass, ${total} fail, 3 error, \\d+ skip, 0 waived \\(exit 2\\); receipt `, 'm'),
    );
    expect(run.stdout).not.toContain('\u001b['); // not a TTY: no colour
  });

  it('prints only the JSON result on stdout with --json', async () => {
    const run = await ops(['verify', '--json']);
    expect(run.code).toBe(2);
    const result = JSON.parse(run.stdout);
    // The contract's fields in their order; exitCode and baseline were added after them (additive only).
    expect(Object.keys(result)).toEqual([
      'runKey',
      'source',
      'outcome',
      'summary',
      'inputErrors',
      'gates',
      'exitCode',
      'baseline',
    ]);
    expect(result).toMatchObject({ exitCode: 2, baseline: null });
    expect(result.outcome).toBe('error');
    expect(result.summary).toMatchObject({ error: 3, waived: 0 });
    const failsOf = Object.fromEntries(
      result.gates.map((g: { id: string; checks: { outcome: string }[] }) => [
        g.id,
        g.checks.filter((c) => c.outcome === 'fail').length,
      ]),
    );
    expect(failsOf).toMatchObject({ D19: 20, D69: 14, 'relay-stalwart': 4, 'radicale-calendar': 6 });
    expect(result.summary.fail).toBe(Object.values(failsOf as Record<string, number>).reduce((a, b) => a + b, 0));
    expect(result.gates.map((g: { id: string; outcome: string }) => `${g.id} ${g.outcome}`)).toEqual(
      expect.arrayContaining(['D19 error', 'D69 fail', 'relay-stalwart fail']),
    );
    const d19 = result.gates.find((g: { id: string }) => g.id === 'D19');
    const stale = d19.checks.filter(
      (c: { id: string; reason: string }) => c.id === 'D19.freshness' && c.reason === 'stale',
    );
    expect(stale.map((c: { subject: string }) => c.subject).sort()).toEqual([
      'home-vm-201-family-cloud-primary',
      'home-vm-202-home-auto-primary',
    ]);
    // fix: added with binding edits; severity, expected, actual, evidence: added after it; retention after those (additive only).
    expect(Object.keys(stale[0])).toEqual([
      'id',
      'subject',
      'host',
      'outcome',
      'reason',
      'message',
      'remediation',
      'fingerprint',
      'drift',
      'waiver',
      'fix',
      'severity',
      'expected',
      'actual',
      'evidence',
      'retention',
    ]);
    expect(stale[0].retention).toBeNull();
    expect(
      d19.checks.find(
        (c: { id: string; subject: string }) => c.id === 'D19.retention' && c.subject === 'vm-102-erp-pbs',
      ).retention,
    ).toEqual({ source: 'storage', policy: 'keep-daily=7,keep-weekly=4', present: 8, kept: 8, protected: 1, min: 3 });
    expect(stale[0]).toMatchObject({ fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/), drift: null, waiver: null });
    expect(stale.find((c: { subject: string }) => c.subject === 'home-vm-201-family-cloud-primary')).toMatchObject({
      severity: 'critical',
      expected: '≤ 26h',
      actual: '101h',
      evidence: expect.arrayContaining([
        { file: 'backup.inventory.yaml', line: expect.any(Number) },
        expect.objectContaining({ host: 'pve-home', detail: expect.stringContaining('vzdump-qemu-201-') }),
      ]),
    });
    const pass = d19.checks.find(
      (c: { outcome: string; id: string }) => c.outcome === 'pass' && c.id === 'D19.target-enrolled',
    );
    expect(pass).toMatchObject({
      severity: expect.any(String),
      expected: null,
      actual: null,
      evidence: expect.any(Array),
    });
    // The demo has a D69 drift of every kind: each check fails at least once.
    const d69 = result.gates.find((g: { id: string }) => g.id === 'D69');
    const failedChecks = d69.checks
      .filter((c: { outcome: string }) => c.outcome === 'fail')
      .map((c: { id: string }) => c.id);
    expect(failedChecks).toHaveLength(14);
    expect(new Set(failedChecks).size).toBe(12);
    // relay-stalwart: pve-shop relays through the shop's Stalwart, pve-home mails directly.
    const relay = result.gates.find((g: { id: string }) => g.id === 'relay-stalwart');
    expect(
      relay.checks
        .filter((c: { outcome: string }) => c.outcome === 'fail')
        .map((c: { id: string; host: string }) => `${c.id} ${c.host}`),
    ).toEqual([
      'relay.postfix pve-home',
      'relay.notifications pve-home',
      'relay.job-mail pve-home',
      'relay.queue pve-home',
    ]);
    expect(run.stderr).toContain('(bundled demo site)');
  });

  it('writes JUnit that validates against the xUnit JUnit XSD', async () => {
    const run = await ops(['verify']);
    const junit = path.join(run.cwd, 'reports', 'junit.xml');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="D19.pve-home" [^>]*hostname="pve-home"/);
    expect(xml).toContain('<testsuite name="D69.pve-shop"');
    expect(xml).toMatch(/<skipped message="template: [^"]+"\/>/);
    expect(xml).toMatch(/<error message="[^"]*git-vm unreadable[^"]*" type="connect_timeout">severity: /);
    expect(xml).toMatch(/<testcase classname="D19.pve-home" name="D19.scheduler pve-home\/pvescheduler"/);
    // xmllint is a CI install step (.ci/run); a missing one must fail here, not pass silently.
    const out = execFileSync('xmllint', ['--noout', '--schema', XSD, junit], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toBe('');
  });

  it('never overwrites a receipt: two runs in the same second get two receipts', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'ops-'));
    await Promise.all([ops(['verify', '--json'], cwd), ops(['verify', '--json'], cwd)]);
    const keys = receiptsIn(cwd);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}$/);
    for (const key of keys) {
      const receipt = receiptOf(cwd, key);
      expect(receipt.runKey).toBe(key);
      expect(receipt.exitCode).toBe(2);
      expect(receipt.inputs.map((i: { file: string }) => i.file)).toContain('snapshot/snapshot.yaml');
      expect(receipt.inputs.every((i: { sha256: string }) => /^[0-9a-f]{64}$/.test(i.sha256))).toBe(true);
      expect(receipt.hosts).toContainEqual({
        id: 'git-vm',
        status: 'error',
        reason: 'connect_timeout',
        message: expect.any(String),
      });
      expect(existsSync(path.join(cwd, 'reports', 'receipts', key, 'receipt.md'))).toBe(true);
    }
    expect(readdirSync(path.join(cwd, 'reports', 'receipts', keys[0]!))).toEqual([
      'receipt.json',
      'receipt.md',
      'report.html',
    ]);
  });
});

describe('ops verify exit codes and input handling', () => {
  it('exits 0 when nothing failed: a clean binding-only run', async () => {
    // cleanBindings() removes D19's binding drift only; the demo's D69 drift is asserted below.
    const run = await ops(['verify', '--bindings', cleanBindings(), '--gate', 'D19', '--json']);
    const result = JSON.parse(run.stdout);
    expect(result.summary.fail).toBe(0);
    expect(result.summary.error).toBe(0);
    expect(result.source.kind).toBe('bindings-only');
    // Host-state checks are skipped with the reason, never passed.
    const freshness = result.gates[0].checks.filter((c: { id: string }) => c.id === 'D19.freshness');
    expect(freshness.length).toBeGreaterThan(0);
    expect(new Set(freshness.map((c: { outcome: string; reason: string }) => `${c.outcome}:${c.reason}`))).toEqual(
      new Set(['skip:no host state']),
    );
    expect(run.code).toBe(0);
  });

  it('exits 1 on drift the bindings alone show', async () => {
    const run = await ops(['verify', '--bindings', path.join(DEMO, 'bindings'), '--json']);
    const result = JSON.parse(run.stdout);
    expect(result.outcome).toBe('fail');
    expect(
      result.gates[0].checks
        .filter((c: { outcome: string }) => c.outcome === 'fail')
        .map((c: { id: string }) => c.id)
        .sort(),
    ).toEqual(['D19.target-retired', 'D19.threshold']);
    const d69 = result.gates.find((g: { id: string }) => g.id === 'D69');
    const failed = (outcome: string) =>
      d69.checks
        .filter((c: { outcome: string }) => c.outcome === outcome)
        .map((c: { id: string; host: string; subject: string }) => `${c.id} ${c.host}/${c.subject}`)
        .sort();
    // Everything D69 can see without host state: SOPs are looked up under the demo's repository_root.
    expect(failed('fail')).toEqual([
      'D69.backup-target pve-home/qemu/202',
      'D69.decommissioned-clean pve-shop/qemu/109',
      'D69.offsite pve-home/qemu/201',
      'D69.restore-sop pve-shop/qemu/102',
      'D69.runtime-unit pve-shop/qemu/110',
      'D69.ssh-target pve-shop/qemu/110',
      'D69.status pve-home/qemu/9100',
      'D69.status pve-shop/qemu/9000',
      'D69.target-enabled pve-shop/qemu/106',
      'D69.target-shape pve-shop/qemu/110',
    ]);
    expect(failed('error')).toEqual([]);
    // 101's SOP exists only under repository_root (`..`: the demo-site folder), not the project's git toplevel.
    expect(
      d69.checks.find((c: { id: string; subject: string }) => c.id === 'D69.restore-sop' && c.subject === 'qemu/101')
        .outcome,
    ).toBe('pass');
    for (const check of ['D69.enrolled', 'D69.scheduled', 'D69.unregistered-guest']) {
      const reasons = d69.checks
        .filter((c: { id: string }) => c.id === check)
        .map((c: { outcome: string; reason: string }) => `${c.outcome}:${c.reason}`);
      expect(new Set(reasons), check).toEqual(new Set(['skip:no host state']));
    }
    expect(run.code).toBe(1);
  });

  it('judges snapshot age when the snapshot is not the bundled demo, unless turned off', async () => {
    const args = [
      'verify',
      '--bindings',
      path.join(DEMO, 'bindings'),
      '--snapshot',
      path.join(DEMO, 'snapshot'),
      '--json',
    ];
    const aged = JSON.parse((await ops(args)).stdout);
    const age = aged.gates[0].checks.find((c: { id: string }) => c.id === 'D19.snapshot-age');
    expect(age).toMatchObject({ outcome: 'fail', reason: 'snapshot_stale' });
    const off = JSON.parse((await ops([...args, '--max-snapshot-age', '0'])).stdout);
    expect(off.gates[0].checks.find((c: { id: string }) => c.id === 'D19.snapshot-age')).toMatchObject({
      outcome: 'skip',
      reason: 'turned_off',
    });
  });

  it('rejects a bad binding with file, line and field, exit 2, and still writes a receipt', async () => {
    const dir = cleanBindings();
    const inventory = path.join(dir, 'backup.inventory.yaml');
    writeFileSync(
      inventory,
      readFileSync(inventory, 'utf8').replace('stale_after_hours: 48', 'stale_after_hours: "48h"'),
    );
    const run = await ops(['verify', '--bindings', dir]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /input error backup\.inventory\.yaml:\d+:\d+: targets\[\d+\] \([^)]+\)\.stale_after_hours: expected an integer greater than 0, found "48h" \(a string\)/,
    );
    expect(run.stdout).not.toMatch(/\n\s+at /); // no stack trace
    const [key] = receiptsIn(run.cwd);
    expect(receiptOf(run.cwd, key!).inputErrors[0]).toContain('stale_after_hours');
  });

  const badBindings: Array<[string, (inventory: string) => string, RegExp]> = [
    [
      'broken YAML',
      (t) => t.replace('targets:', 'targets: [\n'),
      /backup\.inventory\.yaml:\d+:\d+: expected a \] closing this \[, found none \(a syntax error/,
    ],
    [
      'a syntax error',
      (t) => t.replace('targets:', 'targets: "\n'),
      /backup\.inventory\.yaml:\d+:\d+: expected valid YAML, found a syntax error/,
    ],
    [
      'a duplicate target name',
      (t) => t.replace('name: app-erp-db', 'name: app-gitea-dump'),
      /targets\[\d+\] \(app-gitea-dump\)\.name: expected a unique target name/,
    ],
    [
      'an unknown host id',
      (t) => t.replace('host: git-vm', 'host: git-vm-2'),
      /targets\[\d+\] \([^)]+\)\.host: expected an ssh\.targets\.yaml target id/,
    ],
    [
      'a ** glob',
      (t) => t.replace('glob: "*/erp-db.sql.gz"', 'glob: "**/erp-db.sql.gz"'),
      /\.glob: expected a glob without \*\*/,
    ],
    [
      'an alias bomb',
      (t) =>
        `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n${t}`,
      /expected at most 100 alias expansions, found more/,
    ],
  ];
  it.each(badBindings)('exits 2 on %s, naming file, line and field', async (_, edit, message) => {
    const dir = cleanBindings();
    const inventory = path.join(dir, 'backup.inventory.yaml');
    writeFileSync(inventory, edit(readFileSync(inventory, 'utf8')));
    const run = await ops(['verify', '--bindings', dir, '--json']);
    expect(run.code).toBe(2);
    const result = JSON.parse(run.stdout);
    expect(result.outcome).toBe('error');
    expect(result.gates).toEqual([]);
    expect(result.inputErrors.join('\n')).toMatch(message);
  });

  it('a --bindings folder that does not exist: one line on stderr naming it, exit 2, nothing written', async () => {
    const missing = path.join(tmpdir(), 'no-such-bindings-folder');
    const run = await ops(['verify', '--bindings', missing]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`ops: --bindings ${missing}: no such folder\n`);
    expect(existsSync(path.join(run.cwd, 'reports'))).toBe(false);
  });

  it('rejects unknown gates and flags with the valid choices, exit 2', async () => {
    const gate = await ops(['verify', '--gate', 'D99']);
    expect(gate.code).toBe(2);
    expect(gate.stderr).toContain('unknown gate "D99"; valid gates: D19, D69, relay-stalwart');
    const flag = await ops(['verify', '--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--frobnicate'");
    expect(flag.stderr).toContain('Options: --bindings');
    const command = await ops(['verfiy']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "verfiy"');
  });

  it('explains itself with --help, exit 0', async () => {
    const top = await ops(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('ops verify [options]');
    const verifyHelp = await ops(['verify', '--help']);
    expect(verifyHelp.code).toBe(0);
    expect(verifyHelp.stdout).toContain('--max-snapshot-age H');
    expect(verifyHelp.stdout).toContain('Gates: D19, D69, relay-stalwart');
  });
});

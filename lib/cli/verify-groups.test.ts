// The contract of `ops verify` does not depend on how vitest runs the gates: a vitest test is one
// check group, yet --json, JUnit and the receipt list every finding exactly as the rules produced
// it, one testcase each, in the rules' order. The built CLI in a child process against the rules
// called directly. Needs `npm run build` first (`npm test` does it).

import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBindings } from '../bindings/load.js';
import { applyWaivers } from '../gates/waivers.js';
import { findingId, type Finding } from '../model.js';
import { DEMO_SITE, PACKAGE_ROOT } from '../package-root.js';
import { evaluateD19 } from '../rules/D19.js';
import { evaluateD69 } from '../rules/D69.js';
import type { Rule, VerifyInput } from '../rules/input.js';
import { evaluateRadicaleCalendar } from '../rules/radicale-calendar.js';
import { evaluateRelay } from '../rules/relay-stalwart.js';
import { reportHtml } from '../report/html.js';
import { junitXml } from '../report/junit.js';
import { readSnapshot } from '../snapshot/read.js';
import { byUrgency } from '../results/run-result.js';
import { checkRestoreSops } from './restore-sops.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const RULES: Record<string, Rule> = {
  D19: evaluateD19,
  D69: evaluateD69,
  'relay-stalwart': evaluateRelay,
  'radicale-calendar': evaluateRadicaleCalendar,
};

function ops(args: string[], cwd: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OPS, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 * 2 ** 20 },
      (error, stdout) => {
        resolve({ code: error ? Number(error.code) : 0, stdout });
      },
    );
  });
}

/** Every gate's findings with waivers applied, as `ops verify` judged them (same input, same `now`). */
async function expectedFindings(
  bindingsDir: string,
  snapshotDir: string | null,
  receipt: { now: string },
  bundledDemo: boolean,
) {
  const loaded = await loadBindings(bindingsDir);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const bindings = loaded.bindings;
  const read = snapshotDir ? await readSnapshot(snapshotDir, bindings) : null;
  if (read && !read.ok) throw new Error(JSON.stringify(read.errors));
  const input: VerifyInput = {
    bindings,
    state: read?.state ?? null,
    now: receipt.now,
    maxSnapshotAgeHours: bundledDemo ? 26 : null,
    bundledDemo,
    restoreSops: await checkRestoreSops(bindings),
  };
  return Object.fromEntries(
    Object.entries(RULES).map(([gate, rule]) => [gate, applyWaivers(gate, rule(input), input)]),
  );
}

/** The fields --json carries of each finding. */
const asJson = (f: Finding) => ({
  id: f.check,
  subject: f.subject,
  host: f.host,
  outcome: f.outcome,
  reason: f.reason,
  message: f.message,
  remediation: f.remediation,
  waiver: f.waiver ?? null,
  fix: f.fix ?? null,
  severity: f.severity,
  expected: f.expected ?? null,
  actual: f.actual ?? null,
  evidence: f.evidence,
  retention: f.retention ?? null,
});

async function expectSameAsRules(args: string[], bindingsDir: string, snapshotDir: string | null, bundledDemo = false) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'ops-groups-'));
  const run = await ops(['verify', '--json', ...args], cwd);
  const json = JSON.parse(run.stdout);
  const receiptDir = path.join(cwd, 'reports', 'receipts', readdirSync(path.join(cwd, 'reports', 'receipts'))[0]!);
  const receipt = JSON.parse(readFileSync(path.join(receiptDir, 'receipt.json'), 'utf8'));
  const expected = await expectedFindings(bindingsDir, snapshotDir, receipt, bundledDemo);

  for (const gate of json.gates) {
    const want = expected[gate.id]!;
    expect(
      gate.checks.map(({ fingerprint: _f, drift: _d, ...c }: Record<string, unknown>) => c),
      gate.id,
    ).toEqual([...want].sort(byUrgency).map(asJson));
    const inReceipt = receipt.gates.find((g: { id: string }) => g.id === gate.id).findings;
    expect(
      inReceipt.map(({ fingerprint: _f, drift: _d, ...f }: Finding) => f),
      gate.id,
    ).toEqual(want);
  }
  // JUnit: one testcase per finding, named by it (suites are per gate and host, so compared as a multiset).
  const junit = readFileSync(path.join(cwd, 'reports', 'junit.xml'), 'utf8');
  // The files are written in pieces: whole, they read as the one-string renderings of the same run.
  expect(run.stdout).toBe(`${JSON.stringify(json, null, 2)}\n`);
  expect(readFileSync(path.join(receiptDir, 'receipt.json'), 'utf8')).toBe(`${JSON.stringify(receipt, null, 2)}\n`);
  expect(junit).toBe(junitXml(receipt));
  expect(readFileSync(path.join(receiptDir, 'report.html'), 'utf8')).toBe(reportHtml(receipt));
  const names = [...junit.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) =>
    m[1]!
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&apos;', "'"),
  );
  expect(names.sort()).toEqual(Object.values(expected).flat().map(findingId).sort());
  return { json, expected };
}

describe('ops verify with one vitest test per check group', () => {
  it('reports every finding of the demo site as the rules produced it (fail, error, skip, pass)', async () => {
    const { json } = await expectSameAsRules(
      [],
      path.join(DEMO_SITE, 'bindings'),
      path.join(DEMO_SITE, 'snapshot'),
      true,
    );
    expect(json.exitCode).toBe(2);
    expect(json.summary).toMatchObject({ fail: 46, error: 3 });
  }, 60_000);

  it('does so without host state (groups of skips) and with waivers (waived, expired, stale)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'demo-waived-'));
    cpSync(DEMO_SITE, dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'bindings', 'drift.waivers.yaml'),
      [
        'version: 1',
        'waivers:',
        '  - {gate: D19, check: D19.freshness, subject: "lxc-105-*", justification: accepted, owner: alice@example.com, expires: 2099-04-30}',
        '  - {gate: D69, check: D69.enrolled, subject: "nothing-*", justification: typo, owner: bob@example.com, expires: 2099-04-30}',
        '  - {gate: D19, check: D19.scheduler, subject: "*", justification: ran out, owner: bob@example.com, expires: 2020-04-30}',
        '',
      ].join('\n'),
    );
    const bindings = path.join(dir, 'bindings');
    const waived = await expectSameAsRules(
      ['--bindings', bindings, '--snapshot', path.join(dir, 'snapshot'), '--max-snapshot-age', '0'],
      bindings,
      path.join(dir, 'snapshot'),
    );
    expect(waived.json.summary.waived).toBe(1);
    const offline = await expectSameAsRules(['--bindings', bindings], bindings, null);
    expect(offline.expected['D19']!.filter((f) => f.outcome === 'skip').length).toBeGreaterThan(1);
  }, 60_000);
});

// The `--metrics` file as its consumers read it: promtool (Debian's `prometheus`, a CI package in
// .ci/run: a missing one fails here rather than passing silently), a Prometheus text-format parser
// from npm, the example alert rules under `promtool test rules`, and the Grafana dashboard's queries
// parsed by the Prometheus project's own PromQL grammar. The CLI test needs `npm run build` first.

import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parser as promql } from '@prometheus-io/lezer-promql';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { oneLine } from '../escape.js';
import { METRIC_NAMES, metricsText } from './metrics.js';
import { HOSTILE, makeFinding, makeGate, makeRun } from '../results/testing/run-result.js';

type Family = MetricFamily;
const parse = (text: string): Family[] => parsePrometheusTextFormat(text);
const samples = (families: Family[], name: string) =>
  families.find((f) => f.name === name)!.metrics.map((m) => [m.labels ?? {}, Number(m.value)]);

/** promtool's verdict on a metrics text: its exit code and what it printed (lint problems, parse errors). */
function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const target = { vmid: 101, guest: 'qemu/101', storage: 'pbs-main', node: 'pve1' };
const run = makeRun(
  [
    makeGate('D19', [
      makeFinding({ target, freshness: { ageHours: 50, limitHours: 26, lastAt: 1772200000 } }),
      makeFinding({
        subject: 'vm-102',
        outcome: 'pass',
        target: { ...target, vmid: 102, guest: 'qemu/102' },
        freshness: { ageHours: 2, limitHours: 26, lastAt: 1772370000 },
      }),
      makeFinding({
        subject: 'vm-103',
        reason: 'no_matches',
        target: { vmid: 103, guest: null, storage: '/srv/dump', node: null },
        freshness: { ageHours: null, limitHours: 48, lastAt: null },
      }),
      // An error's facts are not known: no backup series for it.
      makeFinding({
        subject: 'vm-104',
        outcome: 'error',
        reason: 'connect_timeout',
        target: { ...target, vmid: 104, guest: 'qemu/104' },
      }),
      makeFinding({ check: 'D19.verified', outcome: 'pass', reason: null, target, verifiedAt: 1772100000 }),
      makeFinding({
        check: 'D19.retention',
        outcome: 'pass',
        reason: null,
        target,
        retention: { source: 'job', policy: 'keep-last=3', present: 5, kept: 3, protected: 0, min: 3 },
      }),
      // Not counted: no restore points series without the facts.
      makeFinding({
        check: 'D19.retention',
        subject: 'vm-104',
        outcome: 'error',
        reason: 'not_collected',
        target: { ...target, vmid: 104, guest: 'qemu/104' },
      }),
      makeFinding({
        check: 'D19.job-run',
        subject: 'backup-daily',
        reason: 'missed_runs',
        severity: 'critical',
        jobRun: { lastStartAt: 1771900000, missedRuns: 3, node: 'pve1' },
      }),
      makeFinding({
        check: 'D19.job-run',
        subject: HOSTILE,
        outcome: 'pass',
        reason: null,
        severity: 'critical',
        jobRun: { lastStartAt: 1772300000, missedRuns: 0, node: null },
      }),
    ]),
    makeGate('relay-stalwart', [
      makeFinding({
        gate: 'relay-stalwart',
        check: 'relay.queue',
        subject: 'queue',
        outcome: 'skip',
        reason: 'no host state',
        severity: 'medium',
      }),
    ]),
  ],
  {
    hosts: [
      { id: 'pve1', status: 'ok', reason: null, message: null },
      { id: HOSTILE, status: 'error', reason: 'host_key_unknown', message: HOSTILE },
    ],
  },
);
const text = metricsText(run);
const families = parse(text);

describe('metricsText', () => {
  it('passes promtool check metrics, hostile names included', () => {
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
  });

  it('defines each metric once, with HELP and TYPE, and no sample carries a timestamp', () => {
    expect(families.map((f) => f.name)).toEqual([...METRIC_NAMES]);
    for (const f of families) expect([f.name, f.type, f.help.length > 10]).toEqual([f.name, 'GAUGE', true]);
    expect(families.flatMap((f) => f.metrics).filter((m) => m.timestamp_ms !== undefined)).toEqual([]);
    // Each sample line is `name{labels} value`: two fields once the labels are taken out.
    const sampleLines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(sampleLines.filter((l) => l.replace(/\{.*\}/, '').split(' ').length !== 2)).toEqual([]);
  });

  it('carries the run, the findings per gate and outcome, and the failures per check and severity', () => {
    expect(samples(families, 'spine_gates_run_timestamp_seconds')).toEqual([
      [{}, Date.parse('2026-03-01T12:00:04.250Z') / 1000],
    ]);
    expect(samples(families, 'spine_gates_run_duration_seconds')).toEqual([[{}, 4.25]]);
    expect(samples(families, 'spine_gates_run_exit_code')).toEqual([[{}, 2]]);
    expect(samples(families, 'spine_gates_findings')).toContainEqual([{ gate: 'D19', outcome: 'fail' }, 3]);
    expect(samples(families, 'spine_gates_findings')).toContainEqual([
      { gate: 'relay-stalwart', outcome: 'waived' },
      0,
    ]);
    expect(samples(families, 'spine_gates_check_failures')).toEqual([
      [{ gate: 'D19', check: 'D19.freshness', severity: 'high' }, 2],
      [{ gate: 'D19', check: 'D19.verified', severity: 'high' }, 0],
      [{ gate: 'D19', check: 'D19.retention', severity: 'high' }, 0],
      [{ gate: 'D19', check: 'D19.job-run', severity: 'critical' }, 1],
      [{ gate: 'relay-stalwart', check: 'relay.queue', severity: 'medium' }, 0],
    ]);
  });

  it('has per target backup, limit and verify times labelled as prometheus-pve-exporter labels guests (id, node)', () => {
    const labels = {
      target: 'vm-101-app',
      host: 'pve1',
      vmid: '101',
      storage: 'pbs-main',
      id: 'qemu/101',
      node: 'pve1',
    };
    expect(samples(families, 'spine_gates_backup_last_timestamp_seconds')).toEqual([
      [labels, 1772200000],
      [{ ...labels, target: 'vm-102', vmid: '102', id: 'qemu/102' }, 1772370000],
    ]);
    expect(samples(families, 'spine_gates_backup_stale_limit_seconds')).toEqual([
      [labels, 93600],
      [{ ...labels, target: 'vm-102', vmid: '102', id: 'qemu/102' }, 93600],
      [{ target: 'vm-103', host: 'pve1', vmid: '103', storage: '/srv/dump' }, 172800],
    ]);
    expect(samples(families, 'spine_gates_backup_verified_timestamp_seconds')).toEqual([[labels, 1772100000]]);
    // D19.retention: the restore points PVE's prune leaves, and the class's minimum, for `restore_points < restore_points_min`.
    expect(samples(families, 'spine_gates_backup_restore_points')).toEqual([[labels, 3]]);
    expect(samples(families, 'spine_gates_backup_restore_points_min')).toEqual([[labels, 3]]);
  });

  it('has per job its last start and missed runs, per host whether it was read; hostile text stays one escaped label value', () => {
    expect(samples(families, 'spine_gates_job_missed_runs')).toEqual([
      [{ host: 'pve1', job: 'backup-daily', node: 'pve1' }, 3],
      [{ host: 'pve1', job: oneLine(HOSTILE) }, 0],
    ]);
    expect(samples(families, 'spine_gates_job_last_run_timestamp_seconds')[0]).toEqual([
      { host: 'pve1', job: 'backup-daily', node: 'pve1' },
      1771900000,
    ]);
    expect(samples(families, 'spine_gates_host_up')).toEqual([
      [{ host: 'pve1' }, 1],
      [{ host: oneLine(HOSTILE), reason: 'host_key_unknown' }, 0],
    ]);
    // eslint-disable-next-line no-control-regex -- the test looks for control characters
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\ud800-\udfff]/);
  });

  it('says only that it could not judge a run with bad input', () => {
    const bad = metricsText(makeRun([], { inputErrors: ['backup.inventory.yaml:7:3: bad'] }));
    expect(promtoolCheck(bad)).toEqual({ status: 0, output: '' });
    const parsed = parse(bad);
    expect(samples(parsed, 'spine_gates_input_errors')).toEqual([[{}, 1]]);
    expect(samples(parsed, 'spine_gates_run_exit_code')).toEqual([[{}, 2]]);
    expect(samples(parsed, 'spine_gates_findings')).toEqual([]);
  });
});

describe('ops verify --metrics on the bundled demo site', () => {
  it('writes the file by rename into its folder, nothing else left there, and promtool reads it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'metrics-'));
    const file = path.join(dir, 'textfile', 'spine-gates.prom');
    const code = await new Promise<number>((resolve) => {
      execFile(
        process.execPath,
        [
          path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js'),
          'verify',
          '--metrics',
          file,
          '--reports',
          path.join(dir, 'reports'),
        ],
        { cwd: dir, env: { ...process.env, NO_COLOR: '1' } },
        (error) => resolve(error ? Number(error.code) : 0),
      );
    });
    expect(code).toBe(2);
    expect(readdirSync(path.dirname(file))).toEqual(['spine-gates.prom']);
    const demo = readFileSync(file, 'utf8');
    expect(promtoolCheck(demo)).toEqual({ status: 0, output: '' });
    const parsed = parse(demo);
    expect(
      samples(parsed, 'spine_gates_findings')
        .filter(([l]) => (l as Record<string, string>).outcome === 'fail')
        .reduce((n, [, v]) => n + (v as number), 0),
    ).toBe(44);
    expect(samples(parsed, 'spine_gates_host_up')).toContainEqual([{ host: 'git-vm', reason: 'connect_timeout' }, 0]);
    expect(samples(parsed, 'spine_gates_job_missed_runs')).toContainEqual([
      { host: 'pve-home', job: 'backup-5a2e90c4-1b7d', node: expect.any(String) },
      4,
    ]);
    const stale = samples(parsed, 'spine_gates_backup_last_timestamp_seconds').find(
      ([l]) => (l as Record<string, string>).id === 'qemu/201',
    );
    expect(stale?.[0]).toMatchObject({ target: 'home-vm-201-family-cloud-primary', host: 'pve-home', vmid: '201' });
  });
});

describe('docs/monitoring: the example alert rules and the Grafana dashboard', () => {
  const monitoring = path.join(PACKAGE_ROOT, 'docs', 'monitoring');
  const promtool = (...args: string[]) => spawnSync('promtool', args, { encoding: 'utf8', cwd: PACKAGE_ROOT });

  it('rules pass promtool check rules, and their unit tests fire on a stale backup and on a run that stopped writing the file', () => {
    const check = promtool('check', 'rules', path.join(monitoring, 'spine-gates.rules.yml'));
    expect(check.stdout + check.stderr).toContain('SUCCESS: 8 rules found');
    expect(check.status).toBe(0);
    const test = promtool(
      'test',
      'rules',
      path.join(PACKAGE_ROOT, 'lib', 'results', 'testing', 'spine-gates.rules.test.yml'),
    );
    expect(test.stdout + test.stderr).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });

  it('rules and dashboard query only metrics the file defines, and every dashboard query names one', () => {
    const dashboard = JSON.parse(readFileSync(path.join(monitoring, 'spine-gates.grafana.json'), 'utf8'));
    const queries: string[] = dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) =>
      p.targets.map((t) => t.expr),
    );
    const rules = readFileSync(path.join(monitoring, 'spine-gates.rules.yml'), 'utf8');
    const ruleExprs = [...rules.matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1]!);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    expect(ruleExprs).toHaveLength(8);
    for (const expr of [...queries, ...ruleExprs]) {
      const names = metricNames(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      expect(
        names.filter((n) => !(METRIC_NAMES as readonly string[]).includes(n)),
        expr,
      ).toEqual([]);
    }
  });
});

/** The metric names a PromQL expression selects, by the Prometheus project's grammar; a syntax error fails. */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  const cursor = promql.parse(expr).cursor();
  do {
    if (cursor.type.isError) throw new Error(`PromQL syntax error in ${expr} at ${cursor.from}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector')
      names.push(expr.slice(cursor.from, cursor.to));
  } while (cursor.next());
  return names;
}

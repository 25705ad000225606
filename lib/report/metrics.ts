// `ops verify --metrics FILE`: the run as Prometheus text exposition format 0.0.4, for
// node_exporter's textfile collector. Everything is read from the run result (the facts the rules
// put on their findings), never judged again here. No sample carries a timestamp: the collector
// skips a whole file that has one. Labels name guests and nodes as prometheus-pve-exporter does
// (`id="qemu/102"`, `node`), so a query can join the two.

import { OUTCOMES, type Finding } from '../model.js';
import { oneLine } from '../escape.js';
import type { RunResult } from '../results/run-result.js';

type Labels = Record<string, string | number | null | undefined>;
type Sample = [Labels, number];

interface Family {
  name: string;
  help: string;
  samples: Sample[];
}

/** Every metric name the file defines, in the order written (the dashboard and alert rules in docs/ use only these). */
export const METRIC_NAMES = [
  'spine_gates_run_timestamp_seconds',
  'spine_gates_run_duration_seconds',
  'spine_gates_run_exit_code',
  'spine_gates_input_errors',
  'spine_gates_findings',
  'spine_gates_check_failures',
  'spine_gates_backup_last_timestamp_seconds',
  'spine_gates_backup_stale_limit_seconds',
  'spine_gates_backup_verified_timestamp_seconds',
  'spine_gates_backup_restore_points',
  'spine_gates_backup_restore_points_min',
  'spine_gates_job_last_run_timestamp_seconds',
  'spine_gates_job_missed_runs',
  'spine_gates_host_up',
] as const;

type MetricName = (typeof METRIC_NAMES)[number];

const HELP: Record<MetricName, string> = {
  spine_gates_run_timestamp_seconds: 'When the last ops verify run finished (Unix time).',
  spine_gates_run_duration_seconds: 'How long the last ops verify run took.',
  spine_gates_run_exit_code: 'Exit code of the last ops verify run: 0 clean, 1 drift, 2 could not check or bad input.',
  spine_gates_input_errors:
    'Problems with the input (bindings, snapshot, baseline) that kept the run from judging anything.',
  spine_gates_findings: 'Findings of the last run by gate and outcome (pass, fail, error, skip, waived).',
  spine_gates_check_failures:
    'Failed findings (drift) of the last run by check and severity; 0 for a check that judged and found none.',
  spine_gates_backup_last_timestamp_seconds:
    'Time of the newest backup of a target (Unix time): the archive mtime or the PVE storage ctime.',
  spine_gates_backup_stale_limit_seconds: 'How old the newest backup of a target may be (stale_after_hours).',
  spine_gates_backup_verified_timestamp_seconds:
    'When a backup of a PBS target was last verified ok (Unix time); absent when never.',
  spine_gates_backup_restore_points:
    "Restore points of a target's guest that PVE's next prune leaves (kept and protected backups), as D19.retention judged them.",
  spine_gates_backup_restore_points_min:
    "The fewest restore points the target's class must keep (drift.gates.yaml d19.retention).",
  spine_gates_job_last_run_timestamp_seconds:
    'Last start of a vzdump job on its node (Unix time), from its PVE job state.',
  spine_gates_job_missed_runs: 'Scheduled runs of a vzdump job that did not start since its last start.',
  spine_gates_host_up: 'Whether a host could be read in the last run (1) or not (0, reason says why).',
};

const judged = (f: Finding) => f.outcome === 'pass' || f.outcome === 'fail';

/** The labels of a backup target: its name and host, and its guest, storage and node as pve-exporter names them. */
function targetLabels(f: Finding): Labels {
  const t = f.target;
  return { target: f.subject, host: f.host, vmid: t?.vmid, storage: t?.storage, id: t?.guest, node: t?.node };
}

export function metricsText(run: RunResult): string {
  const findings = run.gates.flatMap((g) => g.findings);
  const of = (check: string) => findings.filter((f) => f.check === check && judged(f));
  const values: Record<MetricName, Sample[]> = {
    spine_gates_run_timestamp_seconds: [[{}, Date.parse(run.finishedAt) / 1000]],
    spine_gates_run_duration_seconds: [[{}, (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000]],
    spine_gates_run_exit_code: [[{}, run.exitCode]],
    spine_gates_input_errors: [[{}, run.inputErrors.length]],
    spine_gates_findings: run.gates.flatMap((g) =>
      OUTCOMES.map((outcome): Sample => [
        { gate: g.id, outcome },
        g.findings.filter((f) => f.outcome === outcome).length,
      ]),
    ),
    spine_gates_check_failures: checkFailures(findings),
    spine_gates_backup_last_timestamp_seconds: of('D19.freshness')
      .filter((f) => typeof f.freshness?.lastAt === 'number')
      .map((f) => [targetLabels(f), f.freshness!.lastAt!]),
    spine_gates_backup_stale_limit_seconds: of('D19.freshness')
      .filter((f) => f.freshness)
      .map((f) => [targetLabels(f), f.freshness!.limitHours * 3600]),
    spine_gates_backup_verified_timestamp_seconds: of('D19.verified')
      .filter((f) => typeof f.verifiedAt === 'number')
      .map((f) => [targetLabels(f), f.verifiedAt!]),
    spine_gates_backup_restore_points: of('D19.retention')
      .filter((f) => f.retention)
      .map((f) => [targetLabels(f), f.retention!.kept]),
    spine_gates_backup_restore_points_min: of('D19.retention')
      .filter((f) => f.retention)
      .map((f) => [targetLabels(f), f.retention!.min]),
    spine_gates_job_last_run_timestamp_seconds: of('D19.job-run')
      .filter((f) => typeof f.jobRun?.lastStartAt === 'number')
      .map((f) => [{ host: f.host, job: f.subject, node: f.jobRun!.node }, f.jobRun!.lastStartAt!]),
    spine_gates_job_missed_runs: of('D19.job-run')
      .filter((f) => f.jobRun)
      .map((f) => [{ host: f.host, job: f.subject, node: f.jobRun!.node }, f.jobRun!.missedRuns]),
    spine_gates_host_up: run.hosts.map((h) => [{ host: h.id, reason: h.reason }, h.status === 'ok' ? 1 : 0]),
  };
  return METRIC_NAMES.map((name) => familyText({ name, help: HELP[name], samples: values[name] })).join('');
}

/** Per check and severity the check judged with: how many of its findings failed. */
function checkFailures(findings: Finding[]): Sample[] {
  const counts = new Map<string, Sample>();
  for (const f of findings) {
    const key = `${f.gate}\u0000${f.check}\u0000${f.severity}`;
    let sample = counts.get(key);
    if (!sample) counts.set(key, (sample = [{ gate: f.gate, check: f.check, severity: f.severity }, 0]));
    if (f.outcome === 'fail') sample[1] += 1;
  }
  return [...counts.values()];
}

function familyText(family: Family): string {
  const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} gauge`];
  // A value that is no number (a date that did not parse) is left out, never written as NaN.
  for (const [labels, value] of family.samples)
    if (Number.isFinite(value)) lines.push(`${family.name}${labelText(labels)} ${value}`);
  return `${lines.join('\n')}\n`;
}

/** `{a="x",b="y"}` with absent and empty labels left out (Prometheus reads an empty label as no label). */
function labelText(labels: Labels): string {
  const pairs = Object.entries(labels)
    .filter((e): e is [string, string | number] => e[1] !== null && e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}="${labelValue(String(v))}"`);
  return pairs.length ? `{${pairs.join(',')}}` : '';
}

/**
 * A label value as the text format requires (backslash, double quote and line feed escaped), after
 * the one rule for host text in every output: controls and lone surrogates shown as `\uXXXX`.
 */
export function labelValue(text: string): string {
  return oneLine(text).replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

const escapeHelp = (text: string) => text.replace(/[\\\n]/g, (ch) => (ch === '\n' ? '\\n' : '\\\\'));

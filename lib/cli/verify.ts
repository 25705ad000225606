// `ops verify`: load the bindings, read host state, run the gates, write JUnit + receipt, print.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadBindings } from '../bindings/load.js';
import { formatBindingError, type Bindings } from '../bindings/types.js';
import { GATES, gateIds, type GateInfo } from '../catalogue/gates.js';
import { prepareGates, type GateRunner } from '../gates/run-gates.js';
import type { HostState } from '../model.js';
import { DEMO_SITE, TOOL } from '../package-root.js';
import { chooseBindings, demoWarning, LIVE_NEEDS_BINDINGS, type ChosenBindings } from './find-bindings.js';
import { consoleReport, useColour } from '../report/console.js';
import { batched, jsonFile } from '../report/json-chunks.js';
import { jsonOutput } from '../report/json-output.js';
import { junitPieces } from '../report/junit.js';
import { sarifLog } from '../report/sarif.js';
import { metricsText } from '../report/metrics.js';
import { reportHtmlPieces } from '../report/html.js';
import { driftCounts, exitCodeWith, markDrift, readBaseline } from '../results/drift.js';
import { abandonReceipt, startReceipt, writeAtomically, writeReceipt, type ReceiptFolder } from '../report/receipt.js';
import {
  aggregateOutcome,
  addSummaries,
  type FailOn,
  type GateResult,
  type InputDigest,
  type RunResult,
  type RunSource,
} from '../results/run-result.js';
import type { CollectOptions } from '../collect/types.js';
import { readSnapshot } from '../snapshot/read.js';
import { weekWindows } from '../calendar/windows.js';
import { removeIfInterrupted } from './interrupt.js';
import { checkRestoreSops } from './restore-sops.js';
import {
  COLLECT_FLAG_LIST,
  COLLECT_FLAGS,
  collectFlagsGiven,
  collectOptionsFrom,
  collectSnapshot,
} from './collect-flags.js';
import { strictFlags, UsageError, VERIFY_HELP } from './usage.js';

interface VerifyOptions {
  bindings: string | undefined;
  snapshot: string | undefined;
  /** --live: collect over SSH into the receipt folder, then judge that snapshot. */
  live: CollectOptions | null;
  gates: GateInfo[];
  reports: string;
  json: boolean;
  /** --sarif FILE: SARIF 2.1.0 for code scanning; null: none. */
  sarif: string | null;
  /** --html FILE: the HTML report also here (it is always in the receipt folder); null: only there. */
  html: string | null;
  /** --metrics FILE: Prometheus text format for node_exporter's textfile collector; null: none. */
  metrics: string | null;
  maxSnapshotAgeHours: number | null;
  /** --baseline: a receipt whose drift is known; --fail-on new: only new drift sets the exit code. */
  baseline: string | null;
  failOn: FailOn;
}

export async function verify(argv: string[]): Promise<number> {
  const options = parseVerifyArgs(argv);
  if (!options) {
    process.stdout.write(VERIFY_HELP);
    return 0;
  }
  const chosen = chooseBindings(options.bindings);
  if (options.live && chosen.chosenBy === 'bundled demo site') throw new UsageError(LIVE_NEEDS_BINDINGS);
  const receipt = await startReceipt(options.reports);
  // Interrupted (SIGINT/SIGTERM) before its receipt is in place, the run leaves no trace of it.
  const unfinished = removeIfInterrupted(receipt.work);
  // vitest starts now and gets ready while the bindings load and the hosts are read; its gates
  // wait for their input, so the run is always ended here, whatever happens in between.
  const gateRunner = prepareGates(options.gates);
  try {
    return await judge(options, chosen, receipt, gateRunner);
  } finally {
    await gateRunner.close();
    unfinished.done();
    await abandonReceipt(receipt); // nothing left when the receipt was put into place
  }
}

async function judge(
  options: VerifyOptions,
  chosen: ChosenBindings,
  receipt: ReceiptFolder,
  gateRunner: GateRunner,
): Promise<number> {
  const { dir: bindingsDir, chosenBy } = chosen;
  const startedAt = new Date();
  const timingsMs: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      timingsMs[name] = Math.round(performance.now() - t0);
    }
  };

  const bundledDemo = chosenBy === 'bundled demo site';
  const { runKey } = receipt;
  // A live run's evidence is the snapshot it writes into its receipt folder: named where it will
  // be, written where the receipt is built until it is complete.
  const liveSnapshot = path.join(receipt.work, 'snapshot');
  const snapshotDir = options.live
    ? path.join(receipt.dir, 'snapshot')
    : options.snapshot
      ? path.resolve(options.snapshot)
      : bundledDemo
        ? path.join(DEMO_SITE, 'snapshot')
        : null;
  // The first line says which bindings are judged, loudly when it is the demo. With --json, stdout
  // carries the JSON only and stderr only the demo warning (the JSON's source says the rest).
  const demo = bundledDemo ? `WARNING: ${demoWarning(chosen)}; ` : '';
  const snapshotText = snapshotDir
    ? `, ${options.live ? 'live snapshot' : 'snapshot'} ${snapshotDir}`
    : ', no snapshot';
  const firstLine = `spine-gates ${TOOL.version}: ${demo}bindings ${bindingsDir} (${chosenBy})${snapshotText}\n`;
  if (!options.json) process.stdout.write(firstLine);
  else if (bundledDemo) process.stderr.write(`ops: ${firstLine}`);

  const inputErrors: string[] = [];
  const inputs: InputDigest[] = [];
  let bindings: Bindings | null = null;
  let state: HostState | null = null;
  const baseline = options.baseline === null ? null : await readBaseline(options.baseline);
  if (baseline && !baseline.ok) inputErrors.push(baseline.error);

  const loaded = await timed('loadBindings', () => loadBindings(bindingsDir));
  if (!loaded.ok) inputErrors.push(...loaded.errors.map(formatBindingError));
  else {
    bindings = loaded.bindings;
    inputs.push(...Object.entries(bindings.digests).map(([file, sha256]) => ({ file: `bindings/${file}`, sha256 })));
    if (snapshotDir && options.live && !inputErrors.length) {
      // The calendar is read only when a gate that judges it runs.
      const calendar = options.gates.some((g) => g.id === 'radicale-calendar');
      const live = await timed('collect', () =>
        collectSnapshot(loaded.bindings, { ...options.live!, calendar }, liveSnapshot, options.json),
      );
      if (!live.ok) inputErrors.push(live.error);
    }
    if (snapshotDir && !inputErrors.length) {
      const snapshot = await timed('readSnapshot', () =>
        readSnapshot(options.live ? liveSnapshot : snapshotDir, loaded.bindings),
      );
      if (!snapshot.ok) inputErrors.push(...snapshot.errors.map(formatBindingError));
      else {
        state = snapshot.state;
        inputs.push(
          ...Object.entries(snapshot.digests).map(([file, sha256]) => ({ file: `snapshot/${file}`, sha256 })),
        );
      }
    }
  }

  // Judged as of: the demo's capture time; for a live run, the end of its collection (so its
  // snapshot is never judged from before it was taken); otherwise the start of the run.
  const now =
    bundledDemo && state ? state.capturedAt : options.live ? new Date().toISOString() : startedAt.toISOString();
  let gates: GateResult[] = [];
  if (bindings && !inputErrors.length) {
    const restoreSops = await checkRestoreSops(bindings);
    const run = await timed('gates', () =>
      gateRunner.run({
        bindings: bindings!,
        state,
        now,
        maxSnapshotAgeHours: options.maxSnapshotAgeHours,
        bundledDemo,
        restoreSops,
      }),
    );
    gates = markDrift(run.gates, baseline?.ok ? baseline.baseline : null);
    inputErrors.push(...run.problems);
  }

  const summary = addSummaries(gates);
  const outcome = inputErrors.length ? 'error' : aggregateOutcome(summary);
  const source: RunSource = {
    kind: options.live ? 'live' : snapshotDir ? 'snapshot' : 'bindings-only',
    bindings: bindingsDir,
    bindingsChosenBy: chosenBy,
    snapshot: snapshotDir,
    capturedAt: state?.capturedAt ?? null,
    ...(options.live ? { insecureAcceptAnyHostKey: options.live.insecureAcceptAnyHostKey } : {}),
  };
  const git = bindings ? await gitCheckout(bindingsDir) : null;
  const result: RunResult = {
    runKey,
    tool: TOOL,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    now,
    source,
    inputs,
    bindingsDigest: bindings ? digestOf(bindings.digests) : null,
    bindingsGitCommit: git?.commit ?? null,
    bindingsPathInRepo:
      path
        .relative(git?.root ?? process.cwd(), bindingsDir)
        .split(path.sep)
        .join('/') || '.',
    hostSources: Object.fromEntries((bindings?.ssh?.targets ?? []).map((t) => [t.id, t.source])),
    windows: bindings ? weekWindows(bindings, state, now) : null,
    hosts: state
      ? Object.values(state.hosts).map((h) => ({
          id: h.id,
          status: h.status,
          reason: h.problem?.reason ?? null,
          message: h.problem?.message ?? null,
        }))
      : [],
    inputErrors,
    gates,
    summary,
    outcome,
    exitCode: exitCodeWith(options.failOn, outcome, gates, inputErrors),
    baseline: baseline?.ok
      ? { receipt: options.baseline!, runKey: baseline.baseline.runKey, failOn: options.failOn, ...driftCounts(gates) }
      : null,
    timingsMs,
  };
  result.timingsMs.total = Math.round(Date.now() - startedAt.getTime());

  // The receipt first: a junit.xml never describes a run without one.
  const receiptPath = await writeReceipt(receipt, result);
  const junitPath = path.join(options.reports, 'junit.xml');
  await writeAtomically(junitPath, junitPieces(result));
  if (options.sarif) await writeAtomically(options.sarif, sarifLog(result));
  if (options.html) await writeAtomically(options.html, reportHtmlPieces(result));
  // Replaced by rename, never rewritten in place: the textfile collector never reads half a file.
  if (options.metrics) await writeAtomically(options.metrics, metricsText(result));
  if (options.json) {
    // The same text as JSON.stringify(…, null, 2), written a piece at a time (stdout is synchronous for files and
    // pipes).
    for (const piece of batched(jsonFile(jsonOutput(result), 4))) process.stdout.write(piece);
  } else
    process.stdout.write(
      consoleReport(
        result,
        {
          receipt: receiptPath,
          junit: junitPath,
          ...(options.sarif ? { sarif: options.sarif } : {}),
          ...(options.html ? { html: options.html } : {}),
          ...(options.metrics ? { metrics: options.metrics } : {}),
        },
        useColour(process.stdout),
        bundledDemo ? demoWarning(chosen) : null,
      ),
    );
  return result.exitCode;
}

function parseVerifyArgs(argv: string[]): VerifyOptions | null {
  const v = strictFlags(
    argv,
    {
      bindings: { type: 'string' },
      snapshot: { type: 'string' },
      gate: { type: 'string', multiple: true },
      reports: { type: 'string' },
      json: { type: 'boolean' },
      sarif: { type: 'string' },
      html: { type: 'string' },
      metrics: { type: 'string' },
      'max-snapshot-age': { type: 'string' },
      live: { type: 'boolean' },
      baseline: { type: 'string' },
      'fail-on': { type: 'string' },
      ...COLLECT_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
    `--bindings --snapshot --live --gate --reports --json --sarif --html --metrics --max-snapshot-age --baseline --fail-on ${COLLECT_FLAG_LIST}`,
  );
  if (v.help) return null;
  if (v.live && v.snapshot !== undefined)
    throw new UsageError(
      "--live and --snapshot exclude each other: --live collects a new snapshot into the run's receipt folder",
    );
  const stray = v.live ? [] : collectFlagsGiven(v);
  if (stray.length)
    throw new UsageError(`${stray.join(', ')} only ${stray.length > 1 ? 'apply' : 'applies'} with --live`);
  const wanted = v.gate ?? gateIds();
  const unknown = wanted.filter((id) => !gateIds().includes(id));
  if (unknown.length)
    throw new UsageError(
      `unknown gate ${unknown.map((g) => `"${g}"`).join(', ')}; valid gates: ${gateIds().join(', ')}`,
    );
  const maxAge = v['max-snapshot-age'] ?? '26';
  if (!/^\d+(\.\d+)?$/.test(maxAge))
    throw new UsageError(`--max-snapshot-age takes a number of hours (0 turns it off), got "${maxAge}"`);
  const failOn = v['fail-on'] ?? 'any';
  if (failOn !== 'any' && failOn !== 'new') throw new UsageError(`--fail-on takes any or new, got "${failOn}"`);
  if (failOn === 'new' && v.baseline === undefined)
    throw new UsageError('--fail-on new needs --baseline RECEIPT: new drift is drift that receipt does not have');
  return {
    baseline: v.baseline ?? null,
    failOn,
    bindings: v.bindings,
    snapshot: v.snapshot,
    json: Boolean(v.json),
    reports: v.reports ?? 'reports',
    sarif: v.sarif ?? null,
    html: v.html ?? null,
    metrics: v.metrics ?? null,
    live: v.live ? collectOptionsFrom(v) : null,
    gates: GATES.filter((g) => wanted.includes(g.id)),
    maxSnapshotAgeHours: Number(maxAge) === 0 ? null : Number(maxAge),
  };
}

function digestOf(digests: Record<string, string>): string {
  const lines = Object.keys(digests)
    .sort()
    .map((f) => `${digests[f]}  ${f}\n`)
    .join('');
  return createHash('sha256').update(lines).digest('hex');
}

/**
 * The bindings' git toplevel and commit; null when not a git checkout (or git is not installed): the receipt says none.
 */
async function gitCheckout(dir: string): Promise<{ root: string; commit: string | null } | null> {
  try {
    const { stdout } = await promisify(execFile)('git', ['-C', dir, 'rev-parse', '--show-toplevel', 'HEAD'], {
      timeout: 5000,
    });
    const [root, commit] = stdout.trim().split('\n');
    return root ? { root, commit: commit || null } : null;
  } catch {
    return null;
  }
}

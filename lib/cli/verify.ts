// `ops verify`: load the bindings, read host state, run the gates, write JUnit + receipt, print.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { loadBindings } from '../bindings/load.js';
import { formatBindingError, type Bindings } from '../bindings/types.js';
import { GATES, gateIds, type GateInfo } from '../gates/registry.js';
import { runGates } from '../gates/run-gates.js';
import type { HostState } from '../model.js';
import { DEMO_SITE, TOOL } from '../package-root.js';
import { consoleReport, useColour } from '../report/console.js';
import { jsonOutput } from '../report/json-output.js';
import { junitXml } from '../report/junit.js';
import { reserveReceiptDir, writeReceipt } from '../report/receipt.js';
import {
  aggregateOutcome, exitCodeFor, summarize, type GateResult, type InputDigest, type RunResult, type RunSource,
} from '../report/run-result.js';
import { readSnapshot } from '../snapshot/read.js';
import { UsageError, VERIFY_HELP } from './usage.js';

interface VerifyOptions {
  bindings: string | undefined;
  snapshot: string | undefined;
  gates: GateInfo[];
  reports: string;
  json: boolean;
  maxSnapshotAgeHours: number | null;
}

export async function verify(argv: string[]): Promise<number> {
  const options = parseVerifyArgs(argv);
  if (!options) {
    process.stdout.write(VERIFY_HELP);
    return 0;
  }
  const startedAt = new Date();
  const timingsMs: Record<string, number> = {};
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try { return await work(); } finally { timingsMs[name] = Math.round(performance.now() - t0); }
  };

  const { dir: bindingsDir, chosenBy } = chooseBindings(options.bindings);
  const bundledDemo = chosenBy === 'bundled demo site';
  const snapshotDir = options.snapshot ? path.resolve(options.snapshot) : bundledDemo ? path.join(DEMO_SITE, 'snapshot') : null;
  // The first line says which bindings are judged; with --json, stdout carries the JSON only.
  (options.json ? process.stderr : process.stdout).write(`spine-gates ${TOOL.version}: bindings ${bindingsDir} (${chosenBy})${snapshotDir ? `, snapshot ${snapshotDir}` : ', no snapshot'}\n`);

  const { runKey, dir: receiptDir } = await reserveReceiptDir(options.reports);
  const inputErrors: string[] = [];
  const inputs: InputDigest[] = [];
  let bindings: Bindings | null = null;
  let state: HostState | null = null;

  const loaded = await timed('loadBindings', () => loadBindings(bindingsDir));
  if (!loaded.ok) inputErrors.push(...loaded.errors.map(formatBindingError));
  else {
    bindings = loaded.bindings;
    inputs.push(...Object.entries(bindings.digests).map(([file, sha256]) => ({ file: `bindings/${file}`, sha256 })));
    if (snapshotDir) {
      const snapshot = await timed('readSnapshot', () => readSnapshot(snapshotDir, loaded.bindings));
      if (!snapshot.ok) inputErrors.push(...snapshot.errors.map(formatBindingError));
      else {
        state = snapshot.state;
        inputs.push(...Object.entries(snapshot.digests).map(([file, sha256]) => ({ file: `snapshot/${file}`, sha256 })));
      }
    }
  }

  let gates: GateResult[] = [];
  if (bindings && !inputErrors.length) {
    const now = bundledDemo && state ? state.capturedAt : startedAt.toISOString();
    const run = await timed('gates', () => runGates(options.gates, {
      bindings: bindings!, state, now, maxSnapshotAgeHours: options.maxSnapshotAgeHours, bundledDemo,
    }));
    gates = run.gates;
    inputErrors.push(...run.problems);
  }

  const summary = summarize(gates.flatMap((g) => g.findings));
  const outcome = inputErrors.length ? 'error' : aggregateOutcome(summary);
  const source: RunSource = {
    kind: snapshotDir ? 'snapshot' : 'bindings-only', bindings: bindingsDir, bindingsChosenBy: chosenBy,
    snapshot: snapshotDir, capturedAt: state?.capturedAt ?? null,
  };
  const result: RunResult = {
    runKey, tool: TOOL, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(),
    now: bundledDemo && state ? state.capturedAt : startedAt.toISOString(), source, inputs,
    bindingsDigest: bindings ? digestOf(bindings.digests) : null,
    bindingsGitCommit: bindings ? await gitCommit(bindingsDir) : null,
    hosts: state ? Object.values(state.hosts).map((h) => ({ id: h.id, status: h.status, reason: h.problem?.reason ?? null, message: h.problem?.message ?? null })) : [],
    inputErrors, gates, summary, outcome, exitCode: exitCodeFor(outcome), timingsMs,
  };
  result.timingsMs.total = Math.round(Date.now() - startedAt.getTime());

  const junitPath = path.join(options.reports, 'junit.xml');
  await writeAtomically(junitPath, junitXml(result));
  const receiptPath = await writeReceipt(receiptDir, result);
  if (options.json) process.stdout.write(`${JSON.stringify(jsonOutput(result), null, 2)}\n`);
  else process.stdout.write(consoleReport(result, { receipt: receiptPath, junit: junitPath }, useColour(process.stdout)));
  return result.exitCode;
}

function parseVerifyArgs(argv: string[]): VerifyOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: false, strict: true,
      options: {
        bindings: { type: 'string' }, snapshot: { type: 'string' }, gate: { type: 'string', multiple: true },
        reports: { type: 'string' }, json: { type: 'boolean' }, 'max-snapshot-age': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]}\nOptions: --bindings --snapshot --gate --reports --json --max-snapshot-age --help`);
  }
  const v = parsed.values;
  if (v.help) return null;
  const wanted = v.gate ?? gateIds();
  const unknown = wanted.filter((id) => !gateIds().includes(id));
  if (unknown.length) throw new UsageError(`unknown gate ${unknown.map((g) => `"${g}"`).join(', ')}; valid gates: ${gateIds().join(', ')}`);
  const maxAge = v['max-snapshot-age'] ?? '26';
  if (!/^\d+(\.\d+)?$/.test(maxAge)) throw new UsageError(`--max-snapshot-age takes a number of hours (0 turns it off), got "${maxAge}"`);
  return {
    bindings: v.bindings, snapshot: v.snapshot, json: Boolean(v.json), reports: v.reports ?? 'reports',
    gates: GATES.filter((g) => wanted.includes(g.id)),
    maxSnapshotAgeHours: Number(maxAge) === 0 ? null : Number(maxAge),
  };
}

function chooseBindings(flag: string | undefined): { dir: string; chosenBy: RunSource['bindingsChosenBy'] } {
  if (flag) return { dir: path.resolve(flag), chosenBy: '--bindings' };
  if (existsSync('ops/bindings')) return { dir: path.resolve('ops/bindings'), chosenBy: './ops/bindings' };
  return { dir: path.join(DEMO_SITE, 'bindings'), chosenBy: 'bundled demo site' };
}

function digestOf(digests: Record<string, string>): string {
  const lines = Object.keys(digests).sort().map((f) => `${digests[f]}  ${f}\n`).join('');
  return createHash('sha256').update(lines).digest('hex');
}

async function gitCommit(dir: string): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('git', ['-C', dir, 'rev-parse', 'HEAD'], { timeout: 5000 });
    return stdout.trim() || null;
  } catch {
    return null; // not a git checkout, or git is not installed: the receipt says none
  }
}

async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

// Every output of `ops verify` on the bundled demo site, byte for byte, against committed copies: a
// refactor that claims "no behaviour change" is proven by this test passing unchanged. What differs
// from run to run (run key, the clock, durations, this checkout's paths and commit, the runner's
// name) is replaced by a placeholder first. An intended change of output: run with UPDATE_GOLDEN=1,
// read the diff of lib/cli/testdata/golden/ and commit it with the change.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const GOLDEN = path.join(PACKAGE_ROOT, 'lib', 'cli', 'testdata', 'golden');

/** `ops verify` in an empty folder (it judges the bundled demo): its stdout; exit code 2 (the demo has errors). */
function verify(cwd: string, args: string[]): string {
  try {
    return execFileSync(process.execPath, [OPS, 'verify', ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
  } catch (e) {
    return (e as { stdout: string }).stdout;
  }
}

function normalise(text: string, cwd: string, started: number): string {
  const near = (epochMs: number) => Math.abs(epochMs - started) < 86_400_000;
  return text
    .replaceAll(cwd, '<CWD>')
    .replaceAll(PACKAGE_ROOT, '<ROOT>')
    .replaceAll(`hostname="${hostname()}"`, 'hostname="<RUNNER>"')
    .replace(/\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}/g, '<RUN-KEY>')
    .replace(/\b[0-9a-f]{40}\b/g, '<COMMIT>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, (iso) => (near(Date.parse(iso)) ? '<NOW>' : iso))
    .replace(/\b1[7-9]\d{8}(?:\.\d+)?\b/g, (s) => (near(Number(s) * 1000) ? '<NOW-EPOCH>' : s))
    .replace(/ time="[\d.]+"/g, ' time="<SECONDS>"')
    .replace(/^(spine_gates_run_duration_seconds) [\d.]+$/m, '$1 <SECONDS>')
    .replace(/\(exit (\d)\)[^\n]*/g, '(exit $1) <PATHS>');
}

describe('ops verify on the bundled demo: every output as committed', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'golden-'));
  const started = Date.now();
  const json = verify(cwd, ['--json', '--sarif', 'out.sarif', '--metrics', 'out.prom']);
  const receipts = path.join(cwd, 'reports', 'receipts');
  const receiptDir = path.join(receipts, readdirSync(receipts)[0]!);
  const outputs: Record<string, string> = {
    'verify.json': json,
    'junit.xml': readFileSync(path.join(cwd, 'reports', 'junit.xml'), 'utf8'),
    'receipt.md': readFileSync(path.join(receiptDir, 'receipt.md'), 'utf8'),
    'out.sarif': readFileSync(path.join(cwd, 'out.sarif'), 'utf8'),
    'metrics.prom': readFileSync(path.join(cwd, 'out.prom'), 'utf8'),
    'console.txt': verify(mkdtempSync(path.join(tmpdir(), 'golden-')), []),
  };

  it.each(Object.keys(outputs))('%s', (name) => {
    const consoleCwd = name === 'console.txt' ? /\/tmp\/golden-[^/\s]+/g : null;
    const text = normalise(consoleCwd ? outputs[name]!.replace(consoleCwd, '<CWD>') : outputs[name]!, cwd, started);
    const file = path.join(GOLDEN, name);
    if (process.env['UPDATE_GOLDEN']) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});

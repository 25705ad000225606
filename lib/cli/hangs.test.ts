// `ops` always ends: a calendar server that never answers, a reader that stops early, a signal.
// Real processes and a real TCP server on 127.0.0.1 that accepts and never says a word.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSilentTcpServer, writeBindings } from '../collect/testing/fake-host.js';
import { PACKAGE_ROOT } from '../package-root.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function start(args: string[], cwd: string): { child: ChildProcess; ended: Promise<Ended>; firstLine: Promise<void> } {
  const t0 = Date.now();
  const child = spawn(process.execPath, [OPS, ...args], {
    cwd,
    env: { PATH: process.env['PATH'], HOME: cwd, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  let sawLine: () => void = () => undefined;
  const firstLine = new Promise<void>((resolve) => {
    sawLine = resolve;
  });
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.includes('\n')) sawLine();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('\n')) sawLine();
  });
  const ended = new Promise<Ended>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 })),
  );
  return { child, ended, firstLine };
}

/** Ends the child if a test gave up on it, so no process outlives the test. */
function reap(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Processes (other than this test's) whose command line names `marker`: what an `ops` run left behind. */
function processesNaming(marker: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

describe('ops never hangs', () => {
  let silent: Awaited<ReturnType<typeof startSilentTcpServer>>;
  let work: string;
  let bindings: string;

  beforeAll(async () => {
    silent = await startSilentTcpServer();
    work = mkdtempSync(path.join(tmpdir(), 'hangs-'));
    bindings = await writeBindings(path.join(work, 'bindings'), {
      hosts: [],
      targets: [],
      guests: [],
      pveHosts: [],
      policy: { calendar: { url: `http://127.0.0.1:${silent.port}/alice/backups/` } },
    });
  });
  afterAll(async () => {
    await silent?.close();
  });

  it('a calendar server that accepts and never answers: http_timeout, outputs written, and the process exits', async () => {
    const reports = path.join(work, 'reports-timeout');
    const run = start(
      [
        'verify',
        '--live',
        '--gate',
        'radicale-calendar',
        '--command-timeout',
        '1',
        '--bindings',
        bindings,
        '--reports',
        reports,
        '--json',
      ],
      work,
    );
    try {
      const ended = await Promise.race([run.ended, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
      expect(ended, 'ops verify did not exit within 20 s of an http_timeout').not.toBeNull();
      expect(ended!.code).toBe(2);
      const checks = (JSON.parse(ended!.stdout) as { gates: Array<{ checks: Array<{ id: string; reason: string }> }> })
        .gates[0]!.checks;
      expect(
        checks.find((c) => c.id === 'calendar.in-radicale')?.reason ??
          checks.find((c) => c.id === 'calendar.orphan')?.reason,
      ).toBe('http_timeout');
      expect(existsSync(path.join(reports, 'junit.xml'))).toBe(true);
    } finally {
      reap(run.child);
    }
  }, 30_000);

  it('SIGTERM while the calendar hangs: exits within 3 s, 143, no process left, no receipt folder', async () => {
    const reports = path.join(work, 'reports-sigterm');
    const run = start(
      [
        'verify',
        '--live',
        '--gate',
        'radicale-calendar',
        '--command-timeout',
        '60',
        '--bindings',
        bindings,
        '--reports',
        reports,
      ],
      work,
    );
    try {
      await run.firstLine;
      await new Promise((r) => setTimeout(r, 1500)); // into the collection: the request is waiting on the silent server
      const receipts = path.join(reports, 'receipts');
      expect(readdirSync(receipts)).toHaveLength(1); // the run's folder was reserved
      const sent = Date.now();
      run.child.kill('SIGTERM');
      const ended = await Promise.race([run.ended, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      expect(ended, 'ops verify did not stop after SIGTERM').not.toBeNull();
      expect(Date.now() - sent).toBeLessThan(3000);
      expect(ended!.code).toBe(143);
      expect(ended!.stderr).toContain('ops: interrupted by SIGTERM');
      expect(readdirSync(receipts)).toEqual([]);
      expect(processesNaming(reports)).toEqual([]);
    } finally {
      reap(run.child);
    }
  }, 30_000);

  it('`ops verify | head -1`: the closed pipe is no error; the run exits with its own code, no EPIPE trace', async () => {
    const run = start(['verify', '--reports', path.join(work, 'reports-pipe')], work);
    try {
      await run.firstLine;
      run.child.stdout!.destroy(); // what `head -1` does once it has its line
      const ended = await run.ended;
      expect(ended.stderr).not.toMatch(/EPIPE|node:events|at /);
      expect(ended.code).toBe(2); // the bundled demo's own outcome (an unreadable host)
    } finally {
      reap(run.child);
    }
  }, 30_000);
});

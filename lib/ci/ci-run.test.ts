// .ci/run, the project's CI entry point: type-check and lint before the tests, and a failure of
// either fails the run before any test runs. Run from a copy in a temp folder with `npm`,
// `dpkg-query` and vitest (which .ci/test runs) replaced by stand-ins that log their calls, so nothing
// is installed or tested here.

import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';

const work = mkdtempSync(path.join(tmpdir(), 'ci-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const BIN = path.join(work, 'bin');
mkdirSync(BIN);
mkdirSync(path.join(work, 'repo', '.ci'), { recursive: true });
for (const script of ['run', 'test'])
  copyFileSync(path.join(PACKAGE_ROOT, '.ci', script), path.join(work, 'repo', '.ci', script));
const stubIn = (dir: string) => (name: string, body: string) => {
  writeFileSync(path.join(dir, name), `#!/usr/bin/env bash\n${body}\n`);
  chmodSync(path.join(dir, name), 0o755);
};
const stub = stubIn(BIN);
const VITEST_BIN = path.join(work, 'repo', 'node_modules', '.bin');
mkdirSync(VITEST_BIN, { recursive: true });
// vitest, as .ci/test runs it: logs `test` and writes the JSON report .ci/run reads.
stubIn(VITEST_BIN)(
  'vitest',
  [
    'echo "test $*" >> "$LOG"',
    'echo \'{"numPassedTests":3,"numFailedTests":0,"numPendingTests":0,"numTodoTests":0,"numTotalTests":3}\' > reports/test-results.json',
  ].join('\n'),
);
stub('dpkg-query', "printf 'install ok installed'");
// npm: logs its arguments; fails when they are $FAIL.
stub('npm', ['echo "$*" >> "$LOG"', '[ "$*" = "${FAIL:-}" ] && exit 1', 'exit 0'].join('\n'));

function ciRun(fail: string): Promise<{ code: number; calls: string[]; out: string }> {
  const log = path.join(work, `${fail || 'none'}.log`);
  writeFileSync(log, '');
  return new Promise((resolve) => {
    execFile(
      'bash',
      [path.join(work, 'repo', '.ci', 'run')],
      {
        env: { ...process.env, PATH: `${BIN}:${process.env['PATH']}`, LOG: log, FAIL: fail },
      },
      (error, stdout, stderr) => {
        resolve({
          code: error ? Number(error.code) : 0,
          calls: readFileSync(log, 'utf8').split('\n').filter(Boolean),
          out: stdout + stderr,
        });
      },
    );
  });
}

describe('.ci/run', () => {
  it('runs npm ci, typecheck and lint, then the tests, and prints the count', async () => {
    const run = await ciRun('');
    expect(run.calls.map((c) => c.split(' --')[0])).toEqual(['ci', 'run typecheck', 'run lint', 'test run']);
    expect(run.out).toContain('3 passed, 0 failed, 0 skipped');
    expect(run.code).toBe(0);
  });

  it('fails without running the tests when the typecheck fails', async () => {
    const run = await ciRun('run typecheck');
    expect(run.calls).toEqual(['ci --no-audit --no-fund', 'run typecheck']);
    expect(run.out).toContain('.ci/run: npm run typecheck failed');
    expect(run.code).toBe(1);
  });

  it('fails without running the tests when lint fails', async () => {
    const run = await ciRun('run lint');
    expect(run.calls).toEqual(['ci --no-audit --no-fund', 'run typecheck', 'run lint']);
    expect(run.out).toContain('.ci/run: npm run lint failed');
    expect(run.code).toBe(1);
  });
});

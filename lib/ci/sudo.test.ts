// test.yml runs `bash .ci/run` as GitHub's `runner` user: not root, with passwordless sudo, CI=true.
// The tests that need root (fake sshd hosts, tmpfs mounts, mknod) must then run, not throw or skip:
// .ci/test runs vitest through `sudo -E -H`. This runs .ci/test as such a user, on the tests that
// need root: the invoking user when the suite itself runs under sudo (CI), else a user created here
// (useradd, a NOPASSWD sudoers entry) and removed afterwards. Needs root and `npm run build` first.

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { skipNamed } from '../testing/skip.js';

const CREATED_USER = 'spine-gates-ci';
const SUDOERS = `/etc/sudoers.d/${CREATED_USER}`;
const why =
  process.getuid?.() !== 0
    ? 'needs root, to act as a user with passwordless sudo (CI runs the suite as root through .ci/test)'
    : !existsSync('/usr/bin/sudo')
      ? 'sudo is not installed'
      : !existsSync('/usr/sbin/runuser')
        ? 'runuser (util-linux) is missing'
        : !existsSync(path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js'))
          ? 'run `npm run build` first'
          : null;

/** Each test that cannot run without root, by file and name: what must pass, not skip, as the runner user. */
const ROOT_TESTS: Record<string, string> = {
  'lib/input-file.test.ts': 'binding files refuses a device without reading it',
  'lib/collect/testing/fake-host.test.ts':
    'fake-host prerequisites root, /usr/sbin/sshd, unshare and overlayfs are available',
  'lib/collect/live.test.ts':
    'live SSH prerequisites root, /usr/sbin/sshd, unshare and overlayfs are available, and the CLI is built',
  'lib/report/receipt.test.ts':
    'outputs on a full or read-only disk a disk full while writing the receipt: exit 2, the file and "no space left on device" named, no receipt folder, no temp file',
};

const runuser = (user: string, command: string[], env: Record<string, string>) =>
  spawnSync(
    'runuser',
    ['-u', user, '--', 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command],
    { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 300_000 },
  );

describe.skipIf(why !== null)(skipNamed('.ci/test as a non-root user with passwordless sudo and CI=true', why), () => {
  let user = CREATED_USER;
  let created = false;

  beforeAll(() => {
    const invoking = process.env.SUDO_USER;
    const canRun = (u: string) =>
      runuser(u, ['sh', '-c', 'test -r .ci/test && sudo -n true'], { PATH: process.env.PATH ?? '/usr/bin:/bin' })
        .status === 0;
    if (invoking && invoking !== 'root' && canRun(invoking)) {
      user = invoking;
      return;
    }
    // A user left by an interrupted run is reused (and removed at the end).
    if (spawnSync('id', [CREATED_USER]).status !== 0)
      execFileSync('useradd', ['--create-home', '--shell', '/bin/bash', CREATED_USER]);
    created = true;
    writeFileSync(SUDOERS, `${CREATED_USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
  });

  afterAll(() => {
    if (!created) return;
    rmSync(SUDOERS, { force: true });
    execFileSync('userdel', ['--remove', CREATED_USER], { stdio: 'ignore' });
  });

  it('runs the tests that need root through sudo: each passes, none skips', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'ci-sudo-'));
    chmodSync(out, 0o755);
    const names = Object.values(ROOT_TESTS).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const run = runuser(
      user,
      [
        'bash',
        '.ci/test',
        '--reporter=json',
        `--outputFile.json=${out}/results.json`,
        ...Object.keys(ROOT_TESTS),
        '-t',
        names.join('|'),
      ],
      { PATH: process.env.PATH ?? '/usr/bin:/bin', CI: 'true', HOME: out },
    );
    expect(run.stderr, 'as a user with passwordless sudo, .ci/test never says the root tests skip').not.toContain(
      'no passwordless sudo',
    );
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as {
      numFailedTests: number;
      testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
    };
    expect(results.numFailedTests, run.stdout + run.stderr).toBe(0);
    const passed = results.testResults.flatMap((f) =>
      f.assertionResults
        .filter((a) => a.status === 'passed')
        .map((a) => `${path.relative(PACKAGE_ROOT, f.name)}: ${a.fullName}`),
    );
    expect(passed.sort()).toEqual(
      Object.entries(ROOT_TESTS)
        .map(([file, name]) => `${file}: ${name}`)
        .sort(),
    );
    expect(run.status).toBe(0);
  });
});

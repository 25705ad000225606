// Outputs under hostile or unlucky conditions: a symlink planted at a temp name, a full disk, a
// read-only reports folder. A receipt folder is complete or absent; a failure is one clear line
// naming the path, exit 2. The disk is really full: a small tmpfs mounted, as root, in a private
// mount namespace (`unshare -m`), like the fake hosts do; nothing is mocked.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { skipNamed } from '../testing/skip.js';
import { writeAtomically } from './receipt.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');

describe('writeAtomically', () => {
  it('never writes through a symlink planted at a temp name (the old name was <file>.<pid>.tmp)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atomic-'));
    const victim = path.join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const file = path.join(dir, 'junit.xml');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    await writeAtomically(file, 'new content\n');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(readFileSync(file, 'utf8')).toBe('new content\n');
    expect(readdirSync(dir).sort()).toEqual(['junit.xml', 'victim', `junit.xml.${process.pid}.tmp`].sort());
  });

  it('leaves no temp file behind when it cannot put the file into place', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atomic-'));
    const file = path.join(dir, 'state.json');
    mkdirSync(path.join(file, 'occupied'), { recursive: true }); // a non-empty folder: rename cannot replace it
    await expect(writeAtomically(file, '{}\n')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});

const unshareMissing =
  process.getuid?.() !== 0
    ? 'needs root (mount namespaces)'
    : !['/usr/bin/unshare', '/bin/unshare'].some(existsSync)
      ? 'unshare (util-linux) is missing'
      : null;

/**
 * Runs `ops args` with its working folder on a fresh tmpfs mounted with `mountOptions`, inside a
 * private mount namespace (gone when it exits): what ops printed, its exit code, and every path
 * left on the tmpfs afterwards.
 */
function onTmpfs(
  mountOptions: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; left: string[] }> {
  const mountpoint = mkdtempSync(path.join(tmpdir(), 'tmpfs-'));
  const script = [
    'mount -t tmpfs -o "$1" spine-gates-test "$2" || exit 99',
    'cd "$2" || exit 98',
    'shift 2',
    `"${process.execPath}" "$@" >"${mountpoint}.out" 2>"${mountpoint}.err"`,
    'code=$?',
    'find . -mindepth 1 | sort',
    'exit $code',
  ].join('\n');
  return new Promise((resolve) => {
    execFile(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', mountOptions, mountpoint, OPS, ...args],
      { env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 },
      (error, stdout) => {
        resolve({
          code: error ? Number(error.code) : 0,
          stdout: readFileSync(`${mountpoint}.out`, 'utf8'),
          stderr: readFileSync(`${mountpoint}.err`, 'utf8'),
          left: stdout.split('\n').filter(Boolean),
        });
      },
    );
  });
}

describe.skipIf(unshareMissing !== null)(skipNamed('outputs on a full or read-only disk', unshareMissing), () => {
  it('a disk full while writing the receipt: exit 2, the file and "no space left on device" named, no receipt folder, no temp file', async () => {
    // 64 KiB: the demo's receipt files (report.html, receipt.md, receipt.json: about 300 KiB in all) do not fit.
    const run = await onTmpfs('size=64k', ['verify']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^ops: cannot write \S*\/reports\/receipts\/\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}\/(report\.html|receipt\.md|receipt\.json): no space left on device \(ENOSPC\)\n$/,
    );
    expect(run.stderr).not.toContain('internal error');
    expect(run.left).toEqual(['./reports', './reports/receipts']);
  });

  it('a read-only reports folder: exit 2, naming the folder, before anything is judged', async () => {
    const run = await onTmpfs('ro', ['verify']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ops: cannot write \S*\/reports\/receipts: read-only file system \(EROFS\)\n$/);
    expect(run.left).toEqual([]);
  });

  it('ops merge on a full disk: exit 2, naming the snapshot, nothing left behind', async () => {
    const run = await onTmpfs('size=16k', ['merge', '--out', 'merged', path.join(DEMO, 'snapshot')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/input error cannot write \S*\/merged: no space left on device \(ENOSPC\)/);
    expect(run.left).toEqual([]);
  });
});

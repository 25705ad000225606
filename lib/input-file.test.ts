// Input folders are hostile: a binding file, snapshot.yaml or a snapshot output that is a link out
// of its folder, a pipe, a device or binary data must be refused by name (exit 2), never quoted,
// never followed into a published snapshot, and never hang the run.

import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBindings } from './bindings/load.js';
import { calendarCredentials } from './calendar/location.js';
import { formatBindingError } from './bindings/types.js';
import { PACKAGE_ROOT } from './package-root.js';
import { mergeSnapshots, MergeError } from './snapshot/merge.js';
import { readSnapshot } from './snapshot/read.js';
import { skipNamed } from './testing/skip.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');
const SECRET = 'SPINE_TEST_SECRET=s3cr3t-token-value';

/** A file outside every input folder whose content must never be shown. */
function secretFile(root: string): string {
  const file = path.join(root, 'outside', 'environ');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `root:x:0:0:root:/root:/bin/bash\n${SECRET}\n`);
  return file;
}

/** The demo bindings copied into `root/bindings`, with `name` replaced by `make(file)`. */
function bindingsWith(root: string, name: string, make: (file: string) => void): string {
  const dir = path.join(root, 'bindings');
  cpSync(path.join(DEMO, 'bindings'), dir, { recursive: true });
  execFileSync('rm', ['-f', path.join(dir, name)]);
  make(path.join(dir, name));
  return dir;
}

async function loadErrors(dir: string): Promise<string[]> {
  const result = await loadBindings(dir);
  if (result.ok) throw new Error('expected errors, but the bindings loaded');
  return result.errors.map(formatBindingError);
}

function ops(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OPS, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Everything a run wrote: console, JUnit and every receipt file. */
function everythingWritten(cwd: string, run: { stdout: string; stderr: string }): string {
  const reports = path.join(cwd, 'reports');
  const files = readdirSync(reports, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return [run.stdout, run.stderr, ...files.map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))].join(
    '\n',
  );
}

describe('binding files', () => {
  it('refuses a symlink leading out of the folder by name, exit 2, and no output quotes its target', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'input-'));
    const secret = secretFile(root);
    const dir = bindingsWith(root, 'ssh.targets.yaml', (f) => symlinkSync(secret, f));
    expect(await loadErrors(dir)).toEqual([
      'ssh.targets.yaml: expected a regular file inside its folder, found a symbolic link leading outside it',
    ]);

    const run = await ops(['verify', '--bindings', dir], root);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      'input error ssh.targets.yaml: expected a regular file inside its folder, found a symbolic link leading outside it',
    );
    const written = everythingWritten(root, run);
    expect(written).toContain('ssh.targets.yaml'); // the receipt and JUnit name the file…
    expect(written).not.toContain('s3cr3t'); // …never what it links to
    expect(written).not.toContain('root:x:0');
  });

  it('accepts a symlink to another file inside the folder (a git checkout may hold one)', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'input-'));
    const dir = bindingsWith(root, 'backup.calendar.yaml', (f) => {
      mkdirSync(path.join(path.dirname(f), 'shared'));
      cpSync(
        path.join(DEMO, 'bindings', 'backup.calendar.yaml'),
        path.join(path.dirname(f), 'shared', 'calendar.yaml'),
      );
      symlinkSync('shared/calendar.yaml', f);
    });
    expect((await loadBindings(dir)).ok).toBe(true);
  });

  it('refuses a named pipe without hanging on it', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'input-'));
    const dir = bindingsWith(root, 'drift.gates.yaml', (f) => execFileSync('mkfifo', [f]));
    const started = Date.now();
    expect(await loadErrors(dir)).toEqual(['drift.gates.yaml: expected a regular file, found a named pipe']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  // mknod needs root (CAP_MKNOD): CI runs the suite as root (.ci/test), where this must run.
  const noMknod = process.getuid?.() === 0 ? null : 'mknod needs root';
  const skipMknod = process.env.CI === 'true' ? null : noMknod;
  it.skipIf(skipMknod !== null)(skipNamed('refuses a device without reading it', skipMknod), async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'input-'));
    const dir = bindingsWith(root, 'backup.schedule.yaml', (f) => execFileSync('mknod', [f, 'c', '1', '5'])); // /dev/zero's device numbers
    const started = Date.now();
    expect(await loadErrors(dir)).toEqual(['backup.schedule.yaml: expected a regular file, found a device']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('names binary or non-UTF-8 content without echoing it', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'input-'));
    const dir = bindingsWith(root, 'ssh.targets.yaml', (f) =>
      writeFileSync(f, `ssh:\n  defaults:\n    user: ${SECRET}\0OTHER=x\n`),
    );
    execFileSync('rm', [path.join(dir, 'vm.lifecycle.yaml')]);
    writeFileSync(
      path.join(dir, 'vm.lifecycle.yaml'),
      Buffer.concat([Buffer.from('version: 1\nvms: '), Buffer.from([0xff, 0xfe]), Buffer.from(SECRET)]),
    );
    const errors = await loadErrors(dir);
    expect(errors).toEqual([
      'ssh.targets.yaml: expected YAML text (UTF-8), found binary data (a NUL byte at line 3); its content is not shown',
      'vm.lifecycle.yaml: expected YAML text (UTF-8), found bytes that are not UTF-8 text; its content is not shown',
    ]);
  });
});

describe('files a binding names elsewhere', () => {
  it('a calendar credentials_file that is a named pipe is credentials_unreadable at once, not a hang', async () => {
    const loaded = await loadBindings(path.join(DEMO, 'bindings'));
    if (!loaded.ok) throw new Error('the demo bindings do not load');
    const fifo = path.join(mkdtempSync(path.join(tmpdir(), 'input-')), 'caldav-login');
    execFileSync('mkfifo', [fifo]);
    const bindings = {
      ...loaded.bindings,
      policy: { ...loaded.bindings.policy, calendar: { url: null, uidScheme: 'x-{id}', credentialsFile: fifo } },
    };
    await expect(calendarCredentials(bindings, {})).rejects.toMatchObject({
      reason: 'credentials_unreadable',
      message: `cannot read the calendar credentials file ${fifo}: expected a regular file, found a named pipe`,
    });
  });
});

describe('snapshot folders', () => {
  /** The demo snapshot copied into `root/snap`. */
  function demoSnapshot(root: string): string {
    const dir = path.join(root, 'snap');
    cpSync(path.join(DEMO, 'snapshot'), dir, { recursive: true });
    return dir;
  }
  const demoBindings = async () => {
    const loaded = await loadBindings(path.join(DEMO, 'bindings'));
    if (!loaded.ok) throw new Error('the demo bindings do not load');
    return loaded.bindings;
  };

  it('refuses snapshot.yaml linked out of the folder, naming it, and says nothing of its target', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'input-'));
    const snap = demoSnapshot(root);
    execFileSync('rm', [path.join(snap, 'snapshot.yaml')]);
    symlinkSync(secretFile(root), path.join(snap, 'snapshot.yaml'));
    const read = await readSnapshot(snap, await demoBindings());
    expect(read.ok ? [] : read.errors.map(formatBindingError)).toEqual([
      `${path.join(snap, 'snapshot.yaml')}: expected a regular file inside its folder, found a symbolic link leading outside it`,
    ]);
  });

  it('refuses an output file linked out of the snapshot as bad input, and an absent one stays host state', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'input-'));
    const snap = demoSnapshot(root);
    const jobs = path.join(snap, 'hosts', 'pve-home', 'jobs-cfg.out');
    execFileSync('rm', [jobs]);
    symlinkSync(secretFile(root), jobs);
    const read = await readSnapshot(snap, await demoBindings());
    expect(read.ok ? [] : read.errors.map(formatBindingError)).toEqual([
      `${jobs}: expected a regular file inside its folder, found a symbolic link leading outside it`,
    ]);

    execFileSync('rm', [jobs]);
    const absent = await readSnapshot(snap, await demoBindings());
    expect(absent.ok && absent.state.hosts['pve-home']!.pve).toMatchObject({
      ok: false,
      problem: { reason: 'output_missing' },
    });
  });

  it('ops merge refuses a shard output linked out of the shard and writes no merged snapshot', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'input-'));
    const shard = demoSnapshot(root);
    const listing = readdirSync(path.join(shard, 'hosts', 'nas')).find((f) => f.startsWith('listing-'))!;
    const file = path.join(shard, 'hosts', 'nas', listing);
    execFileSync('rm', [file]);
    symlinkSync(secretFile(root), file);
    const out = path.join(root, 'merged');
    const merging = mergeSnapshots([shard], out);
    await expect(merging).rejects.toThrow(MergeError);
    await expect(merging).rejects.toThrow(
      `${file} (command ${listing.replace(/\.out$/, '')} of nas): expected a regular file inside its folder, found a symbolic link leading outside it`,
    );
    expect(existsSync(out)).toBe(false);
  });
});

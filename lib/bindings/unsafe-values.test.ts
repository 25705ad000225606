// Values that later become folder names or shell arguments are checked when the bindings (or a
// snapshot manifest) load, with file:line:column, for every kind of run: a host id with `/`, a NUL
// in base_path, a probe_via loop. Before, they surfaced only in a live run, after every host was
// collected, without a position.

import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { mergeSnapshots } from '../snapshot/merge.js';
import { readManifest } from '../snapshot/read.js';
import { loadBindings } from './load.js';
import { formatBindingError } from './types.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');

/** `text` with `from` replaced by `to`; throws when `from` is absent, so a patch can never silently miss. */
function patch(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`patch: ${JSON.stringify(from)} not found`);
  return text.replace(from, to);
}

/** A copy of the demo folder `sub` (bindings or snapshot) with `file` edited. */
function demoCopy(sub: string, file: string, edit: (text: string) => string): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'unsafe-')), sub);
  cpSync(path.join(DEMO, sub), dir, { recursive: true });
  writeFileSync(path.join(dir, file), edit(readFileSync(path.join(dir, file), 'utf8')));
  return dir;
}

/** The demo bindings with a NUL in a base_path and probe_via loops (a → b → a, and a self-loop). */
function unsafeBindings(): string {
  const dir = demoCopy('bindings', 'ssh.targets.yaml', (text) =>
    [
      ['- id: files\n      host: "192.0.2.101"\n', '- id: files\n      host: "192.0.2.101"\n      probe_via: erp\n'],
      ['- id: erp\n      host: "192.0.2.102"\n', '- id: erp\n      host: "192.0.2.102"\n      probe_via: files\n'],
      [
        '- id: monitor\n      host: "192.0.2.105"\n',
        '- id: monitor\n      host: "192.0.2.105"\n      probe_via: monitor\n',
      ],
    ].reduce((t, [from, to]) => patch(t, from!, to!), text),
  );
  const inventory = path.join(dir, 'backup.inventory.yaml');
  writeFileSync(
    inventory,
    patch(readFileSync(inventory, 'utf8'), 'base_path: "/srv/backups/dump"', 'base_path: "/srv/backups/dump\\0x"'),
  );
  return dir;
}

const EXPECTED = [
  'backup.inventory.yaml:30:16: targets[0] (vm-101-files-primary).base_path: expected a path without a NUL byte (it reaches a remote shell), found "/srv/backups/dump\\u0000x" (a string)',
  'ssh.targets.yaml:16:18: ssh.targets[1] (files).probe_via: expected a probe_via chain that ends at a target reached directly, found a loop: files → erp → files',
  'ssh.targets.yaml:20:18: ssh.targets[2] (erp).probe_via: expected a probe_via chain that ends at a target reached directly, found a loop: erp → files → erp',
  'ssh.targets.yaml:31:18: ssh.targets[5] (monitor).probe_via: expected the id of another ssh target (one of pve-shop, files, erp, print-rip, git-vm, monitor, scan-archive, proofs, pve-home, nas, and 3 more), found "monitor" (a string)',
];

function ops(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'unsafe-run-'));
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

describe('binding values that become folder names or shell arguments', () => {
  it('are binding errors with file:line:column', async () => {
    const loaded = await loadBindings(unsafeBindings());
    expect(loaded.ok ? [] : loaded.errors.map(formatBindingError)).toEqual(EXPECTED);
  });

  it('a target id that would leave the snapshot folder is a binding error with file:line:column', async () => {
    const loaded = await loadBindings(
      demoCopy('bindings', 'ssh.targets.yaml', (t) => patch(t, '- id: proofs\n', '- id: proofs/../../etc\n')),
    );
    expect(loaded.ok ? [] : loaded.errors.map(formatBindingError)).toEqual([
      'ssh.targets.yaml:32:11: ssh.targets[7] (proofs/../../etc).id: expected an id that can name a folder (no /, \\ or control characters, not starting with .), found "proofs/../../etc" (a string)',
    ]);
  });

  it.each([
    ['binding-only', []],
    ['snapshot', ['--snapshot', path.join(DEMO, 'snapshot')]],
    ['live', ['--live']], // stopped before any host is contacted
  ])('stop a %s run with exit 2 before anything is judged or collected', async (_, extra) => {
    const run = await ops(['verify', '--bindings', unsafeBindings(), ...extra]);
    expect(run.code).toBe(2);
    for (const line of EXPECTED) expect(run.stdout).toContain(`input error ${line}`);
    expect(run.stdout).not.toMatch(/collect|probe_via loops/);
  });
});

describe('snapshot host ids', () => {
  const unsafeSnapshot = () =>
    demoCopy('snapshot', 'snapshot.yaml', (t) => patch(t, '  - id: pve-shop\n', '  - id: ../pve-shop\n'));

  it('are checked when the manifest is read, with file:line:column', async () => {
    const dir = unsafeSnapshot();
    const read = await readManifest(dir);
    expect(read.ok ? [] : read.errors.map(formatBindingError)).toEqual([
      `${path.join(dir, 'snapshot.yaml')}:6:9: hosts[0] (../pve-shop).id: expected an id that can name a folder (no /, \\ or control characters, not starting with .), found "../pve-shop" (a string)`,
    ]);
  });

  it('stop ops merge with the manifest position, not a write error', async () => {
    const dir = unsafeSnapshot();
    await expect(mergeSnapshots([dir], path.join(dir, '..', 'merged'))).rejects.toThrow(
      `${path.join(dir, 'snapshot.yaml')}:6:9: hosts[0] (../pve-shop).id: expected an id that can name a folder`,
    );
  });
});

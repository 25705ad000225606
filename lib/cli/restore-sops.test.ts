import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeBindings, makeLifecycleGuest, makeTarget } from '../rules/testing/test-input.js';
import { checkRestoreSops } from './restore-sops.js';

/** <tmp>/repo/{docs/sop.md, ops/bindings/}, optionally a git checkout; returns the bindings dir. */
function repo(git: boolean): string {
  const root = path.join(mkdtempSync(path.join(tmpdir(), 'sops-')), 'repo');
  mkdirSync(path.join(root, 'docs'), { recursive: true });
  mkdirSync(path.join(root, 'ops', 'bindings'), { recursive: true });
  writeFileSync(path.join(root, 'docs', 'sop.md'), '# SOP\n');
  writeFileSync(path.join(root, 'ops', 'sop.md'), '# SOP next to the bindings\n');
  if (git) execFileSync('git', ['init', '-q', root]);
  return path.join(root, 'ops', 'bindings');
}

const bindingsIn = (dir: string, repositoryRoot: string | null = null) => ({
  ...makeBindings({
    targets: [makeTarget({ restoreSop: 'docs/sop.md' })],
    guests: [
      makeLifecycleGuest({ restoreSop: 'sop.md' }),
      makeLifecycleGuest({ id: 101, restoreSop: '../repo/docs/sop.md' }),
      makeLifecycleGuest({ id: 102, restoreSop: '/etc/passwd' }),
    ],
    policy: { repositoryRoot },
  }),
  dir,
});

describe('checkRestoreSops', () => {
  it('resolves paths from the git toplevel of the bindings', async () => {
    const dir = repo(true);
    const sops = await checkRestoreSops(bindingsIn(dir));
    expect(sops.root).toBe(path.resolve(dir, '..', '..'));
    expect(sops.found).toEqual({
      'docs/sop.md': true,
      'sop.md': false,
      '../repo/docs/sop.md': false,
      '/etc/passwd': false,
    });
  });

  it('falls back to the parent of the bindings folder outside a git checkout', async () => {
    const dir = repo(false);
    const sops = await checkRestoreSops(bindingsIn(dir));
    expect(sops.root).toBe(path.dirname(dir));
    expect(sops.found['sop.md']).toBe(true);
    expect(sops.found['docs/sop.md']).toBe(false);
  });

  it('prefers drift.gates.yaml repository_root, relative to the bindings folder', async () => {
    const dir = repo(true);
    const sops = await checkRestoreSops(bindingsIn(dir, '..'));
    expect(sops.root).toBe(path.dirname(dir));
    expect(sops.found).toMatchObject({ 'sop.md': true, 'docs/sop.md': false });
  });

  it('never looks outside the root: absolute paths and .. segments count as not found', async () => {
    const sops = await checkRestoreSops(bindingsIn(repo(false)));
    expect(sops.found['../repo/docs/sop.md']).toBe(false); // exists, but only by leaving the root
    expect(sops.found['/etc/passwd']).toBe(false);
  });
});

// D69 judges restore SOP files relative to the bindings' repository root; rules do no I/O, so the
// CLI resolves that root and checks each declared `restore_sop` path before the gates run.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Bindings } from '../bindings/types.js';
import { isRepositoryRelative, type VerifyInput } from '../rules/input.js';

/**
 * The root is drift.gates.yaml `repository_root` (relative to the bindings folder), else the
 * bindings' git toplevel, else the bindings folder's parent. A path that would leave the root
 * (absolute, `..`) counts as not found: D69 says why.
 */
export async function checkRestoreSops(bindings: Bindings): Promise<NonNullable<VerifyInput['restoreSops']>> {
  const root =
    bindings.policy.repositoryRoot !== null
      ? path.resolve(bindings.dir, bindings.policy.repositoryRoot)
      : ((await gitToplevel(bindings.dir)) ?? path.dirname(bindings.dir));
  const declared = [...bindings.inventory.targets, ...(bindings.lifecycle?.guests ?? [])].flatMap(
    (x) => x.restoreSop ?? [],
  );
  const found = Object.fromEntries(declared.map((p) => [p, isRepositoryRelative(p) && existsSync(path.join(root, p))]));
  return { root, found };
}

async function gitToplevel(dir: string): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('git', ['-C', dir, 'rev-parse', '--show-toplevel'], { timeout: 5000 });
    return stdout.trim() || null;
  } catch {
    return null; // not a git checkout, or no git
  }
}

// Which bindings folder a command judges when none is given: `ops/bindings` in the current folder
// or the nearest parent, the way git finds its repository, stopping at the repository root (a
// folder with `.git`). Only when there is none is the bundled demo site used, and runs say so loudly.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEMO_SITE } from '../package-root.js';
import type { RunSource } from '../results/run-result.js';
import { InputError } from './usage.js';

export const BINDINGS_SUBDIR = path.join('ops', 'bindings');

export interface ChosenBindings {
  dir: string;
  chosenBy: RunSource['bindingsChosenBy'];
  /** Where the search stopped without finding any (the repository root, or the filesystem's): for the demo's warning. */
  searchedUpTo: string | null;
}

/** The folder to judge; a --bindings folder that does not exist is an InputError (nothing is judged or written). */
export function chooseBindings(flag: string | undefined, cwd = process.cwd()): ChosenBindings {
  if (flag) {
    const dir = path.resolve(cwd, flag);
    if (!isDirectory(dir))
      throw new InputError(
        `--bindings ${flag}: ${existsSync(dir) ? 'not a folder' : 'no such folder'}${dir === flag ? '' : ` (${dir})`}`,
      );
    return { dir, chosenBy: '--bindings', searchedUpTo: null };
  }
  const folders = foldersUp(cwd);
  for (const dir of folders) {
    const candidate = path.join(dir, BINDINGS_SUBDIR);
    if (isDirectory(candidate))
      return {
        dir: candidate,
        chosenBy: dir === folders[0] ? './ops/bindings' : 'parent ops/bindings',
        searchedUpTo: null,
      };
  }
  return { dir: path.join(DEMO_SITE, 'bindings'), chosenBy: 'bundled demo site', searchedUpTo: folders.at(-1)! };
}

/** The nearest folder with `.git`, like git; `cwd` itself when there is none. */
export function repositoryRoot(cwd = process.cwd()): string {
  const top = foldersUp(cwd).at(-1)!;
  return existsSync(path.join(top, '.git')) ? top : path.resolve(cwd);
}

/** `cwd` and its parents, nearest first, up to the repository root (the first with `.git`) or the filesystem root. */
function foldersUp(cwd: string): string[] {
  const folders: string[] = [];
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    folders.push(dir);
    if (existsSync(path.join(dir, '.git')) || path.dirname(dir) === dir) return folders;
  }
}

export const LIVE_NEEDS_BINDINGS =
  "live collection needs your bindings: pass --bindings DIR or run inside a folder with ops/bindings (the bundled demo site's hosts are invented)";

/** The warning a run on the demo starts (and ends) with: the operator asked for nothing and gets invented hosts. */
export function demoWarning(chosen: ChosenBindings): string {
  return `no ops/bindings in this folder or its parents up to ${chosen.searchedUpTo}: judging the BUNDLED DEMO SITE, not your estate (pass --bindings DIR, or run \`ops init\`)`;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

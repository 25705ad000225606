// Matching inventory globs against large listings without testing every glob against every file:
// 2,000 targets over one dump folder of 100,000 archives are 200 million picomatch calls, but
// only the few files that start with a glob's literal prefix can match it. Results are exactly
// those of testing each file in listing order.

import picomatch from 'picomatch';
import type { FileEntry } from '../model.js';
import { memoByText } from '../memo.js';

// Shell-glob semantics as the operator's `ls -- $GLOB` had them: no braces, no extglobs, no dotfiles.
const GLOB_OPTIONS = { dot: false, nobrace: true, noextglob: true } as const;

/** The compiled glob (compiled once per glob text). */
export const globMatcher = memoByText((glob) => picomatch(glob, GLOB_OPTIONS));

/**
 * Characters a path must start with for a glob to match it: the glob's leading letters, digits,
 * `_`, `-` (and `.` after the first). Anything picomatch may read as syntax (`*?[]\!{}()+@/`,
 * a leading `./` or `.`) ends the prefix, so it is never too long; too short only costs time.
 */
export function literalPrefix(glob: string): string {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]*/.exec(glob)?.[0] ?? '';
}

/** A path that starts with a prefix character; the index sorts these, and keeps the rest aside. */
const PLAIN_START = /^[A-Za-z0-9_-]/;

interface ListingIndex {
  /** Indexes of the files whose path starts with a prefix character, ordered by path (code units). */
  sorted: number[];
  /** Indexes of every other file: candidates for every glob. */
  odd: number[];
}

const indexes = new WeakMap<readonly FileEntry[], ListingIndex>();

function indexOf(files: readonly FileEntry[]): ListingIndex {
  let index = indexes.get(files);
  if (!index) {
    const sorted: number[] = [];
    const odd: number[] = [];
    files.forEach((f, i) => (PLAIN_START.test(f.path) ? sorted : odd).push(i));
    sorted.sort((a, b) => (files[a]!.path < files[b]!.path ? -1 : files[a]!.path > files[b]!.path ? 1 : a - b));
    index = { sorted, odd };
    indexes.set(files, index);
  }
  return index;
}

/** Indexes (ascending, i.e. in listing order) of the files that start with `prefix`, plus the odd ones when asked. */
function candidates(files: readonly FileEntry[], prefix: string, withOdd: boolean): number[] {
  const { sorted, odd } = indexOf(files);
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (files[sorted[mid]!]!.path < prefix) lo = mid + 1;
    else hi = mid;
  }
  const found = withOdd ? [...odd] : [];
  for (let i = lo; i < sorted.length && files[sorted[i]!]!.path.startsWith(prefix); i++) found.push(sorted[i]!);
  return found.sort((a, b) => a - b);
}

/** The files the glob matches, in listing order: `files.filter((f) => globMatcher(glob)(f.path))`. */
export function filesMatching(glob: string, files: readonly FileEntry[]): FileEntry[] {
  const isMatch = globMatcher(glob);
  const prefix = literalPrefix(glob);
  if (!prefix) return files.filter((f) => isMatch(f.path));
  return candidates(files, prefix, true)
    .map((i) => files[i]!)
    .filter((f) => isMatch(f.path));
}

/** The files whose path starts with `prefix`, in listing order: `files.filter((f) => f.path.startsWith(prefix))`. */
export function filesStartingWith(prefix: string, files: readonly FileEntry[]): FileEntry[] {
  if (!PLAIN_START.test(prefix)) return files.filter((f) => f.path.startsWith(prefix));
  return candidates(files, prefix, false).map((i) => files[i]!);
}

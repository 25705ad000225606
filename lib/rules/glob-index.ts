// Matching inventory globs against large listings without testing every glob against every file:
// 2,000 targets over one dump folder of 100,000 archives are 200 million picomatch calls, but
// only the few files that start with a glob's literal prefix can match it. Results are exactly
// those of testing each file in listing order.

import type { FileEntry } from '../model.js';

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

/** One listing, indexed by path for the globs of a run (RunIndex builds one per listing). */
export class ListingIndex {
  /** Indexes of the files whose path starts with a prefix character, ordered by path (code units). */
  private readonly sorted: number[] = [];
  /** Indexes of every other file: candidates for every glob. */
  private readonly odd: number[] = [];

  constructor(private readonly files: readonly FileEntry[]) {
    files.forEach((f, i) => (PLAIN_START.test(f.path) ? this.sorted : this.odd).push(i));
    this.sorted.sort((a, b) => (files[a]!.path < files[b]!.path ? -1 : files[a]!.path > files[b]!.path ? 1 : a - b));
  }

  /** The files `isMatch` (the glob's matcher) accepts, in listing order; it tests only those the prefix allows. */
  matching(glob: string, isMatch: (path: string) => boolean): FileEntry[] {
    const prefix = literalPrefix(glob);
    if (!prefix) return this.files.filter((f) => isMatch(f.path));
    return this.candidates(prefix, true)
      .map((i) => this.files[i]!)
      .filter((f) => isMatch(f.path));
  }

  /** The files whose path starts with `prefix`, in listing order: `files.filter((f) => f.path.startsWith(prefix))`. */
  startingWith(prefix: string): FileEntry[] {
    if (!PLAIN_START.test(prefix)) return this.files.filter((f) => f.path.startsWith(prefix));
    return this.candidates(prefix, false).map((i) => this.files[i]!);
  }

  /** Indexes (ascending, i.e. in listing order) of the files that start with `prefix`, plus the odd ones when asked. */
  private candidates(prefix: string, withOdd: boolean): number[] {
    const { files, sorted, odd } = this;
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
}

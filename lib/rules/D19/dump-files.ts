// A file_glob target's files in its dump folder, matched and named once per run and shared by the
// checks that read them (D19.freshness, D19.retention, D19.size): on the large estate each of them
// matching and parsing the same 40,000 archive names again was a quarter of D19's time.

import type { FileEntry } from '../../model.js';
import { classifyDumpFile, standardArchive, type DumpFileKind, type StandardArchive } from '../../pve/archives.js';
import { Derived, type RunIndex } from '../run-index.js';

/** A listed file a glob matches, with what its name (the last path segment) says. */
export interface DumpFile {
  file: FileEntry;
  kind: DumpFileKind;
  /** An archive's standard vzdump name (`is_std_name`); null for any other file. */
  name: StandardArchive | null;
  /** Whether the listing holds its `.protected` sidecar (PVE never prunes it). */
  protected: boolean;
}

/** Per listing: the paths whose `.protected` sidecar it holds, and the files each glob matched. */
const LISTINGS = new Derived<readonly FileEntry[], { sidecars: Set<string>; byGlob: Map<string, DumpFile[]> }>(
  "D19 a dump folder's files by glob",
);

/** The files of a listing that a glob matches, in listing order, once per run. Callers must not change them. */
export function dumpFiles(index: RunIndex, glob: string, files: readonly FileEntry[]): DumpFile[] {
  const listing = index.remember(LISTINGS, files, () => ({ sidecars: protectedPaths(files), byGlob: new Map() }));
  let matched = listing.byGlob.get(glob);
  if (!matched) {
    const { sidecars } = listing;
    matched = index.filesMatching(glob, files).map((file) => {
      const base = file.path.slice(file.path.lastIndexOf('/') + 1);
      const kind = classifyDumpFile(base);
      const name = kind === 'archive' ? standardArchive(base) : null;
      return { file, kind, name, protected: sidecars.size > 0 && sidecars.has(file.path) };
    });
    listing.byGlob.set(glob, matched);
  }
  return matched;
}

/** The paths whose `<path>.protected` is listed. */
function protectedPaths(files: readonly FileEntry[]): Set<string> {
  const paths = new Set<string>();
  for (const f of files) if (f.path.endsWith('.protected')) paths.add(f.path.slice(0, -'.protected'.length));
  return paths;
}

/** What freshness and size count as a backup: a vzdump archive, or a file not vzdump's (an application dump). */
export const isBackupFile = (d: DumpFile): boolean => d.kind === 'archive' || d.kind === 'other';

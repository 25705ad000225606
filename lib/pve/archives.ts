// vzdump file names on file storages (pve-storage Storage.pm archive_info, Plugin.pm; pve-manager VZDump.pm).

// `other` is a file that is not vzdump's at all; `unknown` a vzdump-* file that is none of its kinds
// (a `.sha256` beside an archive): never counted as a backup.
export type DumpFileKind = 'archive' | 'log' | 'notes' | 'protected' | 'partial' | 'unknown' | 'other';
export type ArchiveType = 'qemu' | 'lxc' | 'openvz';

export interface ArchiveName {
  type: ArchiveType;
  vmid: number;
  /** Start of the guest's backup as written in the name: node-local time, no zone. */
  stamp: string;
  /** Archive extension without the leading dot, e.g. `vma.zst`, `tar`, `tgz`. */
  ext: string;
}

// BACKUP_EXT_RE_2: what PVE accepts as an archive on read.
const EXT = String.raw`(tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?)`;
const ARCHIVE = new RegExp(String.raw`^vzdump-(?:qemu|lxc|openvz)-.+\.${EXT}$`);
const STANDARD = new RegExp(
  String.raw`^vzdump-(qemu|lxc|openvz)-([1-9][0-9]{2,8})-(\d{4})_(\d{2})_(\d{2})-(\d{2})_(\d{2})_(\d{2})\.${EXT}$`,
);
const SIDE_FILES = new Map<string, DumpFileKind>([
  ['log', 'log'],
  ['notes', 'notes'],
  ['protected', 'protected'],
  // In progress: `.dat` is the archive being written, `.tmp` a temp dir some lxc modes use.
  ['dat', 'partial'],
  ['tmp', 'partial'],
]);

/** Kind of a dump-directory file, by name; `name` may be a `/`-separated path relative to the dump dir. */
export function classifyDumpFile(name: string): DumpFileKind {
  const segments = name.split('/');
  const base = segments.pop() ?? '';
  if (segments.some((dir) => dir.startsWith('vzdump-') && dir.endsWith('.tmp'))) return 'partial';
  if (!base.startsWith('vzdump-')) return 'other';
  if (ARCHIVE.test(base)) return 'archive';
  return SIDE_FILES.get(/\.([a-z]+)$/.exec(base)?.[1] ?? '') ?? 'unknown';
}

/** A standard archive name (`is_std_name` in PVE), else null. Non-standard archives exist but carry no stamp. */
export function parseArchiveName(name: string): ArchiveName | null {
  const m = STANDARD.exec(name);
  if (!m) return null;
  // Every group takes part in a match. Indexed, not destructured: this runs for every archive listed.
  return {
    type: m[1] as ArchiveType,
    vmid: Number(m[2]),
    stamp: `${m[3]}-${m[4]}-${m[5]}T${m[6]}:${m[7]}:${m[8]}`,
    ext: m[9]!,
  };
}

/** A standard name's type, VMID and extension. */
export type StandardArchive = Omit<ArchiveName, 'stamp'>;

/** parseArchiveName without the stamp, which costs a string per name: for listings of many thousand archives. */
export function standardArchive(name: string): StandardArchive | null {
  const m = STANDARD.exec(name);
  return m ? { type: m[1] as ArchiveType, vmid: Number(m[2]), ext: m[9]! } : null;
}

/**
 * The one guest whose archives an inventory glob names (`vzdump-qemu-204-*.vma.zst`), else null.
 * Only the last path segment counts; the literal `-` after the VMID keeps 204 from matching 2040.
 */
export function vzdumpGlobSubject(glob: string): { type: 'qemu' | 'lxc'; vmid: number } | null {
  const base = glob.split('/').pop() ?? '';
  const m = /^vzdump-(qemu|lxc)-([1-9][0-9]{2,8})-/.exec(base);
  if (!m) return null;
  return { type: m[1] as 'qemu' | 'lxc', vmid: Number(m[2]) };
}

// Reading an input file that lives in a folder we were pointed at (a binding folder, a snapshot
// folder). The folder is input too, so is hostile: a symlink to /proc/self/environ or /etc/passwd
// would have its bytes quoted in an error, a FIFO or /dev/zero would hang the run.
//
// The rule: the file must be a regular file, and its real path must stay inside the folder's real
// path. A symlink inside the folder (one binding file linked to another, as a git checkout can
// hold) is fine: it leaks nothing the folder does not already hold. The file is opened with
// O_NONBLOCK (opening a FIFO never blocks) and checked with fstat on the open descriptor, so what
// is read is what was checked; at most `maxBytes` are read from it.

import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';

export type InputRead =
  | { ok: true; bytes: Buffer }
  /** `absent`: no such file (the caller decides whether that is a problem); otherwise refused, saying why. */
  | { ok: false; absent: boolean; expected: string; found: string };

const INSIDE = 'a regular file inside its folder';
const OUTSIDE = 'a symbolic link leading outside it';
const READABLE = 'a readable file';
const ABSENT: InputRead = { ok: false, absent: true, expected: 'the file to exist', found: 'no such file' };
const refused = (expected: string, found: string): InputRead => ({ ok: false, absent: false, expected, found });

/** Why a file was refused, for a message: `expected …, found …`. */
export const refusalText = (read: { expected: string; found: string }): string =>
  `expected ${read.expected}, found ${read.found}`;

/** Reads `rel` inside `dir` under the rule above; `maxBytes` bounds what is read (a larger file is refused). */
export async function readInputFile(dir: string, rel: string, maxBytes: number | null = null): Promise<InputRead> {
  let real: string;
  let root: string;
  try {
    root = await realpath(dir);
    real = await realpath(path.join(dir, rel));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return ABSENT;
    return refused(READABLE, code ?? (e as Error).message);
  }
  const inside = path.relative(root, real);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return refused(INSIDE, OUTSIDE);
  // O_NOFOLLOW on the resolved path: a link swapped in after realpath is refused, not followed.
  return readRegularFile(real, maxBytes, true);
}

/**
 * Reads `file` when it is a regular file, without blocking on a pipe or reading a device: opened
 * O_NONBLOCK, checked with fstat on the descriptor, at most `maxBytes` read from it. For files a
 * binding names outside any folder rule (a credentials file); `noFollow` refuses a final symlink.
 */
export async function readRegularFile(file: string, maxBytes: number | null, noFollow = false): Promise<InputRead> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return ABSENT;
    return noFollow && code === 'ELOOP' ? refused(INSIDE, OUTSIDE) : refused(READABLE, code ?? (e as Error).message);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return refused('a regular file', kindOf(stats));
    if (maxBytes !== null && stats.size > maxBytes)
      return refused(`a file of at most ${formatBytes(maxBytes)}`, formatBytes(stats.size));
    // Read from the descriptor, never past the cap: the file may grow after fstat.
    const cap = maxBytes ?? stats.size;
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(cap + 1 - total, 1 << 20)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      if (maxBytes !== null && total > maxBytes)
        return refused(`a file of at most ${formatBytes(maxBytes)}`, 'more (it grew while read)');
    }
    return { ok: true, bytes: Buffer.concat(chunks, total) };
  } catch (e) {
    return refused(READABLE, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  } finally {
    await handle.close();
  }
}

function kindOf(stats: import('node:fs').Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** `5 MiB` for the cap, `5.0 MiB` for a size just over it. */
const formatBytes = (n: number): string =>
  n < 2 ** 20 ? `${n} bytes` : n % 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n / 2 ** 20} MiB`;

/**
 * Why `bytes` is not text that may be quoted back (a NUL byte, or bytes that are not UTF-8), or
 * null when it is. Says where, never what: binary content is never echoed.
 */
export function notText(bytes: Buffer): string | null {
  const nul = bytes.indexOf(0);
  if (nul >= 0) return `binary data (a NUL byte at line ${lineAt(bytes, nul)}); its content is not shown`;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'bytes that are not UTF-8 text; its content is not shown';
  }
  return null;
}

function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i >= 0 && i < offset; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

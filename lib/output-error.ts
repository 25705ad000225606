// Writing outputs (receipts, junit.xml, snapshots, the notify state) can fail for reasons that are
// the machine's, not a bug: a full disk, a read-only or unwritable folder. Such a failure is one
// clear line naming the path (exit 2), never "internal error: ENOSPC".

import { mkdir } from 'node:fs/promises';
import path from 'node:path';

export class OutputError extends Error {
  override name = 'OutputError';
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'a part of the path does not exist',
  EIO: 'input/output error',
};

/** `cannot write PATH: no space left on device (ENOSPC)`; null when `e` is not a file-system failure. */
export function writeFailure(target: string, e: unknown): string | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const reason = code ? REASONS[code] : undefined;
  return reason ? `cannot write ${target}: ${reason} (${code})` : null;
}

/** Runs `work`; a file-system failure becomes an OutputError naming `target`, anything else is rethrown. */
export async function writing<T>(target: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const message = writeFailure(target, e);
    throw message ? new OutputError(message) : e;
  }
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir reports ENOENT on a read-only file
 * system, where the true reason is EROFS.
 */
export async function makeFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || path.dirname(dir) === dir) throw e;
    await makeFolder(path.dirname(dir));
    await makeFolder(dir);
  }
}

// Writes a collection as a snapshot folder (format 1), exactly what readSnapshot() reads:
// snapshot.yaml plus hosts/<host-id>/<command-id>.out holding each command's verbatim stdout.
// The folder is built under a temporary name next to the target and renamed into place, so a
// snapshot is never half-written; an existing non-empty folder is never written into.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Document, type Scalar } from 'yaml';
import { collectionJson } from '../calendar/vevent.js';
import type { Collection, CollectedCalendar, CollectedHost } from '../model.js';
import { makeFolder, writeFailure } from '../output-error.js';
import { TOOL } from '../package-root.js';
import { MANIFEST } from './read.js';

const COMMAND_ID = /^[a-z0-9][a-z0-9-]*$/;

export class SnapshotWriteError extends Error {
  override name = 'SnapshotWriteError';
}

export async function writeSnapshot(dir: string, collection: Collection): Promise<void> {
  checkNames(collection);
  const target = path.resolve(dir);
  await refuseNonEmpty(target);
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await makeFolder(path.dirname(target));
    await mkdir(temp);
    const hosts = [];
    for (const host of collection.hosts) hosts.push(await writeHost(temp, host));
    const calendar = collection.calendar ? await writeCalendar(temp, collection.calendar) : null;
    const manifest = {
      format: 1,
      captured_at: collection.capturedAt,
      tool: `${TOOL.name} ${TOOL.version}`,
      hosts,
      ...(calendar ? { calendar } : {}),
    };
    const doc = new Document(manifest);
    (doc.get('captured_at', true) as Scalar).type = 'QUOTE_DOUBLE'; // a string to every YAML reader, never a date
    await writeFile(path.join(temp, MANIFEST), doc.toString({ lineWidth: 0 }), { flag: 'wx' });
    // Something may have appeared meanwhile; rename would not replace it, but say so clearly.
    await refuseNonEmpty(target);
    await rename(temp, target); // replaces an empty folder, never a non-empty one (ENOTEMPTY)
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    // A full disk or an unwritable folder is said plainly, naming the snapshot (exit 2 by the caller).
    const failure = writeFailure(target, e);
    throw failure ? new SnapshotWriteError(failure) : e;
  }
}

/** Host ids become folder names and command ids file names: only safe ones, never `..` or `a/b`. */
function checkNames(collection: Collection): void {
  const seen = new Set<string>();
  for (const host of collection.hosts) {
    if (
      !host.id ||
      host.id.includes('/') ||
      host.id.includes('\\') ||
      host.id.includes('\0') ||
      host.id.startsWith('.')
    ) {
      throw new SnapshotWriteError(
        `cannot write host ${JSON.stringify(host.id)}: a host id must not be empty, contain / or start with .`,
      );
    }
    if (seen.has(host.id))
      throw new SnapshotWriteError(`host ${JSON.stringify(host.id)} appears twice in the collection`);
    seen.add(host.id);
    const ids = new Set<string>();
    for (const c of host.commands) {
      if (!COMMAND_ID.test(c.id) || ids.has(c.id))
        throw new SnapshotWriteError(`host ${host.id}: bad or repeated command id ${JSON.stringify(c.id)}`);
      ids.add(c.id);
    }
  }
}

async function refuseNonEmpty(dir: string): Promise<void> {
  const problem = await checkSnapshotTarget(dir);
  if (problem) throw new SnapshotWriteError(problem);
}

/** Why `dir` cannot take a new snapshot, or null when it can (absent, or an empty folder). */
export async function checkSnapshotTarget(dir: string): Promise<string | null> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    return code === 'ENOTDIR'
      ? `${dir} exists and is not a folder`
      : `cannot use ${dir}: ${code ?? (e as Error).message}`;
  }
  return entries.length ? `${dir} already exists and is not empty; a snapshot goes into a new or empty folder` : null;
}

async function writeHost(root: string, host: CollectedHost) {
  const folder = path.join('hosts', host.id);
  if (host.commands.length) await mkdir(path.join(root, folder), { recursive: true });
  const commands = [];
  for (const c of host.commands) {
    if (c.problem) {
      commands.push({
        id: c.id,
        ...(c.basePath !== undefined ? { base_path: c.basePath } : {}),
        command: c.command,
        exit: c.exit,
        output: null,
        reason: c.problem.reason,
        message: c.problem.message,
      });
      continue;
    }
    const output = `${folder}/${c.id}.out`;
    await writeFile(path.join(root, output), c.stdout, { flag: 'wx' });
    commands.push({
      id: c.id,
      ...(c.basePath !== undefined ? { base_path: c.basePath } : {}),
      command: c.command,
      exit: c.exit,
      output,
    });
  }
  const head =
    host.status === 'ok'
      ? { id: host.id, status: host.status, timezone: host.timezone }
      : { id: host.id, status: host.status, reason: host.reason, message: host.message };
  return { ...head, ...(commands.length || host.status === 'ok' ? { commands } : {}) };
}

const CALENDAR_OUTPUT = 'calendar/collection.json';

/** The calendar's manifest entry; its items go to calendar/collection.json as the server returned them. */
async function writeCalendar(root: string, c: CollectedCalendar) {
  const at = { status: c.status, url: c.url, via: c.via };
  if (c.status === 'error') return { ...at, reason: c.reason, message: c.message };
  await mkdir(path.join(root, path.dirname(CALENDAR_OUTPUT)));
  await writeFile(path.join(root, CALENDAR_OUTPUT), collectionJson(c.items), { flag: 'wx' });
  return { ...at, output: CALENDAR_OUTPUT };
}

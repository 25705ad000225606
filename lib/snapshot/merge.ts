// `ops merge`: the shards of a sharded collection (`ops snapshot --shard i/n` on n runners) as one
// snapshot, so one `ops verify --snapshot` judges the whole estate: one JUnit report, one receipt.
// Outputs are copied byte for byte; the merged snapshot is written like any other (writeSnapshot).

import path from 'node:path';
import { formatBindingError } from '../bindings/types.js';
import { readCollectionJson } from '../calendar/vevent.js';
import { readInputFile, refusalText } from '../input-file.js';
import type { CollectedCalendar, CollectedCommand, CollectedHost, Collection } from '../model.js';
import type { HostReason } from '../catalogue/reasons.js';
import { readManifest, type Manifest, type ManifestHost } from './read.js';
import { writeSnapshot } from './write.js';

export class MergeError extends Error {
  override name = 'MergeError';
}

export interface Merged {
  hosts: string[];
  /** The shard folder the calendar came from; null when no shard recorded one. */
  calendarFrom: string | null;
  capturedAt: string;
}

/**
 * Merges the snapshot folders into `out` (new or empty). Each host may come from one shard only,
 * and the calendar from at most one. `captured_at` is the earliest shard's: like a single
 * collection's, it is the start of the collection, so no artifact is judged younger than it was.
 */
export async function mergeSnapshots(dirs: string[], out: string): Promise<Merged> {
  if (!dirs.length) throw new MergeError('nothing to merge: name the shard snapshot folders');
  const shards: Array<{ dir: string; manifest: Manifest }> = [];
  const problems: string[] = [];
  for (const dir of dirs) {
    const read = await readManifest(path.resolve(dir));
    if (read.ok) shards.push({ dir, manifest: read.manifest });
    else problems.push(...read.errors.map(formatBindingError));
  }
  if (problems.length) throw new MergeError(problems.join('\n'));

  const from = new Map<string, string>();
  const hosts: CollectedHost[] = [];
  let calendar: { dir: string; value: CollectedCalendar } | null = null;
  for (const { dir, manifest } of shards) {
    for (const host of manifest.hosts) {
      const seen = from.get(host.id);
      if (seen)
        throw new MergeError(
          `host ${host.id} is in both ${seen} and ${dir}: shards of one collection never share a host`,
        );
      from.set(host.id, dir);
      hosts.push(await collectedHost(dir, host));
    }
    if (manifest.calendar) {
      if (calendar) throw new MergeError(`the calendar is in both ${calendar.dir} and ${dir}: only one shard reads it`);
      calendar = { dir, value: await collectedCalendar(dir, manifest) };
    }
  }
  const capturedAt = shards.map((s) => s.manifest.captured_at).sort((a, b) => Date.parse(a) - Date.parse(b))[0]!;
  const collection: Collection = {
    capturedAt,
    hosts,
    insecureAcceptAnyHostKey: false,
    ...(calendar ? { calendar: calendar.value } : {}),
  };
  await writeSnapshot(out, collection);
  return { hosts: hosts.map((h) => h.id), calendarFrom: calendar?.dir ?? null, capturedAt };
}

async function outputOf(dir: string, file: string | null | undefined, what: string): Promise<Buffer> {
  if (!file) throw new MergeError(`${dir}: ${what} has no output file`);
  // Never through a link out of the shard: the merged snapshot is published.
  const read = await readInputFile(path.resolve(dir), file);
  if (!read.ok) throw new MergeError(`${path.join(dir, file)} (${what}): ${refusalText(read)}`);
  return read.bytes;
}

async function collectedHost(dir: string, host: ManifestHost): Promise<CollectedHost> {
  const commands: CollectedCommand[] = [];
  for (const c of host.commands ?? []) {
    const stdout = await outputOf(dir, c.output, `command ${c.id} of ${host.id}`);
    commands.push({
      id: c.id,
      command: c.command,
      exit: c.exit,
      stdout,
      ...(c.base_path !== undefined ? { basePath: c.base_path } : {}),
    });
  }
  return host.status === 'ok'
    ? { id: host.id, status: 'ok', timezone: host.timezone ?? null, commands }
    : { id: host.id, status: 'error', reason: host.reason as HostReason, message: host.message ?? '', commands };
}

async function collectedCalendar(dir: string, manifest: Manifest): Promise<CollectedCalendar> {
  const c = manifest.calendar!;
  const at = { url: c.url, via: c.via ?? null };
  if (c.status === 'error') return { ...at, status: 'error', reason: c.reason!, message: c.message! };
  const text = (await outputOf(dir, c.output, 'the calendar')).toString('utf8');
  try {
    return { ...at, status: 'ok', items: readCollectionJson(text) };
  } catch (e) {
    throw new MergeError(`${dir}: ${c.output}: ${(e as Error).message}`);
  }
}

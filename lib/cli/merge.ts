// `ops merge --out DIR SHARD...`: the snapshots of `ops snapshot --shard i/n` as one snapshot
// folder for `ops verify --snapshot`. Exit 0 when merged, 2 on bad input or usage.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { inputErrorLine, useColour } from '../report/console.js';
import { mergeSnapshots, MergeError } from '../snapshot/merge.js';
import { SnapshotWriteError } from '../snapshot/write.js';
import { MERGE_HELP, UsageError } from './usage.js';

export async function merge(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]}\nUsage: ops merge --out DIR SNAPSHOT...`);
  }
  if (parsed.values.help) {
    process.stdout.write(MERGE_HELP);
    return 0;
  }
  if (parsed.values.out === undefined) throw new UsageError('ops merge needs --out DIR (a new or empty folder)');
  if (!parsed.positionals.length)
    throw new UsageError('ops merge needs the shard snapshot folders to merge: ops merge --out DIR SNAPSHOT...');
  const out = path.resolve(parsed.values.out);
  try {
    const merged = await mergeSnapshots(parsed.positionals, out);
    process.stdout.write(
      `OK: merged ${parsed.positionals.length} snapshots, ${merged.hosts.length} hosts (${merged.hosts.join(', ') || 'none'})` +
        `${merged.calendarFrom ? `, the calendar from ${merged.calendarFrom}` : ''}, captured_at ${merged.capturedAt} (the earliest); snapshot ${out}\n`,
    );
    return 0;
  } catch (e) {
    if (!(e instanceof MergeError || e instanceof SnapshotWriteError)) throw e;
    const colour = useColour(process.stdout);
    process.stdout.write(
      e.message
        .split('\n')
        .map((line) => `${inputErrorLine(line, colour)}\n`)
        .join(''),
    );
    return 2;
  }
}

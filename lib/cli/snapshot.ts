// `ops snapshot`: read every host the bindings need over SSH and write a snapshot folder that
// `ops verify --snapshot` reads. Exit 0 when every host was read, 2 otherwise (or on bad input).

import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadBindings } from '../bindings/load.js';
import { formatBindingError } from '../bindings/types.js';
import { TOOL } from '../package-root.js';
import { inputErrorLine, useColour } from '../report/console.js';
import { parseShard, shardHosts, type Shard } from '../snapshot/shard.js';
import { checkSnapshotTarget } from '../snapshot/write.js';
import { COLLECT_FLAG_LIST, COLLECT_FLAGS, collectOptionsFrom, collectSnapshot } from './collect-flags.js';
import { parsedFlags, SNAPSHOT_HELP, UsageError } from './usage.js';
import { chooseBindings, LIVE_NEEDS_BINDINGS } from './find-bindings.js';

export async function snapshot(argv: string[]): Promise<number> {
  const args = parseSnapshotArgs(argv);
  if (!args) {
    process.stdout.write(SNAPSHOT_HELP);
    return 0;
  }
  const { dir: bindingsDir, chosenBy } = chooseBindings(args.bindings);
  if (chosenBy === 'bundled demo site') throw new UsageError(LIVE_NEEDS_BINDINGS);
  const out = path.resolve(args.out);
  const colour = useColour(process.stdout);
  process.stdout.write(`spine-gates ${TOOL.version}: bindings ${bindingsDir} (${chosenBy}), snapshot ${out}\n`);

  const fail = (errors: string[]) => {
    process.stdout.write(errors.map((e) => `${inputErrorLine(e, colour)}\n`).join(''));
    return 2;
  };
  const targetProblem = await checkSnapshotTarget(out);
  if (targetProblem) return fail([targetProblem]);
  const loaded = await loadBindings(bindingsDir);
  if (!loaded.ok) return fail(loaded.errors.map(formatBindingError));

  const onlyHosts = args.shard ? shardHosts(loaded.bindings, args.shard) : args.hosts;
  if (args.shard)
    process.stdout.write(`shard ${args.shard.index}/${args.shard.count}: ${onlyHosts?.join(', ') || 'no hosts'}\n`);
  // A calendar reached directly (no host to follow) is read by the first shard.
  const calendar = args.shard?.index === 1 ? { calendar: true } : {};
  const live = await collectSnapshot(loaded.bindings, { ...args.collect, onlyHosts, ...calendar }, out, false);
  if (!live.ok) return fail([live.error]);
  const unreadable = live.collection.hosts.flatMap((h) => (h.status === 'error' ? [h] : []));
  const lines = [
    ...unreadable.map((h) => `unreadable ${h.id}: ${h.reason}: ${h.message}`),
    `${unreadable.length ? 'ERROR' : 'OK'}: ${live.collection.hosts.length - unreadable.length} of ${live.collection.hosts.length} hosts read (exit ${unreadable.length ? 2 : 0}); snapshot ${out}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return unreadable.length ? 2 : 0;
}

function parseSnapshotArgs(argv: string[]) {
  const parsed = parsedFlags(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: false,
        strict: true,
        options: {
          out: { type: 'string' },
          bindings: { type: 'string' },
          host: { type: 'string', multiple: true },
          shard: { type: 'string' },
          ...COLLECT_FLAGS,
          help: { type: 'boolean', short: 'h' },
        },
      }),
    `--out --bindings --host --shard ${COLLECT_FLAG_LIST}`,
  );
  const v = parsed.values;
  if (v.help) return null;
  if (v.out === undefined) throw new UsageError('ops snapshot needs --out DIR (a new or empty folder)');
  let shard: Shard | null = null;
  if (v.shard !== undefined) {
    shard = parseShard(v.shard);
    if (!shard) throw new UsageError(`--shard takes i/n with 1 ≤ i ≤ n (this runner's part of n), got "${v.shard}"`);
    if (v.host) throw new UsageError('--shard and --host exclude each other: --shard chooses the hosts');
  }
  return { out: v.out, bindings: v.bindings, hosts: v.host ?? null, shard, collect: collectOptionsFrom(v) };
}

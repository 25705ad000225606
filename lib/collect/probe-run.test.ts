// The collector's side of the probe protocol against a scripted channel: what a broken or hostile
// host can print (frames out of order, bytes between sections, no end, too much) costs that host
// a clear error or that section its facts, never a wrong fact. The real script against real sshd
// is in live.test.ts; the script itself under /bin/sh in probe-script.test.ts.

import { EventEmitter } from 'node:events';
import type { Client } from 'ssh2';
import { describe, expect, it } from 'vitest';
import type { HostPlan } from '../snapshot/plan.js';
import { PROBE_ID } from '../snapshot/probe-script.js';
import { listingCommand, PVE_COMMANDS, TIMEZONE_COMMAND, type ProbeCommand } from '../snapshot/probe.js';
import { Connection } from './connect.js';
import { MAX_FRAME_LINE } from './probe-frames.js';
import { runProbe, type RunOutcome } from './probe-run.js';

const JOBS = PVE_COMMANDS.find((c) => c.id === 'jobs-cfg')!;
const LISTING = listingCommand('/srv/dump', 1);

class FakeChannel extends EventEmitter {
  readonly stderr = new EventEmitter();
  stdin = '';
  ended = false;
  closed = false;
  write(text: string): boolean {
    this.stdin += text;
    return true;
  }
  end(text = ''): void {
    this.stdin += text;
    this.ended = true;
  }
  close(): void {
    if (!this.closed) {
      this.closed = true;
      this.emit('close');
    }
  }
  get token(): string {
    return /^token ([0-9a-f]{32})$/m.exec(this.stdin)![1]!;
  }
  out(...parts: (string | Buffer)[]): void {
    for (const p of parts) this.emit('data', Buffer.isBuffer(p) ? p : Buffer.from(p, 'latin1'));
  }
  frame(line: string): string {
    return `\0${this.token} ${line}\n`;
  }
}

/** A probe run over a fake connection; `host` plays the host once the request is written. */
async function run(
  commands: ProbeCommand[],
  host: (ch: FakeChannel) => void,
  extra: Partial<HostPlan> = {},
  timeoutMs = 2000,
): Promise<RunOutcome & { channel: FakeChannel }> {
  const channel = new FakeChannel();
  const client = Object.assign(new EventEmitter(), {
    exec: (_command: string, cb: (err: Error | undefined, ch: FakeChannel) => void) => {
      setImmediate(() => {
        cb(undefined, channel);
        host(channel);
      });
    },
  });
  const conn = new Connection(client as unknown as Client, { label: 'pve', host: '127.0.0.1', port: 22 } as never);
  const outcome = await runProbe(conn, { hostId: 'pve', commands, ...extra }, { timeoutMs });
  return { ...outcome, channel };
}

const section = (ch: FakeChannel, id: string, stdout: string | Buffer, exit = 0) => [
  ch.frame(`begin ${id}`),
  stdout,
  ch.frame(`status ${exit}`),
  ch.frame('end'),
];

describe('runProbe', () => {
  it('splits framed sections back into commands, byte for byte, however the bytes arrive', async () => {
    const listing = Buffer.from(`1700000000.0 5 a\0name\nwith newline\0`, 'latin1');
    const r = await run([TIMEZONE_COMMAND, JOBS, LISTING], (ch) => {
      const all = Buffer.concat(
        [
          ch.frame(`probe ${PROBE_ID}`),
          ...section(ch, 'timezone', 'Europe/Berlin\n'),
          ...section(ch, 'jobs-cfg', ''),
          ...section(ch, LISTING.id, listing, 0),
          ch.frame('done'),
        ].map((p) => Buffer.from(p as string, 'latin1')),
      );
      for (const byte of all) ch.out(Buffer.from([byte])); // every frame split across chunks
    });
    expect(r.failure).toBeNull();
    expect(r.results.map((x) => [x.command.id, x.exit, x.stdout.toString('latin1')])).toEqual([
      ['timezone', 0, 'Europe/Berlin\n'],
      ['jobs-cfg', 0, ''],
      [LISTING.id, 0, listing.toString('latin1')],
    ]);
    expect(r.channel.ended).toBe(true); // no follow-up: stdin ends with the request
    expect(r.channel.stdin).toContain(
      `listing ${LISTING.id} ${64 * 1024 * 1024} /srv/dump 1\nend\nSPINE_GATES_REQUEST\n`,
    );
  });

  it('plans the follow-up from the first sections that exited 0, and sends it on the same stdin', async () => {
    const seen: string[][] = [];
    const followUp = (outputs: ReadonlyMap<string, string>) => {
      seen.push([...outputs.keys()]);
      return [LISTING];
    };
    const r = await run(
      [TIMEZONE_COMMAND, JOBS],
      (ch) => {
        ch.out(
          ch.frame(`probe ${PROBE_ID}`),
          ...section(ch, 'timezone', 'UTC\n'),
          ...section(ch, 'jobs-cfg', 'oops', 1),
        );
        expect(ch.ended).toBe(false);
        ch.out(ch.frame('followup'));
        expect(ch.stdin.endsWith(`\nlisting ${LISTING.id} ${64 * 1024 * 1024} /srv/dump 1\nend\n`)).toBe(true);
        ch.out(...section(ch, LISTING.id, ''), ch.frame('done'));
      },
      { followUp },
    );
    expect(seen).toEqual([['timezone']]);
    expect(r.failure).toBeNull();
    expect(r.results.map((x) => [x.command.id, x.exit])).toEqual([
      ['timezone', 0],
      ['jobs-cfg', 1],
      [LISTING.id, 0],
    ]);
  });

  it('ignores what a login script prints before the probe starts, up to 64 KiB', async () => {
    const ok = await run([TIMEZONE_COMMAND], (ch) =>
      ch.out('Welcome to pve!\n', ch.frame(`probe ${PROBE_ID}`), ...section(ch, 'timezone', 'UTC\n'), ch.frame('done')),
    );
    expect(ok.failure).toBeNull();
    expect(ok.results[0]!.stdout.toString()).toBe('UTC\n');
    const noisy = await run([TIMEZONE_COMMAND], (ch) => ch.out('x'.repeat(64 * 1024 + 100)));
    expect(noisy.failure).toMatchObject({
      reason: 'command_failed',
      message: "the probe's output broke its framing: more than 65536 bytes before the probe started",
    });
  });

  it('refuses an installed probe of another version (probe_mismatch)', async () => {
    const r = await run([TIMEZONE_COMMAND], (ch) => ch.out(ch.frame('probe 0123456789abcdef')));
    expect(r.failure).toMatchObject({
      reason: 'probe_mismatch',
      message: expect.stringContaining(`version 0123456789abcdef, this spine-gates runs ${PROBE_ID}`),
    });
    expect(r.channel.closed).toBe(true);
  });

  it.each([
    ['a section out of order', (ch: FakeChannel) => ch.out(...section(ch, 'jobs-cfg', ''))],
    [
      'bytes between sections',
      (ch: FakeChannel) => ch.out(...section(ch, 'timezone', 'UTC\n'), 'forged 1 x\n', ...section(ch, 'jobs-cfg', '')),
    ],
    ['an end frame outside a section', (ch: FakeChannel) => ch.out(ch.frame('end'))],
    [
      'a status frame outside a section',
      (ch: FakeChannel) => ch.out(...section(ch, 'timezone', ''), ch.frame('status 0')),
    ],
    ['an exit status that is not one', (ch: FakeChannel) => ch.out(ch.frame('begin timezone'), ch.frame('status -1'))],
    [
      'two exit statuses',
      (ch: FakeChannel) => ch.out(ch.frame('begin timezone'), ch.frame('status 1'), ch.frame('status 0')),
    ],
    ['an end frame with words', (ch: FakeChannel) => ch.out(ch.frame('begin timezone'), ch.frame('end 0'))],
    ['done before every section', (ch: FakeChannel) => ch.out(...section(ch, 'timezone', 'UTC\n'), ch.frame('done'))],
    [
      'a followup nobody asked for',
      (ch: FakeChannel) => ch.out(...section(ch, 'timezone', ''), ...section(ch, 'jobs-cfg', ''), ch.frame('followup')),
    ],
    ['a frame line without end', (ch: FakeChannel) => ch.out(`\0${ch.token} begin ${'x'.repeat(MAX_FRAME_LINE + 1)}`)],
  ])('ends the host with command_failed on %s, keeping no forged fact', async (_what, misbehave) => {
    const r = await run([TIMEZONE_COMMAND, JOBS], (ch) => {
      ch.out(ch.frame(`probe ${PROBE_ID}`));
      misbehave(ch);
    });
    expect(r.failure).toMatchObject({
      reason: 'command_failed',
      message: expect.stringMatching(/^the probe's output broke its framing: /),
    });
    expect(r.results.every((x) => !x.stdout.includes('forged'))).toBe(true);
  });

  it('reads a section without a status as a command that was killed (no exit status)', async () => {
    const r = await run([TIMEZONE_COMMAND], (ch) =>
      ch.out(ch.frame(`probe ${PROBE_ID}`), ch.frame('begin timezone'), 'UT', ch.frame('end'), ch.frame('done')),
    );
    expect(r.failure).toBeNull();
    expect(r.results[0]).toMatchObject({ exit: null, stdout: Buffer.from('UT') });
  });

  it('holds a section to its cap when the host does not, and reads on', async () => {
    const r = await run([TIMEZONE_COMMAND, JOBS], (ch) =>
      ch.out(
        ch.frame(`probe ${PROBE_ID}`),
        ...section(ch, 'timezone', 'x'.repeat(5000)),
        ...section(ch, 'jobs-cfg', 'vzdump: a\n'),
        ch.frame('done'),
      ),
    );
    expect(r.failure).toBeNull();
    expect(r.results[0]).toMatchObject({ exit: null, tooLarge: { cap: 4096 } });
    expect(r.results[0]!.stdout.length).toBe(0);
    expect(r.results[1]).toMatchObject({ exit: 0 });
  });

  it('says where the probe stopped, with its exit status and stderr, and keeps each section its own stderr', async () => {
    const r = await run([TIMEZONE_COMMAND, JOBS, LISTING], (ch) => {
      ch.out(ch.frame(`probe ${PROBE_ID}`), ...section(ch, 'timezone', 'UTC\n'));
      ch.stderr.emit('data', Buffer.from(`\0${ch.token} begin timezone\nno timedatectl\n`, 'latin1'));
      ch.out(ch.frame('begin jobs-cfg'), 'vzdump: half');
      ch.stderr.emit('data', Buffer.from(`\0${ch.token} begin jobs-cfg\n`, 'latin1'));
      ch.emit('exit', 137);
      ch.close();
    });
    expect(r.failure).toMatchObject({
      reason: 'command_failed',
      message: 'the probe stopped in jobs-cfg before its end (exit 137)',
    });
    expect(r.results.map((x) => [x.command.id, x.exit, x.stderr])).toEqual([
      ['timezone', 0, 'no timedatectl\n'],
      ['jobs-cfg', null, ''],
    ]);
  });

  it('names a probe that never started by its exit status and first stderr line', async () => {
    const r = await run([TIMEZONE_COMMAND], (ch) => {
      ch.stderr.emit('data', Buffer.from('sh: 1: cannot open /dev/null\n'));
      ch.emit('exit', 2);
      ch.close();
    });
    expect(r.failure).toMatchObject({
      reason: 'command_failed',
      message: 'the probe did not start (exit 2: sh: 1: cannot open /dev/null)',
    });
  });

  it('says when something else than the probe answered (a forced command that is not the probe)', async () => {
    const r = await run([TIMEZONE_COMMAND], (ch) => {
      ch.out('hello from a backup script\n');
      ch.emit('exit', 0);
      ch.close();
    });
    expect(r.failure).toMatchObject({
      reason: 'command_failed',
      message: "the probe did not start (exit 0; 27 bytes on stdout that are not the probe's)",
    });
  });

  it('stops a section that runs past the command timeout, naming it', async () => {
    const r = await run(
      [TIMEZONE_COMMAND, JOBS],
      (ch) => ch.out(ch.frame(`probe ${PROBE_ID}`), ...section(ch, 'timezone', ''), ch.frame('begin jobs-cfg')),
      {},
      200,
    );
    expect(r.failure).toMatchObject({ reason: 'command_timeout', message: 'jobs-cfg did not finish within 200 ms' });
    expect(r.channel.closed).toBe(true);
  });

  it('passes on a refusal, its words made printable', async () => {
    const r = await run([TIMEZONE_COMMAND], (ch) =>
      ch.out(ch.frame(`probe ${PROBE_ID}`), ch.frame('refused bad\x1b[31m id')),
    );
    expect(r.failure).toMatchObject({
      reason: 'command_failed',
      message: 'the probe refused its request: bad?[31m id',
    });
  });
});

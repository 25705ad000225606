// The session pool against a scripted stand-in for an ssh2 Client: limits, retries, timeouts,
// a dropped connection, the host budget.

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ProbeCommand } from '../snapshot/probe.js';
import { commandFailures } from './collect.js';
import { Connection } from './connect.js';
import type { Endpoint } from './endpoints.js';
import { HostError } from './errors.js';
import { MAX_SESSIONS_PER_CONNECTION, runCommands } from './sessions.js';

class FakeChannel extends EventEmitter {
  readonly stderr = new EventEmitter();
  signals: string[] = [];
  closed = false;
  signal(name: string) { this.signals.push(name); }
  close() {
    if (this.closed) return;
    this.closed = true;
    setImmediate(() => this.emit('close'));
  }
  finish(stdout: string, exit: number, stderr = '') {
    if (stdout) this.emit('data', Buffer.from(stdout));
    if (stderr) this.stderr.emit('data', Buffer.from(stderr));
    this.emit('exit', exit);
    this.close();
  }
}

type Script = (command: string, channel: FakeChannel) => void;

class FakeClient extends EventEmitter {
  execs: string[] = [];
  open = 0;
  mostOpen = 0;
  refusals = 0;
  constructor(private readonly script: Script, private readonly maxSessions = Infinity) { super(); }
  exec(command: string, cb: (err: Error | undefined, ch?: FakeChannel) => void) {
    this.execs.push(command);
    if (this.open >= this.maxSessions) {
      this.refusals += 1;
      setImmediate(() => cb(Object.assign(new Error('(SSH) Channel open failure: open failed'), { reason: 2 })));
      return this;
    }
    this.open += 1;
    this.mostOpen = Math.max(this.mostOpen, this.open);
    const ch = new FakeChannel();
    ch.on('close', () => { this.open -= 1; });
    setImmediate(() => { cb(undefined, ch); this.script(command, ch); });
    return this;
  }
  end() { return this; }
  /** The socket went away: ssh2 emits error + close, then closes every channel. */
  drop() {
    this.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', level: 'client-socket' }));
    this.emit('close');
  }
}

const EP: Endpoint = { key: 'h', label: 'h', host: '127.0.0.1', port: 22, user: 'root', identityFiles: [], connectTimeoutMs: 1000, via: null };
const connection = (client: FakeClient) => new Connection(client as never, EP);
const commands = (n: number): ProbeCommand[] => Array.from({ length: n }, (_, i) => ({ id: `c${i}`, command: `echo ${i}` }));
const later = (ms: number, fn: () => void) => setTimeout(fn, ms);

describe('runCommands', () => {
  it(`runs every command, at most ${MAX_SESSIONS_PER_CONNECTION} at once, results in plan order`, async () => {
    const client = new FakeClient((cmd, ch) => later(Number(cmd.split(' ')[1]) % 3 * 5, () => ch.finish(`${cmd}\n`, 0)));
    const run = await runCommands(connection(client), commands(20), { limit: MAX_SESSIONS_PER_CONNECTION, timeoutMs: 1000 });
    expect(run.failure).toBeNull();
    expect(client.mostOpen).toBe(8);
    expect(run.results.map((r) => r.command.id)).toEqual(commands(20).map((c) => c.id));
    expect(run.results.map((r) => r.stdout.toString())).toEqual(commands(20).map((c) => `${c.command}\n`));
    expect(client.execs.sort()).toEqual(commands(20).map((c) => c.command).sort());
  });

  it('retries a refused channel once, using only as many channels as the server gave', async () => {
    const client = new FakeClient((_cmd, ch) => later(5, () => ch.finish('x', 0)), 3);
    const run = await runCommands(connection(client), commands(12), { limit: 8, timeoutMs: 1000 });
    expect(run.failure).toBeNull();
    expect(run.results).toHaveLength(12);
    expect(client.refusals).toBe(5);
    expect(client.mostOpen).toBe(3);
  });

  it('gives up when a retried channel is refused again', async () => {
    const client = new FakeClient((_cmd, ch) => later(50, () => ch.finish('x', 0)), 0);
    const run = await runCommands(connection(client), commands(2), { limit: 8, timeoutMs: 1000 });
    expect(run.failure).toMatchObject({ reason: 'command_failed', message: expect.stringMatching(/^c[01] could not be started: \(SSH\) Channel open failure: open failed$/) });
  });

  it('ends the host on a command timeout: kills and closes the channel, starts nothing more', async () => {
    const channels: FakeChannel[] = [];
    const client = new FakeClient((cmd, ch) => {
      channels.push(ch);
      if (cmd !== 'echo 0') later(15, () => ch.finish('y', 0));
    });
    const run = await runCommands(connection(client), commands(20), { limit: 2, timeoutMs: 100 });
    expect(run.failure).toEqual(new HostError('command_timeout', 'c0 did not finish within 100 ms'));
    expect(channels[0]!.signals).toEqual(['KILL']);
    expect(channels[0]!.closed).toBe(true);
    expect(run.results[0]).toMatchObject({ exit: null });
    expect(run.results.length).toBeLessThan(20);
    const started = client.execs.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(client.execs.length).toBe(started);
  });

  it('ends the host with connection_lost and nothing else when the connection drops mid-command', async () => {
    let client: FakeClient;
    client = new FakeClient((cmd, ch) => {
      if (cmd === 'echo 3') later(5, () => client.drop());
      else if (cmd === 'echo 0') later(1, () => ch.finish('z', 0));
    });
    const run = await runCommands(connection(client), commands(10), { limit: 4, timeoutMs: 1000 });
    expect(run.failure).toMatchObject({ reason: 'connection_lost', message: 'connection to root@127.0.0.1:22 lost: read ECONNRESET' });
    expect(run.results.find((r) => r.command.id === 'c0')).toMatchObject({ exit: 0 });
    expect(run.results.filter((r) => r.command.id !== 'c0').every((r) => r.exit === null)).toBe(true);
  });

  it('stops with the budget\'s reason when aborted', async () => {
    const client = new FakeClient(() => {});
    const budget = new AbortController();
    later(20, () => budget.abort(new HostError('command_timeout', 'the host budget of 20 ms ran out')));
    const run = await runCommands(connection(client), commands(3), { limit: 8, timeoutMs: 5000, signal: budget.signal });
    expect(run.failure?.message).toBe('the host budget of 20 ms ran out');
  });

  it('keeps non-zero exits as results; commandFailures words them', async () => {
    const client = new FakeClient((cmd, ch) => {
      if (cmd === 'echo 1') ch.finish('', 2, '\n  pvesh: no quorum  \nsecond line\n');
      else ch.finish('ok', 0);
    });
    const cmds: ProbeCommand[] = [...commands(2), { id: 'listing-abc', command: 'echo 2', basePath: '/gone' }];
    const run = await runCommands(connection(client), cmds, { limit: 8, timeoutMs: 1000 });
    expect(run.failure).toBeNull();
    expect(run.results.map((r) => r.exit)).toEqual([0, 2, 0]);
    expect(commandFailures(run.results)).toEqual(new HostError('command_failed', 'c1 exited 2: pvesh: no quorum'));
    const missing = { ...run.results[2]!, exit: 10 };
    expect(commandFailures([missing])).toBeNull();
    expect(commandFailures([{ ...run.results[0]!, exit: 10 }])?.message).toBe('c0 exited 10: (nothing on stderr)');
    expect(commandFailures([{ ...run.results[0]!, exit: null, signal: 'KILL' }])?.message).toBe('c0 was killed by SIGKILL: (nothing on stderr)');
  });
});

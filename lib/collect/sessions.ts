// Runs one host's probe commands over its one connection: at most `limit` session channels at a
// time (sshd allows MaxSessions 10 per connection by default), the rest queued. A channel the
// server refuses is retried once, with fewer channels at a time. The first host-ending problem
// (a command timeout, the connection dropping, the host budget running out) stops everything:
// open channels are closed and nothing more is started.

import type { ClientChannel } from 'ssh2';
import { outputCap, type ProbeCommand } from '../snapshot/probe.js';
import type { Connection } from './connect.js';
import { HostError, isChannelOpenFailure } from './errors.js';

/** Session channels at once per connection: below sshd's default MaxSessions (10). */
export const MAX_SESSIONS_PER_CONNECTION = 8;
/**
 * sshd frees a session slot only when it garbage-collects the closed channel, after reading our
 * CLOSE. A new CHANNEL_OPEN sent right behind that CLOSE can arrive in the same read and find the
 * slot still taken ("no more sessions"); so a slot is reused only after this pause.
 */
export const SLOT_REUSE_DELAY_MS = 50;
const STDERR_KEPT = 4096;

export interface CommandResult {
  command: ProbeCommand;
  /** null: no exit status (killed by a signal, closed by us, or the connection dropped). */
  exit: number | null;
  signal: string | null;
  stdout: Buffer;
  /** The start of stderr (for "exited N: <first line>"). */
  stderr: string;
  /** Set when stdout passed the command's cap (outputCap): it was stopped and its output dropped. */
  tooLarge?: { cap: number };
}

export interface RunOutcome {
  /** Every command that was started, in plan order. */
  results: CommandResult[];
  /** What ended the host early, if anything. Non-zero exits are results, not failures. */
  failure: HostError | null;
}

export interface RunOptions {
  limit: number;
  timeoutMs: number;
  /** Aborting stops the run with `signal.reason` (a HostError) as its failure. */
  signal?: AbortSignal;
}

/** One command on one session channel. */
class Exec {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private tooLarge = false;
  private stderr = '';
  private exit: number | null = null;
  private signal: string | null = null;
  private channel: ClientChannel | null = null;
  private killed = false;

  constructor(readonly command: ProbeCommand) {}

  /** Resolves when the channel closes; rejects if it cannot be opened or times out. */
  run(conn: Connection, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = (err: Error | undefined, channel: ClientChannel) => {
        if (err) return reject(err);
        this.channel = channel;
        const timer = setTimeout(() => {
          reject(new HostError('command_timeout', `${this.command.id} did not finish within ${timeoutMs} ms`));
          this.kill();
        }, timeoutMs);
        channel.on('data', (d: Buffer) => this.take(d));
        channel.stderr.on('data', (d: Buffer) => { if (this.stderr.length < STDERR_KEPT) this.stderr += d.toString('utf8'); });
        channel.on('exit', (code: number | null, signal?: string) => { this.exit = code ?? null; this.signal = signal ?? null; });
        channel.on('close', () => { clearTimeout(timer); resolve(); });
      };
      try {
        conn.client.exec(this.command.command, started);
      } catch (e) {
        reject(e); // "Not connected"
      }
    });
  }

  /** Keeps stdout up to the command's cap; past it, drops what it has and stops the command (memory stays bounded). */
  private take(d: Buffer): void {
    if (this.tooLarge) return;
    this.bytes += d.length;
    if (this.bytes <= outputCap(this.command)) {
      this.chunks.push(d);
      return;
    }
    this.tooLarge = true;
    this.chunks.length = 0;
    this.kill();
  }

  /** The server gave this command its channel. */
  get opened(): boolean {
    return this.channel !== null;
  }

  kill(): void {
    if (!this.channel || this.killed) return;
    this.killed = true;
    try { this.channel.signal('KILL'); } catch { /* the server may not support signals */ }
    this.channel.close();
  }

  result(finished: boolean): CommandResult {
    return {
      command: this.command, exit: finished && !this.tooLarge ? this.exit : null, signal: this.signal,
      stdout: Buffer.concat(this.chunks), stderr: this.stderr.slice(0, STDERR_KEPT),
      ...(this.tooLarge ? { tooLarge: { cap: outputCap(this.command) } } : {}),
    };
  }
}

export function runCommands(conn: Connection, commands: readonly ProbeCommand[], options: RunOptions): Promise<RunOutcome> {
  return new Promise((resolve) => new SessionPool(conn, commands, options, resolve).start());
}

interface Queued { command: ProbeCommand; retried: boolean }

/** One host's commands over one connection, `slots` channels at a time. */
class SessionPool {
  private readonly queue: Queued[];
  private readonly started = new Map<string, Exec>();
  private readonly running = new Set<Exec>();
  private slots: number;
  /** Slots whose channel just closed (SLOT_REUSE_DELAY_MS). */
  private cooling = 0;
  private failure: HostError | null = null;
  private settled = false;
  private stopWatching: () => void = () => {};
  private readonly onAbort = () => {
    const reason: unknown = this.options.signal?.reason;
    this.stop(reason instanceof HostError ? reason : new HostError('command_timeout', 'collection aborted'));
  };

  constructor(
    private readonly conn: Connection,
    private readonly commands: readonly ProbeCommand[],
    private readonly options: RunOptions,
    private readonly resolve: (outcome: RunOutcome) => void,
  ) {
    this.queue = commands.map((command) => ({ command, retried: false }));
    this.slots = Math.max(1, options.limit);
  }

  start(): void {
    this.stopWatching = this.conn.onLost((lost) => this.stop(lost));
    this.options.signal?.addEventListener('abort', this.onAbort);
    if (this.options.signal?.aborted) this.onAbort();
    else this.pump();
  }

  private pump(): void {
    while (!this.failure && this.running.size + this.cooling < this.slots && this.queue.length) this.launch(this.queue.shift()!);
    this.finish();
  }

  private launch(item: Queued): void {
    const exec = new Exec(item.command);
    this.started.set(item.command.id, exec);
    this.running.add(exec);
    exec.run(this.conn, this.options.timeoutMs)
      .catch((e: unknown) => this.failed(item, e))
      .finally(() => this.release(exec));
  }

  /** A refused channel is retried once, with only as many channels as the server gave us. */
  private failed(item: Queued, e: unknown): void {
    if (this.conn.lost) return this.stop(this.conn.lost);
    if (!item.retried && isChannelOpenFailure(e)) {
      this.started.delete(item.command.id);
      this.slots = Math.max(1, [...this.running].filter((x) => x.opened).length);
      this.queue.unshift({ command: item.command, retried: true });
      return;
    }
    this.stop(e instanceof HostError ? e : new HostError('command_failed', `${item.command.id} could not be started: ${(e as Error).message}`));
  }

  private release(exec: Exec): void {
    this.running.delete(exec);
    if (exec.opened) {
      this.cooling += 1;
      setTimeout(() => { this.cooling -= 1; this.pump(); }, SLOT_REUSE_DELAY_MS);
    }
    this.pump();
  }

  /** The first host-ending problem wins: open channels are closed, nothing more starts. */
  private stop(why: HostError): void {
    this.failure ??= why;
    for (const exec of this.running) exec.kill();
    this.finish();
  }

  private finish(): void {
    if (this.settled || (!this.failure && (this.queue.length || this.running.size))) return;
    this.settled = true;
    this.stopWatching();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    const results = this.commands.flatMap((c) => {
      const exec = this.started.get(c.id);
      return exec ? [exec.result(!this.running.has(exec))] : [];
    });
    this.resolve({ results, failure: this.failure });
  }
}

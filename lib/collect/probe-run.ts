// Reads one host with one exec: `sh -s` gets the probe script and the plan's request on stdin
// (probe-script.ts); its framed output becomes one CommandResult per section, as separate
// commands once did, so the snapshot is the same. When the plan has a follow-up (a PVE host's
// storages), the follow-up's section lines are written on the same stdin once the first sections
// are read. The first host-ending problem (a section running past the command timeout, the
// connection dropping, the host budget running out, a broken frame) closes the channel.

import { randomBytes } from 'node:crypto';
import type { ClientChannel } from 'ssh2';
import type { HostPlan } from '../snapshot/plan.js';
import { followUpStdin, PROBE_EXEC, PROBE_ID, probeStdin } from '../snapshot/probe-script.js';
import { outputCap, type ProbeCommand } from '../snapshot/probe.js';
import type { Connection } from './connect.js';
import { HostError } from './errors.js';
import { FrameReader, ProbeProtocolError } from './probe-frames.js';

const STDERR_KEPT = 4096;
/** Bytes a login script may print before the probe starts (ignored: they are outside every frame). */
const PREAMBLE_LIMIT = 64 * 1024;

export interface CommandResult {
  command: ProbeCommand;
  /** null: no exit status (cut off by its cap, or the probe stopped inside it). */
  exit: number | null;
  stdout: Buffer;
  /** The start of its stderr (for "exited N: <first line>"). */
  stderr: string;
  /** Set when stdout passed the command's cap (outputCap): its output is dropped. */
  tooLarge?: { cap: number };
}

export interface RunOutcome {
  /** Every section that was started, in plan order. */
  results: CommandResult[];
  /** What ended the host early, if anything. Non-zero exits are results, not failures. */
  failure: HostError | null;
}

export interface RunOptions {
  /** How long one section may run. */
  timeoutMs: number;
  /** Aborting stops the run with `signal.reason` (a HostError) as its failure. */
  signal?: AbortSignal;
}

export function runProbe(conn: Connection, plan: HostPlan, options: RunOptions): Promise<RunOutcome> {
  return new Promise((resolve) => new ProbeRun(conn, plan, options, resolve).start());
}

/** The section being read. */
class Section {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  tooLarge = false;
  stderr = '';
  exit: number | null = null;
  private joined: Buffer | null = null;
  constructor(readonly command: ProbeCommand) {}

  /** Its stdout, joined once (the follow-up reads the first sections' before their results are made). */
  get stdout(): Buffer {
    this.joined ??= Buffer.concat(this.chunks);
    return this.joined;
  }

  take(chunk: Buffer): void {
    if (this.tooLarge) return;
    this.bytes += chunk.length;
    if (this.bytes <= outputCap(this.command)) return void this.chunks.push(chunk);
    this.tooLarge = true; // the script stops it at cap + 1 bytes; a host that does not is still held to the cap
    this.chunks.length = 0;
  }

  result(): CommandResult {
    return {
      command: this.command,
      exit: this.tooLarge ? null : this.exit,
      stdout: this.stdout,
      stderr: this.stderr,
      ...(this.tooLarge ? { tooLarge: { cap: outputCap(this.command) } } : {}),
    };
  }
}

class ProbeRun {
  private readonly token = randomBytes(16).toString('hex');
  private readonly pending: ProbeCommand[];
  private readonly sections: Section[] = [];
  private current: Section | null = null;
  private started = false;
  private preamble = 0;
  private stderrHead = '';
  private stderrSection: Section | null = null;
  private channel: ClientChannel | null = null;
  private exit: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;
  private stopWatching: () => void = () => {};
  private readonly onAbort = () => {
    const reason: unknown = this.options.signal?.reason;
    this.stop(reason instanceof HostError ? reason : new HostError('command_timeout', 'collection aborted'));
  };

  constructor(
    private readonly conn: Connection,
    private readonly plan: HostPlan,
    private readonly options: RunOptions,
    private readonly resolve: (outcome: RunOutcome) => void,
  ) {
    this.pending = [...plan.commands];
  }

  start(): void {
    this.stopWatching = this.conn.onLost((lost) => this.stop(lost));
    this.options.signal?.addEventListener('abort', this.onAbort);
    if (this.options.signal?.aborted) return this.onAbort();
    this.arm('the probe');
    try {
      this.conn.client.exec(PROBE_EXEC, (err, channel) =>
        err ? this.stopUnlessLost(`the probe could not be started: ${err.message}`) : this.opened(channel),
      );
    } catch (e) {
      this.stopUnlessLost(`the probe could not be started: ${(e as Error).message}`); // "Not connected"
    }
  }

  private opened(channel: ClientChannel): void {
    if (this.settled) return void channel.close();
    this.channel = channel;
    const out = new FrameReader(this.token, { frame: (line) => this.frame(line), bytes: (chunk) => this.bytes(chunk) });
    const err = new FrameReader(this.token, {
      frame: (line) => this.stderrFrame(line),
      bytes: (chunk) => this.stderrBytes(chunk),
    });
    const guard = (work: () => void) => {
      try {
        work();
      } catch (e) {
        if (!(e instanceof ProbeProtocolError)) throw e;
        this.stop(failed(`the probe's output broke its framing: ${e.message}`));
      }
    };
    channel.on('data', (d: Buffer) => guard(() => out.push(d)));
    channel.stderr.on('data', (d: Buffer) => guard(() => err.push(d)));
    channel.on('exit', (code: number | null) => {
      this.exit = code ?? null;
    });
    channel.on('close', () => {
      guard(() => {
        out.end();
        err.end();
      });
      const where = this.current ? ` in ${this.current.command.id}` : '';
      // Output but no probe: something else answers for this key (a forced command that is not the probe?).
      const other = this.preamble ? `; ${this.preamble} bytes on stdout that are not the probe's` : '';
      this.stopUnlessLost(
        this.started
          ? `the probe stopped${where} before its end (${this.exitWords()})`
          : `the probe did not start (${this.exitWords()}${other})`,
      );
    });
    channel.write(probeStdin(this.token, this.plan.commands, this.plan.followUp !== undefined));
    if (!this.plan.followUp) channel.end();
  }

  private frame(line: string): void {
    const [word, arg = ''] = splitFrame(line);
    if (!this.started) {
      if (word !== 'probe') throw new ProbeProtocolError(`expected the probe's first frame, got "${printable(word)}"`);
      if (arg !== PROBE_ID) {
        return this.stop(
          new HostError(
            'probe_mismatch',
            `the host's probe is version ${printable(arg)}, this spine-gates runs ${PROBE_ID}: install its copy again (npx ops probe-script)`,
          ),
        );
      }
      this.started = true;
      return;
    }
    if (word === 'refused') return this.stop(failed(`the probe refused its request: ${printable(arg)}`));
    if (word === 'begin') {
      const next = this.pending.shift();
      if (this.current || !next || next.id !== arg)
        throw new ProbeProtocolError(`section ${printable(arg)} out of order`);
      this.current = new Section(next);
      this.sections.push(this.current);
      return this.arm(next.id);
    }
    if (word === 'status') {
      if (!this.current || this.current.exit !== null || !/^\d{1,3}$/.test(arg))
        throw new ProbeProtocolError(`a status frame "${printable(arg)}" outside a section`);
      this.current.exit = Number(arg);
      return;
    }
    if (word === 'end') {
      // No status before it: the command's shell was killed (SIGKILL runs no EXIT trap); it "was stopped".
      if (!this.current || arg !== '')
        throw new ProbeProtocolError(`an end frame "${printable(arg)}" outside a section`);
      this.current = null;
      return;
    }
    if (this.current || this.pending.length)
      throw new ProbeProtocolError(`"${printable(word)}" before every section was read`);
    if (word === 'followup' && this.plan.followUp) return this.followUp();
    if (word === 'done') return this.stop(null);
    throw new ProbeProtocolError(`an unexpected frame "${printable(word)}"`);
  }

  private followUp(): void {
    const outputs = new Map(
      this.sections.filter((s) => s.exit === 0 && !s.tooLarge).map((s) => [s.command.id, s.stdout.toString('utf8')]),
    );
    let commands: ProbeCommand[];
    try {
      commands = this.plan.followUp!(outputs);
    } catch (e) {
      return this.stop(failed(`the probe's follow-up could not be planned: ${(e as Error).message}`));
    }
    this.pending.push(...commands);
    this.arm('the probe');
    this.channel!.end(followUpStdin(commands));
  }

  private bytes(chunk: Buffer): void {
    if (this.current) return this.current.take(chunk);
    if (this.started) throw new ProbeProtocolError('bytes outside any section');
    this.preamble += chunk.length;
    if (this.preamble > PREAMBLE_LIMIT)
      throw new ProbeProtocolError(`more than ${PREAMBLE_LIMIT} bytes before the probe started`);
  }

  private stderrFrame(line: string): void {
    const [word, id] = splitFrame(line);
    this.stderrSection = word === 'begin' ? (this.sections.find((s) => s.command.id === id) ?? null) : null;
  }

  private stderrBytes(chunk: Buffer): void {
    const add = (kept: string) =>
      (kept.length < STDERR_KEPT ? kept + chunk.toString('utf8', 0, STDERR_KEPT) : kept).slice(0, STDERR_KEPT);
    if (this.stderrSection) this.stderrSection.stderr = add(this.stderrSection.stderr);
    else this.stderrHead = add(this.stderrHead);
  }

  private exitWords(): string {
    const said = this.stderrHead
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean);
    return `${this.exit === null ? 'no exit status' : `exit ${this.exit}`}${said ? `: ${said}` : ''}`;
  }

  /**
   * A channel that ends or cannot be opened because the connection dropped is connection_lost: the
   * connection's own close event may come just after the channel's, so it is waited for.
   */
  private stopUnlessLost(message: string): void {
    setImmediate(() => this.stop(this.conn.lost ?? failed(message)));
  }

  private arm(what: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => this.stop(new HostError('command_timeout', `${what} did not finish within ${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
  }

  /** Done (null) or the first host-ending problem: the channel is closed, the sections read so far are the results. */
  private stop(failure: HostError | null): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.stopWatching();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.channel?.close();
    this.resolve({ results: this.sections.map((s) => s.result()), failure });
  }
}

const failed = (message: string) => new HostError('command_failed', message);

function splitFrame(line: string): [string, string] {
  const space = line.indexOf(' ');
  return space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
}

/** A host's word, safe to print: control bytes as `?`, bounded. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}

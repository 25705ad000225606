// Test-only: the host side of the probe protocol (probe-script.ts) for the in-process SSH servers,
// answering each section from a reply per command text (the command the section stands for, as
// the snapshot records it). The real script runs against real sshd in fake-host.ts; this lets the
// collector tests script failures (hang, drop, exit codes) per section without root.

import type { ServerChannel } from 'ssh2';
import { FIXED_COMMANDS, PROBE_ID, REQUEST_CLOSE, REQUEST_OPEN } from '../../snapshot/probe-script.js';
import { listingCommand, outputCap, storageCommands, type ProbeCommand } from '../../snapshot/probe.js';

export type Reply = { stdout?: string | Buffer; stderr?: string; exit?: number } | 'hang' | 'drop';

const decode = (value: string) =>
  Buffer.from(
    value.replace(/\\0([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
    'latin1',
  ).toString('utf8');

/** The command a request line stands for; throws on a line the script would refuse. */
export function requestedCommand(line: string): ProbeCommand {
  const [kind, id, , a = '', b = ''] = line.split(' ');
  const command =
    kind === 'fixed'
      ? FIXED_COMMANDS.find((c) => c.id === id)
      : kind === 'listing'
        ? listingCommand(decode(a), Number(b))
        : kind === 'storage-status'
          ? storageCommands(decode(a), [])[0]
          : kind === 'storage-content'
            ? storageCommands(decode(a), [decode(b)])[1]
            : undefined;
  if (!command || command.id !== id) throw new Error(`not a probe request line: ${line}`);
  return command;
}

/** Answers one probe exec: its stdin's request, then (if asked) the follow-up lines. */
export interface ProbeHost {
  reply: (command: string) => Reply;
  /** Called with each section's command as it is answered. */
  seen: (command: string) => void;
  /** Drops the connection. */
  drop: () => void;
  /** The probe id announced; another one is what an old installed copy says. */
  probeId?: string;
  /** Called with each chunk of stdin as it arrives (latin1). */
  received?: (data: string) => void;
}

export function answerProbe(
  stream: ServerChannel,
  { reply, seen, drop, probeId = PROBE_ID, received }: ProbeHost,
): void {
  let input = '';
  let token = '';
  let stage: 'request' | 'followup' | 'over' = 'request';
  const frame = (line: string) => stream.write(Buffer.from(`\0${token} ${line}\n`, 'latin1'));

  /** The sections of these lines, one after the other; false when a reply hung or dropped the connection. */
  const answer = async (lines: string[]): Promise<boolean> => {
    for (const line of lines) {
      const command = requestedCommand(line);
      seen(command.command);
      await new Promise((resolve) => setTimeout(resolve, 1));
      frame(`begin ${command.id}`);
      stream.stderr.write(Buffer.from(`\0${token} begin ${command.id}\n`, 'latin1'));
      const r = reply(command.command);
      if (r === 'hang') return false;
      if (r === 'drop') return (void drop(), false);
      if (r.stdout)
        stream.write(
          command.section.kind === 'fixed' ? r.stdout : Buffer.from(r.stdout).subarray(0, outputCap(command) + 1),
        );
      if (r.stderr) stream.stderr.write(r.stderr);
      frame(`status ${r.exit ?? 0}`);
      frame('end');
    }
    return true;
  };
  const finish = () => {
    frame('done');
    stream.exit(0);
    stream.end();
  };

  stream.on('data', (d: Buffer) => {
    received?.(d.toString('latin1'));
    input += d.toString('latin1');
    if (stage === 'request') {
      const open = input.indexOf(`\n${REQUEST_OPEN}\n`);
      const close = input.indexOf(`\n${REQUEST_CLOSE}`);
      if (open < 0 || close < 0) return;
      const lines = input.slice(open + REQUEST_OPEN.length + 2, close).split('\n');
      input = input.slice(close + 1 + REQUEST_CLOSE.length);
      token = lines.shift()!.slice('token '.length);
      const followUp = lines.at(-2) === 'followup';
      stage = followUp ? 'followup' : 'over';
      frame(`probe ${probeId}`);
      void answer(lines.slice(0, followUp ? -2 : -1)).then((ok) => ok && (followUp ? frame('followup') : finish()));
    } else if (stage === 'followup' && input.endsWith('end\n')) {
      stage = 'over';
      void answer(input.split('\n').slice(0, -2)).then((ok) => ok && finish());
    }
  });
}

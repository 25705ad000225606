#!/usr/bin/env node
// `ops`: the command line. Usage errors exit 2 with the valid choices; no stack traces.

import { OutputError } from '../output-error.js';
import { TOOL } from '../package-root.js';
import { exitOnInterrupt } from './interrupt.js';
import { nearest } from '../nearest.js';
import { COMMANDS, InputError, OPS_HELP, UsageError } from './usage.js';

exitOnInterrupt();
// A reader that stops early (`ops verify | head -1`) closes the pipe: the rest of the output has
// nowhere to go, which is no error of the run; it still finishes and exits with its own code.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(OPS_HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${TOOL.name} ${TOOL.version}\n`);
    return 0;
  }
  // Each command loads only its own modules (ssh2, vitest, the calendar libraries are not small).
  if (command === 'verify') return (await import('./verify.js')).verify(rest);
  if (command === 'snapshot') return (await import('./snapshot.js')).snapshot(rest);
  if (command === 'calendar') return (await import('./calendar.js')).calendar(rest);
  if (command === 'merge') return (await import('./merge.js')).merge(rest);
  if (command === 'notify') return (await import('./notify.js')).notify(rest);
  if (command === 'init') return (await import('./init.js')).init(rest);
  if (command === 'probe-script') return (await import('./probe-script.js')).probeScript(rest);
  const near = nearest(command, COMMANDS);
  throw new UsageError(
    `unknown command "${command}"${near ? `; did you mean \`ops ${near}\`?` : ''}; commands: ${COMMANDS.join(', ')}`,
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      // Point at the subcommand's own help when the error is about its options.
      const command = process.argv[2];
      const help =
        command && (COMMANDS as readonly string[]).includes(command) ? `ops ${command} --help` : 'ops --help';
      process.stderr.write(`ops: ${error.message}\nRun \`${help}\` for usage.\n`);
    } else if (error instanceof OutputError || error instanceof InputError) {
      process.stderr.write(`ops: ${error.message}\n`);
    } else {
      process.stderr.write(`ops: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exitCode = 2;
  },
);

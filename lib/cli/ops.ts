#!/usr/bin/env node
// `ops`: the command line. Usage errors exit 2 with the valid choices; no stack traces.

import { TOOL } from '../package-root.js';
import { snapshot } from './snapshot.js';
import { OPS_HELP, UsageError } from './usage.js';
import { verify } from './verify.js';

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
  if (command === 'verify') return verify(rest);
  if (command === 'snapshot') return snapshot(rest);
  throw new UsageError(`unknown command "${command}"; commands: verify, snapshot`);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`ops: ${error.message}\nRun \`ops --help\` for usage.\n`);
    } else {
      process.stderr.write(`ops: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exitCode = 2;
  },
);

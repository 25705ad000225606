// `ops probe-script`: the probe script to install as an SSH forced command, or its SHA-256 in
// sha256sum's format for the installed path, to compare with the copy on a host.

import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PROBE_INSTALL_PATH, PROBE_SCRIPT_FILE } from '../snapshot/probe-script.js';
import { parsedFlags } from './usage.js';

export const PROBE_SCRIPT_HELP = `ops probe-script: the probe script, to install as an SSH forced command

Usage:
  ops probe-script > spine-gates-probe     the script (install as ${PROBE_INSTALL_PATH})
  ops probe-script --sha256                its SHA-256, as sha256sum prints it for that path

Compare with a host's copy:
  diff <(ssh root@pve sha256sum ${PROBE_INSTALL_PATH}) <(npx ops probe-script --sha256)
See docs/live-collection.md (Least privilege).
`;

export function probeScript(argv: string[]): number {
  const { values } = parsedFlags(
    () =>
      parseArgs({
        args: argv,
        options: { sha256: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
        strict: true,
      }),
    '--sha256',
  );
  if (values.help) process.stdout.write(PROBE_SCRIPT_HELP);
  else if (values.sha256)
    process.stdout.write(`${createHash('sha256').update(PROBE_SCRIPT_FILE).digest('hex')}  ${PROBE_INSTALL_PATH}\n`);
  else process.stdout.write(PROBE_SCRIPT_FILE);
  return 0;
}

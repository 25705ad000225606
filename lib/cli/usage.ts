// Help texts and the usage error (exit 2) for the `ops` command line.

import { gateIds } from '../gates/registry.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const OPS_HELP = `ops: policy-as-code drift gates for Proxmox VE backup governance (spine-gates)

Usage:
  ops verify [options]     judge the bindings against host state; JUnit + receipt
  ops --help               this text
  ops --version            the tool version

Run \`ops verify --help\` for the options. Exit codes: 0 clean, 1 drift, 2 could not check or bad input.
`;

export const VERIFY_HELP = `ops verify: judge the bindings against host state

Usage: ops verify [--bindings DIR] [--snapshot DIR] [--gate ID]... [--reports DIR] [--json]
                  [--max-snapshot-age HOURS]

  --bindings DIR          binding folder (backup.inventory.yaml, vm.lifecycle.yaml, ssh.targets.yaml,
                          backup.calendar.yaml, optional drift.gates.yaml …). Default: ./ops/bindings
                          when it exists, otherwise the bundled demo site (the first line says which).
  --snapshot DIR          host-state snapshot folder (snapshot.yaml + hosts/). Without it, checks that
                          need host state are skipped with the reason "no host state". The bundled demo
                          site brings its own snapshot.
  --gate ID               run only this gate (repeatable). Gates: ${gateIds().join(', ')}
  --reports DIR           where junit.xml and receipts/<run-key>/ go (default: ./reports)
  --json                  print the result as JSON on stdout and nothing else
  --max-snapshot-age H    fail D19.snapshot-age when the snapshot is older than H hours (default 26;
                          0 turns it off; not applied to the bundled demo site)
  -h, --help              this text

Exit codes: 0 nothing failed or errored; 1 drift; 2 could not check, bad input or bad usage (2 wins).
`;

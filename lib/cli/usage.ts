// Help texts and the usage error (exit 2) for the `ops` command line.

import { gateIds } from '../gates/registry.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const OPS_HELP = `ops: policy-as-code drift gates for Proxmox VE backup governance (spine-gates)

Usage:
  ops verify [options]     judge the bindings against host state; JUnit + receipt
  ops snapshot [options]   read the hosts over SSH into a snapshot folder
  ops calendar ics|publish the backup calendar as an .ics file, or published to Radicale
  ops --help               this text
  ops --version            the tool version

Run \`ops verify --help\`, \`ops snapshot --help\` or \`ops calendar --help\` for the options.
Exit codes: 0 clean, 1 drift, 2 could not check or bad input.
`;

/** The live-collection flags (ops verify --live, ops snapshot). */
const COLLECT_HELP = `  --known-hosts FILE      OpenSSH known_hosts the host keys are checked against (default
                          ~/.ssh/known_hosts; hashed entries, [host]:port, @revoked understood).
                          Never written to: an unknown host is an error (host_key_unknown)
  --identity FILE         private key file (repeatable). Default: ssh-agent ($SSH_AUTH_SOCK) and
                          ~/.ssh/id_ed25519, id_ecdsa, id_rsa. A passphrase comes only from the
                          environment variable SPINE_GATES_KEY_PASSPHRASE
  --ssh-config FILE       ssh config for Host aliases: HostName, User, Port, IdentityFile, ProxyJump
                          (default ~/.ssh/config when it exists)
  --insecure-accept-any-host-key
                          do not check host keys (warns; recorded in the receipt). Avoid
  --concurrency N         hosts collected at once (default 16)
  --connect-timeout S     seconds for TCP connect, and again for SSH handshake + authentication
                          (default 10; a target's connect_timeout_sec wins)
  --command-timeout S     seconds one probe command may take (default 60); a host has 300 s in all
`;

export const VERIFY_HELP = `ops verify: judge the bindings against host state

Usage: ops verify [--bindings DIR] [--snapshot DIR | --live [collection options]] [--gate ID]...
                  [--reports DIR] [--json] [--max-snapshot-age HOURS]

  --bindings DIR          binding folder (backup.inventory.yaml, vm.lifecycle.yaml, ssh.targets.yaml,
                          backup.calendar.yaml, optional drift.gates.yaml …). Default: ./ops/bindings
                          when it exists, otherwise the bundled demo site (the first line says which).
  --snapshot DIR          host-state snapshot folder (snapshot.yaml + hosts/). Without it, checks that
                          need host state are skipped with the reason "no host state". The bundled demo
                          site brings its own snapshot.
  --live                  read the hosts over SSH now (the fixed read-only probe), write that snapshot
                          to reports/receipts/<run-key>/snapshot/ and judge it. Not with --snapshot
  --gate ID               run only this gate (repeatable). Gates: ${gateIds().join(', ')}
  --reports DIR           where junit.xml and receipts/<run-key>/ go (default: ./reports)
  --json                  print the result as JSON on stdout and nothing else
  --max-snapshot-age H    fail D19.snapshot-age when the snapshot is older than H hours (default 26;
                          0 turns it off; not applied to the bundled demo site)
  -h, --help              this text

Collection options (with --live):
${COLLECT_HELP}
Exit codes: 0 nothing failed or errored; 1 drift; 2 could not check, bad input or bad usage (2 wins).
`;

export const SNAPSHOT_HELP = `ops snapshot: read the hosts the bindings need over SSH into a snapshot folder

Usage: ops snapshot --out DIR [--bindings DIR] [--host ID]... [collection options]

  --out DIR               the snapshot folder to create (must be new or empty); \`ops verify
                          --snapshot DIR\` judges it
  --bindings DIR          binding folder (default ./ops/bindings)
  --host ID               read only this ssh target (repeatable); default every host the bindings need
  -h, --help              this text

Collection options:
${COLLECT_HELP}
Every command run on a host is one of the fixed read-only probe commands (lib/snapshot/probe.ts).

Exit codes: 0 every host read; 2 a host could not be read (the snapshot is still written and says
why), bad input or bad usage.
`;

export const CALENDAR_HELP = `ops calendar: the backup calendar (backup.calendar.yaml) as iCalendar

Usage: ops calendar ics [--bindings DIR] [--out FILE]
       ops calendar publish [--bindings DIR] [--execute] [--reports DIR] [collection options]

  ics                     print (or write to --out FILE) one .ics with every event: stable UIDs,
                          DTSTAMP from updated_at, a VTIMEZONE for the calendar's zone, RRULEs with
                          BYDAY/BYMONTHDAY. The same bindings give the same bytes
  publish                 make the Radicale collection hold every event exactly: shows what it would
                          create, update, delete or leave. Where: drift.gates.yaml calendar.url, else
                          calendar.home.contract.yaml through an SSH tunnel to its host. Login:
                          SPINE_GATES_CALDAV_USER and SPINE_GATES_CALDAV_PASSWORD, else
                          calendar.credentials_file
  --execute               (publish) really PUT (If-Match / If-None-Match) and DELETE, and write a
                          receipt to reports/receipts/<run-key>/. Only events it published itself are
                          ever deleted
  --reports DIR           (publish) where receipts go (default ./reports)
  --bindings DIR          binding folder (default ./ops/bindings, else the bundled demo site for ics)
  -h, --help              this text

Collection options (publish through an SSH tunnel):
${COLLECT_HELP}
Exit codes: 0 done; 2 an event cannot be published as written, the calendar could not be read or
written, bad input or bad usage.
`;

// Help texts and the usage error (exit 2) for the `ops` command line.

import { gateIds } from '../catalogue/gates.js';
import { nearest } from '../nearest.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Input that cannot be used at all (a --bindings folder that does not exist): one line on stderr, exit 2, nothing written. */
export class InputError extends Error {
  override name = 'InputError';
}

/**
 * Runs a strict `parseArgs`, turning its error into a usage error (exit 2) that lists the options
 * and, for an unknown one, suggests the nearest.
 */
export function parsedFlags<T>(parse: () => T, names: string): T {
  try {
    return parse();
  } catch (e) {
    const message = (e as Error).message.split('\n')[0]!;
    const unknown = /^Unknown option '(--?[^']+)'/.exec(message)?.[1];
    const near = unknown
      ? nearest(
          unknown.split('=')[0]!,
          names.split(' ').filter((n) => n.startsWith('--')),
        )
      : null;
    throw new UsageError(`${message}${near ? `; did you mean ${near}?` : ''}\nOptions: ${names} --help`);
  }
}

export const COMMANDS = ['verify', 'snapshot', 'calendar', 'merge', 'notify', 'init', 'probe-script'] as const;

export const OPS_HELP = `ops: policy-as-code drift gates for Proxmox VE backup governance (spine-gates)

Usage:
  ops verify [options]     judge the bindings against host state; JUnit + receipt
  ops snapshot [options]   read the hosts over SSH into a snapshot folder
  ops calendar ics|publish the backup calendar as an .ics file, or published to Radicale
  ops merge [options]      join the snapshots of \`ops snapshot --shard\` into one
  ops notify [options]     mail new, still-failing and cleared drift through the relay
  ops init [options]       write starter bindings from the hosts, or the GitHub workflows
  ops probe-script         the probe script, to install as an SSH forced command
  ops --help               this text
  ops --version            the tool version

Run \`ops <command> --help\` for the options of each command.
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
                  [--reports DIR] [--json] [--sarif FILE] [--html FILE] [--metrics FILE]
                  [--max-snapshot-age HOURS]
                  [--baseline RECEIPT [--fail-on new]]

  --bindings DIR          binding folder (backup.inventory.yaml; optional vm.lifecycle.yaml, ssh.targets.yaml,
                          backup.calendar.yaml, drift.gates.yaml …). Default: ops/bindings here or in a
                          parent folder up to the repository root, otherwise the bundled demo site
                          (the first and the summary line warn).
  --snapshot DIR          host-state snapshot folder (snapshot.yaml + hosts/). Without it, checks that
                          need host state are skipped with the reason "no host state". The bundled demo
                          site brings its own snapshot.
  --live                  read the hosts over SSH now (the fixed read-only probe), write that snapshot
                          to reports/receipts/<run-key>/snapshot/ and judge it. Not with --snapshot
  --gate ID               run only this gate (repeatable). Gates: ${gateIds().join(', ')}
  --reports DIR           where junit.xml and receipts/<run-key>/ go (default: ./reports)
  --json                  print the result as JSON on stdout and nothing else
  --sarif FILE            also write SARIF 2.1.0 (code scanning: annotations on the binding lines)
  --html FILE             also write the HTML report here (it is always in the receipt folder)
  --metrics FILE          also write Prometheus metrics for node_exporter's textfile collector
                          (FILE ends in .prom; replaced atomically each run)
  --max-snapshot-age H    fail D19.snapshot-age when the snapshot is older than H hours (default 26;
                          0 turns it off; not applied to the bundled demo site)
  --baseline RECEIPT      an earlier run's receipt.json: each failure and error is marked new or
                          known (same gate, check, host/subject and reason) in the output, JUnit
                          and receipt. A missing or unreadable receipt is bad input (exit 2)
  --fail-on any|new       new: only new drift sets the exit code (1 new failure, 2 new error);
                          needs --baseline. Default any
  -h, --help              this text

Waivers: drift.waivers.yaml in the binding folder (gate, check, subject, justification, owner,
expires) turns the findings it names into "waived" until its expiry day (UTC) has passed.

Collection options (with --live):
${COLLECT_HELP}
Exit codes: 0 nothing failed or errored; 1 drift; 2 could not check, bad input or bad usage (2 wins).
`;

export const SNAPSHOT_HELP = `ops snapshot: read the hosts the bindings need over SSH into a snapshot folder

Usage: ops snapshot --out DIR [--bindings DIR] [--host ID... | --shard I/N] [collection options]

  --out DIR               the snapshot folder to create (must be new or empty); \`ops verify
                          --snapshot DIR\` judges it
  --bindings DIR          binding folder (default: ops/bindings here or in a parent folder)
  --host ID               read only this ssh target (repeatable); default every host the bindings need
  --shard I/N             read only this runner's part of the hosts: sorted by id and dealt round
                          robin over N shards (a calendar reached directly goes to shard 1); join
                          the N snapshots with \`ops merge\`
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
  --bindings DIR          binding folder (default: ops/bindings here or in a parent folder, else the bundled demo site for ics)
  -h, --help              this text

Collection options (publish through an SSH tunnel):
${COLLECT_HELP}
Exit codes: 0 done; 2 an event cannot be published as written, the calendar could not be read or
written, bad input or bad usage.
`;

export const MERGE_HELP = `ops merge: join the snapshots of a sharded collection into one snapshot

Usage: ops merge --out DIR SNAPSHOT...

  --out DIR               the snapshot folder to create (must be new or empty)
  SNAPSHOT...             the shard folders (\`ops snapshot --shard I/N --out …\` on each runner)
  -h, --help              this text

Each host may come from one shard only, and the calendar from at most one. The merged
captured_at is the earliest shard's. Judge the result with \`ops verify --snapshot DIR\`: a host
a missing shard should have read is an error there (host_not_in_snapshot).

Exit codes: 0 merged; 2 bad input (a shard that does not validate, a host in two shards) or usage.
`;

export const NOTIFY_HELP = `ops notify: alert mail about a run, through the relay of the relay: policy

Usage: ops notify --receipt RECEIPT [--previous RECEIPT] [--state FILE] [--bindings DIR] [--dry-run]

  --receipt RECEIPT       receipt.json of the run to report
  --previous RECEIPT      receipt.json of the run before: what was failing then is not new
  --state FILE            what was mailed and when (JSON, created when absent): an unchanged failure
                          is mailed again only after notify.cooldown_hours (default 24)
  --bindings DIR          binding folder with drift.gates.yaml relay: (default: ops/bindings here or in a parent folder)
  --dry-run               print the mail instead of sending it; the state file is not changed
  -h, --help              this text

One plain-text mail when there are new failures or errors, reminders due, or failures that
cleared (always mailed); nothing otherwise. SMTPS (implicit TLS) to relay.host:relay.port, to the
addresses in relay.allowed_recipients, from notify.from (default spine-gates@<sender_domain>).
Login: SPINE_GATES_SMTP_USER and SPINE_GATES_SMTP_PASSWORD. The certificate is always verified;
SPINE_GATES_SMTP_CA names a PEM file to trust instead of the system CAs (a private CA).

Exit codes: 0 mailed, or nothing to mail; 2 bad input, bad usage, or the mail could not be sent.
`;

export const INIT_HELP = `ops init: start from an estate without bindings

Usage: ops init [--bindings DIR] (--live [collection options] | --snapshot SNAP) [--force]
       ops init --ci github [--sites] [--bindings DIR] [--force]

  --bindings DIR          the binding folder (default ops/bindings); --live reads the hosts in its
                          ssh.targets.yaml
  --live                  read the hosts over SSH, as \`ops snapshot\` does (its collection options apply)
  --snapshot SNAP         use a snapshot folder instead
  --ci github             write the spine-gates workflows into the repository's .github/workflows/,
                          judging DIR (relative to the repository root): pre-merge, report and
                          one scheduled run, spine-gates-scheduled.yml (hourly ops verify --live)
  --sites                 (with --ci github) spine-gates-sites.yml instead: the hosts sharded over
                          several runners, for large estates. Never both: same cron, double mail
  --force                 replace existing files; each old one is kept as FILE.bak
  -h, --help              this text

Collection options (with --live):
${COLLECT_HELP}
Writes, for what is missing: vm.lifecycle.yaml (every guest the PVE hosts run, templates left out),
backup.inventory.yaml (a target per guest per enabled vzdump job, in the job's dump folder),
backup.calendar.yaml (an event per job schedule) and drift.gates.yaml (pve_hosts; and
d69.ssh_target_required_for: [critical] while ssh.targets.yaml lacks guests), each with a header
saying from which hosts and when. Nothing is invented: a guest in no enabled job gets no target,
and classifications, restore SOPs, offsite decisions and guests' ssh targets are left to you (it
prints them under "To decide"). An existing file is never overwritten without --force. When no
host could be read as a PVE host, nothing is written: it says which hosts, why, and what to add.

Exit codes: 0 written (or kept); 2 no PVE host read, bad input or usage.
`;

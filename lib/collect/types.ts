// Live collection over SSH: the contract between the collector, the snapshot writer and the CLI.

import type { Bindings } from '../bindings/types.js';
import type { CalendarItem } from '../calendar/vevent.js';

/** Why a host could not be read. Part of the output contract (receipts, JSON, JUnit). */
export const HOST_REASONS = [
  'dns_unresolved', 'connect_refused', 'connect_timeout', 'handshake_timeout', 'auth_denied',
  'host_key_unknown', 'host_key_mismatch', 'command_timeout', 'connection_lost', 'command_failed',
  // ssh.targets.yaml has `host: null` for it (or for the host it is probed through): a placeholder.
  'no_address',
  // The probe installed as the key's forced command is another version's (probe-script.ts).
  'probe_mismatch',
] as const;
export type HostReason = (typeof HOST_REASONS)[number];

export interface CollectProgress {
  done: number;
  total: number;
  /** Hosts still being read, with when each started (ms since the epoch). */
  running: ReadonlyMap<string, number>;
}

export interface CollectOptions {
  /** OpenSSH known_hosts file (default ~/.ssh/known_hosts). Never written to. */
  knownHostsFile: string;
  /** Accept any host key (prints a warning; recorded in the receipt). */
  insecureAcceptAnyHostKey: boolean;
  /** Private key files (--identity); null = ssh-agent (SSH_AUTH_SOCK) plus the usual ~/.ssh/id_*. */
  identityFiles: string[] | null;
  /** ~/.ssh/config (Host aliases: HostName, User, Port, IdentityFile, ProxyJump); null = none. */
  sshConfigFile: string | null;
  /** Hosts collected in parallel (default 16). */
  concurrency: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Whole-host budget: connect + every command. */
  hostBudgetMs: number;
  /** Only these host ids (ops snapshot --host); null = every host the bindings need. */
  onlyHosts: string[] | null;
  /** Test seam: hostname → address; default dns.lookup. */
  resolve?: (host: string) => Promise<string>;
  /** Called when a host starts and when it finishes (for a TTY progress line). */
  onProgress?: (progress: CollectProgress) => void;
  /** Test seam: ssh-agent socket; undefined = $SSH_AUTH_SOCK, null = no agent. Used only when identityFiles is null. */
  agentSocket?: string | null;
  /** Test seam: key passphrase; undefined = $SPINE_GATES_KEY_PASSPHRASE, null = none. Never printed or recorded. */
  keyPassphrase?: string | null;
  /** Test seam: home folder for ~/.ssh/id_* and `~` in ~/.ssh/config; default os.homedir(). */
  home?: string;
  /**
   * Also read the Radicale collection when the bindings say where it is (default true; `ops verify
   * --gate` without radicale-calendar: false). With onlyHosts, a calendar reached directly is read
   * only when this is true (the first shard of `ops snapshot --shard`).
   */
  calendar?: boolean;
}

export interface CollectedCommand {
  id: string;
  command: string;
  /** Exit status; null when killed or not run. */
  exit: number | null;
  stdout: Buffer;
  /** Only for listing commands. */
  basePath?: string;
  /** Why the command's output is not its facts (`output_too_large`); its facts are then errors with this reason. */
  problem?: { reason: string; message: string };
}

export type CollectedHost =
  | { id: string; status: 'ok'; timezone: string | null; commands: CollectedCommand[] }
  | { id: string; status: 'error'; reason: HostReason; message: string; commands: CollectedCommand[] };

export interface Collection {
  capturedAt: string;
  hosts: CollectedHost[];
  insecureAcceptAnyHostKey: boolean;
  /** The Radicale collection (radicale-calendar); absent or null when it was not collected. */
  calendar?: CollectedCalendar | null;
}

/** The calendar collection as the server returned it, or why it could not be read (reason codes in docs/gates/radicale-calendar.md). */
export type CollectedCalendar =
  | { status: 'ok'; url: string; via: string | null; items: CalendarItem[] }
  | { status: 'error'; url: string; via: string | null; reason: string; message: string };

/** Implemented in lib/collect/collect.ts. */
export type Collect = (bindings: Bindings, options: CollectOptions) => Promise<Collection>;

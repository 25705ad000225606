// Live collection over SSH: how the CLI asks the collector (what it hands back, a Collection, is
// the snapshot writer's input: lib/model.ts).

import type { Bindings } from '../bindings/types.js';
import type { Collection } from '../model.js';

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

/** Implemented in lib/collect/collect.ts. */
export type Collect = (bindings: Bindings, options: CollectOptions) => Promise<Collection>;

// One SSH connection per endpoint. We open the TCP connection ourselves (DNS, then net.connect
// under the connect timeout) and hand ssh2 the socket, so "no TCP connection" and "no SSH session"
// are told apart; a host behind a jump host gets a direct-tcpip channel (forwardOut) through the
// jump's connection instead, the way ProxyJump does. Connections are shared: a jump host that is
// also collected is connected to once, and stays open until its last user is done.

import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2, { type ClientChannel, type ServerHostKeyAlgorithm } from 'ssh2';
import type { AuthPlan, Credentials } from './credentials.js';
import { describeEndpoint, type Endpoint } from './endpoints.js';
import { classify, HostError, type ErrorLike } from './errors.js';
import { fingerprint, knownHostsName, type KnownHosts } from './known-hosts.js';

const { Client } = ssh2;
type Client = InstanceType<typeof Client>;

export const KEEPALIVE_INTERVAL_MS = 5000;
export const KEEPALIVE_COUNT_MAX = 3;

export interface HostKeyPolicy {
  /** null: accept any host key (--insecure-accept-any-host-key). */
  knownHosts: KnownHosts | null;
  file: string;
  /** The known_hosts file does not exist (said in host_key_unknown messages). */
  fileMissing: boolean;
}

export interface ConnectContext {
  hostKeys: HostKeyPolicy;
  credentials: Credentials;
  resolve: (host: string) => Promise<string>;
}

export const defaultResolve = async (host: string): Promise<string> => (await lookup(host)).address;

/** An authenticated connection; `lost` once it dropped (with the reason it was lost). */
export class Connection {
  private lostWith: HostError | null = null;
  private readonly watchers = new Set<(e: HostError) => void>();
  private ending = false;

  constructor(
    readonly client: Client,
    readonly endpoint: Endpoint,
  ) {
    let last: unknown = null;
    client.on('error', (e: unknown) => {
      last = e;
    });
    client.on('close', () => {
      if (this.ending) return;
      this.lostWith = classify(
        last ?? new Error('the server closed the connection'),
        'ready',
        describeEndpoint(endpoint),
      );
      for (const watch of [...this.watchers]) watch(this.lostWith);
      this.watchers.clear();
    });
  }

  get lost(): HostError | null {
    return this.lostWith;
  }

  /** Calls `watch` once if the connection drops; returns a function that stops watching. */
  onLost(watch: (e: HostError) => void): () => void {
    if (this.lostWith) {
      const lost = this.lostWith;
      queueMicrotask(() => watch(lost));
      return () => {};
    }
    this.watchers.add(watch);
    return () => {
      this.watchers.delete(watch);
    };
  }

  end(): void {
    this.ending = true;
    this.client.end();
  }
}

/** Shared, reference-counted connections for one collection. */
export class Connections {
  private readonly open = new Map<string, Promise<Connection>>();
  private readonly users = new Map<string, number>();

  /** `planned`: the endpoints that will be collected; each one, and every jump on its way, is one use. */
  constructor(
    planned: Iterable<Endpoint>,
    private readonly ctx: ConnectContext,
  ) {
    for (const ep of planned) forChain(ep, (e) => this.users.set(e.key, (this.users.get(e.key) ?? 0) + 1));
  }

  /** The endpoint's connection, opened on first use; a failure is remembered (no retry storms). */
  get(ep: Endpoint): Promise<Connection> {
    let conn = this.open.get(ep.key);
    if (!conn) {
      conn = this.connect(ep);
      conn.catch(() => {}); // awaited by every user; this keeps an unused failure from being "unhandled"
      this.open.set(ep.key, conn);
    }
    return conn;
  }

  /** One planned use of `ep` is over: connections nobody needs any more are closed. */
  done(ep: Endpoint): void {
    forChain(ep, (e) => {
      const left = (this.users.get(e.key) ?? 1) - 1;
      this.users.set(e.key, left);
      if (left <= 0)
        this.open.get(e.key)?.then(
          (c) => c.end(),
          () => {},
        );
    });
  }

  closeAll(): void {
    for (const conn of this.open.values())
      conn.then(
        (c) => c.end(),
        () => {},
      );
  }

  private async connect(ep: Endpoint): Promise<Connection> {
    // Keys first: from socket to ssh2 nothing may wait on I/O, or a socket error would go unseen.
    const auth = await this.ctx.credentials.planFor(ep.user, ep.identityFiles);
    const sock = ep.via ? await this.tunnel(ep, ep.via) : await tcpConnect(ep, this.ctx.resolve);
    return handshake(ep, sock, auth, this.ctx.hostKeys);
  }

  private async tunnel(ep: Endpoint, via: Endpoint): Promise<Duplex> {
    let jump: Connection;
    try {
      jump = await this.get(via);
    } catch (e) {
      const cause = classify(e, 'handshake', describeEndpoint(via));
      throw new HostError(cause.reason, `via jump host ${via.label}: ${cause.message}`);
    }
    return forward(jump, ep);
  }
}

function forChain(ep: Endpoint, visit: (e: Endpoint) => void): void {
  for (let e: Endpoint | null = ep; e; e = e.via) visit(e);
}

/** Settles like `work`, or rejects with `onTimeout()` after `ms`; a late value is handed to `discard`. */
function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => HostError,
  discard: (late: T) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(onTimeout());
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (timedOut) discard(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** DNS (unless an address is given) and the TCP connect, both inside the connect timeout. */
export async function tcpConnect(ep: Endpoint, resolve: ConnectContext['resolve']): Promise<net.Socket> {
  const ms = ep.connectTimeoutMs;
  const started = Date.now();
  let address = ep.host;
  if (!net.isIP(ep.host)) {
    const lookedUp = resolve(ep.host).catch((e: unknown) => {
      throw classify(e, 'dns', ep.host);
    });
    address = await withTimeout(
      lookedUp,
      ms,
      () => new HostError('dns_unresolved', `cannot resolve ${ep.host}: no answer within ${ms} ms`),
      () => {},
    );
  }
  const where = `${address}:${ep.port}`;
  const left = Math.max(1, ms - (Date.now() - started));
  return new Promise<net.Socket>((ok, fail) => {
    const sock = net.connect({ host: address, port: ep.port });
    const timer = setTimeout(() => {
      sock.destroy();
      fail(new HostError('connect_timeout', `TCP connect to ${where} timed out after ${ms} ms`));
    }, left);
    sock.once('connect', () => {
      clearTimeout(timer);
      ok(sock);
    });
    // Stays attached: an error after connect settles nothing here, and ssh2 adds its own listener.
    sock.on('error', (e) => {
      clearTimeout(timer);
      fail(classify(e, 'tcp', where));
    });
  });
}

/** A direct-tcpip channel through the jump host's connection to the endpoint. */
export function forward(jump: Connection, ep: Endpoint): Promise<Duplex> {
  const where = `${ep.host}:${ep.port} through ${jump.endpoint.label}`;
  const opening = new Promise<ClientChannel>((ok, fail) => {
    const failed = (e: unknown) =>
      fail(
        jump.lost
          ? new HostError('connection_lost', `via jump host ${jump.endpoint.label}: ${jump.lost.message}`)
          : forwardError(e as ErrorLike & { reason?: unknown }, where, jump.endpoint.label),
      );
    try {
      jump.client.forwardOut('127.0.0.1', 0, ep.host, ep.port, (err, stream) => (err ? failed(err) : ok(stream)));
    } catch (e) {
      failed(e);
    }
  });
  const ms = ep.connectTimeoutMs;
  return withTimeout<Duplex>(
    opening,
    ms,
    () => new HostError('connect_timeout', `TCP connect to ${where} timed out after ${ms} ms`),
    (s) => s.destroy(),
  );
}

/**
 * The jump host's refusal to open the channel. SSH gives one code (2, "connect failed") for
 * refused, unresolvable and unreachable alike; only sshd's description tells them apart.
 */
export function forwardError(e: ErrorLike & { reason?: unknown }, where: string, jumpLabel: string): HostError {
  const text = e.message ?? String(e);
  if (e.reason === 1)
    return new HostError('connect_refused', `${jumpLabel} does not allow TCP forwarding (AllowTcpForwarding): ${text}`);
  if (/refused/i.test(text)) return new HostError('connect_refused', `TCP connect to ${where} refused`);
  if (/name|resolv/i.test(text))
    return new HostError('dns_unresolved', `${jumpLabel} cannot resolve the host name: ${text}`);
  return new HostError('connect_timeout', `TCP connect to ${where} failed: ${text}`);
}

/** SSH handshake, host key check and authentication on an open socket or channel. */
function handshake(ep: Endpoint, sock: Duplex, auth: AuthPlan, hostKeys: HostKeyPolicy): Promise<Connection> {
  const where = describeEndpoint(ep);
  const known = hostKeys.knownHosts?.keyTypes(ep.host, ep.port) ?? [];
  return new Promise((resolve, reject) => {
    const client = new Client();
    let keyProblem: HostError | null = null;
    const agentProblems: string[] = [];
    const fail = (e: unknown) => {
      client.removeListener('close', onClose);
      client.destroy();
      sock.destroy();
      const authDetail = [auth.detail, ...agentProblems].join('; ');
      reject(keyProblem ?? classify(e, 'handshake', where, { timeoutMs: ep.connectTimeoutMs, authDetail }));
    };
    const onError = (e: ErrorLike) => {
      if (e.level === 'agent')
        agentProblems.push(`ssh-agent: ${e.message}`); // ssh2 goes on with the next method
      else fail(e);
    };
    const onClose = () => fail(new Error('the server closed the connection before the session was ready'));
    client.on('error', onError);
    client.on('close', onClose);
    client.once('ready', () => {
      const conn = new Connection(client, ep);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      resolve(conn);
    });
    client.connect({
      sock,
      username: ep.user,
      readyTimeout: ep.connectTimeoutMs,
      keepaliveInterval: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      authHandler: auth.methods,
      hostVerifier: (key: Buffer) => {
        keyProblem = checkHostKey(hostKeys, ep, key);
        return keyProblem === null;
      },
      // Ask for a key type known_hosts has for this host first, as ssh does; others stay offered
      // so a changed key reads as a mismatch, not as a failed negotiation.
      ...(known.length
        ? {
            algorithms: {
              serverHostKey: { remove: hostKeyAlgorithms(known), prepend: hostKeyAlgorithms(known), append: [] },
            },
          }
        : {}),
    });
  });
}

const ALGORITHMS_BY_KEY_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};

export const hostKeyAlgorithms = (keyTypes: readonly string[]): ServerHostKeyAlgorithm[] => [
  ...new Set(keyTypes.flatMap((t) => ALGORITHMS_BY_KEY_TYPE[t] ?? [])),
];

/** null when the key is acceptable; otherwise why not (host_key_unknown / host_key_mismatch). */
export function checkHostKey(
  policy: HostKeyPolicy,
  ep: Pick<Endpoint, 'host' | 'port'>,
  key: Buffer,
): HostError | null {
  if (!policy.knownHosts) return null;
  const verdict = policy.knownHosts.check(ep.host, ep.port, key);
  const name = knownHostsName(ep.host, ep.port);
  const presented = `${keyTypeOf(key)} key ${fingerprint(key)}`;
  switch (verdict.verdict) {
    case 'ok':
      return null;
    case 'unknown':
      return new HostError(
        'host_key_unknown',
        `${name} is not in ${policy.file}${policy.fileMissing ? ' (the file does not exist)' : ''}; it presented ${presented}. Check that fingerprint out of band, then add the key (e.g. ssh-keyscan ${ep.port === 22 ? '' : `-p ${ep.port} `}${ep.host}); nothing is added automatically`,
      );
    case 'mismatch':
      return new HostError(
        'host_key_mismatch',
        `${name} presented ${presented}, which matches none of its keys in ${policy.file} (${verdict.knownTypes.join(', ')}): possible impersonation, or the host was reinstalled`,
      );
    case 'revoked':
      return new HostError(
        'host_key_mismatch',
        `${name} presented ${presented}, which is revoked (@revoked at ${policy.file}:${verdict.line})`,
      );
  }
}

function keyTypeOf(key: Buffer): string {
  const n = key.length >= 4 ? key.readUInt32BE(0) : 0;
  return n > 0 && key.length >= 4 + n ? key.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

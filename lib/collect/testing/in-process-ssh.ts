// Test-only: SSH servers inside the test process (ssh2's Server), for collector and CLI tests that
// need no sshd. They answer the probe's sections from a script (probe-responder.ts), can refuse
// sessions beyond a limit (MaxSessions), forward direct-tcpip to 127.0.0.1 (a jump host), hang, or
// drop the connection.
// Imported by *.test.ts files only. The real-OpenSSH harness is fake-host.ts next to it.

import net from 'node:net';
import ssh2 from 'ssh2';
import { PROBE_EXEC } from '../../snapshot/probe-script.js';
import { answerProbe, type Reply } from './probe-responder.js';

export type { Reply };

export interface ServerSpec {
  /** The answer to one probe section, by the command it stands for. */
  reply: (command: string) => Reply;
  /** The probe id the server's probe announces (default this version's). */
  probeId?: string;
  /** Public key blobs (wire format) accepted for any user. */
  accept: Buffer[];
  /** Session channels allowed at once (sshd's MaxSessions); default unlimited. */
  maxSessions?: number;
  /** Allow direct-tcpip (forwardOut) to 127.0.0.1: a jump host. */
  forwarding?: boolean;
}

export interface InProcessServer {
  port: number;
  /** The host key, SSH wire format. */
  hostKey: Buffer;
  /** Every probe section's command, in arrival order. */
  commands: string[];
  /** Every exec request. */
  execs: string[];
  /** What each probe exec received on stdin, in exec order. */
  stdin: string[];
  connections: number;
  maxOpenSessions: number;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…` */
  knownHostsLine(key?: Buffer): string;
  close(): Promise<void>;
}

export interface KeyPair {
  /** OpenSSH private key text. */
  private: string;
  /** `ssh-ed25519 AAAA…` */
  line: string;
  wire: Buffer;
}

export function keyPair(passphrase?: string): KeyPair {
  const generate = () =>
    passphrase === undefined
      ? ssh2.utils.generateKeyPairSync('ed25519')
      : ssh2.utils.generateKeyPairSync('ed25519', { passphrase, cipher: 'aes256-ctr', rounds: 16 });
  // ssh2 1.17 now and then (about 1 key in 300) writes an ed25519 key it cannot parse back
  // ("Malformed OpenSSH private key"), which made tests fail at random: take the next one.
  let pair = generate();
  while (ssh2.utils.parseKey(pair.private, passphrase) instanceof Error) pair = generate();
  return { private: pair.private, line: pair.public, wire: Buffer.from(pair.public.split(' ')[1]!, 'base64') };
}

export function startServer(spec: ServerSpec): Promise<InProcessServer> {
  const host = keyPair();
  const sockets = new Set<net.Socket>();
  const server = new ssh2.Server({ hostKeys: [host.private] }, (client) => {
    state.connections += 1;
    let open = 0;
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || !spec.accept.some((k) => k.equals(ctx.key.data)))
        return ctx.reject(['publickey']);
      if (ctx.signature) {
        const pub = ssh2.utils.parseKey(`ssh-ed25519 ${ctx.key.data.toString('base64')}`);
        if (pub instanceof Error || pub.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject();
      }
      ctx.accept();
    });
    client.on('session', (acceptSession, rejectSession) => {
      if (spec.maxSessions !== undefined && open >= spec.maxSessions) return rejectSession();
      open += 1;
      state.maxOpenSessions = Math.max(state.maxOpenSessions, open);
      const session = acceptSession();
      session.on('close', () => {
        open -= 1;
      });
      session.on('exec', (acceptExec, rejectExec, info) => {
        state.execs.push(info.command);
        if (info.command !== PROBE_EXEC) return rejectExec();
        const exec = state.stdin.push('') - 1;
        answerProbe(acceptExec(), {
          received: (data) => {
            state.stdin[exec] += data;
          },
          reply: spec.reply,
          seen: (command) => state.commands.push(command),
          probeId: spec.probeId,
          drop: () => [...sockets].forEach((s) => s.destroy()),
        });
      });
    });
    client.on('tcpip', (acceptTcp, rejectTcp, info) => {
      if (!spec.forwarding || info.destIP !== '127.0.0.1') return rejectTcp();
      const upstream = net.connect(info.destPort, info.destIP);
      upstream.once('error', () => rejectTcp());
      upstream.once('connect', () => {
        const stream = acceptTcp();
        stream.pipe(upstream).pipe(stream);
        stream.on('close', () => upstream.destroy());
        upstream.on('close', () => stream.end());
      });
    });
  });
  // The TCP sockets under the SSH connections (ssh2's own 'connection' event gives its client objects): 'drop'
  // destroys them.
  (server as unknown as { _srv: net.Server })._srv.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const state: InProcessServer = {
    port: 0,
    hostKey: host.wire,
    commands: [],
    execs: [],
    stdin: [],
    connections: 0,
    maxOpenSessions: 0,
    knownHostsLine: (key = host.wire) => `[127.0.0.1]:${state.port} ssh-ed25519 ${key.toString('base64')}`,
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      state.port = (server.address() as net.AddressInfo).port;
      resolve(state);
    }),
  );
}

// A real SMTP server on 127.0.0.1 for the alert-mail tests (smtp-server, by nodemailer's
// maintainers): implicit TLS with a certificate from a CA made for the test run (openssl), AUTH
// PLAIN and LOGIN against one user, every accepted message kept raw with its envelope.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface PeerMail {
  user: string | undefined;
  from: string;
  to: string[];
  raw: string;
  subject: string;
  /** The text part, transfer encoding undone. */
  body: string;
}

export interface SmtpPeer {
  port: number;
  /** The CA that signed the server's certificate (PEM file): what SPINE_GATES_SMTP_CA points at. */
  caFile: string;
  mails: PeerMail[];
  /** Failed logins, by user. */
  refused: string[];
  close(): Promise<void>;
}

/** A CA and a server certificate for IP 127.0.0.1 signed by it, made now (P-256, valid 2 days). */
function certificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=spine-gates test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(
    path.join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  return {
    caFile: path.join(dir, 'ca.pem'),
    key: readFileSync(path.join(dir, 'server.key')),
    cert: readFileSync(path.join(dir, 'server.pem')),
  };
}

/** Headers and the decoded body of a single-part message. */
function parse(raw: string): { subject: string; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const header = (name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(head)?.[1] ?? '';
  const content = raw.slice(split + 4);
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  const body =
    encoding === 'base64'
      ? Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? Buffer.from(
            content
              .replace(/=\r\n/g, '')
              .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8')
        : content;
  return { subject: header('Subject'), body: body.replace(/\r\n/g, '\n') };
}

export async function startSmtpPeer(login: { user: string; password: string }): Promise<SmtpPeer> {
  const { caFile, key, cert } = certificates(mkdtempSync(path.join(tmpdir(), 'smtp-peer-')));
  const mails: PeerMail[] = [];
  const refused: string[] = [];
  const server = new SMTPServer({
    secure: true,
    key,
    cert,
    authMethods: ['PLAIN', 'LOGIN'],
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === login.user && auth.password === login.password)
        return callback(null, { user: auth.username });
      refused.push(auth.username ?? '');
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          user: session.user as string | undefined,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...parse(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { port, caFile, mails, refused, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

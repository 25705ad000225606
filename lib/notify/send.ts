// Sends one plain-text mail through the relay (nodemailer): SMTPS, TLS from the first byte, the
// certificate always verified (a private CA is trusted with SPINE_GATES_SMTP_CA, never by turning
// verification off), authenticated with credentials from the environment. No error message
// ever carries a credential.

import { readRegularFile, refusalText } from '../input-file.js';
import nodemailer from 'nodemailer';
import type { RelayPolicy } from '../bindings/types.js';

export const SMTP_USER_ENV = 'SPINE_GATES_SMTP_USER';
export const SMTP_PASSWORD_ENV = 'SPINE_GATES_SMTP_PASSWORD';
export const SMTP_CA_ENV = 'SPINE_GATES_SMTP_CA';

export class SendError extends Error {
  override name = 'SendError';
}

export interface Relay {
  host: string;
  port: number;
  user: string;
  password: string;
  /** PEM of the CA(s) to trust instead of the system's; null: the system's. */
  ca: Buffer | null;
}

/** A CA bundle: Debian's whole ca-certificates.crt is about 200 KiB. */
const MAX_CA_BYTES = 4 * 1024 * 1024;

/** The relay from the policy and the environment; what is missing is named, never shown. */
export async function relayFrom(policy: RelayPolicy, env: NodeJS.ProcessEnv = process.env): Promise<Relay> {
  const user = env[SMTP_USER_ENV];
  const password = env[SMTP_PASSWORD_ENV];
  const missing = [!user && SMTP_USER_ENV, !password && SMTP_PASSWORD_ENV].filter(Boolean);
  if (missing.length) throw new SendError(`the relay login comes from the environment: set ${missing.join(' and ')}`);
  const caFile = env[SMTP_CA_ENV];
  let ca: Buffer | null = null;
  if (caFile) {
    const read = await readRegularFile(caFile, MAX_CA_BYTES);
    if (!read.ok) throw new SendError(`${SMTP_CA_ENV}=${caFile}: cannot read it (${refusalText(read)})`);
    ca = read.bytes;
  }
  return { host: policy.host, port: policy.port, user: user!, password: password!, ca };
}

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

export async function sendMail(relay: Relay, mail: Mail): Promise<{ messageId: string; accepted: string[] }> {
  const transport = nodemailer.createTransport({
    host: relay.host,
    port: relay.port,
    secure: true, // implicit TLS (SMTPS); the relay policy accepts nothing else
    auth: { user: relay.user, pass: relay.password },
    tls: { minVersion: 'TLSv1.2', ...(relay.ca ? { ca: relay.ca } : {}) },
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    const info = await transport.sendMail({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text });
    return { messageId: String(info.messageId), accepted: (info.accepted ?? []).map(String) };
  } catch (e) {
    throw new SendError(redacted(describe(e as NodeJS.ErrnoException & { responseCode?: number }, relay), relay));
  } finally {
    transport.close();
  }
}

function describe(e: NodeJS.ErrnoException & { responseCode?: number }, relay: Relay): string {
  const where = `${relay.host}:${relay.port}`;
  const text = e.message.split('\n')[0] ?? String(e);
  if (e.code === 'EAUTH')
    return `the relay ${where} refused the login of ${SMTP_USER_ENV} (check ${SMTP_USER_ENV} and ${SMTP_PASSWORD_ENV}): ${text}`;
  if (notTls(e)) {
    return `the server at ${where} did not speak TLS; is it a STARTTLS/plain port? SMTPS needs TLS from the first byte (relay.port is usually 465)`;
  }
  if (
    e.code === 'ECONNECTION' ||
    e.code === 'ETIMEDOUT' ||
    e.code === 'ESOCKET' ||
    e.code === 'EDNS' ||
    e.code === 'ETLS'
  ) {
    const tls = /certificate|self[- ]signed|unable to verify|altnames|CERT_|SSL|TLS/i.test(text)
      ? ` (the relay's TLS certificate is not trusted for ${relay.host}; for a private CA set ${SMTP_CA_ENV} to its PEM file)`
      : '';
    return `cannot reach the relay ${where} over SMTPS: ${text}${tls}`;
  }
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return `the relay ${where} did not take the mail: ${text}`;
  return `sending through the relay ${where} failed: ${text}`;
}

/**
 * The TLS handshake met a peer that is not TLS: OpenSSL reads its plain-text greeting
 * (`220 …`) as a TLS record with an impossible version or length. Not a certificate problem.
 */
function notTls(e: NodeJS.ErrnoException & { reason?: string; originalCode?: string }): boolean {
  const what = `${e.reason ?? ''} ${e.originalCode ?? ''} ${e.message}`;
  return /wrong version number|WRONG_VERSION_NUMBER|packet length too long|PACKET_LENGTH_TOO_LONG|unknown protocol/i.test(
    what,
  );
}

/** Neither the password nor the user:password forms AUTH PLAIN/LOGIN put on the wire, in any output. */
function redacted(text: string, relay: Relay): string {
  const forms = [
    relay.password,
    Buffer.from(relay.password).toString('base64'),
    Buffer.from(`\0${relay.user}\0${relay.password}`).toString('base64'),
  ].filter((s) => s.length >= 3);
  return forms.reduce((t, s) => t.replaceAll(s, '[redacted]'), text);
}

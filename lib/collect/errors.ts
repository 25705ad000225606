// Why a host could not be read: ssh2 and socket errors mapped to the HOST_REASONS contract by
// their `code` / `level` and by how far the connection had got, not by their wording.

import type { HostReason } from '../catalogue/reasons.js';

/** A host could not be read (or read to the end): the reason code and a message for people. */
export class HostError extends Error {
  override name = 'HostError';
  constructor(
    readonly reason: HostReason,
    message: string,
  ) {
    super(message);
  }
}

/** Bad collection input (an ssh config the collector cannot follow, a --host the bindings do not need). */
export class CollectSetupError extends Error {
  override name = 'CollectSetupError';
}

/** How far a connection had got: decides what an error that could happen anywhere means. */
export type Phase = 'dns' | 'tcp' | 'handshake' | 'ready';

/** The parts of an ssh2 / Node error the classifier looks at. */
export interface ErrorLike {
  message?: string;
  code?: unknown;
  level?: unknown;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);

export function reasonFor(error: ErrorLike, phase: Phase): HostReason {
  if (error instanceof HostError) return error.reason;
  if (phase === 'dns' || (typeof error.code === 'string' && DNS_CODES.has(error.code)) || error.level === 'client-dns')
    return 'dns_unresolved';
  if (error.code === 'ECONNREFUSED') return 'connect_refused';
  if (error.level === 'client-authentication') return 'auth_denied';
  // No TCP connection (EHOSTUNREACH, ENETUNREACH, ETIMEDOUT, …); connected but no SSH session
  // (handshake timeout, no common algorithm, closed before the banner); or lost once ready
  // (ECONNRESET, keepalive timeout, the server went away).
  return phase === 'tcp' ? 'connect_timeout' : phase === 'handshake' ? 'handshake_timeout' : 'connection_lost';
}

/**
 * A HostError for `error` at `where` (`user@host:port`). `timeoutMs` words a handshake timeout;
 * `authDetail` (what was tried) completes an authentication failure.
 */
export function classify(
  error: unknown,
  phase: Phase,
  where: string,
  extra: { timeoutMs?: number; authDetail?: string } = {},
): HostError {
  if (error instanceof HostError) return error;
  const e: ErrorLike = typeof error === 'object' && error !== null ? error : { message: String(error) };
  const reason = reasonFor(e, phase);
  const code = typeof e.code === 'string' ? e.code : '';
  const text = !e.message
    ? code || 'unknown error'
    : !code || e.message.includes(code)
      ? e.message
      : `${code}: ${e.message}`;
  const message: Record<HostReason, string> = {
    dns_unresolved: `cannot resolve ${where}: ${text}`,
    connect_refused: `TCP connect to ${where} refused`,
    connect_timeout: `TCP connect to ${where} failed: ${text}`,
    handshake_timeout:
      e.level === 'client-timeout' && extra.timeoutMs !== undefined
        ? `no SSH session with ${where} within ${extra.timeoutMs} ms (handshake and authentication)`
        : `SSH handshake with ${where} failed: ${text}`,
    auth_denied: `authentication to ${where} failed${extra.authDetail ? ` (${extra.authDetail})` : `: ${text}`}`,
    host_key_unknown: `host key of ${where} rejected: ${text}`,
    host_key_mismatch: `host key of ${where} rejected: ${text}`,
    command_timeout: `${where}: ${text}`,
    connection_lost: `connection to ${where} lost: ${text}`,
    command_failed: `${where}: ${text}`,
    no_address: `${where}: ${text}`,
    probe_mismatch: `${where}: ${text}`,
  };
  return new HostError(reason, message[reason]);
}

/** Removes a secret from text that leaves the process (belt and braces: no message should hold it). */
export function redact(text: string, secret: string | null | undefined): string {
  return secret ? text.replaceAll(secret, '[redacted]') : text;
}

// OpenSSH known_hosts, read-only: plain and hashed (`|1|salt|hash`) host patterns, `[host]:port`
// for ports other than 22, `*`/`?` wildcards, `!` negation, comma-separated lists, several keys
// per host, `@revoked` keys. `@cert-authority` lines are ignored (no certificate support).
// Nothing here ever writes the file.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface KnownHostLine {
  marker: 'revoked' | null;
  /** The host field: a comma-separated pattern list, or one hashed name. */
  hosts: string;
  keyType: string;
  key: Buffer;
  line: number;
}

export type HostKeyVerdict =
  | { verdict: 'ok' }
  | { verdict: 'unknown' }
  | { verdict: 'mismatch'; knownTypes: string[] }
  | { verdict: 'revoked'; line: number };

/** The name a host is filed under: `host` on port 22, `[host]:port` otherwise (lower case). */
export function knownHostsName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

/** OpenSSH's fingerprint: `SHA256:` + unpadded base64 of the sha256 of the wire-format key. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export function parseKnownHosts(text: string): KnownHostLine[] {
  const lines: KnownHostLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let marker: KnownHostLine['marker'] = null;
    if (fields[0].startsWith('@')) {
      if (fields[0] !== '@revoked') return; // @cert-authority, or an unknown marker: not a host key
      marker = 'revoked';
      fields.shift();
    }
    const [hosts, keyType, blob] = fields;
    if (!hosts || !keyType || !blob) return;
    const key = Buffer.from(blob, 'base64');
    if (wireKeyType(key) !== keyType) return; // damaged line: OpenSSH skips it too
    lines.push({ marker, hosts, keyType, key, line: i + 1 });
  });
  return lines;
}

/** The key type string that starts an SSH wire-format public key, or null. */
function wireKeyType(key: Buffer): string | null {
  if (key.length < 4) return null;
  const n = key.readUInt32BE(0);
  return key.length >= 4 + n ? key.subarray(4, 4 + n).toString('latin1') : null;
}

/** Does a known_hosts host field name `name` (as made by knownHostsName)? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) return hashedMatches(field, name);
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    if (!wildcardMatch(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false; // a negated match rules the whole line out
    matched = true;
  }
  return matched;
}

/** `|1|base64(salt)|base64(HMAC-SHA1(key=salt, name))`. */
function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** OpenSSH match_pattern: `*` any run, `?` one character, case-insensitive, nothing else special. */
function wildcardMatch(pattern: string, name: string): boolean {
  const re = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${re}$`, 's').test(name);
}

export class KnownHosts {
  constructor(readonly lines: readonly KnownHostLine[]) {}

  static parse(text: string): KnownHosts {
    return new KnownHosts(parseKnownHosts(text));
  }

  private linesFor(host: string, port: number): KnownHostLine[] {
    const name = knownHostsName(host, port);
    return this.lines.filter((l) => hostFieldMatches(l.hosts, name));
  }

  /** Key types on file for the host (not revoked), to ask the server for one of those first. */
  keyTypes(host: string, port: number): string[] {
    return [
      ...new Set(
        this.linesFor(host, port)
          .filter((l) => !l.marker)
          .map((l) => l.keyType),
      ),
    ];
  }

  /** Revoked beats everything; a known host with none of its keys presented is a mismatch. */
  check(host: string, port: number, key: Buffer): HostKeyVerdict {
    const lines = this.linesFor(host, port);
    const revoked = lines.find((l) => l.marker === 'revoked' && l.key.equals(key));
    if (revoked) return { verdict: 'revoked', line: revoked.line };
    const valid = lines.filter((l) => !l.marker);
    if (valid.some((l) => l.key.equals(key))) return { verdict: 'ok' };
    return valid.length
      ? { verdict: 'mismatch', knownTypes: [...new Set(valid.map((l) => l.keyType))] }
      : { verdict: 'unknown' };
  }
}

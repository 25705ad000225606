import { createHash, createHmac, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { skipNamed } from '../testing/skip.js';
import { fingerprint, hostFieldMatches, KnownHosts, knownHostsName, parseKnownHosts } from './known-hosts.js';

/** A fresh public key as a known_hosts "type base64" pair and its wire-format bytes. */
function newKey(type: 'ed25519' | 'ecdsa' = 'ed25519'): { line: string; wire: Buffer } {
  const { public: pub } =
    type === 'ecdsa'
      ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 })
      : ssh2.utils.generateKeyPairSync('ed25519');
  const [keyType, blob] = pub.split(' ') as [string, string];
  return { line: `${keyType} ${blob}`, wire: Buffer.from(blob, 'base64') };
}

/** `|1|salt|hash` computed the way OpenSSH does (HashKnownHosts / ssh-keygen -H). */
function hashed(name: string, salt = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  const a = newKey();
  const b = newKey('ecdsa');
  const other = newKey();

  it('files non-22 ports as [host]:port', () => {
    expect(knownHostsName('Example.org', 22)).toBe('example.org');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('matches a hashed entry computed the OpenSSH way, and only for its name', () => {
    const kh = KnownHosts.parse(`${hashed('[127.0.0.1]:2222')} ${a.line}\n`);
    expect(kh.check('127.0.0.1', 2222, a.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('127.0.0.1', 22, a.wire)).toEqual({ verdict: 'unknown' });
    expect(kh.check('127.0.0.2', 2222, a.wire)).toEqual({ verdict: 'unknown' });
  });

  const noKeygen = hasSshKeygen() ? null : 'ssh-keygen (openssh-client) is not installed';
  it.skipIf(noKeygen !== null)(skipNamed('agrees with ssh-keygen -H on hashed names', noKeygen), () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kh-'));
    const file = path.join(dir, 'known_hosts');
    writeFileSync(file, `[pve.example]:2200 ${a.line}\npve.example ${b.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const kh = KnownHosts.parse(readFileSync(file, 'utf8'));
    expect(kh.lines.every((l) => l.hosts.startsWith('|1|'))).toBe(true);
    expect(kh.check('pve.example', 2200, a.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('pve.example', 22, b.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('pve.example', 22, a.wire)).toEqual({ verdict: 'mismatch', knownTypes: ['ecdsa-sha2-nistp256'] });
  });

  it('tells [127.0.0.1]:2222 and port 22 apart', () => {
    const kh = KnownHosts.parse(`[127.0.0.1]:2222 ${a.line}\n127.0.0.1 ${b.line}\n`);
    expect(kh.check('127.0.0.1', 2222, a.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('127.0.0.1', 22, b.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('127.0.0.1', 22, a.wire)).toEqual({ verdict: 'mismatch', knownTypes: ['ecdsa-sha2-nistp256'] });
    expect(kh.check('127.0.0.1', 2222, b.wire)).toEqual({ verdict: 'mismatch', knownTypes: ['ssh-ed25519'] });
  });

  it('accepts any of several keys for a host, and lists their types', () => {
    const kh = KnownHosts.parse(`pve ${a.line}\n# a comment\n\npve,pve.lan ${b.line}\n`);
    expect(kh.check('pve', 22, a.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('PVE', 22, b.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('pve.lan', 22, b.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('pve', 22, other.wire)).toEqual({
      verdict: 'mismatch',
      knownTypes: ['ssh-ed25519', 'ecdsa-sha2-nistp256'],
    });
    expect(kh.keyTypes('pve', 22)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
    expect(kh.keyTypes('nowhere', 22)).toEqual([]);
  });

  it('refuses a @revoked key even when another line lists it for the host', () => {
    const kh = KnownHosts.parse(`pve ${a.line}\n@revoked * ${a.line}\npve ${b.line}\n`);
    expect(kh.check('pve', 22, a.wire)).toEqual({ verdict: 'revoked', line: 2 });
    expect(kh.check('pve', 22, b.wire)).toEqual({ verdict: 'ok' });
    expect(kh.keyTypes('pve', 22)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256']);
  });

  it('honours wildcards and negation, and ignores @cert-authority lines', () => {
    const kh = KnownHosts.parse(
      [`*.lan,!secret.lan ${a.line}`, `host-?? ${b.line}`, `@cert-authority * ${other.line}`].join('\n'),
    );
    expect(kh.check('nas.lan', 22, a.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('secret.lan', 22, a.wire)).toEqual({ verdict: 'unknown' });
    expect(kh.check('host-01', 22, b.wire)).toEqual({ verdict: 'ok' });
    expect(kh.check('host-001', 22, b.wire)).toEqual({ verdict: 'unknown' });
    expect(kh.check('anything', 22, other.wire)).toEqual({ verdict: 'unknown' });
    expect(hostFieldMatches('[10.0.0.*]:2222', '[10.0.0.7]:2222')).toBe(true);
    expect(hostFieldMatches('a.b', 'aXb')).toBe(false); // `.` is literal
  });

  it('says unknown for a host with no lines, and skips damaged lines', () => {
    const kh = KnownHosts.parse(
      `pve ssh-ed25519 bm90IGEga2V5\nbroken-line\npve ${b.line.replace(/^\S+/, 'ssh-rsa')}\n`,
    );
    expect(kh.lines).toEqual([]);
    expect(kh.check('pve', 22, a.wire)).toEqual({ verdict: 'unknown' });
  });

  it('computes the OpenSSH SHA256 fingerprint', () => {
    const expected = `SHA256:${createHash('sha256').update(a.wire).digest('base64').replace(/=+$/, '')}`;
    expect(fingerprint(a.wire)).toBe(expected);
    expect(fingerprint(a.wire)).not.toContain('=');
    expect(parseKnownHosts(`h ${a.line} comment here`)[0]).toMatchObject({
      hosts: 'h',
      keyType: 'ssh-ed25519',
      line: 1,
      marker: null,
    });
  });
});

function hasSshKeygen(): boolean {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' }); // prints usage and exits 1
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  return true;
}

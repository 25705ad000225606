// Reason codes from synthetic ssh2 / socket errors: by code, level and connection phase.

import { describe, expect, it } from 'vitest';
import { checkHostKey, forwardError, hostKeyAlgorithms } from './connect.js';
import { classify, HostError, reasonFor, redact } from './errors.js';
import { fingerprint, KnownHosts } from './known-hosts.js';

const err = (message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), extra);

describe('reasonFor', () => {
  it.each([
    ['ENOTFOUND', err('getaddrinfo ENOTFOUND pve', { code: 'ENOTFOUND' }), 'tcp', 'dns_unresolved'],
    ['EAI_AGAIN', err('getaddrinfo EAI_AGAIN pve', { code: 'EAI_AGAIN' }), 'tcp', 'dns_unresolved'],
    ['anything during DNS', err('resolver exploded'), 'dns', 'dns_unresolved'],
    [
      'ssh2 client-dns',
      err('Error while looking up IPv4 address', { level: 'client-dns' }),
      'handshake',
      'dns_unresolved',
    ],
    ['ECONNREFUSED', err('connect ECONNREFUSED 127.0.0.1:22', { code: 'ECONNREFUSED' }), 'tcp', 'connect_refused'],
    ['EHOSTUNREACH', err('connect EHOSTUNREACH', { code: 'EHOSTUNREACH' }), 'tcp', 'connect_timeout'],
    [
      'handshake timeout',
      err('Timed out while waiting for handshake', { level: 'client-timeout' }),
      'handshake',
      'handshake_timeout',
    ],
    [
      'lost before handshake',
      err('Connection lost before handshake', { level: 'protocol' }),
      'handshake',
      'handshake_timeout',
    ],
    [
      'no common algorithm',
      err('Handshake failed: no matching host key format', { level: 'handshake' }),
      'handshake',
      'handshake_timeout',
    ],
    [
      'auth failure',
      err('All configured authentication methods failed', { level: 'client-authentication' }),
      'handshake',
      'auth_denied',
    ],
    ['keepalive timeout', err('Keepalive timeout', { level: 'client-timeout' }), 'ready', 'connection_lost'],
    [
      'ECONNRESET when ready',
      err('read ECONNRESET', { code: 'ECONNRESET', level: 'client-socket' }),
      'ready',
      'connection_lost',
    ],
    ['a HostError keeps its reason', new HostError('host_key_mismatch', 'x'), 'handshake', 'host_key_mismatch'],
  ] as const)('%s → %s', (_name, error, phase, reason) => {
    expect(reasonFor(error, phase)).toBe(reason);
  });
});

describe('classify', () => {
  it('words each reason, without repeating the code', () => {
    expect(
      classify(err('connect ECONNREFUSED 10.0.0.1:22', { code: 'ECONNREFUSED' }), 'tcp', '10.0.0.1:22').message,
    ).toBe('TCP connect to 10.0.0.1:22 refused');
    expect(
      classify(err('connect EHOSTUNREACH 10.0.0.1:22', { code: 'EHOSTUNREACH' }), 'tcp', '10.0.0.1:22').message,
    ).toBe('TCP connect to 10.0.0.1:22 failed: connect EHOSTUNREACH 10.0.0.1:22');
    expect(
      classify(err('Timed out while waiting for handshake', { level: 'client-timeout' }), 'handshake', 'root@pve:22', {
        timeoutMs: 10000,
      }).message,
    ).toBe('no SSH session with root@pve:22 within 10000 ms (handshake and authentication)');
    expect(
      classify(
        err('All configured authentication methods failed', { level: 'client-authentication' }),
        'handshake',
        'root@pve:22',
        { authDetail: 'tried ssh-agent' },
      ).message,
    ).toBe('authentication to root@pve:22 failed (tried ssh-agent)');
    expect(classify('weird', 'ready', 'root@pve:22')).toEqual(
      new HostError('connection_lost', 'connection to root@pve:22 lost: weird'),
    );
  });

  it('redacts a secret', () => {
    expect(redact('bad passphrase hunter2 given', 'hunter2')).toBe('bad passphrase [redacted] given');
    expect(redact('nothing', null)).toBe('nothing');
  });
});

describe('forwardError (a jump host could not reach the inner host)', () => {
  it.each([
    [{ message: '(SSH) Channel open failure: Connection refused', reason: 2 }, 'connect_refused'],
    [{ message: '(SSH) Channel open failure: Name or service not known', reason: 2 }, 'dns_unresolved'],
    [{ message: '(SSH) Channel open failure: Temporary failure in name resolution', reason: 2 }, 'dns_unresolved'],
    [{ message: '(SSH) Channel open failure: No route to host', reason: 2 }, 'connect_timeout'],
    [{ message: '(SSH) Channel open failure: administratively prohibited: open failed', reason: 1 }, 'connect_refused'],
  ])('%j → %s', (e, reason) => {
    const error = forwardError(e, '10.0.0.5:22 through pve-home', 'pve-home');
    expect(error.reason).toBe(reason);
    expect(error.message).toContain('pve-home');
  });
});

describe('checkHostKey', () => {
  const key = (n: number) =>
    Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.alloc(36, n)]);
  const line = (host: string, n: number) => `${host} ssh-ed25519 ${key(n).toString('base64')}`;
  const policy = {
    knownHosts: KnownHosts.parse(
      `${line('[10.0.0.5]:2222', 1)}\n@revoked * ssh-ed25519 ${key(3).toString('base64')}\n${line('[10.0.0.5]:2222', 3)}\n`,
    ),
    file: '/k',
    fileMissing: false,
  };

  it('accepts a known key, names unknown hosts and shows the presented fingerprint on a mismatch', () => {
    expect(checkHostKey(policy, { host: '10.0.0.5', port: 2222 }, key(1))).toBeNull();
    const unknown = checkHostKey(policy, { host: '10.0.0.5', port: 22 }, key(1));
    expect(unknown?.reason).toBe('host_key_unknown');
    expect(unknown?.message).toMatch(/^10\.0\.0\.5 is not in \/k; it presented ssh-ed25519 key SHA256:/);
    const mismatch = checkHostKey(policy, { host: '10.0.0.5', port: 2222 }, key(2));
    expect(mismatch).toEqual(
      new HostError(
        'host_key_mismatch',
        `[10.0.0.5]:2222 presented ssh-ed25519 key ${fingerprint(key(2))}, which matches none of its keys in /k (ssh-ed25519): possible impersonation, or the host was reinstalled`,
      ),
    );
    expect(checkHostKey(policy, { host: '10.0.0.5', port: 2222 }, key(3))?.message).toContain(
      'which is revoked (@revoked at /k:2)',
    );
    expect(checkHostKey({ ...policy, knownHosts: null }, { host: 'x', port: 22 }, key(9))).toBeNull();
    expect(
      checkHostKey(
        { knownHosts: new KnownHosts([]), file: '/none', fileMissing: true },
        { host: 'x', port: 22 },
        key(9),
      )?.message,
    ).toContain('(the file does not exist)');
  });

  it('asks for the known key types first', () => {
    expect(hostKeyAlgorithms(['ssh-rsa', 'ssh-ed25519', 'sk-ssh-ed25519@openssh.com'])).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ssh-ed25519',
    ]);
  });
});

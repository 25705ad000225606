import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJump, SshConfigError, SshConfigFile } from './ssh-config.js';

const PWNED = path.join(mkdtempSync(path.join(tmpdir(), 'sshcfg-')), 'pwned');
const CONFIG = `
Host pve pve-alias
  HostName 10.0.0.5
  User admin
  Port 2200
  IdentityFile ~/.ssh/pve_key
  ProxyJump jump@bastion.example:2222

Host *.lan
  HostName %h.example
  IdentityFile %d/.ssh/lan_%r

Host deep
  ProxyJump a,b

Host badport
  Port 70000

Host direct
  ProxyJump none

Match exec "touch ${PWNED}"
  User pwned

Host *
  IdentityFile ~/.ssh/common
`;

describe('~/.ssh/config aliases', () => {
  const config = SshConfigFile.parse(CONFIG, '/home/u/.ssh/config', '/home/u');

  it('resolves HostName, User, Port, IdentityFile and ProxyJump for an alias', () => {
    expect(config.resolve('pve-alias')).toEqual({
      hostName: '10.0.0.5',
      user: 'admin',
      port: 2200,
      identityFiles: ['/home/u/.ssh/pve_key', '/home/u/.ssh/common'],
      proxyJump: { user: 'jump', host: 'bastion.example', port: 2222 },
    });
  });

  it('expands %h and %d, and leaves an unknown host as it is', () => {
    expect(config.resolve('nas.lan')).toMatchObject({
      hostName: 'nas.lan.example',
      user: null,
      port: null,
      proxyJump: null,
    });
    expect(config.resolve('nas.lan').identityFiles[0]).toBe('/home/u/.ssh/lan_');
    expect(config.resolve('elsewhere')).toEqual({
      hostName: null,
      user: null,
      port: null,
      identityFiles: ['/home/u/.ssh/common'],
      proxyJump: null,
    });
    expect(config.resolve('direct').proxyJump).toBeNull();
  });

  it('never runs Match exec', () => {
    expect(config.resolve('elsewhere').user).toBeNull();
    expect(existsSync(PWNED)).toBe(false);
  });

  it('refuses several hops and bad ports with the file named', () => {
    expect(() => config.resolve('deep')).toThrow(SshConfigError);
    expect(() => config.resolve('deep')).toThrow(/config: ProxyJump for deep has several hops/);
    expect(() => config.resolve('badport')).toThrow(/Port for badport is not a port number: "70000"/);
  });

  it('parses ProxyJump hops', () => {
    expect(parseJump('bastion')).toEqual({ user: null, host: 'bastion', port: null });
    expect(parseJump('ssh://me@[::1]:2022')).toEqual({ user: 'me', host: '::1', port: 2022 });
    expect(parseJump('me@host:99999')).toBeNull();
    expect(parseJump('a b')).toBeNull();
  });
});

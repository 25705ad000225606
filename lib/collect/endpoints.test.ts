import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Bindings, SshTarget } from '../bindings/types.js';
import { Credentials } from './credentials.js';
import { resolveEndpoints } from './endpoints.js';
import { SshConfigFile } from './ssh-config.js';
import { keyPair } from './testing/in-process-ssh.js';

const target = (id: string, over: Partial<SshTarget> = {}): SshTarget => ({
  id,
  host: `${id}.lan`,
  user: 'root',
  port: 22,
  probeVia: null,
  connectTimeoutSec: null,
  source: { file: 'ssh.targets.yaml', line: 1 },
  ...over,
});
const bindingsWith = (targets: SshTarget[]) =>
  ({ ssh: { defaults: { user: 'root', port: 22, connectTimeoutSec: null }, targets } }) as unknown as Bindings;

const CONFIG = SshConfigFile.parse(
  `
Host pve-home.lan
  HostName 198.51.100.10
  User admin
  Port 2200
  IdentityFile ~/.ssh/home_key
Host nas.lan
  ProxyJump ops@bastion:2022
Host bastion
  HostName 203.0.113.1
  IdentityFile ~/.ssh/bastion_key
Host loop.lan
  ProxyJump a,b
`,
  '/home/u/.ssh/config',
  '/home/u',
);

const options = { config: CONFIG, connectTimeoutMs: 10_000, localUser: 'me' };

describe('resolveEndpoints', () => {
  it('completes a target from ~/.ssh/config where the target only inherits defaults', () => {
    const eps = resolveEndpoints(
      bindingsWith([
        target('pve-home'),
        target('explicit', { host: 'pve-home.lan', user: 'backup', port: 2222, connectTimeoutSec: 3 }),
      ]),
      ['pve-home', 'explicit'],
      options,
    );
    expect(eps.get('pve-home')).toEqual({
      key: 'pve-home',
      label: 'pve-home',
      host: '198.51.100.10',
      port: 2200,
      user: 'admin',
      identityFiles: ['/home/u/.ssh/home_key'],
      connectTimeoutMs: 10_000,
      via: null,
    });
    expect(eps.get('explicit')).toMatchObject({
      host: '198.51.100.10',
      port: 2222,
      user: 'backup',
      connectTimeoutMs: 3000,
    });
  });

  it('tunnels through probe_via, which wins over a config ProxyJump', () => {
    const eps = resolveEndpoints(
      bindingsWith([target('pve-home'), target('nas', { probeVia: 'pve-home' })]),
      ['nas'],
      options,
    );
    expect(eps.get('nas')).toMatchObject({ host: 'nas.lan', via: { key: 'pve-home', host: '198.51.100.10' } });
  });

  it('follows one config ProxyJump hop, itself resolved through the config', () => {
    const eps = resolveEndpoints(bindingsWith([target('nas')]), ['nas'], options);
    expect(eps.get('nas')!.via).toEqual({
      key: 'jump:ops@203.0.113.1:2022',
      label: 'bastion (ProxyJump)',
      host: '203.0.113.1',
      port: 2022,
      user: 'ops',
      identityFiles: ['/home/u/.ssh/bastion_key'],
      connectTimeoutMs: 10_000,
      via: null,
    });
  });

  it('refuses probe_via loops and multi-hop ProxyJump as bad input', () => {
    expect(() =>
      resolveEndpoints(bindingsWith([target('a', { probeVia: 'b' }), target('b', { probeVia: 'a' })]), ['a'], options),
    ).toThrow('probe_via loops: a → b → a');
    expect(() => resolveEndpoints(bindingsWith([target('loop')]), ['loop'], options)).toThrow(/several hops/);
  });

  it('works without a config', () => {
    const eps = resolveEndpoints(bindingsWith([target('pve-home')]), ['pve-home'], { ...options, config: null });
    expect(eps.get('pve-home')).toMatchObject({
      host: 'pve-home.lan',
      user: 'root',
      port: 22,
      identityFiles: [],
      via: null,
    });
  });
});

describe('Credentials', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'creds-'));
  const home = path.join(dir, 'home');
  const plain = path.join(dir, 'plain');
  const locked = path.join(dir, 'locked');
  // keyPair retries the ~1 in 300 ed25519 keys ssh2 writes but cannot parse back.
  writeFileSync(plain, keyPair().private);
  writeFileSync(locked, keyPair('pw-123').private);
  writeFileSync(path.join(dir, 'public'), keyPair().line);

  it('uses the named keys only, and says which it skipped and why', async () => {
    const creds = new Credentials({
      identityFiles: [plain, locked, path.join(dir, 'public'), path.join(dir, 'nope')],
      agentSocket: '/agent.sock',
      passphrase: null,
      home,
    });
    const plan = await creds.planFor('root', []);
    expect(plan.methods.map((m) => m.type)).toEqual(['publickey']);
    expect(plan.detail).toBe(
      `tried ${plain}; skipped ${locked} (encrypted; set SPINE_GATES_KEY_PASSPHRASE), ${path.join(dir, 'public')} (not a private key), ${path.join(dir, 'nope')} (not found)`,
    );
  });

  it('decrypts with the passphrase, and never words it', async () => {
    const right = await new Credentials({
      identityFiles: [locked],
      agentSocket: null,
      passphrase: 'pw-123',
      home,
    }).planFor('root', []);
    expect(right.methods).toHaveLength(1);
    const wrong = await new Credentials({
      identityFiles: [locked],
      agentSocket: null,
      passphrase: 'pw-WRONG',
      home,
    }).planFor('root', []);
    expect(wrong.methods).toHaveLength(0);
    expect(wrong.detail).toContain('cannot decrypt it with SPINE_GATES_KEY_PASSPHRASE');
    expect(wrong.detail).not.toContain('pw-WRONG');
  });

  it('defaults to the agent and ~/.ssh/id_*, quietly skipping absent defaults', async () => {
    const plan = await new Credentials({
      identityFiles: null,
      agentSocket: '/agent.sock',
      passphrase: null,
      home,
    }).planFor('root', []);
    expect(plan.methods).toEqual([{ type: 'agent', username: 'root', agent: '/agent.sock' }]);
    expect(plan.detail).toBe('tried ssh-agent');
    const none = await new Credentials({ identityFiles: null, agentSocket: null, passphrase: null, home }).planFor(
      'root',
      [],
    );
    expect(none.detail).toBe('nothing to try: no ssh-agent (SSH_AUTH_SOCK) and no key in ~/.ssh');
  });

  it("adds a host's config IdentityFile instead of the defaults", async () => {
    const plan = await new Credentials({ identityFiles: null, agentSocket: null, passphrase: null, home }).planFor(
      'admin',
      [plain],
    );
    expect(plan.methods).toMatchObject([{ type: 'publickey', username: 'admin' }]);
  });
});

// ~/.ssh/config Host aliases, through the `ssh-config` package: HostName, User, Port, IdentityFile
// and ProxyJump (one hop). `Match exec` is never evaluated: reading a config runs no commands.

import { readFile } from 'node:fs/promises';
import SSHConfig from 'ssh-config';

export interface SshConfigHost {
  hostName: string | null;
  user: string | null;
  port: number | null;
  /** Absolute paths (`~` and `%d` expanded), in config order. */
  identityFiles: string[];
  proxyJump: JumpSpec | null;
}

/** One ProxyJump hop: `[user@]host[:port]` (or `ssh://…`). */
export interface JumpSpec {
  user: string | null;
  host: string;
  port: number | null;
}

export class SshConfigError extends Error {
  override name = 'SshConfigError';
}

export class SshConfigFile {
  private constructor(
    private readonly config: SSHConfig,
    readonly file: string,
    private readonly home: string,
  ) {}

  static parse(text: string, file: string, home: string): SshConfigFile {
    return new SshConfigFile(SSHConfig.parse(text), file, home);
  }

  static async load(file: string, home: string): Promise<SshConfigFile> {
    return SshConfigFile.parse(await readFile(file, 'utf8'), file, home);
  }

  /** What the config says for `alias` (first value wins, as in ssh). */
  resolve(alias: string): SshConfigHost {
    const found = this.config.compute(alias, { ignoreCase: true, matchExec: false });
    const one = (key: string): string | null => {
      const v = found[key];
      return (Array.isArray(v) ? v[0] : v) ?? null;
    };
    const hostName = one('hostname');
    const user = one('user');
    const files = found['identityfile'];
    return {
      hostName: hostName === null ? null : expand(hostName, { h: alias, d: this.home }),
      user,
      port: this.port(one('port'), alias),
      identityFiles: (Array.isArray(files) ? files : files ? [files] : []).map((f) =>
        expand(f, { d: this.home, h: hostName ?? alias, r: user ?? '' }),
      ),
      proxyJump: this.jump(one('proxyjump'), alias),
    };
  }

  private port(value: string | null, alias: string): number | null {
    if (value === null) return null;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new SshConfigError(`${this.file}: Port for ${alias} is not a port number: "${value}"`);
    return port;
  }

  private jump(value: string | null, alias: string): JumpSpec | null {
    if (value === null || value.toLowerCase() === 'none') return null;
    if (value.includes(','))
      throw new SshConfigError(
        `${this.file}: ProxyJump for ${alias} has several hops ("${value}"); one hop is supported`,
      );
    const jump = parseJump(value);
    if (!jump) throw new SshConfigError(`${this.file}: ProxyJump for ${alias} is not [user@]host[:port]: "${value}"`);
    return jump;
  }
}

export function parseJump(value: string): JumpSpec | null {
  const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]\s]+\]|[^:@\s[\]/]+)(?::(\d{1,5}))?\/?$/.exec(value.trim());
  if (!m) return null;
  const port = m[3] === undefined ? null : Number(m[3]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  return { user: m[1] ?? null, host: m[2]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/** `~/` and the ssh_config(5) tokens %d (home), %h (host), %r (remote user), %%. */
function expand(value: string, tokens: Record<string, string>): string {
  const tilde = value === '~' || value.startsWith('~/') ? `${tokens['d'] ?? '~'}${value.slice(1)}` : value;
  return tilde.replace(/%([%a-zA-Z])/g, (all, t: string) => (t === '%' ? '%' : (tokens[t] ?? all)));
}

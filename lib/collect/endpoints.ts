// Where each host is reached: its ssh.targets.yaml entry, completed by ~/.ssh/config (HostName,
// User, Port, IdentityFile, ProxyJump), and the jump host it is reached through (probe_via).
//
// Precedence, like ssh's command line over its config: a target's own `user`/`port` win; a value
// the target only inherits from `ssh.defaults` yields to a matching ~/.ssh/config entry.
// `probe_via` wins over a config ProxyJump. A config ProxyJump is followed one hop.

import type { Bindings, SshTarget, SshTargets } from '../bindings/types.js';
import { CollectSetupError } from './errors.js';
import { SshConfigError, type JumpSpec, type SshConfigFile } from './ssh-config.js';

export interface Endpoint {
  /** Connection identity: the target id, or `jump:user@host:port` for a config ProxyJump. */
  key: string;
  /** How messages name it: the target id, or `host (ProxyJump)`. */
  label: string;
  host: string;
  port: number;
  user: string;
  /** IdentityFile entries from ~/.ssh/config. */
  identityFiles: string[];
  connectTimeoutMs: number;
  /** The jump host the TCP connection is tunnelled through, if any. */
  via: Endpoint | null;
}

export interface EndpointOptions {
  config: SshConfigFile | null;
  connectTimeoutMs: number;
  /** User for a ProxyJump hop that names none (ssh uses the local user name). */
  localUser: string;
}

/** `user@host:port` as messages show an endpoint. */
export const describeEndpoint = (ep: Endpoint): string => `${ep.user}@${ep.host}:${ep.port}`;

export function resolveEndpoints(
  bindings: Bindings,
  hostIds: readonly string[],
  options: EndpointOptions,
): Map<string, Endpoint> {
  const targets = new Map(bindings.ssh?.targets.map((t) => [t.id, t]));
  const defaults = bindings.ssh?.defaults;
  const resolved = new Map<string, Endpoint>();
  const resolve = (id: string, chain: string[]): Endpoint => {
    const done = resolved.get(id);
    if (done) return done;
    if (chain.includes(id))
      throw new CollectSetupError(`ssh.targets.yaml: probe_via loops: ${[...chain, id].join(' → ')}`);
    const target = targets.get(id);
    if (!target || !defaults) throw new CollectSetupError(`no ssh target "${id}" in ssh.targets.yaml`);
    const ep = targetEndpoint(target, defaults, options, (via) => resolve(via, [...chain, id]));
    resolved.set(id, ep);
    return ep;
  };
  return new Map(hostIds.map((id) => [id, resolve(id, [])]));
}

function targetEndpoint(
  t: SshTarget,
  defaults: SshTargets['defaults'],
  options: EndpointOptions,
  viaTarget: (id: string) => Endpoint,
): Endpoint {
  // Placeholders (`host: null`) are never planned for a connection (collect.ts placeholderErrors).
  if (t.host === null)
    throw new CollectSetupError(`${t.source.file}:${t.source.line}: ssh target ${t.id} has host: null`);
  const config = lookup(options.config, t.host);
  const user = t.user !== defaults.user ? t.user : (config?.user ?? t.user);
  const connectTimeoutMs = t.connectTimeoutSec ? t.connectTimeoutSec * 1000 : options.connectTimeoutMs;
  const via = t.probeVia
    ? viaTarget(t.probeVia)
    : config?.proxyJump
      ? jumpEndpoint(config.proxyJump, options, connectTimeoutMs)
      : null;
  return {
    key: t.id,
    label: t.id,
    host: config?.hostName ?? t.host,
    user,
    port: t.port !== defaults.port ? t.port : (config?.port ?? t.port),
    identityFiles: config?.identityFiles ?? [],
    connectTimeoutMs,
    via,
  };
}

function jumpEndpoint(spec: JumpSpec, options: EndpointOptions, connectTimeoutMs: number): Endpoint {
  const config = lookup(options.config, spec.host);
  const host = config?.hostName ?? spec.host;
  const user = spec.user ?? config?.user ?? options.localUser;
  const port = spec.port ?? config?.port ?? 22;
  return {
    key: `jump:${user}@${host}:${port}`,
    label: `${spec.host} (ProxyJump)`,
    host,
    port,
    user,
    identityFiles: config?.identityFiles ?? [],
    connectTimeoutMs,
    via: null,
  };
}

function lookup(config: SshConfigFile | null, alias: string) {
  try {
    return config?.resolve(alias) ?? null;
  } catch (e) {
    if (e instanceof SshConfigError) throw new CollectSetupError(e.message);
    throw e;
  }
}

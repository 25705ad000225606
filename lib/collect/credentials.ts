// What a connection authenticates with: ssh-agent and private key files. Keys are read and
// decrypted once per collection; the passphrase (SPINE_GATES_KEY_PASSPHRASE) never appears in any
// message, and a key that cannot be used is named with why, so "auth_denied" can say what was tried.

import path from 'node:path';
import { readRegularFile, refusalText } from '../input-file.js';
import ssh2, { type AgentAuthMethod, type ParsedKey, type PublicKeyAuthMethod } from 'ssh2';
import { redact } from './errors.js';

export const PASSPHRASE_ENV = 'SPINE_GATES_KEY_PASSPHRASE';
export const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export interface CredentialSetup {
  /** --identity files; null = ssh-agent plus the default ~/.ssh/id_* files. */
  identityFiles: string[] | null;
  /** SSH_AUTH_SOCK; used only when identityFiles is null. */
  agentSocket: string | null;
  passphrase: string | null;
  /** Where ~/.ssh is; used only when identityFiles is null. */
  home: string;
}

/** ssh2 authHandler entries: the agent, or a parsed private key. */
export type AuthMethod = AgentAuthMethod | PublicKeyAuthMethod;

export interface AuthPlan {
  methods: AuthMethod[];
  /** For the auth_denied message: "ssh-agent, /root/.ssh/id_ed25519; skipped …". */
  detail: string;
}

type LoadedKey = { file: string; key: ParsedKey } | { file: string; problem: string };

export class Credentials {
  private readonly keys = new Map<string, Promise<LoadedKey>>();

  constructor(private readonly setup: CredentialSetup) {}

  /** Methods for `user`, with the host's ~/.ssh/config IdentityFile entries. */
  async planFor(user: string, configFiles: readonly string[]): Promise<AuthPlan> {
    const { identityFiles, agentSocket, home } = this.setup;
    const useDefaults = identityFiles === null && configFiles.length === 0;
    const files = useDefaults
      ? DEFAULT_IDENTITIES.map((f) => path.join(home, '.ssh', f))
      : [...(identityFiles ?? []), ...configFiles];
    const loaded = await Promise.all([...new Set(files)].map((f) => this.load(f)));
    // A default file that does not exist is simply not there; a named one is worth a mention.
    const skipped = loaded.filter(
      (k): k is Extract<LoadedKey, { problem: string }> =>
        'problem' in k && !(useDefaults && k.problem === 'not found'),
    );
    const usable = loaded.filter((k): k is Extract<LoadedKey, { key: ParsedKey }> => 'key' in k);
    const methods: AuthMethod[] = [
      ...(identityFiles === null && agentSocket
        ? [{ type: 'agent' as const, username: user, agent: agentSocket }]
        : []),
      ...usable.map((k) => ({ type: 'publickey' as const, username: user, key: k.key })),
    ];
    const tried = [...(methods[0]?.type === 'agent' ? ['ssh-agent'] : []), ...usable.map((k) => k.file)];
    const detail = [
      tried.length
        ? `tried ${tried.join(', ')}`
        : `nothing to try: ${identityFiles === null ? 'no ssh-agent (SSH_AUTH_SOCK) and no key in ~/.ssh' : 'no usable --identity key'}`,
      ...(skipped.length ? [`skipped ${skipped.map((k) => `${k.file} (${k.problem})`).join(', ')}`] : []),
    ].join('; ');
    return { methods, detail };
  }

  private load(file: string): Promise<LoadedKey> {
    let loaded = this.keys.get(file);
    if (!loaded) {
      loaded = loadKey(file, this.setup.passphrase);
      this.keys.set(file, loaded);
    }
    return loaded;
  }
}

/** An OpenSSH private key is a few KiB (RSA 16384 bits is under 13 KiB). */
const MAX_KEY_BYTES = 64 * 1024;

async function loadKey(file: string, passphrase: string | null): Promise<LoadedKey> {
  // A regular file only, bounded: a FIFO named as a key must not hang the run.
  const read = await readRegularFile(file, MAX_KEY_BYTES);
  if (!read.ok) return { file, problem: read.absent ? 'not found' : `unreadable: ${refusalText(read)}` };
  const parsed = ssh2.utils.parseKey(read.bytes, passphrase ?? undefined) as ParsedKey | ParsedKey[] | Error;
  if (parsed instanceof Error) {
    const encrypted = /passphrase|encrypted|decrypt/i.test(parsed.message);
    const problem =
      encrypted && !passphrase
        ? `encrypted; set ${PASSPHRASE_ENV}`
        : encrypted
          ? `cannot decrypt it with ${PASSPHRASE_ENV}`
          : `not a private key ssh2 can read: ${redact(parsed.message, passphrase)}`;
    return { file, problem };
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return { file, problem: 'not a private key' };
  return { file, key };
}

// The operator's own files a run reads (private keys, known_hosts, ssh config, the SMTP CA bundle)
// are read as regular files only, bounded: a named pipe in their place is a clear error at once,
// never a run that hangs waiting for a writer.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBindings } from '../bindings/load.js';
import type { RelayPolicy } from '../bindings/types.js';
import { relayFrom, SMTP_CA_ENV, SMTP_PASSWORD_ENV, SMTP_USER_ENV } from '../notify/send.js';
import { DEMO_SITE } from '../package-root.js';
import { collect } from './collect.js';
import { Credentials } from './credentials.js';
import type { CollectOptions } from './types.js';

const TMP = mkdtempSync(path.join(tmpdir(), 'setup-files-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const FIFO = path.join(TMP, 'fifo');
execFileSync('mkfifo', [FIFO]);
const PIPE = 'expected a regular file, found a named pipe';

describe('files of the operator, read as regular files only', () => {
  it('skips a private key that is a named pipe, saying so', async () => {
    const plan = await new Credentials({
      identityFiles: [FIFO],
      home: TMP,
      passphrase: null,
      agentSocket: null,
    }).planFor('root', []);
    expect(plan.methods).toEqual([]);
    expect(plan.detail).toContain(`skipped ${FIFO} (unreadable: ${PIPE})`);
  });

  it('refuses a private key file too large to be one, without reading it whole', async () => {
    const big = path.join(TMP, 'big-key');
    writeFileSync(big, Buffer.alloc(65 * 1024, 'A'));
    const plan = await new Credentials({
      identityFiles: [big],
      home: TMP,
      passphrase: null,
      agentSocket: null,
    }).planFor('root', []);
    expect(plan.detail).toContain(
      `skipped ${big} (unreadable: expected a file of at most 65536 bytes, found 66560 bytes)`,
    );
  });

  it.each(['knownHostsFile', 'sshConfigFile'] as const)(
    'stops a collection whose %s is a named pipe, before any connection',
    async (field) => {
      const loaded = await loadBindings(path.join(DEMO_SITE, 'bindings'));
      if (!loaded.ok) throw new Error('demo bindings do not load');
      const options: CollectOptions = {
        knownHostsFile: path.join(TMP, 'absent'),
        insecureAcceptAnyHostKey: false,
        identityFiles: [],
        sshConfigFile: null,
        concurrency: 1,
        connectTimeoutMs: 100,
        commandTimeoutMs: 100,
        hostBudgetMs: 100,
        onlyHosts: null,
        agentSocket: null,
        keyPassphrase: null,
        home: TMP,
        resolve: () => Promise.reject(new Error('no host may be resolved')),
        [field]: FIFO,
      };
      await expect(collect(loaded.bindings, options)).rejects.toThrow(`cannot read ${FIFO}: ${PIPE}`);
    },
  );

  it('refuses an SMTP CA bundle that is a named pipe', async () => {
    const env = { [SMTP_USER_ENV]: 'ops', [SMTP_PASSWORD_ENV]: 'not-shown', [SMTP_CA_ENV]: FIFO };
    await expect(relayFrom({ host: 'mail.example.net', port: 465 } as RelayPolicy, env)).rejects.toThrow(
      `${SMTP_CA_ENV}=${FIFO}: cannot read it (${PIPE})`,
    );
  });
});

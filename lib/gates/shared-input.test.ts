// The gates' input travels through shared memory: a gate that asks before the CLI has put it waits
// (in vitest's worker thread) and then reads exactly what was put; told there is none, it fails
// with a clear error instead of waiting forever. The worker runs the built module (npm run build).

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import type { VerifyInput } from '../rules/input.js';
import { inputMailbox, inputOf, type SharedInput } from './shared-input.js';

const BUILT = pathToFileURL(path.join(PACKAGE_ROOT, 'dist', 'lib', 'gates', 'shared-input.js')).href;

/** What a gate in another thread reads from the mailbox: the input (as JSON-able data) or its error. */
function readInWorker(shared: SharedInput): Promise<{ input?: unknown; error?: string }> {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.module).then(({ inputOf }) => {
      parentPort.postMessage({ started: true });
      try { const input = inputOf(workerData.shared); parentPort.postMessage({ input: { ...input, hosts: [...input.hosts] } }); }
      catch (e) { parentPort.postMessage({ error: e.message }); }
    });`,
    { eval: true, workerData: { module: BUILT, shared } },
  );
  return new Promise((resolve, reject) => {
    worker.on('message', (m) => {
      if (!m.started) {
        resolve(m);
        void worker.terminate();
      }
    });
    worker.on('error', reject);
  });
}

const input = {
  now: '2026-03-04T07:30:00Z',
  hosts: new Map([['pve', { archives: ['a', 'ü'] }]]),
  state: null,
} as unknown as VerifyInput;

describe("the gates' input mailbox", () => {
  it('a gate waiting in another thread reads exactly the input put after it asked', async () => {
    const mailbox = inputMailbox();
    const read = readInWorker(mailbox.shared);
    await new Promise((r) => setTimeout(r, 200));
    mailbox.put(input);
    expect(await read).toEqual({ input: { now: input.now, hosts: [['pve', { archives: ['a', 'ü'] }]], state: null } });
    expect(inputOf(mailbox.shared)).toEqual(input);
    expect(() => mailbox.put(input)).toThrow(/already settled/);
  });

  it('abandoned (bad input), a waiting gate fails with an error instead of waiting forever', async () => {
    const mailbox = inputMailbox();
    const read = readInWorker(mailbox.shared);
    await new Promise((r) => setTimeout(r, 200));
    mailbox.abandon();
    expect(await read).toEqual({ error: expect.stringMatching(/had no input for the gates/) });
    expect(() => inputOf(mailbox.shared)).toThrow(/had no input/);
  });
});

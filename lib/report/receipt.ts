// Receipts: the durable record of a run. Each run owns a fresh folder named by its run key;
// files land by write-to-temp + hard link, so a receipt is never half-written or overwritten.

import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { reportHtml } from './html.js';
import { receiptMarkdown } from './markdown.js';
import type { RunResult } from './run-result.js';

/** Sortable (UTC time first, to the millisecond) and unique (random suffix, exclusive mkdir). */
export function newRunKey(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '.$1Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Creates the run's receipt folder; a key already taken is never reused. */
export async function reserveReceiptDir(reportsDir: string): Promise<{ runKey: string; dir: string }> {
  const root = path.join(reportsDir, 'receipts');
  await mkdir(root, { recursive: true });
  for (;;) {
    const runKey = newRunKey();
    const dir = path.join(root, runKey);
    try {
      await mkdir(dir);
      return { runKey, dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Writes `name` into `dir` atomically; fails rather than replace an existing file. */
export async function writeNewFile(dir: string, name: string, content: string): Promise<string> {
  const final = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
  await writeFile(temp, content, { flag: 'wx' });
  try {
    await link(temp, final);
  } finally {
    await unlink(temp);
  }
  return final;
}

/** receipt.md (also the job summary), report.html beside it, then receipt.json. */
export async function writeReceipt(dir: string, run: RunResult): Promise<string> {
  await writeNewFile(dir, 'report.html', reportHtml(run));
  await writeNewFile(dir, 'receipt.md', receiptMarkdown(run, `report.html in the receipt folder (${path.basename(dir)})`));
  return writeNewFile(dir, 'receipt.json', `${JSON.stringify(run, null, 2)}\n`);
}

/** Replaces `file` atomically (temp + rename): for outputs that are meant to be replaced, like junit.xml. */
export async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

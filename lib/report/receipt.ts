// Receipts: the durable record of a run. Each run owns a fresh folder named by its run key. The
// folder is built under a hidden work name beside it and renamed into place last, so a receipt
// folder is complete or absent (disk full, kill -9) and never overwritten.

import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { makeFolder, OutputError, writing } from '../output-error.js';
import { reportHtmlPieces } from './html.js';
import { batched, jsonFile } from './json-chunks.js';
import { receiptMarkdown } from './markdown.js';
import type { RunResult } from '../results/run-result.js';

/** A file's text: whole, or in pieces (large outputs are never built as one string). */
export type Content = string | Iterable<string>;

/** Sortable (UTC time first, to the millisecond) and unique (random suffix, exclusive mkdir). */
export function newRunKey(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '.$1Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}

export interface ReceiptFolder {
  runKey: string;
  /** Where the receipt will be once complete: `<reports>/receipts/<run-key>`. */
  dir: string;
  /** Where its files are written until then: `<reports>/receipts/.<run-key>.partial`. */
  work: string;
}

/** Starts a run's receipt folder under a work name; a key already taken is never reused. */
export async function startReceipt(reportsDir: string): Promise<ReceiptFolder> {
  const root = path.resolve(reportsDir, 'receipts');
  await writing(root, () => makeFolder(root));
  for (;;) {
    const runKey = newRunKey();
    const folder = { runKey, dir: path.join(root, runKey), work: path.join(root, `.${runKey}.partial`) };
    try {
      if (await exists(folder.dir)) continue;
      await writing(folder.work, () => mkdir(folder.work));
      return folder;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Puts the complete folder into place; never over an existing one. */
async function finishReceipt(folder: ReceiptFolder): Promise<void> {
  if (await exists(folder.dir))
    throw new OutputError(`cannot write ${folder.dir}: it already exists, and a receipt is never overwritten`);
  await writing(folder.dir, () => rename(folder.work, folder.dir));
}

/** Removes an unfinished receipt (a run that failed before its receipt was complete). */
export async function abandonReceipt(folder: ReceiptFolder): Promise<void> {
  await rm(folder.work, { recursive: true, force: true });
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Writes `content` to a new temp file beside `final` and hands its name to `place`; the temp file
 * is gone afterwards, whatever happened. The name is random and created exclusively (`wx`): a
 * file or symlink planted at a guessable name is never written through. Synced before `place`,
 * so what lands under the final name is complete even after a crash.
 */
async function viaTempFile(final: string, content: Content, place: (temp: string) => Promise<void>): Promise<void> {
  const temp = path.join(path.dirname(final), `.${path.basename(final)}.${randomBytes(8).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      // writeFile on a handle appends where the last write ended, and writes each piece whole.
      // The next piece is made while the last one is being written.
      let writing: Promise<void> = Promise.resolve();
      for (const piece of typeof content === 'string' ? [content] : batched(content)) {
        await writing;
        writing = handle.writeFile(piece);
      }
      await writing;
      await handle.sync();
    } finally {
      await handle.close();
    }
    await place(temp);
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Writes `files` (name → content) into the receipt folder, each new (link: never replacing a
 * file), then puts the folder into place. Returns the last file's path there. A failure names the
 * file as it would have been.
 */
export async function completeReceipt(folder: ReceiptFolder, files: Record<string, Content>): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(folder.work, name);
    await writing(path.join(folder.dir, name), () => viaTempFile(file, content, (temp) => link(temp, file)));
  }
  await finishReceipt(folder);
  return path.join(folder.dir, Object.keys(files).at(-1)!);
}

/** report.html, receipt.md (also the job summary) beside it, then receipt.json, and the folder into place. */
export async function writeReceipt(folder: ReceiptFolder, run: RunResult): Promise<string> {
  return completeReceipt(folder, {
    'report.html': reportHtmlPieces(run),
    'receipt.md': receiptMarkdown(run, `report.html in the receipt folder (${folder.runKey})`),
    // The same text as JSON.stringify(run, null, 2), written finding by finding.
    'receipt.json': jsonFile(run, 4),
  });
}

/** Replaces `file` atomically (temp + rename): for outputs that are meant to be replaced, like junit.xml. */
export async function writeAtomically(file: string, content: Content): Promise<void> {
  await writing(file, async () => {
    await makeFolder(path.dirname(file));
    await viaTempFile(file, content, (temp) => rename(temp, file));
  });
}

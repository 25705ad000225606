// Receipts: the durable record of a run. Each run owns a fresh folder named by its run key;
// files land by write-to-temp + hard link, so a receipt is never half-written or overwritten.

import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findingId } from '../model.js';
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

export async function writeReceipt(dir: string, run: RunResult): Promise<string> {
  await writeNewFile(dir, 'receipt.md', receiptMarkdown(run));
  return writeNewFile(dir, 'receipt.json', `${JSON.stringify(run, null, 2)}\n`);
}

function receiptMarkdown(run: RunResult): string {
  const s = run.summary;
  const lines = [
    `# spine-gates receipt ${run.runKey}`,
    '',
    `- outcome: **${run.outcome}** (exit ${run.exitCode}): ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skip} skip, ${s.waived} waived`,
    `- source: ${run.source.kind}; bindings ${run.source.bindings} (${run.source.bindingsChosenBy})${run.source.snapshot ? `; snapshot ${run.source.snapshot} captured ${run.source.capturedAt}` : ''}`,
    ...(run.source.insecureAcceptAnyHostKey ? ['- **host keys were not checked** (--insecure-accept-any-host-key)'] : []),
    ...(run.baseline ? [`- baseline: ${run.baseline.receipt}${run.baseline.runKey ? ` (run ${run.baseline.runKey})` : ''}: ${run.baseline.new} new, ${run.baseline.known} known; fail on ${run.baseline.failOn}`] : []),
    `- bindings digest: ${run.bindingsDigest ?? 'none'}${run.bindingsGitCommit ? `; git commit ${run.bindingsGitCommit}` : ''}`,
    `- tool: ${run.tool.name} ${run.tool.version}; started ${run.startedAt}, finished ${run.finishedAt}`,
  ];
  if (run.inputErrors.length) lines.push('', '## Input errors', '', ...run.inputErrors.map((e) => `- ${e}`));
  const hostsDown = run.hosts.filter((h) => h.status === 'error');
  if (hostsDown.length) lines.push('', '## Unreadable hosts', '', ...hostsDown.map((h) => `- ${h.id}: ${h.reason}: ${h.message}`));
  for (const gate of run.gates) {
    const bad = gate.findings.filter((f) => f.outcome === 'fail' || f.outcome === 'error');
    lines.push('', `## ${gate.id} ${gate.title}: ${gate.outcome}`, '');
    if (!bad.length) lines.push('No failures or errors.');
    for (const f of bad) lines.push(`- **${f.outcome}**${f.drift ? ` (${f.drift})` : ''} \`${findingId(f)}\`: ${f.message}${f.remediation ? `  \n  → ${f.remediation}` : ''}`);
    for (const f of gate.findings.filter((x) => x.waiver && x.outcome === 'waived')) {
      lines.push(`- waived \`${findingId(f)}\` by ${f.waiver!.owner} until ${f.waiver!.expires}: ${f.waiver!.justification}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Replaces `file` atomically (temp + rename): for outputs that are meant to be replaced, like junit.xml. */
export async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, content);
  await rename(temp, file);
}

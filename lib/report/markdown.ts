// receipt.md, also the GitHub job summary: the verdict, a table per gate, then every failure and
// error as one table row (most urgent first), then the details of the first ones with their
// remediation in fenced code blocks, as many as GitHub's 1 MiB job-summary limit holds; it says how
// many it left out. Values from bindings or hosts are code spans (./escape.ts): none can start a
// heading, a table cell, HTML or a link.

import { findingId, type Finding } from '../model.js';
import { evidenceText } from './finding-text.js';
import { mdCode, mdCodeBlock, mdInline } from '../escape.js';
import { byUrgency, isBad, reportedGates, type RunResult } from '../results/run-result.js';

/** GitHub's limit on one step's job summary ($GITHUB_STEP_SUMMARY), in bytes: a larger one is refused whole. */
export const STEP_SUMMARY_MAX_BYTES = 1024 * 1024;
/** Room kept for the closing lines that say what was left out. */
const CLOSING_BYTES = 1024;

export function receiptMarkdown(run: RunResult, fullReport: string | null, maxBytes = STEP_SUMMARY_MAX_BYTES): string {
  const s = run.summary;
  const v = mdInline;
  const c = (text: string) => mdCode(text);
  const lines = [
    `# spine-gates receipt ${c(run.runKey)}`,
    '',
    `- outcome: **${run.outcome}** (exit ${run.exitCode}): ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skip} skip, ${s.waived} waived`,
    `- source: ${run.source.kind}; bindings ${c(run.source.bindings)} (${run.source.bindingsChosenBy})${run.source.snapshot ? `; snapshot ${c(run.source.snapshot)} captured ${c(run.source.capturedAt ?? 'unknown')}` : ''}`,
    ...(run.source.insecureAcceptAnyHostKey
      ? ['- **host keys were not checked** (--insecure-accept-any-host-key)']
      : []),
    ...(run.baseline
      ? [
          `- baseline: ${c(run.baseline.receipt)}${run.baseline.runKey ? ` (run ${c(run.baseline.runKey)})` : ''}: ${run.baseline.new} new, ${run.baseline.known} known; fail on ${run.baseline.failOn}`,
        ]
      : []),
    `- bindings digest: ${run.bindingsDigest ?? 'none'}${run.bindingsGitCommit ? `; git commit ${c(run.bindingsGitCommit)}` : ''}`,
    `- tool: ${run.tool.name} ${c(run.tool.version)}; started ${run.startedAt}, finished ${run.finishedAt}`,
  ];
  const hostsDown = run.hosts.filter((h) => h.status === 'error');
  if (hostsDown.length)
    lines.push(
      '',
      '## Unreadable hosts',
      '',
      ...hostsDown.map((h) => `- ${c(h.id)}: ${c(h.reason ?? 'error')}: ${c(h.message ?? '')}`),
    );

  const gates = reportedGates(run);
  if (gates.length) {
    lines.push(
      '',
      '## Gates',
      '',
      '| gate | verdict | pass | fail | error | skip | waived |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const g of gates) {
      const n = g.summary;
      lines.push(
        `| ${v(g.id)} ${v(g.title)} | **${g.outcome}** | ${n.pass} | ${n.fail} | ${n.error} | ${n.skip} | ${n.waived} |`,
      );
    }
  }

  // Past the head, each block goes in only while the whole stays within the limit.
  const out = new Budget(lines, maxBytes - CLOSING_BYTES);
  const bad = gates.flatMap((g) => g.findings.filter(isBad)).sort(byUrgency);
  if (bad.length)
    out.add([
      '',
      '## Failures and errors',
      '',
      '| outcome | severity | finding | message |',
      '| --- | --- | --- | --- |',
    ]);
  const rows = out.each(bad, (f) => [
    `| **${f.outcome}**${f.drift ? ` (${f.drift})` : ''} | ${f.severity} | ${mdCode(findingId(f), true)} | ${mdCode(f.message, true)} |`,
  ]);
  const waived = gates.flatMap((g) => g.findings.filter((f) => f.waiver && f.outcome === 'waived'));
  if (waived.length) out.add(['', '## Waived', '']);
  const waivedShown = out.each(waived, (f) => [
    `- ${c(findingId(f))} by ${c(f.waiver!.owner)} until ${c(f.waiver!.expires)}: ${c(f.waiver!.justification)}`,
  ]);
  if (bad.length) out.add(['', '## Details']);
  const details = out.each(bad, (f) => ['', `### ${c(findingId(f))}`, '', ...findingDetail(f)]);

  const where = fullReport ?? 'receipt.json';
  const closing: string[] = [];
  if (rows < bad.length)
    closing.push(
      `${bad.length - rows} of ${bad.length} failures and errors are left out of the table above, to stay within GitHub's 1 MiB job-summary limit; all are in ${where}.`,
    );
  if (waivedShown < waived.length)
    closing.push(`${waived.length - waivedShown} waived findings are left out of the list above; all are in ${where}.`);
  if (details < bad.length)
    closing.push(
      `Details of ${details} of ${bad.length} failures and errors; ${bad.length - details} left out to stay within GitHub's 1 MiB job-summary limit: every finding is in ${where}.`,
    );
  else if (fullReport) closing.push(`Every finding, the coverage matrix and the backup windows: ${fullReport}.`);
  return `${[...out.lines, ...closing.flatMap((l) => ['', l])].join('\n')}\n`;
}

/** Lines that grow only while their UTF-8 size stays within a limit. */
class Budget {
  private bytes: number;
  constructor(
    readonly lines: string[],
    private readonly limit: number,
  ) {
    this.bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  }

  /** Adds the lines if they fit; says whether they did. */
  add(more: string[]): boolean {
    const size = more.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    if (this.bytes + size > this.limit) return false;
    this.lines.push(...more);
    this.bytes += size;
    return true;
  }

  /** Adds each item's lines in order until one does not fit; returns how many went in. */
  each<T>(items: T[], linesOf: (item: T) => string[]): number {
    const fits = items.findIndex((item) => !this.add(linesOf(item)));
    return fits === -1 ? items.length : fits;
  }
}

/** Expected, actual and evidence as a list; the remediation as a code block, to copy as it is. */
function findingDetail(f: Finding): string[] {
  const facts = [
    `- severity: ${f.severity}`,
    ...(f.drift ? [`- drift: ${f.drift}`] : []),
    ...(f.expected ? [`- expected: ${mdCode(f.expected)}`] : []),
    ...(f.actual ? [`- actual: ${mdCode(f.actual)}`] : []),
    ...f.evidence.map((e) => `- evidence: ${mdCode(evidenceText(e))}`),
  ];
  return f.remediation ? [...facts, '', 'Remediation:', '', mdCodeBlock(f.remediation)] : facts;
}

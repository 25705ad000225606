// receipt.md, also the GitHub job summary: the verdict, a short table per gate, the first failures
// and errors with their remediation in fenced code blocks, then a pointer to the full report.
// Every value from bindings or hosts goes through ./escape.ts: none can start a heading, a table
// cell, HTML or a code span of its own.

import { findingId, type Finding } from '../model.js';
import { evidenceText } from './finding-text.js';
import { mdCodeBlock, mdInline } from './escape.js';
import { inputErrorFindings, summarize, type RunResult } from '../results/run-result.js';

/** How many failures and errors the summary shows in full; the HTML report has them all. */
export const SUMMARY_FINDINGS = 20;

export function receiptMarkdown(run: RunResult, fullReport: string | null, limit = SUMMARY_FINDINGS): string {
  const s = run.summary;
  const v = mdInline;
  const lines = [
    `# spine-gates receipt ${v(run.runKey)}`,
    '',
    `- outcome: **${run.outcome}** (exit ${run.exitCode}): ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skip} skip, ${s.waived} waived`,
    `- source: ${run.source.kind}; bindings ${v(run.source.bindings)} (${run.source.bindingsChosenBy})${run.source.snapshot ? `; snapshot ${v(run.source.snapshot)} captured ${v(run.source.capturedAt ?? 'unknown')}` : ''}`,
    ...(run.source.insecureAcceptAnyHostKey ? ['- **host keys were not checked** (--insecure-accept-any-host-key)'] : []),
    ...(run.baseline ? [`- baseline: ${v(run.baseline.receipt)}${run.baseline.runKey ? ` (run ${v(run.baseline.runKey)})` : ''}: ${run.baseline.new} new, ${run.baseline.known} known; fail on ${run.baseline.failOn}`] : []),
    `- bindings digest: ${run.bindingsDigest ?? 'none'}${run.bindingsGitCommit ? `; git commit ${v(run.bindingsGitCommit)}` : ''}`,
    `- tool: ${run.tool.name} ${v(run.tool.version)}; started ${run.startedAt}, finished ${run.finishedAt}`,
  ];
  const hostsDown = run.hosts.filter((h) => h.status === 'error');
  if (hostsDown.length) lines.push('', '## Unreadable hosts', '', ...hostsDown.map((h) => `- ${v(h.id)}: ${v(h.reason ?? 'error')}: ${v(h.message ?? '')}`));

  const gates = run.inputErrors.length ? [{ id: 'input', title: 'Input errors', outcome: 'error' as const, findings: inputErrorFindings(run.inputErrors) }] : run.gates;
  if (gates.length) {
    lines.push('', '## Gates', '', '| gate | verdict | pass | fail | error | skip | waived |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const g of gates) {
      const c = summarize(g.findings);
      lines.push(`| ${v(g.id)} ${v(g.title)} | **${g.outcome}** | ${c.pass} | ${c.fail} | ${c.error} | ${c.skip} | ${c.waived} |`);
    }
  }

  const bad = gates.flatMap((g) => g.findings.filter((f) => f.outcome === 'fail' || f.outcome === 'error'));
  let shown = 0;
  for (const gate of gates) {
    const gateBad = gate.findings.filter((f) => f.outcome === 'fail' || f.outcome === 'error').sort(byOutcome).slice(0, Math.max(0, limit - shown));
    const waived = gate.findings.filter((f) => f.waiver && f.outcome === 'waived');
    if (!gateBad.length && !waived.length) continue;
    lines.push('', `## ${v(gate.id)}: ${gate.outcome}`, '');
    if (gateBad.length) {
      lines.push('| outcome | severity | finding | message |', '| --- | --- | --- | --- |');
      for (const f of gateBad) lines.push(`| **${f.outcome}**${f.drift ? ` (${f.drift})` : ''} | ${f.severity} | ${v(findingId(f))} | ${v(f.message)} |`);
      for (const f of gateBad) lines.push('', `### ${v(findingId(f))}`, '', ...findingDetail(f));
    }
    for (const f of waived) lines.push('', `- waived ${v(findingId(f))} by ${v(f.waiver!.owner)} until ${v(f.waiver!.expires)}: ${v(f.waiver!.justification)}`);
    shown += gateBad.length;
  }
  if (bad.length > shown) lines.push('', `${bad.length - shown} more failures and errors${fullReport ? ` are in ${fullReport}` : ' are in receipt.json'}.`);
  else if (fullReport) lines.push('', `Every finding, the coverage matrix and the backup windows: ${fullReport}.`);
  return `${lines.join('\n')}\n`;
}

/** Expected, actual and evidence as a list; the remediation as a code block, to copy as it is. */
function findingDetail(f: Finding): string[] {
  const facts = [
    `- severity: ${f.severity}`,
    ...(f.expected ? [`- expected: ${mdInline(f.expected)}`] : []),
    ...(f.actual ? [`- actual: ${mdInline(f.actual)}`] : []),
    ...f.evidence.map((e) => `- evidence: ${mdInline(evidenceText(e))}`),
  ];
  return f.remediation ? [...facts, '', 'Remediation:', '', mdCodeBlock(f.remediation)] : facts;
}

/** New drift first (with --baseline), then fails before errors. */
const byOutcome = (a: Finding, b: Finding) => rank(a) - rank(b);
const rank = (f: Finding) => (f.drift === 'known' ? 2 : 0) + (f.outcome === 'fail' ? 0 : 1);

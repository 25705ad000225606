// A finding as plain text, the same in every report: its detail (JUnit body, Markdown code block,
// HTML) and the line a waived finding is shown with.

import type { Evidence, Finding } from '../model.js';

/** The body of a failure or error: severity, expected/actual, evidence (file:line, host command), remediation. */
export function detailText(f: Finding): string {
  return [
    `severity: ${f.severity}`,
    f.expected ? `expected: ${f.expected}` : '',
    f.actual ? `actual: ${f.actual}` : '',
    ...f.evidence.map((e) => `evidence: ${evidenceText(e)}`),
    f.remediation ? `remediation:\n${f.remediation}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Where a fact came from: `file:line`, the host and its command, the excerpt. */
export function evidenceText(e: Evidence): string {
  return [
    e.file && (e.line ? `${e.file}:${e.line}` : e.file),
    e.host && `host ${e.host}`,
    e.command && `$ ${e.command}`,
    e.detail,
  ]
    .filter(Boolean)
    .join('; ');
}

/** Who waived it, until when, why, and what was waived. */
export function waivedMessage(f: Finding): string {
  const w = f.waiver;
  const by = w ? `waived by ${w.owner} until ${w.expires} (${w.file}:${w.line}): ${w.justification}` : 'waived';
  return `${by} | ${f.reason ?? f.outcome}: ${f.message}`;
}

// JUnit XML (one testsuite per gate, one testcase per finding), valid against Jenkins' xUnit XSD.

import junitReportBuilder, { type Builder, type TestCase } from 'junit-report-builder';
import { findingId, type Finding } from '../model.js';
import type { RunResult } from './run-result.js';

// The package is CommonJS whose `module.exports` is the builder; its types describe an ESM default.
const builderFactory = junitReportBuilder as unknown as Builder;

export function junitXml(run: RunResult): string {
  const builder = builderFactory.newBuilder();
  const gates = run.inputErrors.length ? [inputErrorGate(run)] : run.gates;
  for (const gate of gates) {
    const suite = builder.testSuite().name(gate.id)
      .property('run_key', run.runKey)
      .property('source', run.source.kind)
      .property('bindings_digest', run.bindingsDigest ?? 'none');
    if (run.source.snapshot) suite.property('snapshot_captured_at', run.source.capturedAt ?? '');
    for (const f of gate.findings) addCase(suite.testCase(), gate.id, f);
  }
  // The library puts a `skipped` count on <testsuites>, which the xUnit XSD does not allow there
  // (it does on <testsuite>, where the counts stay).
  return builder.build().replace(/^(<\?xml[^>]*>\s*<testsuites\b[^>]*?) skipped="\d+"/, '$1');
}

function addCase(tc: TestCase, gateId: string, f: Finding): void {
  // The name is stable (check + host/subject); the message, which changes run to run, stays out of it.
  tc.className(`${gateId}.${f.host ?? 'bindings'}`).name(findingId(f));
  // With --baseline, CI shows at a glance which drift this change brought.
  const message = f.drift ? `[${f.drift}] ${f.message}` : f.message;
  const body = [message, f.expected ? `expected: ${f.expected}` : '', f.actual ? `actual: ${f.actual}` : '',
    f.remediation ? `remediation: ${f.remediation}` : ''].filter(Boolean).join('\n');
  if (f.outcome === 'fail') tc.failure(message, f.reason ?? 'drift').standardOutput(body);
  else if (f.outcome === 'error') tc.error(message, f.reason ?? 'error', body);
  else if (f.outcome === 'skip') skippedWithMessage(tc, `${f.reason}: ${f.message}`);
  else if (f.outcome === 'waived') skippedWithMessage(tc, waivedMessage(f));
}

/** Who waived it, until when, why, and what was waived. */
function waivedMessage(f: Finding): string {
  const w = f.waiver;
  const by = w ? `waived by ${w.owner} until ${w.expires} (${w.file}:${w.line}): ${w.justification}` : 'waived';
  return `${by} | ${f.reason ?? f.outcome}: ${f.message}`;
}

// junit-report-builder 5 writes a bare <skipped/>; the XSD allows a message attribute, and CI
// UIs show it, so add it to the element the library builds.
function skippedWithMessage(tc: TestCase, message: string): void {
  tc.skipped();
  const build = tc.build.bind(tc);
  tc.build = (parent: Parameters<TestCase['build']>[0]) => {
    const element = build(parent);
    for (const child of element.children as Array<{ name?: string; att?: (k: string, v: string) => void }>) {
      if (child.name === 'skipped') child.att!('message', message);
    }
    return element;
  };
}

/** Bad input still produces a report CI can show: one error case per problem. */
function inputErrorGate(run: RunResult) {
  return {
    id: 'input',
    findings: run.inputErrors.map((message, i): Finding => ({
      gate: 'input', check: 'input.valid', subject: `problem-${i + 1}`, host: null, outcome: 'error', reason: 'bad_input',
      severity: 'critical', message, evidence: [], remediation: 'Fix the file at the line named, then run again.',
    })),
  };
}

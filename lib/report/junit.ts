// JUnit XML, valid against Jenkins' xUnit XSD (lib/report/testing/junit-10.xsd): one <testsuite> per
// gate and host judged, one <testcase> per finding. Written here rather than through an XML builder
// so every value goes through one escaper (./escape.ts): xmlbuilder's CDATA escaping replaced only
// the first `]]>` of a value.

import { hostname } from 'node:os';
import { groupBy } from '../group-by.js';
import { findingId, type Finding } from '../model.js';
import { xmlText } from '../escape.js';
import { detailText, waivedMessage } from './finding-text.js';
import { isBad, reportedGates, summarize, type RunResult, type Summary } from '../results/run-result.js';

interface Suite {
  name: string;
  hostname: string;
  timeMs: number | null;
  findings: Finding[];
  summary: Summary;
}

export function junitXml(run: RunResult, runner = hostname()): string {
  return [...junitPieces(run, runner)].join('');
}

/** The JUnit file's text in pieces, a testcase each: a large estate's JUnit is never one string. */
export function* junitPieces(run: RunResult, runner = hostname()): Generator<string> {
  const suites = suitesOf(run, runner);
  const all = suites.flatMap((s) => s.findings);
  const totals = summarize(all);
  const properties = runProperties(run)
    .map(([name, value]) => `      <property${attrs({ name, value })}/>`)
    .join('\n');
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield `<testsuites${attrs({ name: run.tool.name, tests: all.length, failures: totals.fail, errors: totals.error, time: seconds(elapsedMs(run)) })}>`;
  for (const suite of suites) {
    const s = suite.summary;
    yield `\n  <testsuite${attrs({
      name: suite.name,
      tests: suite.findings.length,
      failures: s.fail,
      errors: s.error,
      skipped: s.skip + s.waived,
      timestamp: run.startedAt.replace(/\.\d+Z$/, 'Z'),
      hostname: suite.hostname,
      time: suite.timeMs === null ? null : seconds(suite.timeMs),
    })}>`;
    yield `\n    <properties>\n${properties}\n    </properties>`;
    for (const f of suite.findings) yield `\n${testcase(f)}`;
    yield '\n  </testsuite>';
  }
  yield '\n</testsuites>\n';
}

/** Per gate, the findings about no host (bindings alone: judged on the runner), then one suite per host. */
function suitesOf(run: RunResult, runner: string): Suite[] {
  const suite = (name: string, hostname: string, timeMs: number | null, findings: Finding[]): Suite => ({
    name,
    hostname,
    timeMs,
    findings,
    summary: summarize(findings),
  });
  return reportedGates(run).flatMap((gate) => {
    // Per host, in order of first appearance.
    const byHost = groupBy(gate.findings, (f) => f.host);
    // A gate's time is known as a whole; with one suite it is that suite's.
    const timeMs = byHost.size === 1 ? (gate.durationMs ?? null) : null;
    return [...byHost].map(([host, findings]) =>
      suite(host === null ? gate.id : `${gate.id}.${host}`, host ?? runner, timeMs, findings),
    );
  });
}

function runProperties(run: RunResult): Array<[string, string]> {
  return [
    ['tool', run.tool.name],
    ['tool_version', run.tool.version],
    ['run_key', run.runKey],
    ['source', run.source.kind],
    ['judged_at', run.now],
    ['bindings_digest', run.bindingsDigest ?? 'none'],
    ...(run.bindingsGitCommit ? [['bindings_git_commit', run.bindingsGitCommit] as [string, string]] : []),
    ...(run.source.snapshot ? [['snapshot_captured_at', run.source.capturedAt ?? 'unknown'] as [string, string]] : []),
  ];
}

function testcase(f: Finding): string {
  // The name is stable (check + host/subject); the message, which changes run to run, stays out of it.
  const head = `    <testcase${attrs({ classname: `${f.gate}.${f.host ?? 'bindings'}`, name: findingId(f) })}`;
  // With --baseline, CI shows at a glance which drift this change brought.
  const message = f.drift ? `[${f.drift}] ${f.message}` : f.message;
  if (isBad(f)) {
    const tag = f.outcome === 'fail' ? 'failure' : 'error';
    return `${head}>\n      <${tag}${attrs({ message, type: f.reason ?? f.outcome })}>${xmlText(detailText(f), false)}</${tag}>\n    </testcase>`;
  }
  if (f.outcome === 'skip')
    return `${head}>\n      <skipped${attrs({ message: `${f.reason}: ${f.message}` })}/>\n    </testcase>`;
  if (f.outcome === 'waived')
    return `${head}>\n      <skipped${attrs({ message: waivedMessage(f) })}/>\n    </testcase>`;
  return `${head}/>`;
}

function attrs(values: Record<string, string | number | null>): string {
  // One loop, no arrays between: this runs for every testcase (77,000 on the large estate).
  let text = '';
  for (const [k, v] of Object.entries(values)) if (v !== null) text += ` ${k}="${xmlText(String(v))}"`;
  return text;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);
const elapsedMs = (run: RunResult) => Date.parse(run.finishedAt) - Date.parse(run.startedAt);

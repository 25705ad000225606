// JUnit as consumers read it: the xUnit XSD (xmllint), a strict DOM parser, and junitparser (Python,
// Debian's python3-junitparser, a CI package), with hostile values in every field a binding or host feeds.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../package-root.js';
import { junitXml } from './junit.js';
import { HOSTILE, makeFinding, makeGate, makeRun } from '../results/testing/run-result.js';

export const JUNIT_XSD = path.join(PACKAGE_ROOT, 'fixtures', 'schemas', 'junit-10.xsd');
const PYTHON = '/usr/bin/python3';

function written(xml: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'junit-')), 'junit.xml');
  writeFileSync(file, xml);
  return file;
}

/** xmllint is a CI package (.ci/run): a missing one fails here rather than passing silently. */
const xsdErrors = (file: string) =>
  spawnSync('xmllint', ['--noout', '--schema', JUNIT_XSD, file], { encoding: 'utf8' }).stderr.replace(
    /.* validates\n$/,
    '',
  );

const hostileRun = () =>
  makeRun([
    makeGate('D19', [
      makeFinding({ subject: HOSTILE, message: `newest archive ${HOSTILE}`, remediation: `rm ${HOSTILE}` }),
      makeFinding({
        subject: 'vm-102',
        outcome: 'error',
        reason: 'connect_timeout',
        message: `host ${HOSTILE} unreadable`,
        host: 'pve2',
      }),
      makeFinding({ subject: 'vm-103', outcome: 'skip', reason: 'template', message: HOSTILE, remediation: null }),
      makeFinding({ subject: 'vm-104', outcome: 'pass', reason: null, remediation: null }),
      makeFinding({
        subject: 'retired',
        host: null,
        outcome: 'waived',
        waiver: {
          owner: HOSTILE,
          justification: 'ok',
          expires: '2026-04-01',
          expired: false,
          file: 'drift.waivers.yaml',
          line: 3,
        },
      }),
    ]),
  ]);

describe('junitXml', () => {
  it('stays well-formed and XSD-valid with two CDATA ends, quotes, markup, NUL, ESC and a lone surrogate in values', () => {
    const xml = junitXml(hostileRun(), 'runner-1');
    expect(xsdErrors(written(xml))).toBe('');
    const errors: string[] = [];
    const doc = new DOMParser({
      onError: (level, msg) => {
        errors.push(`${level}: ${msg}`);
      },
    }).parseFromString(xml, 'text/xml');
    expect(errors).toEqual([]);
    // Nothing the values carried became markup.
    expect(doc.getElementsByTagName('injected')).toHaveLength(0);
    expect(doc.getElementsByTagName('b')).toHaveLength(0);
    const failure = doc.getElementsByTagName('failure')[0]!;
    // Characters XML cannot carry are shown, everything else round-trips exactly (newline included).
    const shown = HOSTILE.replace('\u0000', '\\u0000').replace('\ud800', '\\ud800').replace('\u001b', '\\u001b');
    expect(failure.getAttribute('message')).toBe(`newest archive ${shown}`);
    expect(failure.getAttribute('type')).toBe('stale');
    expect(doc.getElementsByTagName('testcase')[0]!.getAttribute('name')).toBe(`D19.freshness pve1/${shown}`);
  });

  it('puts message and type on failure and error, evidence and remediation in the body, and times and hosts on suites', () => {
    const run = makeRun(
      [makeGate('D19', [makeFinding(), makeFinding({ host: null, subject: 'targets', outcome: 'pass' })])],
      { bindingsGitCommit: 'c0ffee' },
    );
    const doc = new DOMParser().parseFromString(junitXml(run, 'runner-1'), 'text/xml');
    const suites = [...doc.getElementsByTagName('testsuite')].map((s) => [
      s.getAttribute('name'),
      s.getAttribute('hostname'),
      s.getAttribute('timestamp'),
      s.getAttribute('time'),
    ]);
    // The gate's time belongs to the gate, not to one of its hosts: only a gate with one suite carries it.
    expect(suites).toEqual([
      ['D19.pve1', 'pve1', '2026-03-01T12:00:00Z', null],
      ['D19', 'runner-1', '2026-03-01T12:00:00Z', null],
    ]);
    expect(doc.documentElement!.getAttribute('time')).toBe('4.250');
    const failure = doc.getElementsByTagName('failure')[0]!;
    expect(failure.getAttribute('message')).toBe('newest archive is 50h old (limit 26h)');
    expect(failure.textContent).toBe(
      'severity: high\nevidence: backup.inventory.yaml:12\nevidence: host pve1; $ find /srv -printf …\nremediation:\nssh pve1 vzdump 101\npostconf -e relayhost=[mail]:587',
    );
    const props = Object.fromEntries(
      [...doc.getElementsByTagName('testsuite')[0]!.getElementsByTagName('property')].map((p) => [
        p.getAttribute('name'),
        p.getAttribute('value'),
      ]),
    );
    expect(props).toEqual({
      tool: 'spine-gates',
      tool_version: '0.1.0',
      run_key: run.runKey,
      source: 'snapshot',
      judged_at: run.now,
      bindings_digest: 'f'.repeat(64),
      bindings_git_commit: 'c0ffee',
      snapshot_captured_at: '2026-03-01T11:00:00Z',
    });
    const single = new DOMParser().parseFromString(
      junitXml(makeRun([makeGate('D69', [makeFinding({ gate: 'D69' })])])),
      'text/xml',
    );
    expect(single.getElementsByTagName('testsuite')[0]!.getAttribute('time')).toBe('1.500');
  });

  it('names input errors by place and content, the same in every run', () => {
    const inputErrors = [
      'backup.inventory.yaml:12:5: targets[3].glob: expected a glob, found 7',
      'snapshot.yaml: expected a mapping, found a list',
    ];
    const names = () =>
      [
        ...new DOMParser()
          .parseFromString(junitXml(makeRun([], { inputErrors })), 'text/xml')
          .getElementsByTagName('testcase'),
      ].map((t) => t.getAttribute('name'));
    expect(names()).toEqual([
      expect.stringMatching(/^input\.valid backup\.inventory\.yaml:12#[0-9a-f]{8}$/),
      expect.stringMatching(/^input\.valid run#[0-9a-f]{8}$/),
    ]);
    expect(names()).toEqual(names());
    const reordered = [
      ...new DOMParser()
        .parseFromString(junitXml(makeRun([], { inputErrors: [...inputErrors].reverse() })), 'text/xml')
        .getElementsByTagName('testcase'),
    ].map((t) => t.getAttribute('name'));
    expect(reordered).toEqual(names().reverse());
  });

  it('is read by junitparser: suites, hosts, cases, verdicts with message and type', () => {
    const file = written(junitXml(hostileRun(), 'runner-1'));
    const script = `
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
out = []
for suite in JUnitXml.fromfile(sys.argv[1]):
    cases = []
    for case in suite:
        r = case.result[0] if case.result else None
        cases.append([case.name, type(r).__name__ if r else 'pass', r.message if r else None, r.type if r else None])
    out.append({'name': suite.name, 'hostname': suite.hostname, 'tests': suite.tests, 'failures': suite.failures, 'errors': suite.errors, 'skipped': suite.skipped, 'cases': cases})
print(json.dumps(out))`;
    // Debian's python3-junitparser is installed by .ci/run; pip is not used.
    const suites = JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as Array<{
      name: string;
      hostname: string;
      cases: unknown[][];
    }>;
    expect(suites.map((s) => [s.name, s.hostname, s.cases.length])).toEqual([
      ['D19.pve1', 'pve1', 3],
      ['D19.pve2', 'pve2', 1],
      ['D19', 'runner-1', 1],
    ]);
    expect(suites[0]!.cases[0]).toEqual([
      expect.stringContaining('D19.freshness pve1/a]]>b]]>'),
      'Failure',
      expect.stringContaining('newest archive a]]>b]]>'),
      'stale',
    ]);
    expect(suites[1]!.cases[0]).toEqual([
      'D19.freshness pve2/vm-102',
      'Error',
      expect.stringContaining('unreadable'),
      'connect_timeout',
    ]);
    expect(suites[0]!.cases[1]![1]).toBe('Skipped');
    expect(suites[2]!.cases[0]![2]).toMatch(/^waived by a]]>b/);
  });
});

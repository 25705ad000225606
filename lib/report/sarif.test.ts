// SARIF as code scanning reads it: valid against the SARIF 2.1.0 JSON schema the SARIF SDK ships
// (npm @microsoft/sarif-multitool-linux, sarif-2.1.0.json, JSON Schema 2020-12), one result per
// fail/error/waived at the binding line, waivers as suppressions, drift as baselineState.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { sarifLog } from './sarif.js';
import { HOSTILE, makeFinding, makeGate, makeRun } from '../results/testing/run-result.js';

const schemaFile = createRequire(import.meta.url).resolve('@microsoft/sarif-multitool-linux/sarif-2.1.0.json');
const multitool = path.join(path.dirname(schemaFile), 'Sarif.Multitool');

/**
 * The SARIF multitool's verdict with its SARIF rules and GitHub Advanced Security's ingestion rules
 * (`--rule-kind "Sarif;Ghas"`): the lines that name an error.
 */
function multitoolErrors(sarif: string): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'sarif-'));
  const file = path.join(dir, 'run.sarif');
  writeFileSync(file, sarif);
  const r = spawnSync(
    multitool,
    ['validate', '--rule-kind', 'Sarif;Ghas', file, '-o', path.join(dir, 'validation.sarif')],
    {
      encoding: 'utf8',
      env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' },
      timeout: 120_000,
    },
  );
  if (r.error) throw r.error;
  const output = `${r.stdout}${r.stderr}`;
  // A run that did not analyse (a bad option, a crash) must not read as clean.
  if (!output.includes('Analysis completed successfully'))
    throw new Error(`sarif-multitool did not complete: ${output}`);
  return output.split('\n').filter((l) => /: error /.test(l));
}

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // The formats the schema uses, checked for real (ajv-formats is not a dependency).
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && URL.canParse(s, 'file:///base/'));
  ajv.addFormat(
    'date-time',
    (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)),
  );
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
}

const waiver = {
  owner: 'alice',
  justification: 'NAS replaced',
  expires: '2026-04-01',
  expired: false,
  file: 'drift.waivers.yaml',
  line: 3,
};

describe('sarifLog', () => {
  const run = makeRun([
    makeGate('D19', [
      makeFinding({ drift: 'new', fingerprint: 'fp-1' }),
      makeFinding({ subject: 'vm-102', severity: 'medium', drift: 'known', fingerprint: 'fp-2' }),
      makeFinding({ subject: 'vm-103', outcome: 'waived', waiver, fingerprint: 'fp-3' }),
      makeFinding({ subject: 'vm-104', outcome: 'pass' }),
      makeFinding({
        check: 'D19.scheduler',
        subject: 'pvescheduler',
        host: 'pve2',
        outcome: 'error',
        reason: 'connect_timeout',
        severity: 'critical',
        evidence: [{ host: 'pve2', commandId: 'x', command: 'systemctl is-active pvescheduler' }],
      }),
      makeFinding({ check: 'D19.judged', subject: 'run', host: null, outcome: 'error', evidence: [] }),
    ]),
  ]);
  const log = JSON.parse(sarifLog(run));
  /** The parts of a SARIF result these tests read. */
  interface SarifResult {
    ruleId: string;
    level: string;
    ruleIndex: number;
    message: { text: string };
    locations: [{ physicalLocation?: unknown }, ...unknown[]];
    partialFingerprints?: Record<string, string>;
    baselineState?: string;
    suppressions?: unknown[];
  }
  const results = log.runs[0].results as SarifResult[];

  it('validates against the SARIF 2.1.0 schema, also with hostile values', () => {
    const validate = validator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const hostile = JSON.parse(
      sarifLog(
        makeRun([
          makeGate('D19', [
            makeFinding({ subject: HOSTILE, message: HOSTILE, evidence: [{ file: `${HOSTILE}.yaml`, line: 2 }] }),
          ]),
        ]),
      ),
    );
    expect(validate(hostile), JSON.stringify(validate.errors)).toBe(true);
  });

  it('has one result per fail, error and waived finding, with rule, level, fingerprint and the binding line', () => {
    expect(results.map((r) => [r.ruleId, r.level, log.runs[0].tool.driver.rules[r.ruleIndex].id])).toEqual([
      ['D19.freshness', 'error', 'D19.freshness'],
      ['D19.freshness', 'warning', 'D19.freshness'],
      ['D19.freshness', 'error', 'D19.freshness'],
      ['D19.scheduler', 'error', 'D19.scheduler'],
      ['D19.judged', 'error', 'D19.judged'],
    ]);
    expect(results[0]!.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'ops/bindings/backup.inventory.yaml' },
      region: { startLine: 12 },
    });
    // A finding about a host as a whole points at the host's entry in ssh.targets.yaml.
    expect(results[3]!.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'ops/bindings/ssh.targets.yaml' },
      region: { startLine: 9 },
    });
    // A run-level finding with no binding line of its own: the first line of backup.inventory.yaml.
    expect(results[4]!.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'ops/bindings/backup.inventory.yaml' },
      region: { startLine: 1 },
    });
    expect(results[0]!.partialFingerprints).toEqual({ 'spineGatesFinding/v1': 'fp-1' });
    expect(results[0]!.message.text).toContain('remediation:\nssh pve1 vzdump 101\npostconf');
  });

  it('marks new and known drift by baselineState and waived findings by an accepted suppression', () => {
    expect(results.map((r) => r.baselineState ?? null)).toEqual(['new', 'unchanged', null, null, null]);
    expect(results[2]!.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'NAS replaced (by alice until 2026-04-01, drift.waivers.yaml:3)',
      },
    ]);
    expect(results.filter((r) => r.suppressions)).toHaveLength(1);
  });

  it("passes the SARIF multitool with GitHub's ingestion rules; every result has a physical location", () => {
    expect(multitoolErrors(sarifLog(run))).toEqual([]);
    const bad = sarifLog(
      makeRun([], { inputErrors: ['--baseline nope.json: no such file', 'backup.inventory.yaml:7:3: bad'] }),
    );
    expect(multitoolErrors(bad)).toEqual([]);
    for (const r of [...results, ...JSON.parse(bad).runs[0].results]) {
      expect(r.locations[0].physicalLocation).toMatchObject({
        artifactLocation: { uri: expect.stringMatching(/^ops\/bindings\/.+\.yaml$/) },
        region: { startLine: expect.any(Number) },
      });
    }
    // The multitool does see a missing location: the check above is not vacuous.
    const broken = JSON.parse(sarifLog(run));
    delete broken.runs[0].results[0].locations;
    expect(multitoolErrors(JSON.stringify(broken)).join('\n')).toMatch(/error GH\d+: runs\[0\]\.results\[0\]/);
  }, 120_000);

  it('reports bad input as results at the file and line named', () => {
    const bad = JSON.parse(
      sarifLog(
        makeRun([], { inputErrors: ['backup.inventory.yaml:7:3: targets[0].glob: expected a string, found 7'] }),
      ),
    );
    expect(bad.runs[0].invocations[0].executionSuccessful).toBe(false);
    expect(bad.runs[0].results[0]).toMatchObject({
      ruleId: 'input.valid',
      level: 'error',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'ops/bindings/backup.inventory.yaml' },
            region: { startLine: 7 },
          },
        },
      ],
    });
  });
});

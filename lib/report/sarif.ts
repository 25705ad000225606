// SARIF 2.1.0 (`--sarif FILE`): one result per fail, error and waived finding, each located at the
// binding entry it is about, so code scanning annotates that line of the pull request.

import { findingId, type Finding, type Severity } from '../model.js';
import { GATES } from '../catalogue/gates.js';
import { checkInfo } from '../catalogue/checks.js';
import { wellFormed } from '../escape.js';
import { evidenceText } from './finding-text.js';
import { bindingLocationOf, isBad, reportedGates, type RunResult } from '../results/run-result.js';

type Level = 'error' | 'warning' | 'note';

/** Drift on critical and high targets blocks; medium warns; low notes. A finding that could not be checked is an error. */
const LEVEL: Record<Severity, Level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
const levelOf = (f: Finding): Level => (f.outcome === 'error' ? 'error' : LEVEL[f.severity]);

export function sarifLog(run: RunResult): string {
  const findings = reportedGates(run)
    .flatMap((g) => g.findings)
    .filter((f) => isBad(f) || f.outcome === 'waived');
  const checks = [...new Set(findings.map((f) => f.check))].sort();
  const rules = checks.map((check) =>
    rule(
      check,
      findings.find((f) => f.check === check)!,
    ),
  );
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: run.tool.name, version: run.tool.version, semanticVersion: run.tool.version, rules } },
        automationDetails: { id: `${run.tool.name}/${run.runKey}` },
        invocations: [
          {
            // The run completed when it could judge its input; drift is a result, not a failed run.
            executionSuccessful: run.inputErrors.length === 0,
            startTimeUtc: run.startedAt,
            endTimeUtc: run.finishedAt,
            exitCode: run.exitCode,
          },
        ],
        results: findings.map((f) => result(f, checks.indexOf(f.check), run)),
        properties: {
          runKey: run.runKey,
          bindingsDigest: run.bindingsDigest,
          bindingsGitCommit: run.bindingsGitCommit,
          judgedAt: run.now,
          snapshotCapturedAt: run.source.capturedAt,
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function rule(check: string, example: Finding) {
  const gate = GATES.find((g) => g.id === example.gate);
  const info = checkInfo(check, example.gate);
  return {
    id: check,
    shortDescription: { text: info.summary },
    fullDescription: {
      text: `${info.summary} A check of gate ${example.gate}${gate ? ` (${gate.title})` : ''}; its reason codes are in ${info.docs}.`,
    },
    help: {
      text: [
        `Each result carries its own remediation; see ${info.docs} for this check's reasons.`,
        ...(example.remediation ? [`For example:\n${example.remediation}`] : []),
      ].join(' '),
    },
    defaultConfiguration: { level: LEVEL[example.severity] },
    properties: { gate: example.gate, tags: [example.gate] },
  };
}

/**
 * Where a finding no binding line defines is located (the snapshot's age, a crashed gate, bad input
 * that names no line): the first line of the one binding file every run reads. GitHub's code
 * scanning refuses a result without a physical location.
 */
const RUN_LOCATION = { file: 'backup.inventory.yaml', line: 1 };

function result(f: Finding, ruleIndex: number, run: RunResult) {
  const at = bindingLocationOf(f, run) ?? RUN_LOCATION;
  const text = [
    f.drift ? `[${f.drift}] ${f.message}` : f.message,
    ...f.evidence.map((e) => `evidence: ${evidenceText(e)}`),
    ...(f.remediation ? [`remediation:\n${f.remediation}`] : []),
  ].join('\n');
  return {
    ruleId: f.check,
    ruleIndex,
    level: levelOf(f),
    message: { text },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: uriOf(run.bindingsPathInRepo, at.file) },
          region: { startLine: at.line },
        },
        logicalLocations: [{ fullyQualifiedName: findingId(f), kind: 'object' }],
      },
    ],
    // GitHub tracks an alert across runs by this: the finding's stable identity.
    partialFingerprints: { 'spineGatesFinding/v1': f.fingerprint ?? findingId(f) },
    ...(f.drift ? { baselineState: f.drift === 'new' ? 'new' : 'unchanged' } : {}),
    ...(f.outcome === 'waived' ? { suppressions: [suppression(f)] } : {}),
    properties: { outcome: f.outcome, reason: f.reason, severity: f.severity, host: f.host, subject: f.subject },
  };
}

function suppression(f: Finding) {
  const w = f.waiver;
  return w
    ? {
        kind: 'external',
        status: 'accepted',
        justification: `${w.justification} (by ${w.owner} until ${w.expires}, ${w.file}:${w.line})`,
      }
    : { kind: 'external', status: 'accepted' };
}

/** A repository-relative URI: each path segment percent-encoded, `/`-separated. */
function uriOf(bindingsPathInRepo: string, file: string): string {
  const joined = bindingsPathInRepo === '.' ? file : `${bindingsPathInRepo}/${file}`;
  return joined
    .split('/')
    .filter((s) => s && s !== '.')
    .map((s) => encodeURIComponent(wellFormed(s)))
    .join('/');
}

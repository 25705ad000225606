// D19.retention: restore points after PVE's next prune against the class's minimum.

import { describe, expect, it } from 'vitest';
import type { Finding, PveStorageState, RetentionFacts, StorageConfig } from '../../model.js';
import { checkRetention } from './retention.js';
import { checkJobsValid } from './job-valid.js';
import type { VerifyInput } from '../input.js';
import { indexed } from '../run-index.js';
import {
  DEFAULT_RETENTION,
  DUMP_DIR,
  fileAged,
  makeBindings,
  makeHost,
  makeInput,
  makeJob,
  makePveState,
  makeState,
  makeStorage,
  makeStorageState,
  makeStorageTarget,
  makeTarget,
  okListing,
  pbsBackup,
} from '../testing/test-input.js';
import type { BindingsOverrides } from '../testing/test-input.js';

// The checks as a gate runs them: on the input with its run's index.
const retentionOf = (input: VerifyInput) => checkRetention(indexed(input));
const jobsValidOf = (input: VerifyInput) => checkJobsValid(indexed(input));

const cfg = (id: string, o: Partial<StorageConfig> = {}): StorageConfig => ({
  id,
  type: 'dir',
  line: 1,
  disabled: false,
  nodes: null,
  path: '/var/lib/vz',
  contentDirs: {},
  datastore: null,
  namespace: null,
  server: null,
  pruneBackups: null,
  maxfiles: null,
  ...o,
});

/** Daily archives of qemu/100 in pve1's dump folder, newest first: `n` of them, one per day at 02:00 local. */
const daily = (n: number, vmid = 100) =>
  Array.from({ length: n }, (_, i) => {
    const day = new Date(Date.UTC(2026, 2, 4 - i)).toISOString().slice(0, 10).replaceAll('-', '_');
    return fileAged(`vzdump-qemu-${vmid}-${day}-02_00_03.vma.zst`, 6.5 + 24 * i);
  });

function judge(
  o: {
    files?: ReturnType<typeof fileAged>[];
    jobOptions?: Record<string, string>;
    storageCfg?: Partial<StorageConfig>;
    retention?: RetentionFacts | null;
    policy?: BindingsOverrides['policy'];
    classification?: 'critical' | 'important' | 'rebuildable' | null;
  } = {},
): Finding {
  const job = makeJob('backup-daily', { vmids: [100], storage: 'local', options: o.jobOptions ?? {} });
  const storage = makeStorageState([], {
    storages: [makeStorage('local', { type: 'dir' })],
    config: [cfg('local', o.storageCfg)],
    contents: {},
  });
  const host = makeHost('pve1', {
    pve: makePveState({ jobs: [job] }),
    listings: { [DUMP_DIR]: okListing(o.files ?? daily(5)) },
    storage,
    retention: o.retention === undefined ? DEFAULT_RETENTION : o.retention,
  });
  const target = makeTarget({ classification: o.classification === undefined ? 'critical' : o.classification });
  const findings = retentionOf(
    makeInput({ bindings: makeBindings({ targets: [target], policy: o.policy }), state: makeState([host]) }),
  );
  expect(findings).toHaveLength(1);
  return findings[0]!;
}

describe('D19.retention on a dump folder', () => {
  it('passes when the policy in force keeps at least the minimum, and says where it comes from', () => {
    const f = judge({ jobOptions: { 'prune-backups': 'keep-last=3' } });
    expect(f).toMatchObject({
      outcome: 'pass',
      retention: { source: 'job', policy: 'keep-last=3', present: 5, kept: 3, protected: 0, min: 3 },
    });
    expect(f.message).toContain('keep-last=3 from the job');
  });

  it('policy_below_class: keep-last=1 on a critical guest, with the pvesh line', () => {
    const f = judge({ jobOptions: { 'prune-backups': 'keep-last=1' } });
    expect(f).toMatchObject({ outcome: 'fail', reason: 'policy_below_class', retention: { kept: 1 } });
    expect(f.remediation).toContain('`pvesh set /cluster/backup/backup-daily --prune-backups keep-last=3`');
  });

  it('protected backups count as restore points and take no keep slot', () => {
    const files = daily(5);
    files.push({ path: `${files[4]!.path}.protected`, mtime: files[4]!.mtime, size: 0 });
    const f = judge({ files, jobOptions: { 'prune-backups': 'keep-last=3' } });
    expect(f.retention).toMatchObject({ present: 5, kept: 4, protected: 1 });
  });

  it('too_few_restore_points: a finite policy, but only two backups exist', () => {
    expect(judge({ files: daily(2), jobOptions: { 'prune-backups': 'keep-daily=7' } })).toMatchObject({
      outcome: 'fail',
      reason: 'too_few_restore_points',
      actual: '2',
    });
  });

  it('retention_unbounded (medium): keep-all from the storage, unless allowed', () => {
    const f = judge({ storageCfg: { pruneBackups: 'keep-all=1' } });
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'retention_unbounded',
      severity: 'medium',
      retention: { source: 'storage', policy: 'keep-all=1', kept: 5 },
    });
    expect(f.remediation).toContain('pvesm set local --prune-backups keep-last=3');
    const allowed = judge({
      storageCfg: { pruneBackups: 'keep-all=1' },
      policy: {
        d19: {
          ...makeBindings().policy.d19,
          verifyMaxAgeDays: {},
          retention: { minRestorePoints: { critical: 3, important: 2, rebuildable: 1 }, allowUnbounded: ['local'] },
        },
      },
    });
    expect(allowed).toMatchObject({ outcome: 'pass' });
  });

  it("keep-all is PVE's default when nothing sets a policy", () => {
    expect(judge()).toMatchObject({ outcome: 'fail', reason: 'retention_unbounded', retention: { source: 'default' } });
  });

  it('falls through an invalid job value to the storage, as PVE does', () => {
    const f = judge({
      jobOptions: { 'prune-backups': 'keep-all=1,keep-last=3' },
      storageCfg: { pruneBackups: 'keep-last=4' },
    });
    expect(f).toMatchObject({ outcome: 'pass', retention: { source: 'storage', kept: 4 } });
    expect(f.evidence.map((e) => e.detail).join(' ')).toContain('keep-all cannot be set together');
  });

  it('maxfiles counts before PVE 9 only', () => {
    const pve8 = { ...DEFAULT_RETENTION, pveVersion: { version: '8.4.1', major: 8, minor: 4 } };
    expect(judge({ storageCfg: { maxfiles: '1' }, retention: pve8 })).toMatchObject({
      outcome: 'fail',
      reason: 'policy_below_class',
      retention: { source: 'storage', policy: 'keep-last=1' },
    });
    expect(judge({ storageCfg: { maxfiles: '1' } })).toMatchObject({
      reason: 'retention_unbounded',
      retention: { source: 'default' },
    });
  });

  it('vzdump.conf is the last level before the default', () => {
    const conf = {
      ...DEFAULT_RETENTION,
      vzdumpConf: { ...DEFAULT_RETENTION.vzdumpConf, 'prune-backups': { 'keep-last': 3 } },
    };
    expect(judge({ retention: conf })).toMatchObject({
      outcome: 'pass',
      retention: { source: 'vzdump.conf', policy: 'keep-last=3' },
    });
  });

  it('prune_will_block: remove 0 with a finite policy and as many backups as the keeps add up to', () => {
    const f = judge({ jobOptions: { 'prune-backups': 'keep-last=3', remove: '0' }, files: daily(3) });
    expect(f).toMatchObject({ outcome: 'fail', reason: 'prune_will_block' });
    expect(f.message).toContain('max backup limit of 3');
    // Nothing is pruned while remove is off: all three stay, below the limit of 4.
    expect(judge({ jobOptions: { 'prune-backups': 'keep-last=4', remove: '0' }, files: daily(3) })).toMatchObject({
      outcome: 'pass',
      retention: { kept: 3 },
    });
    expect(judge({ jobOptions: { 'prune-backups': 'keep-last=4', remove: '0' }, files: daily(2) })).toMatchObject({
      outcome: 'fail',
      reason: 'too_few_restore_points',
    });
  });

  it("a stamp that is no time is never pruned and never a restore point (archive_info dies: vzdump's typed prune leaves it out)", () => {
    const files = [...daily(3), fileAged('vzdump-qemu-100-2026_02_30-02_00_03.vma.zst', 200)];
    expect(judge({ files, jobOptions: { 'prune-backups': 'keep-last=3' } }).retention).toMatchObject({
      present: 3,
      kept: 3,
    });
    // A name without a stamp is `renamed`: present, never removed, no restore point.
    const renamed = [...daily(3), fileAged('vzdump-qemu-100-before-upgrade.vma.zst', 200)];
    expect(judge({ files: renamed, jobOptions: { 'prune-backups': 'keep-last=3' } }).retention).toMatchObject({
      present: 4,
      kept: 3,
    });
  });

  it("a job to a PBS storage does not prune the dump folder: the folder's own job decides", () => {
    const files = daily(3);
    const jobs = [
      makeJob('backup-daily', { vmids: [100], storage: 'local', options: { 'prune-backups': 'keep-last=3' } }),
      makeJob('backup-pbs', { vmids: [100], storage: 'pbs-main', options: { 'prune-backups': 'keep-last=1' } }),
    ];
    const storage = makeStorageState([], {
      storages: [makeStorage('local', { type: 'dir' }), makeStorage('pbs-main')],
      config: [cfg('local'), cfg('pbs-main', { type: 'pbs', path: null, datastore: 'main', server: '192.0.2.9' })],
      contents: {},
    });
    const judgeOn = (host: string) => {
      const pve = makeHost('pve1', {
        pve: makePveState({ jobs }),
        listings: host === 'pve1' ? { [DUMP_DIR]: okListing(files) } : {},
        storage,
      });
      const hosts =
        host === 'pve1' ? [pve] : [pve, makeHost(host, { pve: null, listings: { [DUMP_DIR]: okListing(files) } })];
      return retentionOf(
        makeInput({ bindings: makeBindings({ targets: [makeTarget({ host })] }), state: makeState(hosts) }),
      )[0]!;
    };
    for (const host of ['pve1', 'nas']) {
      const f = judgeOn(host);
      expect(f).toMatchObject({ outcome: 'pass', retention: { source: 'job', policy: 'keep-last=3', kept: 3 } });
      expect(f.message).not.toContain('backup-pbs');
    }
  });

  it('skips what needs no minimum and what has no backups; errors without the facts', () => {
    expect(judge({ classification: null })).toMatchObject({ outcome: 'skip', reason: 'not_required' });
    expect(judge({ files: [] })).toMatchObject({ outcome: 'skip', reason: 'no_backups' });
    expect(judge({ retention: null })).toMatchObject({ outcome: 'error', reason: 'not_collected' });
    expect(
      judge({ retention: { reason: 'command_failed', message: 'pveversion exited 127' } as unknown as RetentionFacts }),
    ).toMatchObject({ outcome: 'error', reason: 'command_failed' });
    expect(retentionOf(makeInput({ state: null }))[0]).toMatchObject({ outcome: 'skip', reason: 'no host state' });
  });

  it('buckets days in the node zone: two backups on one Berlin day keep one daily restore point', () => {
    const files = [
      fileAged('vzdump-qemu-100-2026_03_04-00_30_00.vma.zst', 8),
      fileAged('vzdump-qemu-100-2026_03_03-23_30_00.vma.zst', 9),
      fileAged('vzdump-qemu-100-2026_03_03-01_00_00.vma.zst', 30),
    ];
    expect(judge({ files, jobOptions: { 'prune-backups': 'keep-daily=3' } })).toMatchObject({
      outcome: 'fail',
      reason: 'too_few_restore_points',
      retention: { present: 3, kept: 2 },
    });
    expect(judge({ files, jobOptions: { 'prune-backups': 'keep-daily=3' }, classification: 'important' }).outcome).toBe(
      'pass',
    );
  });
});

describe('D19.retention on a PVE storage', () => {
  const run = (storage: PveStorageState, jobOptions: Record<string, string> = {}) => {
    const job = makeJob('backup-pbs', { vmids: [100], storage: 'pbs-main', options: jobOptions });
    const host = makeHost('pve1', { pve: makePveState({ jobs: [job] }), listings: {}, storage });
    return retentionOf(
      makeInput({ bindings: makeBindings({ targets: [makeStorageTarget()] }), state: makeState([host]) }),
    )[0]!;
  };

  it("pbs_side_retention: keep-all on the PVE side of a PBS storage is PBS prune jobs' business", () => {
    expect(run(makeStorageState([pbsBackup(100, 6), pbsBackup(100, 30)]))).toMatchObject({
      outcome: 'skip',
      reason: 'pbs_side_retention',
    });
  });

  it('PBS snapshots marked by the job policy; protected ones count', () => {
    const backups = [6, 30, 54, 78].map((h) => pbsBackup(100, h));
    backups[3] = { ...backups[3]!, protected: true };
    expect(run(makeStorageState(backups), { 'prune-backups': 'keep-last=2' })).toMatchObject({
      outcome: 'fail',
      reason: 'policy_below_class',
      retention: { present: 4, kept: 3, protected: 1 },
    });
    expect(run(makeStorageState(backups), { 'prune-backups': 'keep-last=3' })).toMatchObject({
      outcome: 'pass',
      retention: { kept: 4 },
    });
  });

  it('a content list that failed is an error, never a pass', () => {
    const storage = makeStorageState([], {
      contents: { 'pbs-main': { status: 'error', reason: 'command_failed', message: 'pbs unreachable' } },
    });
    expect(run(storage, { 'prune-backups': 'keep-last=3' })).toMatchObject({
      outcome: 'error',
      reason: 'command_failed',
    });
  });
});

describe("D19.job-valid reads maxfiles by the node's version", () => {
  const valid = (major: number | null) => {
    const job = makeJob('backup-daily', {
      vmids: [100],
      storage: 'local',
      options: { maxfiles: '3' },
      problems: [
        {
          kind: 'key_dropped',
          key: 'maxfiles',
          line: 3,
          text: 'maxfiles 3',
          reason: "unexpected property 'maxfiles'",
          fix: 'x',
          readBefore: 9,
        },
      ],
    });
    const retention =
      major === null ? null : { ...DEFAULT_RETENTION, pveVersion: { version: `${major}.0.0`, major, minor: 0 } };
    const host = makeHost('pve1', { pve: makePveState({ jobs: [job] }), retention });
    return jobsValidOf(makeInput({ state: makeState([host]) })).find((f) => f.subject === 'backup-daily')!;
  };
  it('PVE 8 reads it: no finding; PVE 9, or an unknown version, drops it', () => {
    expect(valid(8)).toMatchObject({ outcome: 'pass' });
    expect(valid(9)).toMatchObject({ outcome: 'fail', reason: 'key_dropped' });
    expect(valid(null)).toMatchObject({ outcome: 'fail', reason: 'key_dropped' });
  });
});

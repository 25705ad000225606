// D19.restore-drill: PVE's restore tasks and restore.drills.yaml, the newest drill deciding; never a pass without
// evidence.
import { describe, expect, it } from 'vitest';
import type { RestoreDrill } from '../../bindings/types.js';
import type { Finding, RestoreTask, RestoreTasks, StateProblem } from '../../model.js';
import { evaluateD19 } from '../D19.js';
import {
  makeBindings,
  makeErrorHost,
  makeGuest,
  makeHost,
  makeInput,
  makePveState,
  makeState,
  makeStorageState,
  makeStorageTarget,
  makeTarget,
  restoreTask,
  type BindingsOverrides,
} from '../testing/test-input.js';

type HostRestores = RestoreTasks | StateProblem | null;

function drill(
  o: {
    tasks?: RestoreTask[];
    malformed?: string[];
    restores?: HostRestores;
    drills?: RestoreDrill[];
    bindings?: BindingsOverrides;
    hosts?: ReturnType<typeof makeHost>[];
  } = {},
): Finding {
  const restores = o.restores !== undefined ? o.restores : { tasks: o.tasks ?? [], malformed: o.malformed ?? [] };
  const bindings = { ...makeBindings(o.bindings), drills: o.drills ?? null };
  const findings = evaluateD19(makeInput({ bindings, state: makeState(o.hosts ?? [makeHost('pve1', { restores })]) }));
  const f = findings.filter((x) => x.check === 'D19.restore-drill');
  expect(f).toHaveLength(1);
  return f[0]!;
}

const manual = (date: string, result: 'ok' | 'failed' = 'ok', target = 'vm-100-primary'): RestoreDrill => ({
  target,
  date,
  result,
  by: 'alice@example.com',
  notes: 'restored into 9100, app login checked',
  evidence: 'OPS-1',
  source: { file: 'restore.drills.yaml', line: 3 },
});

describe('D19.restore-drill', () => {
  it("passes on a PVE restore of the target's archive into a scratch VMID within the age, naming it", () => {
    const f = drill({ tasks: [restoreTask(100, 9100, 24 * 10)] });
    expect(f).toMatchObject({ outcome: 'pass', actual: 'ok 10d ago' });
    expect(f.message).toContain('qmrestore into 9100 from /var/lib/vz/dump/vzdump-qemu-100-');
  });

  it('a restore over the original guest counts too, and says so', () => {
    expect(drill({ tasks: [restoreTask(100, 100, 48)] }).message).toContain('a restore over VMID 100 itself');
  });

  it("a restore of another guest's archive is no drill of this one", () => {
    expect(drill({ tasks: [restoreTask(101, 100, 48)] })).toMatchObject({
      outcome: 'fail',
      reason: 'no_recent_drill',
      actual: 'never',
    });
  });

  it('a restore of the guest from another copy (an archive its glob does not match) counts, and says so', () => {
    const other = restoreTask(100, 9100, 48, 'OK', {
      archive: '/mnt/pve/nas/dump/vzdump-qemu-100-2026_02_20-02_00_03.vma.gz',
    });
    expect(drill({ tasks: [other] })).toMatchObject({
      outcome: 'pass',
      message: expect.stringContaining("(another copy of 100 than this target's vzdump-qemu-100-*.vma.zst)"),
    });
    expect(drill({ tasks: [restoreTask(100, 9100, 48)] }).message).not.toContain('another copy');
  });

  it('fails no_recent_drill with the last date when the newest is older than the age', () => {
    const f = drill({ tasks: [restoreTask(100, 9100, 24 * 120)] });
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'no_recent_drill',
      expected: 'a restore drill that worked within 90d',
      actual: 'ok 120d ago',
    });
    expect(f.message).toContain('the last drill was 2025-11-04');
    expect(f.remediation).toContain(
      'qmrestore /var/lib/vz/dump/<the newest vzdump-qemu-100-*.vma.zst> $(pvesh get /cluster/nextid)',
    );
    expect(f.remediation).toContain('- {target: vm-100-primary, date: 2026-03-04, result: ok');
  });

  it('fails no_recent_drill "never" with no evidence at all: no evidence is never a pass', () => {
    expect(drill({ tasks: [] })).toMatchObject({ outcome: 'fail', reason: 'no_recent_drill', actual: 'never' });
  });

  it("a failed restore that is the newest drill fails drill_failed, quoting PVE's error", () => {
    const f = drill({
      tasks: [
        restoreTask(100, 9100, 24 * 30),
        restoreTask(100, 9100, 24 * 2, 'unable to restore VM 9100 - no space left on device'),
      ],
    });
    expect(f).toMatchObject({ outcome: 'fail', reason: 'drill_failed' });
    expect(f.message).toContain('no space left on device');
    // A newer OK restore decides again.
    expect(
      drill({ tasks: [restoreTask(100, 9100, 24), restoreTask(100, 9100, 24 * 2, 'unable to restore VM 9100')] }),
    ).toMatchObject({ outcome: 'pass' });
    // WARNINGS: n is an ended-ok status (PVE::UPID status_is_error).
    expect(drill({ tasks: [restoreTask(100, 9100, 24, 'WARNINGS: 1')] })).toMatchObject({ outcome: 'pass' });
  });

  it('a restore still running does not count, and is named', () => {
    const f = drill({ tasks: [restoreTask(100, 9100, null)] });
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_recent_drill' });
    expect(f.message).toContain('a restore is still running on pve1');
  });

  it('restore.drills.yaml: a drill people ran counts, and the newest drill from either source decides', () => {
    expect(drill({ tasks: [], drills: [manual('2026-02-20')] })).toMatchObject({
      outcome: 'pass',
      message: expect.stringContaining('restore.drills.yaml:3'),
    });
    expect(drill({ tasks: [restoreTask(100, 9100, 24 * 30)], drills: [manual('2026-03-01', 'failed')] })).toMatchObject(
      { outcome: 'fail', reason: 'drill_failed' },
    );
    expect(drill({ tasks: [restoreTask(100, 9100, 24)], drills: [manual('2026-02-01', 'failed')] })).toMatchObject({
      outcome: 'pass',
    });
    expect(drill({ tasks: [], drills: [manual('2026-02-20', 'ok', 'other-target')] })).toMatchObject({
      outcome: 'fail',
    });
  });

  it('a target naming no guest (an application dump) is judged from restore.drills.yaml alone', () => {
    const dump = makeTarget({ name: 'app-db', glob: 'db-*.sql.gz', host: 'nas' });
    const hosts = [makeHost('pve1'), makeHost('nas', { pve: null })];
    expect(
      drill({ hosts, bindings: { targets: [dump] }, drills: [manual('2026-02-20', 'ok', 'app-db')] }),
    ).toMatchObject({ outcome: 'pass' });
    expect(drill({ hosts, bindings: { targets: [dump] } })).toMatchObject({
      outcome: 'fail',
      reason: 'no_recent_drill',
      actual: 'never',
    });
  });

  it('a restore whose log names no backup (gone, or a tar archive) counts for no target, and is named', () => {
    const gone: RestoreTask = { ...restoreTask(100, 9100, 24), source: null, sourceProblem: null };
    const f = drill({ tasks: [gone] });
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_recent_drill' });
    expect(f.message).toContain('1 restore task(s) within 90 days name no backup the probe could read');
  });

  it('a drill dated after the capture is an error: the newest drill cannot be known', () => {
    expect(drill({ tasks: [], drills: [manual('2026-03-09')] })).toMatchObject({
      outcome: 'error',
      reason: 'future_drill',
    });
  });

  it('an old snapshot without the restore tasks, a failed command or a record that does not read: error, never a pass or a fail', () => {
    expect(drill({ restores: null })).toMatchObject({ outcome: 'error', reason: 'not_collected' });
    expect(drill({ restores: { reason: 'command_failed', message: 'exited 12' } })).toMatchObject({
      outcome: 'error',
      reason: 'command_failed',
    });
    expect(drill({ tasks: [], malformed: ['not a line of index: "x"'] })).toMatchObject({
      outcome: 'error',
      reason: 'bad_task_record',
    });
    // A record that does not read could be a newer failed drill: not even a recent OK restore passes beside it.
    expect(drill({ tasks: [restoreTask(100, 9100, 24)], malformed: ['x'] })).toMatchObject({
      outcome: 'error',
      reason: 'bad_task_record',
    });
  });

  it('a restore task whose log the probe could not read is an error when nothing newer proves the target', () => {
    const unread: RestoreTask = {
      ...restoreTask(100, 9100, 24),
      source: null,
      sourceProblem: "its log /var/log/pve/tasks/0/UPID… cannot be read by the probe's user",
    };
    expect(drill({ tasks: [unread] })).toMatchObject({ outcome: 'error', reason: 'log_unreadable' });
    // One that ended before a proven newer drill changes nothing.
    expect(drill({ tasks: [restoreTask(100, 9100, 12), { ...unread, end: unread.end! - 86400 }] })).toMatchObject({
      outcome: 'pass',
    });
  });

  it('an unreachable PVE host that lists the guest is an error unless a drill elsewhere proves it', () => {
    const hosts = [makeHost('pve1', { restores: { tasks: [], malformed: [] } }), makeErrorHost('pve2')];
    const bindings = { policy: { pveHosts: ['pve1', 'pve2'] } };
    expect(drill({ hosts, bindings })).toMatchObject({ outcome: 'fail' }); // pve2 does not list the guest (unreadable): only pve1 counts
    const t = makeTarget({ host: 'pve2' });
    expect(drill({ hosts, bindings: { ...bindings, targets: [t] } })).toMatchObject({
      outcome: 'error',
      reason: 'connect_timeout',
    });
  });

  it('reads the restores of every PVE host of the cluster that lists the guest (a drill on another node)', () => {
    const hosts = [
      makeHost('pve1', { restores: { tasks: [], malformed: [] } }),
      makeHost('pve2', {
        pve: makePveState({ guests: [makeGuest(100, { node: 'pve1' })] }),
        restores: { tasks: [restoreTask(100, 9100, 24)], malformed: [] },
      }),
    ];
    expect(drill({ hosts, bindings: { policy: { pveHosts: ['pve1', 'pve2'] } } })).toMatchObject({
      outcome: 'pass',
      message: expect.stringContaining('on pve2'),
    });
  });

  it("pve_storage on a PBS: a PBS VM restore (pbs-restore names no storage id) is this copy's; a file restore of the guest another copy's", () => {
    const t = makeStorageTarget();
    const pbs = restoreTask(100, 9100, 24, 'OK', { kind: 'pbs-vm', archive: 'vm/100/2026-03-01T01:00:04Z' });
    const storage = makeStorageState();
    const msg = (task: RestoreTask) =>
      drill({
        bindings: { targets: [t] },
        hosts: [makeHost('pve1', { storage, restores: { tasks: [task], malformed: [] } })],
      }).message;
    expect(msg(pbs)).not.toContain('another copy');
    expect(msg(restoreTask(100, 9100, 24))).toContain("(another copy of 100 than this target's pbs-main)");
  });

  it("pve_storage on a PBS: its copy is the one read from this storage's server and datastore", () => {
    const t = makeStorageTarget();
    const config = [
      {
        id: 'pbs-main',
        type: 'pbs',
        line: 1,
        disabled: false,
        nodes: null,
        path: null,
        contentDirs: {},
        datastore: 'main',
        namespace: null,
        server: '192.0.2.20',
      },
    ];
    const storage = makeStorageState(undefined, { config });
    const from = (repository: string) =>
      restoreTask(100, 9100, 24, 'OK', { kind: 'pbs-vm', archive: 'vm/100/2026-03-01T01:00:04Z', repository });
    const other = (repository: string) =>
      drill({
        bindings: { targets: [t] },
        hosts: [makeHost('pve1', { storage, restores: { tasks: [from(repository)], malformed: [] } })],
      }).message.includes('another copy');
    expect(other('backup@pbs@192.0.2.20:main')).toBe(false);
    expect(other('backup@pbs@192.0.2.20:8007:main')).toBe(false);
    expect(other('backup@pbs@192.0.2.21:dr')).toBe(true);
    expect(other('backup@pbs@192.0.2.21:main')).toBe(true);
  });

  it('skips not_required for a class the policy names no age for, and without host state', () => {
    expect(drill({ bindings: { targets: [makeTarget({ classification: 'important' })] } })).toMatchObject({
      outcome: 'skip',
      reason: 'not_required',
    });
    const f = evaluateD19(makeInput({ state: null })).filter((x) => x.check === 'D19.restore-drill');
    expect(f.map((x) => x.outcome)).toEqual(['skip']);
  });
});

// D19.size: the newest archive against the median of the previous ones of the same guest and kind.
import { describe, expect, it } from 'vitest';
import type { FileEntry, Finding } from '../../model.js';
import { evaluateD19 } from '../D19.js';
import {
  archiveName,
  DUMP_DIR,
  fileAged,
  makeHost,
  makeInput,
  makeState,
  makeStorage,
  makeStorageState,
  makeStorageTarget,
  makeTarget,
  okListing,
  pbsBackup,
  type BindingsOverrides,
} from '../testing/test-input.js';
import { makeBindings } from '../testing/test-input.js';
import { bytes, kindOf, medianOf } from './size.js';

const GiB = 2 ** 30;
/** Daily archives of VM 100, newest first: sizes[0] is today's (6 h old). */
const daily = (sizes: number[], ext = 'vma.zst'): FileEntry[] =>
  sizes.map((size, i) => {
    const day = new Date(Date.UTC(2026, 2, 4 - i)).toISOString().slice(0, 10).replaceAll('-', '_');
    return fileAged(archiveName(100, `${day}-02_00_03`, ext), 6 + 24 * i, size);
  });

function size(files: FileEntry[], o: BindingsOverrides = {}): Finding {
  const state = makeState([makeHost('pve1', { listings: { [DUMP_DIR]: okListing(files) } })]);
  const f = evaluateD19(makeInput({ bindings: makeBindings(o), state })).filter((x) => x.check === 'D19.size');
  expect(f).toHaveLength(1);
  return f[0]!;
}

describe('D19.size', () => {
  it('passes a steady history, naming the ratio to the median', () => {
    const f = size(daily([10 * GiB, 10.2 * GiB, 9.9 * GiB, 10.1 * GiB, 10 * GiB]));
    expect(f).toMatchObject({ outcome: 'pass' });
    expect(f.message).toMatch(/1\.00 × the median 10 GiB of the previous 4/);
  });

  it('fails size_drop on a real drop: the sizes, the median, the ratio', () => {
    const f = size(daily([0.4 * GiB, 10 * GiB, 10.2 * GiB, 9.9 * GiB, 10.1 * GiB]));
    expect(f).toMatchObject({ outcome: 'fail', reason: 'size_drop', severity: 'critical' });
    expect(f.message).toContain(
      'is 410 MiB, 0.04 × the median 10 GiB of the previous 4 (10 GiB, 10 GiB, 9.9 GiB, 10 GiB); below d19.min_size_ratio 0.5',
    );
  });

  it('takes the median of the previous 7 at most, and d19.min_size_ratio from the policy', () => {
    // 8 old tiny ones beyond the window do not pull the median down.
    const f = size(
      daily([6 * GiB, 10 * GiB, 10 * GiB, 10 * GiB, 10 * GiB, 10 * GiB, 10 * GiB, 10 * GiB, 1, 1, 1, 1, 1, 1, 1, 1]),
    );
    expect(f).toMatchObject({ outcome: 'pass' });
    const policy = makeBindings().policy;
    expect(
      size(daily([6 * GiB, 10 * GiB, 10 * GiB, 10 * GiB]), {
        policy: { ...policy, d19: { ...policy.d19, minSizeRatio: 0.7 } },
      }),
    ).toMatchObject({ outcome: 'fail', reason: 'size_drop' });
  });

  it('a first backup, or fewer than 4 of a kind, is no history: skip, never a false alarm', () => {
    expect(size(daily([5 * GiB]))).toMatchObject({ outcome: 'skip', reason: 'short_history' });
    expect(size(daily([0.1 * GiB, 10 * GiB, 10 * GiB]))).toMatchObject({ outcome: 'skip', reason: 'short_history' });
  });

  it('a change of compressor starts a new history (vma.gz → vma.zst is smaller, not lost)', () => {
    const files = [
      ...daily([6 * GiB], 'vma.zst'),
      ...daily([0, 9 * GiB, 9 * GiB, 9 * GiB, 9 * GiB], 'vma.gz').slice(1),
    ];
    const f = size(files, { targets: [makeTarget({ glob: 'vzdump-qemu-100-*.vma.*' })] });
    expect(f).toMatchObject({ outcome: 'skip', reason: 'short_history' });
    expect(f.message).toContain('the compressor or format changed');
  });

  it('fails empty_archive on a 0-byte newest archive, even with no history, and under min_size_bytes', () => {
    expect(size(daily([0]))).toMatchObject({ outcome: 'fail', reason: 'empty_archive', actual: '0 B' });
    expect(size(daily([300 * 2 ** 20, 320 * 2 ** 20]), { targets: [makeTarget({ minSizeBytes: GiB })] })).toMatchObject(
      { outcome: 'fail', reason: 'empty_archive', expected: '≥ 1.0 GiB' },
    );
  });

  it('a protected old archive is history like any other (the newest decides, by time)', () => {
    const old = fileAged(archiveName(100, '2025_06_01-02_00_03'), 24 * 270, 10 * GiB);
    const f = size([
      ...daily([10 * GiB, 10 * GiB, 10 * GiB]),
      old,
      fileAged(`${archiveName(100, '2025_06_01-02_00_03')}.protected`, 24 * 270, 0),
    ]);
    expect(f).toMatchObject({ outcome: 'pass' });
  });

  it('judges each guest of a multi-guest glob on its own history', () => {
    const other = [5, 5, 5, 5].map((g, i) =>
      fileAged(archiveName(101, `2026_03_0${4 - i}-02_00_03`), 6 + 24 * i, g * GiB),
    );
    const f = size([...daily([10 * GiB, 10 * GiB, 10 * GiB, 10 * GiB]), ...other], {
      targets: [makeTarget({ glob: 'vzdump-qemu-*.vma.zst' })],
    });
    expect(f).toMatchObject({ outcome: 'pass' });
  });

  it('skips PBS VM snapshots: their size is the disk size, not the data', () => {
    const t = makeStorageTarget();
    const state = makeState([
      makeHost('pve1', {
        storage: makeStorageState([pbsBackup(100, 6), pbsBackup(100, 30), pbsBackup(100, 54), pbsBackup(100, 78)]),
      }),
    ]);
    const f = evaluateD19(makeInput({ bindings: makeBindings({ targets: [t] }), state })).find(
      (x) => x.check === 'D19.size',
    )!;
    expect(f).toMatchObject({ outcome: 'skip', reason: 'pbs_vm_size' });
  });

  it("reads sizes from a file storage's content list", () => {
    const t = makeStorageTarget({ storage: 'nfs-dump' });
    const vol = (hours: number, sz: number) => ({
      ...pbsBackup(100, hours, {}, 'nfs-dump'),
      format: 'vma.zst',
      size: sz,
      volid: `nfs-dump:backup/${archiveName(100, `x${hours}`)}`,
    });
    const storage = makeStorageState([], {
      storages: [makeStorage('nfs-dump', { type: 'nfs' })],
      contents: {
        'nfs-dump': { status: 'ok', volumes: [vol(6, 1 * GiB), vol(30, 8 * GiB), vol(54, 8 * GiB), vol(78, 8 * GiB)] },
      },
    });
    const f = evaluateD19(
      makeInput({ bindings: makeBindings({ targets: [t] }), state: makeState([makeHost('pve1', { storage })]) }),
    ).find((x) => x.check === 'D19.size')!;
    expect(f).toMatchObject({ outcome: 'fail', reason: 'size_drop' });
  });

  it('a listing that failed is an error; no host state a skip', () => {
    const state = makeState([
      makeHost('pve1', {
        listings: { [DUMP_DIR]: { status: 'error', reason: 'output_too_large', message: 'too large' } },
      }),
    ]);
    expect(evaluateD19(makeInput({ state })).find((x) => x.check === 'D19.size')).toMatchObject({
      outcome: 'error',
      reason: 'output_too_large',
    });
    expect(evaluateD19(makeInput({ state: null })).find((x) => x.check === 'D19.size')).toMatchObject({
      outcome: 'skip',
    });
  });
});

describe('helpers', () => {
  it('kindOf, medianOf, bytes', () => {
    expect(kindOf('vzdump-qemu-100-2026_03_04-02_00_03.vma.zst')).toBe('vma.zst');
    expect(kindOf('2026-03-04/erp-db.sql.gz')).toBe('sql.gz');
    expect(kindOf('gitea-dump-1772500000.zip')).toBe('zip');
    expect(medianOf([3, 1, 2])).toBe(2);
    expect(medianOf([4, 1, 2, 3])).toBe(2.5);
    expect(bytes(0)).toBe('0 B');
    expect(bytes(1.5 * GiB)).toBe('1.5 GiB');
  });
});

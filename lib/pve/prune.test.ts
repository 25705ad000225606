import { describe, expect, it } from 'vitest';
import {
  archiveInfo,
  effectivePolicy,
  isoWeek,
  keepSum,
  parsePruneBackups,
  parsePveVersion,
  parseVzdumpConf,
  policyText,
} from './prune.js';

describe('parsePruneBackups (parse_property_string + validate_prune_backups)', () => {
  it('normalises as PVE does', () => {
    expect(parsePruneBackups('keep-last=3,keep-daily=7')).toEqual({ policy: { 'keep-last': 3, 'keep-daily': 7 } });
    expect(parsePruneBackups('')).toEqual({ policy: { 'keep-all': 1 } });
    expect(parsePruneBackups('keep-last=0')).toEqual({ policy: { 'keep-all': 1 } });
    expect(parsePruneBackups('keep-all=0,keep-last=2')).toEqual({ policy: { 'keep-last': 2 } });
    expect(parsePruneBackups('keep-all=yes')).toEqual({ policy: { 'keep-all': 1 } });
    expect(parsePruneBackups('keep-last=+2')).toEqual({ policy: { 'keep-last': 2 } });
  });
  it("gives PVE's error for what it drops", () => {
    expect(parsePruneBackups('keep-all=1,keep-last=3')).toEqual({
      error: 'keep-all cannot be set together with other options.',
    });
    expect(parsePruneBackups('keep-last=3,keep-last=4')).toEqual({
      error: 'duplicate key in comma-separated list property: keep-last',
    });
    expect(parsePruneBackups('keep-last=-1')).toEqual({
      error: 'format error: keep-last: value must have a minimum value of 0',
    });
    expect(parsePruneBackups('keep-last=three')).toEqual({
      error: "format error: keep-last: type check ('integer') failed - got 'three'",
    });
    expect(parsePruneBackups('3')).toEqual({ error: 'value without key, but schema does not define a default key' });
    expect(parsePruneBackups('keep-last=')).toEqual({ error: 'missing key in comma-separated list property' });
  });
  it('prints and sums as VZDump.pm does', () => {
    expect(policyText({ 'keep-last': 3, 'keep-daily': 7 })).toBe('keep-daily=7,keep-last=3');
    expect(keepSum({ 'keep-last': 3, 'keep-daily': 7 })).toBe(10);
    expect(keepSum({ 'keep-all': 1 })).toBe(0);
  });
});

describe('parseVzdumpConf', () => {
  it('reads the retention keys, the last line wins, bad values dropped with a warning', () => {
    const c = parseVzdumpConf(
      '# defaults\nprune-backups: keep-last=1\nprune-backups: keep-last=2\nremove: no\nstorage: backup_nfs\nmaxfiles: 5\nbogus line\n',
      8,
    );
    expect(c).toMatchObject({ 'prune-backups': { 'keep-last': 2 }, remove: 0, storage: 'backup_nfs', maxfiles: 5 });
    expect(c.warnings).toEqual(['ignore config line: bogus line']);
    const d = parseVzdumpConf('prune-backups: keep-all=1,keep-last=1\nmaxfiles: 3\n', 9);
    expect(d['prune-backups']).toBeNull();
    expect(d.maxfiles).toBeNull();
    expect(d.warnings).toHaveLength(2);
  });
});

describe('parsePveVersion', () => {
  it('reads the pve-manager version', () => {
    expect(parsePveVersion('pve-manager/8.2.4/faa83925c9641325 (running kernel: 6.8.8-2-pve)\n')).toEqual({
      version: '8.2.4',
      major: 8,
      minor: 2,
    });
    expect(parsePveVersion('pve-manager/9.0.3/025864202ebb6109 (running kernel: 6.14.8-2-pve)')).toMatchObject({
      major: 9,
    });
    expect(parsePveVersion('bash: pveversion: command not found')).toBeNull();
  });
});

describe('effectivePolicy', () => {
  it('job remove 0 keeps a finite policy but turns pruning off; keep-all forces it off', () => {
    const conf = parseVzdumpConf('', 9);
    expect(
      effectivePolicy({
        job: { pruneBackups: 'keep-last=3', maxfiles: null, remove: '0' },
        storage: null,
        vzdumpConf: conf,
        major: 9,
      }),
    ).toMatchObject({ source: 'job', remove: false, policy: { 'keep-last': 3 } });
    expect(
      effectivePolicy({
        job: { pruneBackups: null, maxfiles: null, remove: '1' },
        storage: null,
        vzdumpConf: conf,
        major: 9,
      }),
    ).toMatchObject({ source: 'default', remove: false });
  });
  it('an invalid job value falls through to the storage, and says so', () => {
    const got = effectivePolicy({
      job: { pruneBackups: 'keep-all=1,keep-last=2', maxfiles: null, remove: null },
      storage: { pruneBackups: 'keep-daily=7', maxfiles: null },
      vzdumpConf: null,
      major: 9,
    });
    expect(got).toMatchObject({ source: 'storage', policy: { 'keep-daily': 7 }, remove: true });
    expect(got.ignored[0]).toContain('keep-all cannot be set together');
  });
});

describe('archiveInfo and isoWeek', () => {
  it('a stamp that is no time is not a standard name (renamed)', () => {
    expect(archiveInfo('vzdump-qemu-100-2024_02_30-01_00_00.vma.zst', 'UTC')).toBeNull();
    expect(archiveInfo('vzdump-qemu-100-2024_02_29-01_00_00.vma.zst', 'UTC')).toEqual({
      type: 'qemu',
      vmid: 100,
      ctime: Date.UTC(2024, 1, 29, 1) / 1000,
    });
    expect(archiveInfo('vzdump-qemu-100-manual.vma.zst', 'UTC')).toEqual({ type: 'qemu', vmid: null, ctime: null });
    expect(archiveInfo('notes.txt', 'UTC')).toBeNull();
  });
  it('ISO weeks across years', () => {
    expect(isoWeek(2021, 1, 1)).toEqual({ week: 53, year: 2020 });
    expect(isoWeek(2024, 12, 30)).toEqual({ week: 1, year: 2025 });
    expect(isoWeek(2020, 12, 7)).toEqual({ week: 50, year: 2020 });
  });
});

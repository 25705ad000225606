import { describe, expect, it } from 'vitest';
import { classifyDumpFile, parseArchiveName, standardArchive, vzdumpGlobSubject } from './archives.js';

const BASE = 'vzdump-qemu-100-2024_05_04-02_00_03';

describe('classifyDumpFile', () => {
  it.each([
    ['vma', 'archive'],
    ['vma.zst', 'archive'],
    ['vma.lzo', 'archive'],
    ['vma.gz', 'archive'],
    ['vma.bz2', 'archive'],
    ['tar', 'archive'],
    ['tar.zst', 'archive'],
    ['tar.lzo', 'archive'],
    ['tar.gz', 'archive'],
    ['tar.bz2', 'archive'],
    ['tgz', 'archive'],
    ['log', 'log'],
    ['vma.zst.notes', 'notes'],
    ['tar.zst.protected', 'protected'],
    ['vma.dat', 'partial'],
    ['dat', 'partial'],
    ['tmp', 'partial'],
    ['vma.xz', 'unknown'],
    ['tgz.gz', 'unknown'],
    ['vma.zst.bak', 'unknown'],
  ])('%s → %s', (ext, kind) => {
    expect(classifyDumpFile(`${BASE}.${ext}`)).toBe(kind);
  });

  it('knows lxc and old openvz archives but not other guest types', () => {
    expect(classifyDumpFile('vzdump-lxc-210-2024_05_04-02_07_41.tar.zst')).toBe('archive');
    expect(classifyDumpFile('vzdump-openvz-101-2012_01_01-00_00_00.tgz')).toBe('archive');
    expect(classifyDumpFile('vzdump-docker-101-2024_01_01-00_00_00.tar')).toBe('unknown');
  });

  it('counts a non-standard vzdump name as an archive', () => {
    expect(classifyDumpFile('vzdump-qemu-100-manual.vma.zst')).toBe('archive');
  });

  it('treats anything under a vzdump .tmp dir as partial', () => {
    expect(classifyDumpFile('vzdump-lxc-210-2024_05_04-02_07_41.tmp/etc/hostname')).toBe('partial');
  });

  it('classifies by the file name when given a path', () => {
    expect(classifyDumpFile(`dump/${BASE}.vma.zst`)).toBe('archive');
    expect(classifyDumpFile(`vzdump-stuff/readme.txt`)).toBe('other');
  });

  it('treats names not starting with vzdump- as other', () => {
    expect(classifyDumpFile('db-2024-05-04.sql.gz')).toBe('other');
    expect(classifyDumpFile('backup.vma.zst')).toBe('other');
    expect(classifyDumpFile('notes.log')).toBe('other');
  });
});

describe('parseArchiveName', () => {
  it('parses a standard name into type, vmid, local stamp and extension', () => {
    expect(parseArchiveName(`${BASE}.vma.zst`)).toEqual({
      type: 'qemu',
      vmid: 100,
      stamp: '2024-05-04T02:00:03',
      ext: 'vma.zst',
    });
    expect(parseArchiveName('vzdump-lxc-999999999-2023_12_31-23_59_59.tar')).toEqual({
      type: 'lxc',
      vmid: 999999999,
      stamp: '2023-12-31T23:59:59',
      ext: 'tar',
    });
    expect(parseArchiveName('vzdump-openvz-101-2012_01_01-00_00_00.tgz')?.ext).toBe('tgz');
  });

  it('rejects non-standard names, side files and out-of-range VMIDs', () => {
    expect(parseArchiveName('vzdump-qemu-100-manual.vma.zst')).toBeNull();
    expect(parseArchiveName(`${BASE}.log`)).toBeNull();
    expect(parseArchiveName(`${BASE}.vma.zst.notes`)).toBeNull();
    expect(parseArchiveName('vzdump-qemu-99-2024_05_04-02_00_03.vma')).toBeNull();
    expect(parseArchiveName('vzdump-qemu-0100-2024_05_04-02_00_03.vma')).toBeNull();
    expect(parseArchiveName('vzdump-qemu-1000000000-2024_05_04-02_00_03.vma')).toBeNull();
    expect(parseArchiveName('vzdump-qemu-100-2024_05_04-02_00.vma')).toBeNull();
  });
});

describe('standardArchive', () => {
  it('is parseArchiveName without the stamp', () => {
    for (const name of [
      `${BASE}.vma.zst`,
      'vzdump-lxc-999999999-2023_12_31-23_59_59.tar',
      'vzdump-qemu-100-manual.vma.zst',
      `${BASE}.log`,
      'vzdump-qemu-0100-2024_05_04-02_00_03.vma',
    ]) {
      const parsed = parseArchiveName(name);
      expect(standardArchive(name)).toEqual(parsed && { type: parsed.type, vmid: parsed.vmid, ext: parsed.ext });
    }
  });
});

describe('vzdumpGlobSubject', () => {
  it('names the one guest a glob is about', () => {
    expect(vzdumpGlobSubject('vzdump-qemu-204-*.vma.zst')).toEqual({ type: 'qemu', vmid: 204 });
    expect(vzdumpGlobSubject('vzdump-lxc-105-*.tar.zst')).toEqual({ type: 'lxc', vmid: 105 });
    expect(vzdumpGlobSubject('vzdump-qemu-204-*')).toEqual({ type: 'qemu', vmid: 204 });
    expect(vzdumpGlobSubject('dump/vzdump-qemu-204-*.vma.zst')).toEqual({ type: 'qemu', vmid: 204 });
  });

  it('returns null when the glob could match several guests or none', () => {
    expect(vzdumpGlobSubject('vzdump-qemu-*.vma.zst')).toBeNull();
    expect(vzdumpGlobSubject('vzdump-qemu-204*.vma.zst')).toBeNull();
    expect(vzdumpGlobSubject('vzdump-qemu-2?4-*.vma.zst')).toBeNull();
    expect(vzdumpGlobSubject('vzdump-*-204-*')).toBeNull();
    expect(vzdumpGlobSubject('*.sql.gz')).toBeNull();
    expect(vzdumpGlobSubject('vzdump-openvz-101-*.tgz')).toBeNull();
    expect(vzdumpGlobSubject('vzdump-qemu-204-*/other.txt')).toBeNull();
  });
});

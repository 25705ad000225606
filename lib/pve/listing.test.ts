import { describe, expect, it } from 'vitest';
import { listingCommand } from '../snapshot/probe.js';
import { listingSeparator, parseListing } from './listing.js';

const ARCHIVE = 'vzdump-qemu-100-2024_05_04-02_00_03.vma.zst';

describe('parseListing (NUL-terminated records)', () => {
  it('reads mtime (floored), size and a path that may contain spaces and newlines', () => {
    const text = [
      `1714788003.9876543210 4096 ${ARCHIVE}`,
      '1714788004.0000000000 0 sub dir/file with  two spaces.txt',
      '1714788005.5 12 name with\na newline.txt',
      '',
    ].join('\0');
    expect(parseListing(text)).toEqual({
      files: [
        { mtime: 1714788003, size: 4096, path: ARCHIVE },
        { mtime: 1714788004, size: 0, path: 'sub dir/file with  two spaces.txt' },
        { mtime: 1714788005, size: 12, path: 'name with\na newline.txt' },
      ],
      malformed: [],
    });
  });

  it('reads empty output as no files', () => {
    expect(parseListing('')).toEqual({ files: [], malformed: [] });
  });

  it('a file name holding a newline and a forged record is one file, never two', () => {
    const forged = `1000000000.0 10 x\n1999999999.0 4096 ${ARCHIVE}`;
    const { files, malformed } = parseListing(`${forged}\0`);
    expect(malformed).toEqual([]);
    expect(files).toEqual([{ mtime: 1000000000, size: 10, path: `x\n1999999999.0 4096 ${ARCHIVE}` }]);
  });

  it('keeps records that do not read exactly as malformed, numbered, with the path when it reads', () => {
    const text = [
      '1714788003.5 10 a.txt',
      'find: ‘x’: Permission denied',
      '',
      `99999999999999999 10 ${ARCHIVE}`,
      '1714788003.5 x b.txt',
      '1714788006 20 c.txt',
      '',
    ].join('\0');
    const { files, malformed } = parseListing(text);
    expect(files.map((f) => f.path)).toEqual(['a.txt', 'c.txt']);
    expect(malformed).toEqual([
      { record: 2, problem: 'not "<mtime> <size> <path>"', path: null, text: 'find: ‘x’: Permission denied' },
      { record: 3, problem: 'not "<mtime> <size> <path>"', path: null, text: '' },
      {
        record: 4,
        problem: 'mtime 99999999999999999 is beyond any date',
        path: ARCHIVE,
        text: `99999999999999999 10 ${ARCHIVE}`,
      },
      { record: 5, problem: 'not "<mtime> <size> <path>"', path: 'b.txt', text: '1714788003.5 x b.txt' },
    ]);
  });

  it('a last record without its NUL (output cut off) is malformed', () => {
    const { files, malformed } = parseListing(`1714788003.5 10 a.txt\x001714788004.5 10 ${ARCHIVE}`);
    expect(files.map((f) => f.path)).toEqual(['a.txt']);
    expect(malformed).toMatchObject([{ record: 2, problem: 'not terminated (output cut off)', path: ARCHIVE }]);
  });

  it('escapes control characters and bounds the record a message shows', () => {
    const { malformed } = parseListing(`\x1b[31mred ${'y'.repeat(300)}\0`);
    expect(malformed[0]!.text.startsWith('\\u001b[31mred ')).toBe(true);
    expect(malformed[0]!.text.length).toBeLessThan(220);
  });
});

describe('parseListing (newline records of snapshots taken before the NUL format)', () => {
  it('reads them line by line', () => {
    const { files, malformed } = parseListing(`1714788003.5 10 a.txt\n1714788004.5 11 ${ARCHIVE}\n`, '\n');
    expect(malformed).toEqual([]);
    expect(files).toEqual([
      { mtime: 1714788003, size: 10, path: 'a.txt' },
      { mtime: 1714788004, size: 11, path: ARCHIVE },
    ]);
  });

  it('tells the format by the recorded command', () => {
    expect(listingSeparator(listingCommand('/srv/dump', 1).command)).toBe('\0');
    expect(
      listingSeparator(
        "[ -d '/srv/dump' ] || exit 10; find -H '/srv/dump' -mindepth 1 -maxdepth 1 -type f -printf '%T@ %s %P\\n'",
      ),
    ).toBe('\n');
  });
});

import { describe, expect, it } from 'vitest';
import { parseListing } from './listing.js';

describe('parseListing', () => {
  it('reads mtime (floored), size and a path that may contain spaces', () => {
    const text = [
      '1714788003.9876543210 4096 vzdump-qemu-100-2024_05_04-02_00_03.vma.zst',
      '1714788004 0 sub dir/file with  two spaces.txt',
      '1714788005. 12  leading space.txt',
      '',
    ].join('\n');
    expect(parseListing(text)).toEqual({
      files: [
        { mtime: 1714788003, size: 4096, path: 'vzdump-qemu-100-2024_05_04-02_00_03.vma.zst' },
        { mtime: 1714788004, size: 0, path: 'sub dir/file with  two spaces.txt' },
        { mtime: 1714788005, size: 12, path: ' leading space.txt' },
      ],
      warnings: [],
    });
  });

  it('reads empty output as no files', () => {
    expect(parseListing('')).toEqual({ files: [], warnings: [] });
  });

  it('warns about lines that do not parse, naming the line number, and skips them', () => {
    const text = '1714788003.5 10 a.txt\nfind: ‘x’: Permission denied\n\n1714788003.5 x b.txt\n1714788006 20 c.txt\n';
    const { files, warnings } = parseListing(text);
    expect(files.map((f) => f.path)).toEqual(['a.txt', 'c.txt']);
    expect(warnings).toEqual([
      'line 2: not a listing line, ignored: find: ‘x’: Permission denied',
      'line 3: not a listing line, ignored: ',
      'line 4: not a listing line, ignored: 1714788003.5 x b.txt',
    ]);
  });
});

import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import type { FileEntry } from '../model.js';
import { ListingIndex, literalPrefix } from './glob-index.js';

// The index must give exactly what testing every file in listing order gives.
const matcher = (glob: string) => picomatch(glob, { dot: false, nobrace: true, noextglob: true });
const brute = (glob: string, files: FileEntry[]) => files.filter((f) => matcher(glob)(f.path));

const GLOBS = [
  'vzdump-qemu-101-*.vma.zst',
  'vzdump-qemu-10-*',
  'vzdump-lxc-1?1-*.tar.*',
  'vzdump-*',
  '*',
  '*.log',
  '*/db.sql.gz',
  '2026-*/db.sql.gz',
  '!a*',
  './vzdump-qemu-101-*',
  '.hidden*',
  'a.b*',
  'a\\*b',
  '[ab]*',
  'a[.]*',
  'a{b,c}*',
  '@(a|b)*',
  'a+(b)*',
  'x/y*',
  'app-1.tar.zst',
  'app-*.tar.zst',
  'A*',
  'é*',
  '-x*',
  '_*',
];
const NAMES = [
  'vzdump-qemu-101-2026_01_01-02_00_00.vma.zst',
  'vzdump-qemu-1010-2026_01_01-02_00_00.vma.zst',
  'vzdump-qemu-101-2026_01_01-02_00_00.log',
  'vzdump-qemu-10-x',
  'vzdump-lxc-101-2026_01_01-02_00_00.tar.zst',
  'vzdump-lxc-111-a.tar.gz',
  '2026-03-04/db.sql.gz',
  '2026-03-03/db.sql.gz',
  '.hidden/db.sql.gz',
  '.hidden',
  'a.b',
  'a.bc',
  'a*b',
  'a\\b',
  'ab',
  'b',
  'ac',
  'a{b,c}',
  'a',
  'x/y',
  'x/yz',
  './vzdump-qemu-101-x',
  'app-1.tar.zst',
  'app-2.tar.zst',
  'A',
  'Ab',
  'é',
  'éa',
  '-x',
  '_y',
  ' space',
  '',
  'x//y',
];

describe('glob-index', () => {
  it('literal prefixes stop before anything picomatch may read as syntax', () => {
    expect(literalPrefix('vzdump-qemu-101-*.vma.zst')).toBe('vzdump-qemu-101-');
    expect(literalPrefix('app-1.tar.zst')).toBe('app-1.tar.zst');
    expect(literalPrefix('*/db.sql.gz')).toBe('');
    expect(literalPrefix('./x*')).toBe('');
    expect(literalPrefix('!a*')).toBe('');
    expect(literalPrefix('a\\*b')).toBe('a');
    expect(literalPrefix('x/y*')).toBe('x');
  });

  it('matches exactly what testing every file in order matches, in listing order', () => {
    // Shuffled listings with repeated paths and mtimes, so order and ties are checked too.
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 20; round++) {
      const files: FileEntry[] = Array.from({ length: 60 }, (_, i) => ({
        path: NAMES[Math.floor(random() * NAMES.length)]!,
        mtime: Math.floor(random() * 5),
        size: i,
      }));
      const index = new ListingIndex(files);
      for (const glob of GLOBS)
        expect(index.matching(glob, matcher(glob)), `${glob} in round ${round}`).toEqual(brute(glob, files));
      for (const prefix of ['vzdump-qemu-101-', 'vzdump-', 'a', '.h', './', '', 'é', 'zzz']) {
        expect(index.startingWith(prefix)).toEqual(files.filter((f) => f.path.startsWith(prefix)));
      }
    }
  });

  it('gives the same answer when the same listing is asked again (the index is reused)', () => {
    const files: FileEntry[] = NAMES.map((path, i) => ({ path, mtime: i, size: i }));
    const index = new ListingIndex(files);
    const first = index.matching('vzdump-qemu-101-*', matcher('vzdump-qemu-101-*'));
    expect(index.matching('vzdump-qemu-101-*', matcher('vzdump-qemu-101-*'))).toEqual(first);
    expect(first.map((f) => f.path)).toEqual([
      'vzdump-qemu-101-2026_01_01-02_00_00.vma.zst',
      'vzdump-qemu-101-2026_01_01-02_00_00.log',
    ]);
  });
});

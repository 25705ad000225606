// markBackups against PVE's own prune_mark_backup_group, run in Perl on 400 random histories in four
// zones (lib/pve/testdata/README.md says how prune-oracle-cases.json was made).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { markBackups, type PrunePolicy } from './prune.js';

const data = JSON.parse(readFileSync(new URL('./testdata/prune-oracle-cases.json', import.meta.url), 'utf8')) as {
  source: string;
  cases: [string, Record<string, number>, [string, 0 | 1, string][]][];
};

describe(`prune marks agree with ${data.source}`, () => {
  it('has the cases', () => expect(data.cases.length).toBe(400));
  data.cases.forEach(([zone, keep, entries], i) => {
    it(`case ${i} (${zone}, ${JSON.stringify(keep)}, ${entries.length} backups)`, () => {
      const items = entries.map(([stamp, prot]) => ({
        name: `vzdump-qemu-100-${stamp}.vma.zst`,
        ctime: 0,
        protected: prot === 1,
      }));
      const got = markBackups(items, keep as PrunePolicy, zone, 'qemu').map((b) => b.mark);
      expect(got).toEqual(entries.map((e) => e[2]));
    });
  });
});

// Proxmox's own tests of retention, ported case by case:
// - pve-storage (0c56bad) src/test/prune_backups_test.pm: Plugin::prune_backups (dry run) with
//   prune_mark_backup_group, run under TZ=UTC (src/test/run_plugin_tests.pl);
// - pve-manager (14a22df) test/vzdump_new_test.pl, the retention cases: which policy VZDump->new
//   applies (CLI/job, storage.cfg, /etc/vzdump.conf) and `remove`; and the `maxfiles` cases that
//   pve-manager 9b193c4a dropped with maxfiles (their expectations hold on PVE ≤ 8, taken from 9b193c4a^).

import { describe, expect, it } from 'vitest';
import {
  effectivePolicy,
  markBackups,
  parsePruneBackups,
  parseVzdumpConf,
  type BackupItem,
  type PrunePolicy,
} from './prune.js';

const storeid = 'BackTest123';
const vmids = [1234, 9001];
const basetime = 1577881101; // 2020_01_01-12_18_21 UTC

type Item = BackupItem & { vmid?: number };

function defaultList(): Item[] {
  return vmids.flatMap((vmid) => [
    {
      name: `${storeid}:backup/vzdump-qemu-${vmid}-2018_05_26-11_18_21.tar.zst`,
      ctime: basetime - 585 * 86400 - 3600,
      vmid,
      protected: false,
    },
    {
      name: `${storeid}:backup/vzdump-qemu-${vmid}-2019_12_31-11_18_21.tar.zst`,
      ctime: basetime - 86400 - 3600,
      vmid,
      protected: false,
    },
    {
      name: `${storeid}:backup/vzdump-qemu-${vmid}-2019_12_31-11_18_51.tar.zst`,
      ctime: basetime - 86400 - 3600 + 30,
      vmid,
      protected: true,
    },
    {
      name: `${storeid}:backup/vzdump-qemu-${vmid}-2019_12_31-11_19_21.tar.zst`,
      ctime: basetime - 86400 - 3600 + 60,
      vmid,
      protected: false,
    },
    {
      name: `${storeid}:backup/vzdump-qemu-${vmid}-2020_01_01-11_18_21.tar.zst`,
      ctime: basetime - 3600,
      vmid,
      protected: false,
    },
    {
      name: `${storeid}:backup/vzdump-qemu-${vmid}-2020_01_01-12_18_21.tar.zst`,
      ctime: basetime,
      vmid,
      protected: false,
    },
    {
      name: `${storeid}:backup/vzdump-lxc-${vmid}-2020_01_01-12_18_21.tar.zst`,
      ctime: basetime,
      vmid,
      protected: false,
    },
    { name: `${storeid}:backup/vzdump-${vmid}-renamed.tar.zst`, ctime: 1234, vmid, protected: false },
  ]);
}

const lists: Record<string, Item[]> = {
  default: defaultList(),
  year1970: [
    { name: `${storeid}:backup/vzdump-lxc-321-1970_01_01-00_01_23.tar.zst`, ctime: 83, vmid: 321, protected: false },
    {
      name: `${storeid}:backup/vzdump-lxc-321-2070_01_01-00_01_00.tar.zst`,
      ctime: 86400 * (365 * 100 + 25) + 60,
      vmid: 321,
      protected: false,
    },
  ],
  novmid: [{ name: `${storeid}:backup/vzdump-lxc-novmid.tar.gz`, ctime: 1234, protected: false }],
  threeway: [
    {
      name: `${storeid}:backup/vzdump-qemu-7654-2019_12_25-12_18_21.tar.zst`,
      ctime: basetime - 7 * 86400,
      vmid: 7654,
      protected: false,
    },
    {
      name: `${storeid}:backup/vzdump-qemu-7654-2019_12_31-12_18_21.tar.zst`,
      ctime: basetime - 86400,
      vmid: 7654,
      protected: false,
    },
    {
      name: `${storeid}:backup/vzdump-qemu-7654-2020_01_01-12_18_21.tar.zst`,
      ctime: basetime,
      vmid: 7654,
      protected: false,
    },
  ],
  weekboundary: [
    {
      name: `${storeid}:backup/vzdump-qemu-7654-2020_12_03-12_18_21.tar.zst`,
      ctime: basetime + (366 - 31 + 2) * 86400,
      vmid: 7654,
      protected: false,
    },
    {
      name: `${storeid}:backup/vzdump-qemu-7654-2020_12_04-12_18_21.tar.zst`,
      ctime: basetime + (366 - 31 + 3) * 86400,
      vmid: 7654,
      protected: false,
    },
    {
      name: `${storeid}:backup/vzdump-qemu-7654-2020_12_07-12_18_21.tar.zst`,
      ctime: basetime + (366 - 31 + 6) * 86400,
      vmid: 7654,
      protected: false,
    },
  ],
};

/** generate_expected: the marks of the default list, `null` where the test expects the entry absent. */
function generateExpected(ids: number[], type: 'qemu' | 'lxc' | undefined, marks: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const vmid of ids) {
    if (type === undefined || type === 'qemu') {
      out[`${storeid}:backup/vzdump-qemu-${vmid}-2018_05_26-11_18_21.tar.zst`] = marks[0]!;
      out[`${storeid}:backup/vzdump-qemu-${vmid}-2019_12_31-11_18_21.tar.zst`] = marks[1]!;
      out[`${storeid}:backup/vzdump-qemu-${vmid}-2019_12_31-11_18_51.tar.zst`] = 'protected';
      out[`${storeid}:backup/vzdump-qemu-${vmid}-2019_12_31-11_19_21.tar.zst`] = marks[2]!;
      out[`${storeid}:backup/vzdump-qemu-${vmid}-2020_01_01-11_18_21.tar.zst`] = marks[3]!;
      out[`${storeid}:backup/vzdump-qemu-${vmid}-2020_01_01-12_18_21.tar.zst`] = marks[4]!;
    }
    if (type === undefined || type === 'lxc')
      out[`${storeid}:backup/vzdump-lxc-${vmid}-2020_01_01-12_18_21.tar.zst`] = marks[5]!;
    if (type === undefined) out[`${storeid}:backup/vzdump-${vmid}-renamed.tar.zst`] = 'renamed';
  }
  return out;
}

interface Case {
  description: string;
  vmid?: number;
  type?: 'qemu' | 'lxc';
  keep: Record<string, number>;
  list?: string;
  expected: Record<string, string>;
}

const tests: Case[] = [
  {
    description: 'last=3, multiple IDs',
    keep: { 'keep-last': 3 },
    expected: generateExpected(vmids, undefined, ['remove', 'remove', 'keep', 'keep', 'keep', 'keep']),
  },
  {
    description: 'weekly=2, one ID',
    vmid: vmids[0],
    keep: { 'keep-weekly': 2 },
    expected: generateExpected([vmids[0]!], undefined, ['keep', 'remove', 'remove', 'remove', 'keep', 'keep']),
  },
  {
    description: 'daily=weekly=monthly=1, multiple IDs',
    keep: { 'keep-hourly': 0, 'keep-daily': 1, 'keep-weekly': 1, 'keep-monthly': 1 },
    expected: generateExpected(vmids, undefined, ['keep', 'remove', 'keep', 'remove', 'keep', 'keep']),
  },
  {
    description: 'hourly=4, one ID',
    vmid: vmids[0],
    keep: { 'keep-hourly': 4, 'keep-daily': 0 },
    expected: generateExpected([vmids[0]!], undefined, ['keep', 'remove', 'keep', 'keep', 'keep', 'keep']),
  },
  {
    description: 'yearly=2, multiple IDs',
    keep: { 'keep-hourly': 0, 'keep-daily': 0, 'keep-weekly': 0, 'keep-monthly': 0, 'keep-yearly': 2 },
    expected: generateExpected(vmids, undefined, ['remove', 'remove', 'keep', 'remove', 'keep', 'keep']),
  },
  {
    description: 'last=2,hourly=2 one ID',
    vmid: vmids[0],
    keep: { 'keep-last': 2, 'keep-hourly': 2 },
    expected: generateExpected([vmids[0]!], undefined, ['keep', 'remove', 'keep', 'keep', 'keep', 'keep']),
  },
  {
    description: 'last=1,monthly=2, multiple IDs',
    keep: { 'keep-last': 1, 'keep-monthly': 2 },
    expected: generateExpected(vmids, undefined, ['keep', 'remove', 'keep', 'remove', 'keep', 'keep']),
  },
  {
    description: 'monthly=3, one ID',
    vmid: vmids[0],
    keep: { 'keep-monthly': 3 },
    expected: generateExpected([vmids[0]!], undefined, ['keep', 'remove', 'keep', 'remove', 'keep', 'keep']),
  },
  {
    description: 'last=daily=weekly=1, multiple IDs',
    keep: { 'keep-last': 1, 'keep-daily': 1, 'keep-weekly': 1 },
    expected: generateExpected(vmids, undefined, ['keep', 'remove', 'keep', 'remove', 'keep', 'keep']),
  },
  {
    description: 'last=daily=weekly=1, others zero, multiple IDs',
    keep: { 'keep-hourly': 0, 'keep-last': 1, 'keep-daily': 1, 'keep-weekly': 1, 'keep-monthly': 0, 'keep-yearly': 0 },
    expected: generateExpected(vmids, undefined, ['keep', 'remove', 'keep', 'remove', 'keep', 'keep']),
  },
  {
    description: 'daily=2, one ID',
    vmid: vmids[0],
    keep: { 'keep-daily': 2 },
    expected: generateExpected([vmids[0]!], undefined, ['remove', 'remove', 'keep', 'remove', 'keep', 'keep']),
  },
  {
    description: 'weekly=monthly=1, multiple IDs',
    keep: { 'keep-weekly': 1, 'keep-monthly': 1 },
    expected: generateExpected(vmids, undefined, ['keep', 'remove', 'remove', 'remove', 'keep', 'keep']),
  },
  {
    description: 'weekly=yearly=1, one ID',
    vmid: vmids[0],
    keep: { 'keep-weekly': 1, 'keep-yearly': 1 },
    expected: generateExpected([vmids[0]!], undefined, ['keep', 'remove', 'remove', 'remove', 'keep', 'keep']),
  },
  {
    description: 'weekly=yearly=1, one ID, type qemu',
    vmid: vmids[0],
    type: 'qemu',
    keep: { 'keep-weekly': 1, 'keep-yearly': 1 },
    expected: generateExpected([vmids[0]!], 'qemu', ['keep', 'remove', 'remove', 'remove', 'keep', '']),
  },
  {
    description: 'week=yearly=1, one ID, type lxc',
    vmid: vmids[0],
    type: 'lxc',
    keep: { 'keep-last': 1 },
    expected: generateExpected([vmids[0]!], 'lxc', ['', '', '', '', '', 'keep']),
  },
  {
    description: 'yearly=1, year before 2000',
    keep: { 'keep-yearly': 1 },
    list: 'year1970',
    expected: {
      [`${storeid}:backup/vzdump-lxc-321-1970_01_01-00_01_23.tar.zst`]: 'remove',
      [`${storeid}:backup/vzdump-lxc-321-2070_01_01-00_01_00.tar.zst`]: 'keep',
    },
  },
  {
    description: 'last=1, ne ID, year before 2000',
    keep: { 'keep-last': 1 },
    list: 'novmid',
    expected: { [`${storeid}:backup/vzdump-lxc-novmid.tar.gz`]: 'renamed' },
  },
  {
    description: 'all missing, multiple IDs',
    keep: {},
    expected: generateExpected(vmids, undefined, ['keep', 'keep', 'keep', 'keep', 'keep', 'keep']),
  },
  {
    description: 'all zero, multiple IDs',
    keep: { 'keep-last': 0, 'keep-hourly': 0, 'keep-daily': 0, 'keep-weekly': 0, 'keep-monthyl': 0, 'keep-yearly': 0 },
    expected: generateExpected(vmids, undefined, ['keep', 'keep', 'keep', 'keep', 'keep', 'keep']),
  },
  {
    description: 'some zero, some missing, multiple IDs',
    keep: { 'keep-last': 0, 'keep-hourly': 0, 'keep-daily': 0, 'keep-monthyl': 0, 'keep-yearly': 0 },
    expected: generateExpected(vmids, undefined, ['keep', 'keep', 'keep', 'keep', 'keep', 'keep']),
  },
  {
    description: 'daily=weekly=monthly=1',
    keep: { 'keep-daily': 1, 'keep-weekly': 1, 'keep-monthly': 1 },
    list: 'threeway',
    expected: {
      [`${storeid}:backup/vzdump-qemu-7654-2019_12_25-12_18_21.tar.zst`]: 'keep',
      [`${storeid}:backup/vzdump-qemu-7654-2019_12_31-12_18_21.tar.zst`]: 'remove', // month is already covered by the backup kept by keep-weekly!
      [`${storeid}:backup/vzdump-qemu-7654-2020_01_01-12_18_21.tar.zst`]: 'keep',
    },
  },
  {
    description: 'daily=weekly=1,weekboundary',
    keep: { 'keep-daily': 1, 'keep-weekly': 1 },
    list: 'weekboundary',
    expected: {
      [`${storeid}:backup/vzdump-qemu-7654-2020_12_03-12_18_21.tar.zst`]: 'remove',
      [`${storeid}:backup/vzdump-qemu-7654-2020_12_04-12_18_21.tar.zst`]: 'keep',
      [`${storeid}:backup/vzdump-qemu-7654-2020_12_07-12_18_21.tar.zst`]: 'keep',
    },
  },
];

describe('pve-storage test/prune_backups_test.pm', () => {
  for (const tt of tests) {
    it(tt.description, () => {
      const list = lists[tt.list ?? 'default']!.filter((b) => tt.vmid === undefined || b.vmid === tt.vmid);
      const got = markBackups(list, tt.keep as PrunePolicy, 'UTC', tt.type);
      const expected = Object.fromEntries(Object.entries(tt.expected).filter(([, mark]) => mark !== ''));
      expect(Object.fromEntries(got.map((b) => [b.name, b.mark]))).toEqual(expected);
      // ctime of a standard name is its stamp read in the zone (archive_info), so it equals the mocked one here.
      for (const b of got) if (b.mark !== 'renamed') expect(b.ctime).toBe(list.find((i) => i.name === b.name)!.ctime);
    });
  }
});

// vzdump_new_test.pl: storage 'local' (dir) and vmid 100 fixed; cli_param is the job's (or the CLI's)
// options. Expected: the policy and `remove`, or the error; a pve major of 9 unless a case says 8.
interface NewCase {
  description: string;
  cli?: Record<string, string>;
  storage?: Record<string, string>;
  vzdump?: Record<string, string>;
  major?: number;
  expected: { policy: PrunePolicy; remove: 0 | 1 } | string;
}

const newTests: NewCase[] = [
  { description: 'no params', expected: { policy: { 'keep-all': 1 }, remove: 0 } },
  {
    description: 'prune-backups vzdump 1',
    vzdump: { 'prune-backups': 'keep-last=1,keep-hourly=2,keep-daily=3,keep-weekly=4,keep-monthly=5,keep-yearly=6' },
    expected: {
      policy: {
        'keep-last': 1,
        'keep-hourly': 2,
        'keep-daily': 3,
        'keep-weekly': 4,
        'keep-monthly': 5,
        'keep-yearly': 6,
      },
      remove: 1,
    },
  },
  {
    description: 'prune-backups vzdump 2',
    vzdump: { 'prune-backups': 'keep-all=1' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'prune-backups vzdump 3',
    vzdump: { 'prune-backups': 'keep-hourly=0,keep-monthly=0,keep-yearly=0' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'prune-backups storage 1',
    storage: { 'prune-backups': 'keep-last=1,keep-hourly=2,keep-daily=3,keep-weekly=4,keep-monthly=5,keep-yearly=6' },
    expected: {
      policy: {
        'keep-last': 1,
        'keep-hourly': 2,
        'keep-daily': 3,
        'keep-weekly': 4,
        'keep-monthly': 5,
        'keep-yearly': 6,
      },
      remove: 1,
    },
  },
  {
    description: 'prune-backups storage 2',
    storage: { 'prune-backups': 'keep-last=0,keep-hourly=0,keep-daily=0,keep-weekly=0,keep-monthly=0,keep-yearly=0' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'prune-backups storage 3',
    storage: { 'prune-backups': 'keep-hourly=0,keep-monthly=0,keep-yearly=0' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'prune-backups CLI 1',
    cli: { 'prune-backups': 'keep-last=1,keep-hourly=2,keep-daily=3,keep-weekly=4,keep-monthly=5,keep-yearly=6' },
    expected: {
      policy: {
        'keep-last': 1,
        'keep-hourly': 2,
        'keep-daily': 3,
        'keep-weekly': 4,
        'keep-monthly': 5,
        'keep-yearly': 6,
      },
      remove: 1,
    },
  },
  {
    description: 'prune-backups CLI 2',
    cli: { 'prune-backups': 'keep-last=0,keep-hourly=0,keep-daily=0,keep-weekly=0,keep-monthly=0,keep-yearly=0' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'prune-backups CLI 3',
    cli: { 'prune-backups': 'foo=bar' },
    expected:
      'format error: foo: property is not defined in schema and the schema does not allow additional properties',
  },
  {
    description: 'mixed 1',
    vzdump: { 'prune-backups': 'keep-last=7' },
    storage: { 'prune-backups': 'keep-hourly=24' },
    expected: { policy: { 'keep-hourly': 24 }, remove: 1 },
  },
  {
    description: 'mixed 2',
    vzdump: { 'prune-backups': 'keep-last=7' },
    storage: { 'prune-backups': 'keephourly=24' },
    expected: { policy: { 'keep-last': 7 }, remove: 1 },
  },
  {
    description: 'mixed 3',
    vzdump: { 'prune-backups': 'keep-last=7' },
    cli: { 'prune-backups': 'keep-all=1' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'mixed 4',
    vzdump: { 'prune-backups': 'keep-last=7' },
    storage: { 'prune-backups': 'keep-all=0,keep-last=10' },
    cli: { 'prune-backups': 'keep-all=1' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'mixed 5',
    vzdump: { 'prune-backups': 'keep-last=7' },
    storage: { 'prune-backups': 'keep-all=0,keep-last=10' },
    expected: { policy: { 'keep-last': 10 }, remove: 1 },
  },
  {
    description: 'mixed 6',
    storage: { 'prune-backups': 'keep-last=10' },
    cli: { 'prune-backups': 'keep-all=1' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'mixed 7',
    storage: { 'prune-backups': 'keep-all=1' },
    cli: { 'prune-backups': 'keep-last=10' },
    expected: { policy: { 'keep-last': 10 }, remove: 1 },
  },
  {
    description: 'mixed 8',
    storage: { 'prune-backups': 'keep-last=10' },
    vzdump: { 'prune-backups': 'keep-all=1' },
    expected: { policy: { 'keep-last': 10 }, remove: 1 },
  },
  {
    description: 'mixed 9',
    vzdump: { 'prune-backups': 'keep-last=10' },
    cli: { 'prune-backups': 'keep-all=1' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  // Dropped by 9b193c4a with maxfiles; PVE 8 (9b193c4a^).
  {
    description: 'maxfiles vzdump 1',
    major: 8,
    vzdump: { maxfiles: '0' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'maxfiles vzdump 2',
    major: 8,
    vzdump: { maxfiles: '7' },
    expected: { policy: { 'keep-last': 7 }, remove: 1 },
  },
  {
    description: 'maxfiles storage 1',
    major: 8,
    storage: { maxfiles: '0' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'maxfiles storage 2',
    major: 8,
    storage: { maxfiles: '7' },
    expected: { policy: { 'keep-last': 7 }, remove: 1 },
  },
  {
    description: 'maxfiles CLI 1',
    major: 8,
    cli: { maxfiles: '0' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'maxfiles CLI 2',
    major: 8,
    cli: { maxfiles: '7' },
    expected: { policy: { 'keep-last': 7 }, remove: 1 },
  },
  {
    description: 'both vzdump 1',
    major: 8,
    vzdump: { 'prune-backups': 'keep-all=1', maxfiles: '7' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'both storage 1',
    major: 8,
    storage: { 'prune-backups': 'keep-hourly=1,keep-monthly=2,keep-yearly=3', maxfiles: '0' },
    expected: { policy: { 'keep-hourly': 1, 'keep-monthly': 2, 'keep-yearly': 3 }, remove: 1 },
  },
  {
    description: 'mixed 1 (PVE 8: maxfiles)',
    major: 8,
    vzdump: { maxfiles: '7' },
    storage: { 'prune-backups': 'keep-hourly=24' },
    expected: { policy: { 'keep-hourly': 24 }, remove: 1 },
  },
  {
    description: 'mixed 2 (PVE 8: maxfiles)',
    major: 8,
    vzdump: { maxfiles: '7' },
    storage: { 'prune-backups': 'keephourly=24' },
    expected: { policy: { 'keep-last': 7 }, remove: 1 },
  },
  {
    description: 'mixed 5 (PVE 8: maxfiles)',
    major: 8,
    vzdump: { maxfiles: '7' },
    storage: { 'prune-backups': 'keep-all=0,keep-last=10' },
    expected: { policy: { 'keep-last': 10 }, remove: 1 },
  },
  // PVE 9 ignores maxfiles at every level.
  {
    description: 'maxfiles vzdump 2 on PVE 9',
    vzdump: { maxfiles: '7' },
    expected: { policy: { 'keep-all': 1 }, remove: 0 },
  },
  {
    description: 'maxfiles storage 2 on PVE 9',
    storage: { maxfiles: '7' },
    vzdump: { 'prune-backups': 'keep-last=2' },
    expected: { policy: { 'keep-last': 2 }, remove: 1 },
  },
];

describe('pve-manager test/vzdump_new_test.pl (retention)', () => {
  for (const tt of newTests) {
    it(tt.description, () => {
      const major = tt.major ?? 9;
      if (typeof tt.expected === 'string') {
        // The CLI's value fails verification; a job's is dropped by SectionConfig instead (D19.job-valid).
        const parsed = parsePruneBackups(tt.cli!['prune-backups']!);
        expect(parsed).toEqual({ error: tt.expected });
        return;
      }
      const vzdumpText = Object.entries(tt.vzdump ?? {})
        .map(([k, v]) => `${k}: ${v}\n`)
        .join('');
      const got = effectivePolicy({
        job: { pruneBackups: tt.cli?.['prune-backups'] ?? null, maxfiles: tt.cli?.maxfiles ?? null, remove: null },
        storage: { pruneBackups: tt.storage?.['prune-backups'] ?? null, maxfiles: tt.storage?.maxfiles ?? null },
        vzdumpConf: parseVzdumpConf(vzdumpText, major),
        major,
      });
      expect({ policy: got.policy, remove: got.remove ? 1 : 0 }).toEqual(tt.expected);
    });
  }
});

import { describe, expect, it } from 'vitest';
import type { Guest, VzdumpJob } from '../model.js';
import { parseJobsCfg, selectGuests } from './jobs-cfg.js';

// Verbatim from platform.md 1.1 (GUI-written, tab-indented).
const GUI_FILE = `vzdump: backup-07cdf241-8b56
	schedule 02:00
	all 1
	compress zstd
	enabled 1
	exclude 105,110
	fleecing 0
	mode snapshot
	notes-template {{guestname}}
	notification-mode notification-system
	prune-backups keep-daily=7,keep-last=3,keep-weekly=4
	repeat-missed 0
	storage pbs1

vzdump: backup-ba8f29ba-973c
	schedule sat 03:30
	enabled 0
	mailnotification failure
	mailto admin@example.com,ops@example.com
	mode stop
	node pve2
	notification-mode legacy-sendmail
	storage local
	vmid 200,201
`;

function guest(vmid: number, node: string, extra: Partial<Guest> = {}): Guest {
  return { vmid, type: 'qemu', node, name: null, status: 'running', template: false, pool: null, ...extra };
}

const GUESTS: Guest[] = [
  guest(100, 'pve1'),
  guest(101, 'pve1'),
  guest(105, 'pve2'),
  guest(110, 'pve2', { type: 'lxc' }),
  guest(112, 'pve2', { template: true }),
  guest(200, 'pve2'),
];
const POOLS: Record<string, number[]> = { prod: [100, 105, 112, 999], empty: [] };

/** Parse a single job section written with a tab indent. */
function job(...lines: string[]): VzdumpJob {
  const { jobs, warnings } = parseJobsCfg(['vzdump: j', ...lines.map((l) => `\t${l}`)].join('\n'));
  expect(warnings).toEqual([]);
  expect(jobs).toHaveLength(1);
  return jobs[0] as VzdumpJob;
}

describe('parseJobsCfg', () => {
  it('parses the GUI-written example from platform.md', () => {
    const { jobs, warnings } = parseJobsCfg(GUI_FILE);
    expect(warnings).toEqual([]);
    expect(jobs).toHaveLength(2);
    const [first, second] = jobs;
    expect(first).toEqual({
      id: 'backup-07cdf241-8b56',
      line: 1,
      enabled: true,
      schedule: '02:00',
      vmids: null,
      all: true,
      exclude: [105, 110],
      pool: null,
      node: null,
      storage: 'pbs1',
      options: {
        schedule: '02:00',
        all: '1',
        compress: 'zstd',
        enabled: '1',
        exclude: '105,110',
        fleecing: '0',
        mode: 'snapshot',
        'notes-template': '{{guestname}}',
        'notification-mode': 'notification-system',
        'prune-backups': 'keep-daily=7,keep-last=3,keep-weekly=4',
        'repeat-missed': '0',
        storage: 'pbs1',
      },
    });
    expect(second).toMatchObject({
      id: 'backup-ba8f29ba-973c',
      line: 15,
      enabled: false,
      schedule: 'sat 03:30',
      vmids: [200, 201],
      all: false,
      exclude: [],
      node: 'pve2',
      storage: 'local',
    });
    expect(second?.options.mailto).toBe('admin@example.com,ops@example.com');
  });

  it('defaults enabled to true', () => {
    expect(job('vmid 100').enabled).toBe(true);
  });

  it('keeps a disabled job, with enabled=false', () => {
    expect(job('enabled 0', 'vmid 100')).toMatchObject({ enabled: false, vmids: [100] });
  });

  it('reads a bare boolean key as 1', () => {
    expect(job('all').all).toBe(true);
  });

  it('warns about a non-0/1 boolean and applies the default', () => {
    const { jobs, warnings } = parseJobsCfg('vzdump: j\n\tenabled no\n\tall yes\n');
    expect(jobs[0]).toMatchObject({ enabled: true, all: false });
    expect(warnings).toEqual([
      "line 1: job 'j': 'enabled' must be 0 or 1, got 'no'; using the default 1",
      "line 1: job 'j': 'all' must be 0 or 1, got 'yes'; using the default 0",
    ]);
  });

  it('splits vmid lists on , ; and whitespace, dropping leading zeros and 0', () => {
    expect(job('vmid 0100; 101 102,,0,101').vmids).toEqual([100, 101, 102]);
  });

  it('warns about and skips non-numeric VMIDs', () => {
    const { jobs, warnings } = parseJobsCfg('vzdump: j\n\tvmid 100,web1\n');
    expect(jobs[0]?.vmids).toEqual([100]);
    expect(warnings).toEqual(["line 1: job 'j': 'vmid' entry 'web1' is not a VMID, ignored"]);
  });

  it('lets exclude imply all when no pool is set', () => {
    expect(job('exclude 105')).toMatchObject({ all: true, exclude: [105], vmids: null });
  });

  it('does not let exclude imply all when a pool is set', () => {
    expect(job('pool prod', 'exclude 105')).toMatchObject({ all: false, pool: 'prod', exclude: [105] });
  });

  it('skips realm-sync and other job types without a warning', () => {
    const text = 'realm-sync: sync-ldap\n\tschedule daily\n\trealm ldap\n\nvzdump: j\n\tall 1\n';
    const { jobs, warnings } = parseJobsCfg(text);
    expect(warnings).toEqual([]);
    expect(jobs.map((j) => [j.id, j.line])).toEqual([['j', 5]]);
  });

  it('skips comment lines', () => {
    const { jobs, warnings } = parseJobsCfg('# jobs\nvzdump: j\n#\tvmid 100\n\tall 1\n');
    expect(warnings).toEqual([]);
    expect(jobs[0]).toMatchObject({ line: 2, all: true, vmids: null });
  });

  it('parses hand-edited files indented with spaces', () => {
    const { jobs, warnings } = parseJobsCfg('vzdump: j\n    schedule sun 01:00\n        vmid 100\n    storage  nas \n');
    expect(warnings).toEqual([]);
    expect(jobs[0]).toMatchObject({ schedule: 'sun 01:00', vmids: [100], storage: 'nas' });
  });

  it('warns about a duplicate key and keeps the first value', () => {
    const { jobs, warnings } = parseJobsCfg('vzdump: j\n\tstorage local\n\tstorage pbs1\n\tall 1\n');
    expect(jobs[0]?.storage).toBe('local');
    expect(jobs[0]?.options.storage).toBe('local');
    expect(warnings).toEqual(["line 3: duplicate key 'storage' in section 'j', line ignored"]);
  });

  it('URI-decodes the comment in options', () => {
    const j = job('comment Nightly%3A all guests %25 100%C3%A4', 'all 1');
    expect(j.options.comment).toBe('Nightly: all guests % 100ä');
  });

  it('leaves a job without vmid, all, exclude or pool selecting nothing', () => {
    expect(job('schedule 02:00', 'storage local')).toMatchObject({ vmids: null, all: false, exclude: [], pool: null });
  });

  it('reads absent string keys as null', () => {
    expect(job('all 1')).toMatchObject({ schedule: null, pool: null, node: null, storage: null });
  });
});

describe('selectGuests', () => {
  it('vmid: exactly the listed ids, including ones that no longer exist', () => {
    expect(selectGuests(job('vmid 101,999,100'), GUESTS, POOLS)).toEqual([100, 101, 999]);
  });

  it('all: every guest, templates included', () => {
    expect(selectGuests(job('all 1'), GUESTS, POOLS)).toEqual([100, 101, 105, 110, 112, 200]);
  });

  it('all + exclude: every guest but the excluded ones', () => {
    expect(selectGuests(job('all 1', 'exclude 105,110'), GUESTS, POOLS)).toEqual([100, 101, 112, 200]);
  });

  it('exclude alone implies all', () => {
    expect(selectGuests(job('exclude 200'), GUESTS, POOLS)).toEqual([100, 101, 105, 110, 112]);
  });

  it('pool: existing members of that pool only', () => {
    expect(selectGuests(job('pool prod'), GUESTS, POOLS)).toEqual([100, 105, 112]);
  });

  it('pool + exclude: exclude is not applied', () => {
    expect(selectGuests(job('pool prod', 'exclude 105'), GUESTS, POOLS)).toEqual([100, 105, 112]);
  });

  it('pool that is empty or unknown: nothing', () => {
    expect(selectGuests(job('pool empty'), GUESTS, POOLS)).toEqual([]);
    expect(selectGuests(job('pool constructor'), GUESTS, POOLS)).toEqual([]);
  });

  it('node: drops guests hosted on other nodes but keeps unknown ids', () => {
    expect(selectGuests(job('all 1', 'node pve1'), GUESTS, POOLS)).toEqual([100, 101]);
    expect(selectGuests(job('vmid 100,105,999', 'node pve2'), GUESTS, POOLS)).toEqual([105, 999]);
    expect(selectGuests(job('pool prod', 'node pve2'), GUESTS, POOLS)).toEqual([105, 112]);
  });

  it('no selection: nothing', () => {
    expect(selectGuests(job('schedule 02:00'), GUESTS, POOLS)).toEqual([]);
  });

  it('does not filter disabled jobs', () => {
    expect(selectGuests(job('enabled 0', 'vmid 100'), GUESTS, POOLS)).toEqual([100]);
  });

  it('selects from the GUI example: all minus 105,110; vmid 200,201 on pve2', () => {
    const [first, second] = parseJobsCfg(GUI_FILE).jobs as [VzdumpJob, VzdumpJob];
    expect(selectGuests(first, GUESTS, POOLS)).toEqual([100, 101, 112, 200]);
    expect(selectGuests(second, GUESTS, POOLS)).toEqual([200, 201]);
  });
});

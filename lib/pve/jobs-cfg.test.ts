import { describe, expect, it } from 'vitest';
import type { Guest, VzdumpJob } from '../model.js';
import { parseCalendarEvent } from './calendar-event.js';
import { cronToCalendarEvent, parseJobsCfg, selectGuests } from './jobs-cfg.js';

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

/** Parse a single job section written with a tab indent (with a schedule unless the lines give one). */
function job(...lines: string[]): VzdumpJob {
  const withSchedule = lines.some((l) => l.startsWith('schedule')) ? lines : ['schedule 02:00', ...lines];
  const { jobs, warnings } = parseJobsCfg(['vzdump: j', ...withSchedule.map((l) => `\t${l}`)].join('\n'));
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
      runs: true,
      problems: [],
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
      runs: true,
      problems: [],
    });
    expect(second?.options.mailto).toBe('admin@example.com,ops@example.com');
  });

  it('defaults enabled to true', () => {
    expect(job('vmid 100').enabled).toBe(true);
  });

  it('keeps a disabled job, with enabled=false', () => {
    expect(job('enabled 0', 'vmid 100')).toMatchObject({ enabled: false, vmids: [100] });
  });

  it('reads a bare boolean key as 1 (SectionConfig check_value)', () => {
    expect(job('all').all).toBe(true);
  });

  it('drops a boolean that is not 0 or 1, so its default applies (JSONSchema check_type accepts only 0/1)', () => {
    const [j] = parseJobsCfg('vzdump: j\n\tschedule 02:00\n\tenabled no\n\tall yes\n\tvmid 100\n').jobs;
    expect(j).toMatchObject({ enabled: true, all: false, vmids: [100], runs: true });
    expect(j?.problems.map((p) => [p.kind, p.key, p.line, p.reason])).toEqual([
      ['key_dropped', 'enabled', 3, "type check ('boolean') failed - got 'no'"],
      ['key_dropped', 'all', 4, "type check ('boolean') failed - got 'yes'"],
    ]);
  });

  it('splits vmid lists on , ; and whitespace', () => {
    expect(job('vmid 100; 101 102,,101').vmids).toEqual([100, 101, 102]);
  });

  // pve-vmid-list: every element must match ^[1-9][0-9]{2,8}$ (JSONSchema.pm pve_verify_vmid); one bad
  // element fails the format and SectionConfig drops the whole key.
  for (const [list, fixed] of [
    ['0100,101', 'vmid 100,101'],
    ['100,web1', 'vmid 100'],
    ['100,0', 'vmid 100'],
    ['99,100', 'vmid 100'],
    ['abc', null],
  ] as const) {
    it(`drops the whole vmid key for '${list}': the job then selects nothing and its run aborts`, () => {
      const [j] = parseJobsCfg(`vzdump: j\n\tschedule 02:00\n\tvmid ${list}\n`).jobs;
      expect(j).toMatchObject({ vmids: null, runs: false, options: { schedule: '02:00' } });
      expect(j?.problems[0]).toMatchObject({
        kind: 'key_dropped',
        key: 'vmid',
        line: 3,
        text: `vmid ${list}`,
        reason: 'invalid format - value does not look like a valid VM ID',
      });
      expect(j?.problems[0]?.fix).toContain(fixed === null ? 'delete `vmid abc`' : `with \`${fixed}\``);
      expect(j?.problems[1]).toMatchObject({
        kind: 'job_invalid',
        key: 'vmid',
        reason: expect.stringContaining('vmid: property is missing'),
      });
      expect(selectGuests(j!, GUESTS, POOLS)).toEqual([]);
    });
  }

  it('drops a bad exclude list whole: `exclude` no longer implies all, so the job selects nothing', () => {
    const [j] = parseJobsCfg('vzdump: j\n\tschedule 02:00\n\texclude 105,x\n').jobs;
    expect(j).toMatchObject({ all: false, exclude: [], runs: false });
    expect(j?.problems.map((p) => [p.kind, p.key])).toEqual([
      ['key_dropped', 'exclude'],
      ['job_invalid', 'vmid'],
    ]);
  });

  it('keeps `all 1` when a bad exclude is dropped: every guest is backed up, the excluded ones too', () => {
    const [j] = parseJobsCfg('vzdump: j\n\tschedule 02:00\n\tall 1\n\texclude 105,x\n').jobs;
    expect(j).toMatchObject({ all: true, exclude: [], runs: true });
    expect(selectGuests(j!, GUESTS, POOLS)).toEqual([100, 101, 105, 110, 112, 200]);
  });

  it('lets exclude imply all when no pool is set', () => {
    expect(job('exclude 105')).toMatchObject({ all: true, exclude: [105], vmids: null });
  });

  it('does not let exclude imply all when a pool is set', () => {
    expect(job('pool prod', 'exclude 105')).toMatchObject({ all: false, pool: 'prod', exclude: [105] });
  });

  // pve-node: one node name. A list fails the format, the key is dropped, and run_jobs (PVE/Jobs.pm)
  // then starts the job on every node ("only schedule local jobs" tests a defined node only).
  it('drops a node list: the job runs on every node', () => {
    const [j] = parseJobsCfg('vzdump: j\n\tschedule 02:00\n\tall 1\n\tnode pve1,pve2\n').jobs;
    expect(j).toMatchObject({ node: null, runs: true });
    expect(j?.problems).toEqual([
      expect.objectContaining({
        kind: 'key_dropped',
        key: 'node',
        reason: 'invalid format - value does not look like a valid node name',
      }),
    ]);
    expect(j?.problems[0]?.fix).toContain('Keep `node pve1` and copy the job for pve2');
    expect(selectGuests(j!, GUESTS, POOLS)).toEqual([100, 101, 105, 110, 112, 200]);
  });

  // schedule: format pve-calendar-event; a cron line is not one. The key is dropped, then check_config
  // finds the required `schedule` missing and PVE skips the section: the job never runs.
  it('drops a cron schedule and makes the job invalid, with the calendar event as the fix', () => {
    const [j] = parseJobsCfg('vzdump: nightly\n\tschedule 0 3 * * *\n\tall 1\n').jobs;
    expect(j).toMatchObject({ schedule: null, runs: false });
    expect(j?.problems.map((p) => [p.kind, p.key])).toEqual([
      ['key_dropped', 'schedule'],
      ['job_invalid', 'schedule'],
    ]);
    expect(j?.problems[0]?.reason).toMatch(/^invalid format - invalid calendar event '0 3 \* \* \*' - /);
    expect(j?.problems[1]?.reason).toContain("missing value for required option 'schedule'");
    expect(j?.problems[1]?.fix).toBe(
      "In /etc/pve/jobs.cfg, job nightly, line 2: replace `schedule 0 3 * * *` with `schedule 03:00` (`0 3 * * *` is cron syntax; PVE's schedules are calendar events).",
    );
    expect(selectGuests(j!, GUESTS, POOLS)).toEqual([]);
  });

  it('makes a job without a schedule invalid', () => {
    const [j] = parseJobsCfg('vzdump: j\n\tall 1\n').jobs;
    expect(j?.problems).toEqual([
      expect.objectContaining({ kind: 'job_invalid', key: 'schedule', line: 1, text: 'vzdump: j' }),
    ]);
  });

  // PVE/Jobs.pm run_jobs: `sort keys`; the skipped section's undefined schedule makes
  // parse_calendar_event die ("event is empty"), ending the run before any later job.
  it('stops every job whose id sorts after a skipped section: pvescheduler never reaches them', () => {
    const text =
      'vzdump: a-first\n\tschedule 01:00\n\tall 1\n\nvzdump: m-broken\n\tschedule 0 3 * * *\n\tall 1\n\nvzdump: z-last\n\tschedule 04:00\n\tvmid 100\n';
    const jobs = parseJobsCfg(text).jobs;
    expect(jobs.map((j) => [j.id, j.runs])).toEqual([
      ['a-first', true],
      ['m-broken', false],
      ['z-last', false],
    ]);
    expect(jobs[2]?.problems[0]?.reason).toContain("the run stops at 'm-broken'");
  });

  it('a realm-sync section with a bad schedule stops later jobs too', () => {
    const jobs = parseJobsCfg(
      'realm-sync: a-sync\n\tschedule every night\n\trealm ldap\n\nvzdump: b\n\tschedule 02:00\n\tall 1\n',
    ).jobs;
    expect(jobs.map((j) => [j.id, j.runs])).toEqual([['b', false]]);
  });

  // verify_vzdump_parameters (PVE/VZDump.pm): raise_param_exc when vmid sits beside all/exclude/pool.
  for (const other of ['all 1', 'exclude 105', 'pool prod']) {
    it(`makes vmid beside \`${other}\` abort the run: nothing is backed up`, () => {
      const [j] = parseJobsCfg(`vzdump: j\n\tschedule 02:00\n\tvmid 100\n\t${other}\n`).jobs;
      expect(j?.runs).toBe(false);
      expect(j?.problems).toEqual([
        expect.objectContaining({
          kind: 'job_invalid',
          key: 'vmid',
          line: 3,
          reason: expect.stringContaining(`${other.split(' ')[0]}: option conflicts with option 'vmid'`),
        }),
      ]);
      expect(selectGuests(j!, GUESTS, POOLS)).toEqual([]);
    });
  }

  it('`all 0` beside vmid is no conflict', () => {
    expect(job('all 0', 'vmid 100')).toMatchObject({ runs: true, vmids: [100] });
  });

  it('drops unknown keys (the removed notification-policy too) without touching coverage', () => {
    const [j] = parseJobsCfg(
      'vzdump: j\n\tschedule 02:00\n\tvmid 100\n\tnotification-policy always\n\tcolour blue\n',
    ).jobs;
    expect(j).toMatchObject({ runs: true, vmids: [100] });
    expect(j?.problems.map((p) => [p.key, p.reason])).toEqual([
      ['notification-policy', "unexpected property 'notification-policy'"],
      ['colour', "unexpected property 'colour'"],
    ]);
  });

  it('drops a repeated key and keeps the first value (duplicate attribute)', () => {
    const [j] = parseJobsCfg('vzdump: j\n\tschedule 02:00\n\tstorage local\n\tstorage pbs1\n\tall 1\n').jobs;
    expect(j?.storage).toBe('local');
    expect(j?.problems).toEqual([
      expect.objectContaining({ kind: 'key_dropped', key: 'storage', line: 4, reason: 'duplicate attribute' }),
    ]);
  });

  it('takes a repeat of a dropped key: PVE checks each line in order', () => {
    const [j] = parseJobsCfg('vzdump: j\n\tschedule 02:00\n\tvmid 0100\n\tvmid 100\n').jobs;
    expect(j).toMatchObject({ vmids: [100], runs: true });
  });

  it('drops fleecing enabled without a storage (backup-fleecing verify_backup_fleecing)', () => {
    const [j] = parseJobsCfg('vzdump: j\n\tschedule 02:00\n\tall 1\n\tfleecing 1\n').jobs;
    expect(j?.problems[0]).toMatchObject({
      key: 'fleecing',
      reason: "invalid format - 'storage' parameter is required when 'enabled' is set",
    });
    expect(job('all 1', 'fleecing enabled=1,storage=local-lvm').problems).toEqual([]);
  });

  it('drops enum and integer values PVE refuses', () => {
    const [j] = parseJobsCfg(
      'vzdump: j\n\tschedule 02:00\n\tall 1\n\tmode live\n\tionice 9\n\tnotification-mode email\n',
    ).jobs;
    expect(j?.problems.map((p) => p.key)).toEqual(['mode', 'ionice', 'notification-mode']);
  });

  it('warns about unknown section types and lines outside sections', () => {
    const { jobs, warnings } = parseJobsCfg(
      'stray line\nbackup: old\n\tall 1\n\nvzdump: j\n\tschedule 02:00\n\tall 1\n',
    );
    expect(jobs.map((j) => j.id)).toEqual(['j']);
    expect(warnings).toEqual([
      { file: 'jobs.cfg', line: 1, message: 'ignored, not a section header: stray line' },
      { file: 'jobs.cfg', line: 2, message: "section 'old' skipped: unsupported type 'backup'" },
    ]);
  });

  it('warns about a duplicate section id: the later one wins', () => {
    const { jobs, warnings } = parseJobsCfg(
      'vzdump: j\n\tschedule 02:00\n\tall 1\n\nvzdump: j\n\tschedule 03:00\n\tvmid 100\n',
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ line: 5, vmids: [100] });
    expect(warnings).toEqual([
      { file: 'jobs.cfg', line: 5, message: "section 'j' repeats the one at line 1, which is ignored" },
    ]);
  });

  it('skips realm-sync jobs without a warning', () => {
    const text = 'realm-sync: sync-ldap\n\tschedule daily\n\trealm ldap\n\nvzdump: j\n\tschedule 02:00\n\tall 1\n';
    const { jobs, warnings } = parseJobsCfg(text);
    expect(warnings).toEqual([]);
    expect(jobs.map((j) => [j.id, j.line])).toEqual([['j', 5]]);
  });

  it('skips comment lines', () => {
    const { jobs, warnings } = parseJobsCfg('# jobs\nvzdump: j\n\tschedule 02:00\n#\tvmid 100\n\tall 1\n');
    expect(warnings).toEqual([]);
    expect(jobs[0]).toMatchObject({ line: 2, all: true, vmids: null });
  });

  it('parses hand-edited files indented with spaces', () => {
    const { jobs, warnings } = parseJobsCfg('vzdump: j\n    schedule sun 01:00\n        vmid 100\n    storage  nas \n');
    expect(warnings).toEqual([]);
    expect(jobs[0]).toMatchObject({ schedule: 'sun 01:00', vmids: [100], storage: 'nas', problems: [] });
  });

  it('URI-decodes the comment in options', () => {
    const j = job('comment Nightly%3A all guests %25 100%C3%A4', 'all 1');
    expect(j.options.comment).toBe('Nightly: all guests % 100ä');
  });

  it('makes a job without vmid, all, exclude or pool invalid: the run aborts (vmid: property is missing)', () => {
    const [j] = parseJobsCfg('vzdump: j\n\tschedule 02:00\n\tstorage local\n').jobs;
    expect(j).toMatchObject({ vmids: null, all: false, exclude: [], pool: null, runs: false });
  });

  it('reads absent string keys as null', () => {
    expect(job('all 1')).toMatchObject({ pool: null, node: null, storage: null });
  });
});

describe('a realistic jobs.cfg (written from the formats PVE documents)', () => {
  const REAL = `vzdump: backup-weekdays
	schedule mon..fri 02:30
	compress zstd
	enabled 1
	fleecing enabled=1,storage=local-lvm
	mode snapshot
	node pve1
	notes-template {{guestname}} on {{node}}
	notification-mode notification-system
	repeat-missed 1
	storage pbs1
	vmid 100,101

vzdump: backup-weekend
	schedule sat 04:00
	all 1
	exclude 112
	mailnotification failure
	mailto ops@example.com
	notification-mode legacy-sendmail
	storage nas

vzdump: backup-hourly-db
	schedule */6:00
	node pve1,pve2
	storage local
	vmid 105

vzdump: backup-legacy
	schedule 0 3 * * *
	storage local
	vmid 200
`;
  const { jobs, warnings } = parseJobsCfg(REAL);
  const byId = Object.fromEntries(jobs.map((j) => [j.id, j]));

  it('reads the valid ones as written', () => {
    expect(warnings).toEqual([]);
    expect(byId['backup-weekdays']).toMatchObject({ node: 'pve1', vmids: [100, 101], schedule: 'mon..fri 02:30' });
    expect(byId['backup-weekend']).toMatchObject({ all: true, exclude: [112], schedule: 'sat 04:00' });
    expect(byId['backup-weekend']?.problems.filter((p) => p.kind === 'key_dropped')).toEqual([]);
  });

  it('runs the node-list job on every node, and never the cron one, nor the valid jobs sorting after it', () => {
    expect(byId['backup-hourly-db']).toMatchObject({ runs: true, node: null, schedule: '*/6:00' });
    expect(byId['backup-legacy']).toMatchObject({ runs: false, schedule: null });
    // backup-weekdays and backup-weekend sort after backup-legacy: pvescheduler never reaches them.
    for (const id of ['backup-weekdays', 'backup-weekend']) {
      expect(byId[id]).toMatchObject({ runs: false });
      expect(byId[id]?.problems).toEqual([
        expect.objectContaining({
          kind: 'job_invalid',
          key: null,
          reason: expect.stringContaining("stops at 'backup-legacy'"),
        }),
      ]);
    }
  });
});

describe('cronToCalendarEvent', () => {
  it.each([
    ['0 3 * * *', '03:00'],
    ['30 2 * * 1-5', 'mon..fri 02:30'],
    ['0 4 * * 6', 'sat 04:00'],
    ['15 1 * * 0,3', 'sun,wed 01:15'],
  ])('%s → %s', (cron, event) => {
    expect(cronToCalendarEvent(cron)).toBe(event);
    expect(() => parseCalendarEvent(event)).not.toThrow();
  });

  it('gives up on what a calendar event line cannot say here', () => {
    expect(cronToCalendarEvent('0 3 1 * *')).toBeNull();
    expect(cronToCalendarEvent('*/5 * * * *')).toBeNull();
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

// pve-manager test/vzdump_guest_included_test.pl, every case: get_included_guests per node, with the
// vmlist and pool mocked there ('' holds ids the cluster does not know). Written as jobs.cfg sections.
describe('pve-manager vzdump_guest_included_test.pl', () => {
  const vmlist: Guest[] = [
    guest(100, 'node1'),
    guest(101, 'node1'),
    guest(112, 'node1', { type: 'lxc' }),
    guest(113, 'node1', { type: 'lxc' }),
    guest(200, 'node2'),
    guest(201, 'node2'),
    guest(212, 'node2', { type: 'lxc' }),
    guest(213, 'node2', { type: 'lxc' }),
  ];
  const pools = { testpool: [100, 101, 200, 201] };
  const perNode = (ids: number[]) => {
    const result: Record<string, number[]> = {};
    for (const id of ids) (result[vmlist.find((g) => g.vmid === id)?.node ?? ''] ??= []).push(id);
    return result;
  };
  const cases: Array<[string, string[], Record<string, number[]>]> = [
    ['Test all guests', ['all 1'], { node1: [100, 101, 112, 113], node2: [200, 201, 212, 213] }],
    ['Test all guests with node limit', ['all 1', 'node node2'], { node2: [200, 201, 212, 213] }],
    ['Test exclude', ['all 1', 'exclude 100, 102, 200, 202'], { node1: [101, 112, 113], node2: [201, 212, 213] }],
    ['Test exclude with node limit', ['all 1', 'exclude 100, 102, 200, 202', 'node node1'], { node1: [101, 112, 113] }],
    ['Test pool members', ['pool testpool'], { node1: [100, 101], node2: [200, 201] }],
    ['Test pool members with node limit', ['pool testpool', 'node node2'], { node2: [200, 201] }],
    ['Test selected VMIDs', ['vmid 100, 201, 212'], { node1: [100], node2: [201, 212] }],
    ['Test selected VMIDs with node limit', ['vmid 100, 201, 212', 'node node1'], { node1: [100] }],
    ['Test selected VMIDs on other nodes', ['vmid 201, 212', 'node node1'], {}],
    ['Test VMID not present in vmlist', ['vmid 100, 201, 212, 7654'], { node1: [100], node2: [201, 212], '': [7654] }],
  ];
  it.each(cases)('%s', (_name, lines, expected) => {
    expect(perNode(selectGuests(job(...lines), vmlist, pools))).toEqual(expected);
  });
});

describe('retention keys (D19.retention, D19.job-valid)', () => {
  it("drops a prune-backups value that fails its format, with PVE's reason, and keeps a valid one", () => {
    const bad = job('vmid 100', 'prune-backups keep-all=1,keep-last=3');
    expect(bad.problems).toEqual([
      expect.objectContaining({
        kind: 'key_dropped',
        key: 'prune-backups',
        reason: 'invalid format - keep-all cannot be set together with other options.',
      }),
    ]);
    expect(job('vmid 100', 'prune-backups keep-last=3,keep-daily=7').problems).toEqual([]);
    expect(job('vmid 100', 'prune-backups keep-last=-1').problems[0]!.reason).toBe(
      'invalid format - format error: keep-last: value must have a minimum value of 0',
    );
  });

  it('maxfiles: dropped by PVE 9, read before (readBefore 9), with the prune-backups it means as the fix', () => {
    const j = job('vmid 100', 'maxfiles 3');
    expect(j.problems).toEqual([expect.objectContaining({ kind: 'key_dropped', key: 'maxfiles', readBefore: 9 })]);
    expect(j.problems[0]!.fix).toContain('`prune-backups keep-last=3`');
    expect(job('vmid 100', 'maxfiles 0').problems[0]!.fix).toContain('`prune-backups keep-all=1`');
    expect(job('vmid 100', 'maxfiles lots').problems[0]!.readBefore).toBeUndefined();
  });
});

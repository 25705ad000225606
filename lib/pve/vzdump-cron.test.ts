import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCalendarEvent } from './calendar-event.js';
import { selectGuests } from './jobs-cfg.js';
import { convertCommand, parseVzdumpCron } from './vzdump-cron.js';

// As pve-guest-common VZDump/Common.pm write_vzdump_cron_config writes it: the header, PATH, then
// `sprintf "$minute $hour * * %-11s root $enabled$cmd"` with numeric days and `#` for a disabled job.
const PVE6_FILE = `# cluster wide vzdump cron schedule
# Automatically generated file - do not edit

PATH="/usr/sbin:/usr/bin:/sbin:/bin"

0 3 * * *           root vzdump 100 101 --mode snapshot --quiet 1 --storage local
30 2 * * 6           root vzdump --all 1 --exclude 105,106 --mailto 'ops@example.com' --quiet 1 --compress zstd
15 1 * * 1,2,3,4,5   root #vzdump --pool prod --node pve2 --quiet 1
`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

describe('parseVzdumpCron (Common.pm parse_vzdump_cron_config)', () => {
  it('reads PVE-written lines as jobs with PVE ids ($digest:$jid) and the schedule $convert_to_schedule gives', () => {
    const { jobs, warnings } = parseVzdumpCron(PVE6_FILE);
    expect(warnings).toEqual([]);
    const digest = sha1(PVE6_FILE);
    expect(
      jobs.map((j) => [
        j.id,
        j.line,
        j.enabled,
        j.schedule,
        j.vmids,
        j.all,
        j.exclude,
        j.pool,
        j.node,
        j.storage,
        j.runs,
        j.source,
      ]),
    ).toEqual([
      [`${digest}:1`, 6, true, '03:00', [100, 101], false, [], null, null, 'local', true, 'vzdump.cron'],
      [`${digest}:2`, 7, true, 'sat 02:30', null, true, [105, 106], null, null, null, true, 'vzdump.cron'],
      [
        `${digest}:3`,
        8,
        false,
        'mon,tue,wed,thu,fri 01:15',
        null,
        false,
        [],
        'prod',
        'pve2',
        null,
        true,
        'vzdump.cron',
      ],
    ]);
    expect(jobs[1]!.options).toMatchObject({ mailto: 'ops@example.com', compress: 'zstd', quiet: '1' });
    for (const j of jobs) expect(() => parseCalendarEvent(j.schedule!)).not.toThrow();
    expect(convertCommand(jobs[2]!)).toBe(`pvesh set /cluster/backup/${digest}:3 --enabled 0`);
  });

  it('selects guests as a jobs.cfg job does (get_included_guests)', () => {
    const guests = [100, 101, 105, 107].map((vmid) => ({
      vmid,
      type: 'qemu' as const,
      node: 'pve1',
      name: null,
      status: 'running',
      template: false,
      pool: null,
    }));
    const [listed, all] = parseVzdumpCron(PVE6_FILE).jobs;
    expect(selectGuests(listed!, guests, {})).toEqual([100, 101]);
    expect(selectGuests(all!, guests, {})).toEqual([100, 101, 107]);
  });

  it('reads parse_dow days (names, name ranges, 0 and 7 for Sunday), a path before vzdump, --key=value and bare booleans', () => {
    const { jobs, warnings } = parseVzdumpCron(
      [
        '5 4 * * mon-wed,sat root /usr/bin/vzdump --exclude=110 --quiet',
        '0 0 * * 0,7 root vzdump 120 --stop',
        '0 23 * * 1,2,3,4,5,6,7 root vzdump 130 --protected yes',
      ].join('\n'),
    );
    expect(warnings).toEqual([]);
    expect(jobs.map((j) => [j.schedule, j.all, j.exclude, j.vmids, j.options])).toEqual([
      ['mon,tue,wed,sat 04:05', true, [110], null, { exclude: '110', quiet: '1' }], // exclude without all means all
      ['sun 00:00', false, [], [120], { stop: '1', vmid: '120' }],
      ['23:00', false, [], [130], { protected: '1', vmid: '130' }],
    ]);
  });

  it('warns about lines PVE does not read, never counting them as jobs, and does not let them consume ids', () => {
    const text = [
      '0 3 1 * * root vzdump 100', // a day of month: not PVE's shape (cron runs it)
      '0 3 * * 1-5 root vzdump 101', // parse_dow reads no digit ranges
      '0 3 * * * root vzdump 102 --maxfiles 3', // not a vzdump option: Getopt fails, so does the run
      '0 3 * * * root vzdump 103 --schedule daily', // a jobs.cfg key, no vzdump option
      '0 25 * * * root vzdump 104', // cron rejects hour 25
      'garbage',
      '0 4 * * * root vzdump 105',
    ].join('\n');
    const { jobs, warnings } = parseVzdumpCron(text);
    expect(jobs.map((j) => [j.id, j.line, j.vmids])).toEqual([[`${sha1(text)}:1`, 7, [105]]]);
    expect(warnings.map((w) => [w.file, w.line])).toEqual([
      ['vzdump.cron', 1],
      ['vzdump.cron', 2],
      ['vzdump.cron', 3],
      ['vzdump.cron', 4],
      ['vzdump.cron', 5],
      ['vzdump.cron', 6],
    ]);
    expect(warnings[0]!.message).toMatch(/malformed line .*not counted as coverage/);
    expect(warnings[1]!.message).toContain("unable to parse day of week '1-5'");
    expect(warnings[2]!.message).toContain('Unknown option: maxfiles');
    expect(warnings[3]!.message).toContain('Unknown option: schedule');
    expect(warnings[5]!.message).toBe('ignoring malformed line `garbage`');
  });

  it('marks jobs whose vzdump run aborts (verify_vzdump_parameters, schema) as not run', () => {
    const { jobs } = parseVzdumpCron(
      [
        '0 3 * * * root vzdump 100 --all 1', // vmid beside all
        '0 3 * * * root vzdump --quiet 1', // selects nothing
        '0 3 * * * root vzdump 100 --mode fast', // not a mode
      ].join('\n'),
    );
    expect(jobs.map((j) => [j.runs, j.problems.map((p) => p.reason)])).toEqual([
      [false, ["the run aborts, nothing is backed up: all: option conflicts with option 'vmid'"]],
      [
        false,
        ['the run aborts, nothing is backed up: vmid: property is missing (no vmid, --all, --exclude or --pool)'],
      ],
      [
        false,
        [
          "the cron run of vzdump fails, nothing is backed up: mode: value 'fast' does not have a value in the enumeration 'snapshot, suspend, stop'",
        ],
      ],
    ]);
    expect(selectGuests(jobs[0]!, [], {})).toEqual([]);
  });

  it('reads the dummy file pve-cluster creates (Setup.pm $vzdump_cron_dummy) and an absent file as no jobs', () => {
    expect(
      parseVzdumpCron(
        '# cluster wide vzdump cron schedule\n# Atomatically generated file - do not edit\n\nPATH="/usr/sbin:/usr/bin:/sbin:/bin"\n\n',
      ),
    ).toEqual({ jobs: [], warnings: [] });
    expect(parseVzdumpCron('')).toEqual({ jobs: [], warnings: [] });
  });
});

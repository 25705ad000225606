import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PVE_COMMANDS } from '../snapshot/probe.js';
import { nextEvent, occurrencesBetween, parseCalendarEvent } from './calendar-event.js';
import { failedGuests, lastRuntime, parseJobStates } from './job-state.js';

const at = (iso: string) => Date.parse(iso) / 1000;
const iso = (epoch: number | null) => (epoch === null ? null : new Date(epoch * 1000).toISOString());

describe('parseJobStates', () => {
  // State files as PVE::Jobs writes them (encode_json, one line): created, stopped with a task, a
  // start that failed before a task existed, started.
  const OUTPUT = [
    'node pve1',
    'state vzdump-backup-new.json {"state":"created","time":1772559739,"config":{"enabled":1,"schedule":"mon..fri 12:30"}}',
    'state vzdump-backup-daily.json {"config":{"schedule":"02:00"},"msg":"job errors","state":"stopped","upid":"UPID:pve1:0003A2F1:01B7C3D2:69A78413:vzdump::root@pam:"}',
    "log vzdump-backup-daily.json ERROR: Backup of VM 105 failed - command 'lxc-freeze -n 105' failed: exit code 1",
    'log vzdump-backup-daily.json TASK ERROR: job errors',
    'state vzdump-backup-err.json {"state":"stopped","msg":"vmid: property is missing\\n","time":1772587000}',
    'state vzdump-backup-run.json {"state":"started","upid":"UPID:pve1:0003A2F1:01B7C3D2:69A78413:vzdump::root@pam:"}',
    'state vzdump-backup-empty.json ',
  ].join('\n');

  it('reads every state, the task start from the UPID and the task log lines', () => {
    const { node, jobs, unreadable } = parseJobStates(OUTPUT);
    expect(node).toBe('pve1');
    expect(unreadable).toEqual({});
    expect(jobs['backup-new']).toMatchObject({ state: 'created', time: 1772559739, upid: null, started: null });
    expect(jobs['backup-daily']).toMatchObject({
      state: 'stopped',
      msg: 'job errors',
      started: 0x69a78413,
      taskErrors: [expect.stringContaining('VM 105')],
      taskEnd: 'job errors',
    });
    expect(jobs['backup-err']).toMatchObject({
      state: 'stopped',
      msg: 'vmid: property is missing\n',
      time: 1772587000,
    });
    expect(jobs['backup-run']).toMatchObject({ state: 'started' });
    // read_job_state: an empty file is the default state.
    expect(jobs['backup-empty']).toMatchObject({ state: 'created', time: 0 });
  });

  it('takes the last runtime as PVE::Jobs get_last_runtime does: updated, else the UPID start, else time', () => {
    const { jobs } = parseJobStates(OUTPUT);
    expect(lastRuntime(jobs['backup-daily']!)).toBe(0x69a78413);
    expect(lastRuntime({ ...jobs['backup-daily']!, updated: 5 })).toBe(5);
    expect(lastRuntime(jobs['backup-new']!)).toBe(1772559739);
  });

  it('names the guests whose backups failed', () => {
    expect(
      failedGuests([
        'ERROR: Backup of VM 105 failed - x',
        'ERROR: Backup of VM 109 failed - y',
        'TASK ERROR: job errors',
      ]),
    ).toEqual([105, 109]);
  });

  it('keeps hostile or broken files as unreadable, one file at a time', () => {
    const { jobs, unreadable } = parseJobStates(
      [
        'state vzdump-a.json {not json',
        'state vzdump-b.json []',
        'state vzdump-c.json {"state":"stopped","upid":"UPID:../../etc/passwd"}',
        'state vzdump-d.json {"state":"stopped","time":"yesterday"}',
        'state vzdump-ok.json {"state":"stopped","msg":"OK","time":1}',
        'garbage',
      ].join('\n'),
    );
    expect(Object.keys(jobs)).toEqual(['ok']);
    expect(unreadable).toMatchObject({
      'vzdump-a.json': 'invalid JSON',
      'vzdump-b.json': 'not a JSON object',
      'vzdump-c.json': expect.stringContaining('unable to parse worker upid'),
      'vzdump-d.json': "'time' is not epoch seconds",
      garbage: 'not a job-state line',
    });
  });
});

describe("the task log's end, as PVE::UPID read_status reads it", () => {
  const end = (line: string) =>
    parseJobStates(
      `state vzdump-j.json {"state":"started","upid":"UPID:pve1:00000001:00000002:69A78413:vzdump::root@pam:"}\nlog vzdump-j.json ${line}\n`,
    ).jobs['j']!.taskEnd;

  it.each([
    ['TASK OK', 'OK'],
    ['TASK ERROR: job errors', 'job errors'],
    ['TASK WARNINGS: 2', 'WARNINGS: 2'],
    ['TASK WARNINGS: two', 'unexpected status'],
    ['TASK OK but more', 'unexpected status'],
    ['INFO: still going', null],
  ])('%j → %j', (line, status) => {
    expect(end(line)).toBe(status);
  });
});

describe('nextEvent (proxmox-time compute_next_event)', () => {
  const next = (schedule: string, after: string, zone: string | null = 'Europe/Berlin') =>
    iso(nextEvent(parseCalendarEvent(schedule), at(after), zone));

  it.each([
    ['02:00', '2026-03-04T01:00:03Z', '2026-03-05T01:00:00.000Z'],
    ['mon..fri 02:30', '2026-03-06T02:00:00Z', '2026-03-09T01:30:00.000Z'], // Friday → Monday
    ['sat 04:00', '2026-02-28T03:00:01Z', '2026-03-07T03:00:00.000Z'],
    ['*/6:00', '2026-03-03T23:00:01Z', '2026-03-04T05:00:00.000Z'],
    ['02:00 UTC', '2026-03-04T01:00:03Z', '2026-03-04T02:00:00.000Z'],
    ['*-*-1 03:00', '2026-03-04T00:00:00Z', '2026-04-01T01:00:00.000Z'], // CEST from 29 March
  ])('%s after %s is %s', (schedule, after, expected) => {
    expect(next(schedule, after)).toBe(expected);
  });

  it('is strictly after the given instant', () => {
    expect(next('02:00', '2026-03-04T01:00:00Z')).toBe('2026-03-05T01:00:00.000Z');
  });

  it('counts the occurrences in between (a stuck scheduler)', () => {
    expect(
      occurrencesBetween(
        parseCalendarEvent('02:00'),
        at('2026-02-28T01:00:03Z'),
        at('2026-03-04T07:20:00Z'),
        'Europe/Berlin',
      ),
    ).toBe(4);
  });
});

describe('the job-state probe command, run by a real shell against hostile files', () => {
  const command = PVE_COMMANDS.find((c) => c.id === 'job-state')!.command;
  const root = mkdtempSync(path.join(tmpdir(), 'job-state-'));
  const [jobs, tasks] = [path.join(root, 'jobs'), path.join(root, 'tasks')];
  const local = command.replaceAll('/var/lib/pve-manager/jobs', jobs).replaceAll('/var/log/pve/tasks', tasks);
  const pwned = path.join(root, 'pwned');
  const upid = 'UPID:pve1:0003A2F1:01B7C3D2:69A78413:vzdump::root@pam:';

  it('prints the node, each state file and its task log errors, and executes nothing it reads', () => {
    mkdirSync(jobs);
    mkdirSync(path.join(tasks, '3'), { recursive: true });
    writeFileSync(path.join(jobs, 'vzdump-daily.json'), `{"state":"stopped","msg":"job errors","upid":"${upid}"}`);
    writeFileSync(
      path.join(tasks, '3', upid),
      'INFO: starting\nERROR: Backup of VM 105 failed - x\nINFO: more\nTASK ERROR: job errors\n',
    );
    // A file name cannot hold a `/`: its command touches a file in the state folder (the shell's cwd).
    writeFileSync(
      path.join(jobs, 'vzdump-$(touch PWNED).json'),
      `{"state":"stopped","upid":"UPID:$(touch ${pwned}):/../../x:vzdump:"}`,
    );
    writeFileSync(
      path.join(jobs, 'vzdump-escape.json'),
      '{"state":"stopped","upid":"UPID:pve1:0:0:69A78413:vzdump:/../../../etc:root@pam:"}',
    );
    writeFileSync(path.join(jobs, 'not-a-vzdump.json'), '{}');
    const out = execFileSync('sh', ['-c', local], { encoding: 'utf8' });
    expect(existsSync(pwned)).toBe(false);
    expect(existsSync(path.join(jobs, 'PWNED'))).toBe(false);
    const parsed = parseJobStates(out);
    expect(parsed.node).toMatch(/^[^.\s]+$/);
    expect(parsed.jobs['daily']).toMatchObject({
      msg: 'job errors',
      taskErrors: ['ERROR: Backup of VM 105 failed - x'],
      taskEnd: 'job errors',
    });
    expect(parsed.jobs['escape']).toBeUndefined(); // its UPID does not parse: unreadable, and its "log" was never opened
    expect(out).not.toContain('not-a-vzdump');
    expect(
      out
        .split('\n')
        .filter((l) => l.startsWith('log '))
        .every((l) => l.startsWith('log vzdump-daily.json ')),
    ).toBe(true);
  });

  it("sends a task's end even after many errors, and its first three warnings (PVE::UPID read_status reads the last line)", () => {
    const other = 'UPID:pve1:0003A2F2:01B7C3D2:69A78414:vzdump::root@pam:';
    mkdirSync(path.join(tasks, '4'), { recursive: true });
    writeFileSync(path.join(jobs, 'vzdump-many.json'), `{"state":"started","upid":"${other}"}`);
    const errors = Array.from({ length: 60 }, (_, i) => `ERROR: Backup of VM ${200 + i} failed - x`);
    const warnings = ['WARN: a', 'WARN: b', 'WARN: c', 'WARN: d'];
    writeFileSync(
      path.join(tasks, '4', other),
      ['INFO: starting', ...warnings, ...errors, 'TASK WARNINGS: 4', ''].join('\n'),
    );
    const parsed = parseJobStates(execFileSync('sh', ['-c', local], { encoding: 'utf8' }));
    expect(parsed.jobs['many']).toMatchObject({
      state: 'started',
      taskEnd: 'WARNINGS: 4',
      taskWarnings: ['WARN: a', 'WARN: b', 'WARN: c'],
    });
    expect(parsed.jobs['many']!.taskErrors).toHaveLength(50);
  });

  it('prints only the node when the state folder does not exist', () => {
    const out = execFileSync('sh', ['-c', local.replaceAll(jobs, path.join(root, 'absent'))], { encoding: 'utf8' });
    expect(parseJobStates(out)).toMatchObject({ jobs: {}, unreadable: {} });
  });
});

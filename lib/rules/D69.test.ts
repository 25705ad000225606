import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBindings } from '../bindings/load.js';
import type {
  Bindings,
  CalendarEvent,
  FileGlobTarget,
  InventoryTarget,
  LifecycleGuest,
  RuntimeUnit,
} from '../bindings/types.js';
import { checkRestoreSops } from '../cli/restore-sops.js';
import { findingId, type Finding, type VzdumpJob } from '../model.js';
import { DEMO_SITE, PACKAGE_ROOT } from '../package-root.js';
import { NO_REFERENCE, REFERENCE, skipNamed } from '../testing/skip.js';
import { parseVzdumpCron } from '../pve/vzdump-cron.js';
import { readSnapshot } from '../snapshot/read.js';
import { D69_CHECKS, evaluateD69, LIFECYCLE_STATUSES } from './D69.js';
import type { VerifyInput } from './input.js';
import {
  CAPTURED_AT,
  makeBindings,
  makeCalendarEvent,
  makeErrorHost,
  makeGuest,
  makeHost,
  makeInput,
  makeJob,
  makeLifecycleGuest,
  makePveState,
  makeState,
  makeStorageTarget,
  makeTarget,
  type BindingsOverrides,
} from './testing/test-input.js';

// One healthy, fully onboarded estate: PVE host pve1 runs qemu/100 (app1), active in the lifecycle
// with backup_target vm-100-primary (critical, enabled, SOP declared, offsite decided), in job
// backup-daily at 02:00 with a DAILY 02:00 calendar event, an ssh target and a ready runtime unit.

const SOP = 'docs/restore/app1.md';
const SOPS = { root: '/repo', found: { [SOP]: true } };

const guest = (o: Partial<LifecycleGuest> = {}) =>
  makeLifecycleGuest({ backupTarget: 'vm-100-primary', sshTarget: 'app1', ...o });
const target = (o: Partial<FileGlobTarget> = {}) =>
  makeTarget({ restoreSop: SOP, offsite: { required: false, reason: 'rebuilt from the install runbook' }, ...o });
const event = (id: string, freq: string, byhour: number | null, byminute: number): CalendarEvent =>
  makeCalendarEvent(id, freq, byhour, byminute, { source: { file: 'backup.calendar.yaml', line: 8 } });
const unit = (hostname: string, o: Partial<RuntimeUnit> = {}): RuntimeUnit => ({
  unitId: `vm-${hostname}`,
  kind: 'vm',
  hostname,
  backupProfile: 'vm-primary',
  dataClass: 'small_state',
  destinationLane: 'pve-primary',
  scheduleClass: 'daily-0200',
  restoreClass: 'vm-dry-run',
  backupAdmissionState: 'production_ready',
  inventoryTargets: [],
  source: { file: 'backup.inventory.yaml', line: 4 },
  ...o,
});

interface SiteOverrides extends BindingsOverrides {
  ssh?: string[];
  events?: CalendarEvent[];
  runtimeUnits?: RuntimeUnit[] | null;
  d69?: Partial<Bindings['policy']['d69']>;
}

function site(o: SiteOverrides = {}): Bindings {
  const b = makeBindings({ targets: [target()], guests: [guest()], ...o });
  if (!b.ssh || !b.calendar) throw new Error('makeBindings gives every binding file');
  return {
    ...b,
    inventory: { ...b.inventory, runtimeUnits: o.runtimeUnits === undefined ? [unit('app1')] : o.runtimeUnits },
    ssh: {
      ...b.ssh,
      targets: (o.ssh ?? ['pve1', 'nas', 'app1']).map((id, i) => ({
        id,
        host: `192.0.2.${i + 1}`,
        user: 'root',
        port: 22,
        probeVia: null,
        connectTimeoutSec: null,
        source: { file: 'ssh.targets.yaml', line: 3 + i },
      })),
    },
    calendar: { ...b.calendar, timezone: 'Europe/Berlin', events: o.events ?? [event('pve1-daily', 'DAILY', 2, 0)] },
    policy: { ...b.policy, d69: { ...b.policy.d69, ...o.d69 } },
  };
}

/** Host state of pve1 with these jobs (and guests, default qemu/100). */
const hostWith = (jobs: VzdumpJob[], o: Parameters<typeof makePveState>[0] = {}) =>
  makeState([makeHost('pve1', { pve: makePveState({ jobs, ...o }) })]);

const run = (o: Partial<VerifyInput> & { site?: SiteOverrides } = {}): Finding[] => {
  const { site: s, ...rest } = o;
  return evaluateD69(makeInput({ bindings: site(s), restoreSops: SOPS, ...rest }));
};

function all(findings: Finding[], check: string, subject?: string): Finding[] {
  return findings.filter((f) => f.check === check && (subject === undefined || f.subject === subject));
}

function one(findings: Finding[], check: string, subject = 'qemu/100'): Finding {
  const found = all(findings, check, subject);
  expect(found, `${check} ${subject}: ${JSON.stringify(found.map((f) => [f.subject, f.outcome]))}`).toHaveLength(1);
  return found[0]!;
}

/** `check subject` of every failure, sorted: what a step of a replay must show. */
const fails = (findings: Finding[]) =>
  findings
    .filter((f) => f.outcome === 'fail')
    .map((f) => `${f.check} ${f.subject}`)
    .sort();

// ---------------------------------------------------------------------------------------------

describe('a fully onboarded guest', () => {
  it('passes every check', () => {
    const findings = run();
    for (const check of D69_CHECKS.filter((c) => c !== 'D69.decommissioned-clean')) {
      expect(one(findings, check), check).toMatchObject({
        outcome: 'pass',
        reason: null,
        remediation: null,
        gate: 'D69',
      });
    }
    expect(all(findings, 'D69.decommissioned-clean')).toEqual([]);
  });
});

describe('D69.status', () => {
  it.each(LIFECYCLE_STATUSES)('passes %s', (status) => {
    expect(one(run({ site: { guests: [guest({ status })] } }), 'D69.status').outcome).toBe('pass');
  });

  it.each([
    ['template', 'remove the entry'],
    ['stopped', 'set `status: active` or `status: decommissioned`'],
    ['planned', 'set `status: planning`'],
    ['retired', 'set status to one of planning, provisioned'],
  ])('fails %s, outside the enum, with the fix for it', (status, fix) => {
    const f = one(run({ site: { guests: [guest({ status })] } }), 'D69.status');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'status_not_in_enum',
      actual: status,
      host: 'pve1',
      severity: 'low',
    });
    expect(f.remediation).toContain('vm.lifecycle.yaml:5 (VMID 100)');
    expect(f.remediation).toContain(fix);
  });
});

describe('D69.backup-target', () => {
  it('fails an active guest with no backup_target, suggesting the target whose glob names it', () => {
    const f = one(run({ site: { guests: [guest({ backupTarget: null })] } }), 'D69.backup-target');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_backup_target', actual: 'none' });
    expect(f.remediation).toBe(
      "Set `backup_target: vm-100-primary` on VMID 100 in vm.lifecycle.yaml:5 (the inventory target whose glob names 100's archives).",
    );
  });

  it('fails a name the inventory does not have (the real vm-206-primary kind of drift)', () => {
    const f = one(run({ site: { guests: [guest({ backupTarget: 'vm-100-old' })] } }), 'D69.backup-target');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'unknown_target',
      message: 'qemu/100 (app1): backup_target vm-100-old names no backup.inventory.yaml target',
    });
    expect(f.remediation).toContain('`backup_target: vm-100-primary`');
  });

  it('asks for a new target when none names the guest', () => {
    const f = one(
      run({ site: { targets: [], guests: [guest({ id: 120, hostname: 'newapp', vmType: 'lxc' })] }, state: null }),
      'D69.backup-target',
      'lxc/120',
    );
    expect(f.remediation).toContain('`name: vm-120-newapp-primary, host: pve1, glob: "vzdump-lxc-120-*.tar.zst"`');
  });

  it('judges only active guests', () => {
    expect(
      all(run({ site: { guests: [guest({ status: 'registered', backupTarget: null })] } }), 'D69.backup-target'),
    ).toEqual([]);
  });
});

describe('D69.target-enabled', () => {
  it('fails an active guest whose target is disabled', () => {
    const f = one(run({ site: { targets: [target({ enabled: false })] } }), 'D69.target-enabled');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'target_disabled',
      expected: 'enabled: true',
      actual: 'enabled: false',
    });
    expect(f.remediation).toContain('Set `enabled: true` on vm-100-primary in backup.inventory.yaml:10');
    expect(f.evidence).toContainEqual({ file: 'backup.inventory.yaml', line: 10 });
  });

  it('skips when backup_target names no target', () => {
    expect(one(run({ site: { guests: [guest({ backupTarget: 'nope' })] } }), 'D69.target-enabled')).toMatchObject({
      outcome: 'skip',
      reason: 'no_target',
    });
  });
});

describe('D69.target-shape', () => {
  it('fails a target on another host', () => {
    const f = one(run({ site: { targets: [target({ host: 'nas' })] } }), 'D69.target-shape');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'wrong_host' });
    expect(f.message).toContain('its host is nas, not pve1');
    expect(f.remediation).toContain('`host: pve1`');
  });

  it('passes a target on the storage host the policy names for the site', () => {
    const f = one(
      run({ site: { targets: [target({ host: 'nas' })], d69: { storageHosts: { pve1: 'nas' } } } }),
      'D69.target-shape',
    );
    expect(f).toMatchObject({ outcome: 'pass', expected: 'host pve1 or nas, glob vzdump-qemu-100-*' });
  });

  it.each([
    ["another guest's glob (copied entry)", 'vzdump-qemu-103-*.vma.zst'],
    ['a glob that matches every guest', 'vzdump-qemu-*.vma.zst'],
    ['a container glob for a VM', 'vzdump-lxc-100-*.tar.zst'],
  ])('fails %s', (_, glob) => {
    const f = one(run({ site: { targets: [target({ glob })] } }), 'D69.target-shape');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'glob_mismatch' });
    expect(f.remediation).toContain('`glob: "vzdump-qemu-100-*.vma.zst"`');
  });

  it("treats a pve_storage target with the guest's vmid on its PVE host as its own target; another vmid or host fails", () => {
    const own = makeStorageTarget({
      name: 'vm-100-primary',
      restoreSop: SOP,
      offsite: { required: false, reason: 'rebuilt' },
    });
    expect(one(run({ site: { targets: [own] } }), 'D69.target-shape')).toMatchObject({
      outcome: 'pass',
      actual: 'host pve1, vmid 100 (storage pbs-main)',
    });
    const other = one(run({ site: { targets: [{ ...own, vmid: 103 }] } }), 'D69.target-shape');
    expect(other).toMatchObject({
      outcome: 'fail',
      reason: 'vmid_mismatch',
      remediation: expect.stringContaining('`vmid: 100`'),
    });
    expect(one(run({ site: { targets: [{ ...own, host: 'pve2' }] } }), 'D69.target-shape')).toMatchObject({
      outcome: 'fail',
      reason: 'wrong_host',
    });
  });

  it('names every problem and the live type when the host says the guest is a container', () => {
    const state = hostWith([makeJob('backup-daily', { vmids: [100] })], { guests: [makeGuest(100, { type: 'lxc' })] });
    const f = one(run({ state, site: { targets: [target({ host: 'nas' })] } }), 'D69.target-shape');
    expect(f.reason).toBe('wrong_host');
    expect(f.message).toContain("does not name lxc 100's archives (pve1 reports it as lxc; vm_type says qemu)");
    expect(f.remediation).toContain('`host: pve1` and `glob: "vzdump-lxc-100-*.tar.zst"`');
  });

  it('passes an lxc target for vm_type: lxc', () => {
    const site = { guests: [guest({ vmType: 'lxc' })], targets: [target({ glob: 'vzdump-lxc-100-*.tar.zst' })] };
    expect(one(run({ site, state: null }), 'D69.target-shape', 'lxc/100').outcome).toBe('pass');
  });
});

describe('D69.enrolled', () => {
  it('skips without host state and errors on an unreadable host', () => {
    expect(one(run({ state: null }), 'D69.enrolled')).toMatchObject({ outcome: 'skip', reason: 'no host state' });
    expect(one(run({ state: makeState([makeErrorHost('pve1')]) }), 'D69.enrolled')).toMatchObject({
      outcome: 'error',
      reason: 'connect_timeout',
    });
  });

  it('passes a guest selected through a pool or `all`', () => {
    expect(
      one(
        run({ state: hostWith([makeJob('weekly', { pool: 'rebuild' })], { pools: { rebuild: [100] } }) }),
        'D69.enrolled',
      ).message,
    ).toContain('backed up by weekly');
    expect(one(run({ state: hostWith([makeJob('all', { all: true })]) }), 'D69.enrolled').outcome).toBe('pass');
  });

  it('fails a guest no job selects, with the pvesh line that adds it', () => {
    const state = hostWith([makeJob('backup-daily', { vmids: [101] })], { guests: [makeGuest(100), makeGuest(101)] });
    const f = one(run({ state }), 'D69.enrolled');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'not_in_any_job', actual: 'no job selects it' });
    expect(f.remediation).toContain('`pvesh set /cluster/backup/backup-daily --vmid 100,101`');
  });

  it('fails a guest only a disabled job selects', () => {
    const f = one(run({ state: hostWith([makeJob('paused', { vmids: [100], enabled: false })]) }), 'D69.enrolled');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'only_disabled_jobs' });
    expect(f.remediation).toContain('`pvesh set /cluster/backup/paused --enabled 1`');
  });

  it('fails an active guest the host does not run, even when a job lists it', () => {
    const f = one(
      run({ state: hostWith([makeJob('backup-daily', { vmids: [100] })], { guests: [] }) }),
      'D69.enrolled',
    );
    expect(f).toMatchObject({ outcome: 'fail', reason: 'guest_missing', actual: 'no such guest' });
  });
});

describe('D69.scheduled', () => {
  const scheduled = (schedule: string, events: CalendarEvent[], extra: Partial<VerifyInput> = {}) =>
    one(
      run({ state: hostWith([makeJob('backup-daily', { vmids: [100], schedule })]), site: { events }, ...extra }),
      'D69.scheduled',
    );

  it('passes a daily job with a DAILY event at its time, citing both', () => {
    const f = scheduled('02:00', [event('pve1-daily', 'DAILY', 2, 0)]);
    expect(f).toMatchObject({
      outcome: 'pass',
      message: 'qemu/100 (app1): job backup-daily (02:00): 02:00 ↔ DAILY event(s) pve1-daily',
    });
    expect(f.evidence).toContainEqual(
      expect.objectContaining({ commandId: 'jobs-cfg', detail: 'vzdump: backup-daily (line 1)' }),
    );
    expect(f.evidence).toContainEqual({ file: 'backup.calendar.yaml', line: 8 });
  });

  it('fails a daily job with no event at its time, with the event to add', () => {
    const f = scheduled('02:30', [event('pve1-daily', 'DAILY', 2, 0)]);
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_calendar_event' });
    expect(f.message).toContain('no DAILY event at 02:30');
    expect(f.remediation).toBe(
      'Add to events in backup.calendar.yaml: `{id: "backup-daily", summary: "vzdump job backup-daily", freq: DAILY, byhour: 2, byminute: 30, duration_minutes: 60}`; then publish them (`ops calendar publish --execute`).',
    );
    expect(f.fix).toEqual([
      {
        file: 'backup.calendar.yaml',
        path: ['events'],
        op: 'append',
        value: {
          id: 'backup-daily',
          summary: 'vzdump job backup-daily',
          freq: 'DAILY',
          byhour: 2,
          byminute: 30,
          duration_minutes: 60,
        },
      },
    ]);
  });

  it('judges a legacy vzdump.cron job by the calendar event PVE converts its cron fields to, citing the cron line', () => {
    const [job] = parseVzdumpCron('15 3 * * 1,2,3,4,5 root vzdump 100 --quiet 1\n').jobs;
    const judged = (events: CalendarEvent[]) =>
      one(run({ state: hostWith([job!]), site: { events } }), 'D69.scheduled');
    expect(job!.schedule).toBe('mon,tue,wed,thu,fri 03:15');
    const f = judged([event('cron', 'WEEKLY', 3, 15)]);
    expect(f).toMatchObject({ outcome: 'pass' });
    expect(f.evidence).toContainEqual(expect.objectContaining({ commandId: 'vzdump-cron', detail: 'line 1' }));
    expect(judged([event('cron', 'WEEKLY', 3, 0)])).toMatchObject({ outcome: 'fail', reason: 'no_calendar_event' });
  });

  it('matches a weekday job to a WEEKLY event by time only, and says so', () => {
    const f = scheduled('sun 03:30', [event('weekly', 'WEEKLY', 3, 30)]);
    expect(f.outcome).toBe('pass');
    expect(f.message).toContain('a WEEKLY event matches by time only and its day is not checked');
    expect(scheduled('mon..fri 03:30', [event('daily', 'DAILY', 3, 30)])).toMatchObject({
      outcome: 'fail',
      reason: 'no_calendar_event',
    });
  });

  it('matches hourly jobs to HOURLY events by minute', () => {
    expect(scheduled('*:15', [event('monitor', 'HOURLY', null, 15)]).outcome).toBe('pass');
    expect(scheduled('*:15', [event('monitor', 'DAILY', 0, 15)])).toMatchObject({
      outcome: 'fail',
      reason: 'no_calendar_event',
    });
  });

  it('needs an event for every time a job runs', () => {
    const f = scheduled('2,14:00', [event('night', 'DAILY', 2, 0)]);
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_calendar_event' });
    expect(f.message).toContain('no DAILY event at 14:00');
  });

  it.each([
    ['a day of the month', '*-*-1 02:00'],
    ['hourly on weekdays only', 'mon..fri *:15'],
    ['seconds', '02:00:30'],
    ['a schedule PVE would not parse', 'every night'],
  ])('fails `unrepresentable_schedule` for %s', (_, schedule) => {
    const f = scheduled(schedule, [event('pve1-daily', 'DAILY', 2, 0)]);
    expect(f).toMatchObject({ outcome: 'fail', reason: 'unrepresentable_schedule' });
    expect(f.remediation).toContain('`pvesh set /cluster/backup/backup-daily --schedule 02:00`');
  });

  it("converts a UTC schedule into the calendar zone at the run's date", () => {
    // 2026-03-04: Europe/Berlin is UTC+1, so 02:00 UTC is 03:00 in the calendar.
    const f = scheduled('02:00 UTC', [event('utc-job', 'DAILY', 3, 0)]);
    expect(f.outcome).toBe('pass');
    expect(f.message).toContain('03:00 (Europe/Berlin time on 2026-03-04)');
    expect(
      scheduled('02:00 UTC', [event('pve1-daily', 'DAILY', 2, 0)], { now: '2026-07-01T12:00:00Z' }).message,
    ).toContain('no DAILY event at 04:00');
  });

  it('converts node-local times when the host runs in another zone', () => {
    const host = {
      ...makeHost('pve1', {
        pve: makePveState({ jobs: [makeJob('backup-daily', { vmids: [100], schedule: '02:00' })] }),
      }),
      timezone: 'America/New_York',
    };
    const f = one(run({ state: makeState([host]), site: { events: [event('ny', 'DAILY', 8, 0)] } }), 'D69.scheduled');
    expect(f.outcome).toBe('pass');
  });

  it('fails when one of two jobs that back the guest up has no event', () => {
    const state = hostWith([
      makeJob('daily', { vmids: [100], schedule: '02:00' }),
      makeJob('weekly', { vmids: [100], schedule: 'sat 05:00' }),
    ]);
    const f = one(run({ state }), 'D69.scheduled');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_calendar_event' });
    expect(f.message).toContain(
      'job daily (02:00): 02:00 ↔ DAILY event(s) pve1-daily; job weekly (sat 05:00): no WEEKLY event at 05:00',
    );
  });

  it('skips a guest no enabled job backs up, and without host state', () => {
    expect(one(run({ state: hostWith([]) }), 'D69.scheduled')).toMatchObject({
      outcome: 'skip',
      reason: 'not_enrolled',
    });
    expect(one(run({ state: null }), 'D69.scheduled')).toMatchObject({ outcome: 'skip', reason: 'no host state' });
    expect(one(run({ state: makeState([makeErrorHost('pve1')]) }), 'D69.scheduled')).toMatchObject({
      outcome: 'error',
      reason: 'connect_timeout',
    });
  });
});

describe('D69.ssh-target', () => {
  it('finds the entry by ssh_target, else by hostname', () => {
    expect(one(run(), 'D69.ssh-target').message).toBe('qemu/100 (app1): ssh.targets.yaml has app1 (by ssh_target)');
    expect(one(run({ site: { guests: [guest({ sshTarget: null })] } }), 'D69.ssh-target').message).toContain(
      'has app1 (by hostname)',
    );
  });

  it('fails a dangling ssh_target, pointing at the hostname entry when there is one', () => {
    const f = one(run({ site: { guests: [guest({ sshTarget: 'app-1' })] } }), 'D69.ssh-target');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'unknown_ssh_target' });
    expect(f.remediation).toContain('(ssh.targets.yaml has app1: set `ssh_target: app1`)');
  });

  it('fails a guest with no entry at all', () => {
    const f = one(run({ site: { ssh: ['pve1'], guests: [guest({ sshTarget: null })] } }), 'D69.ssh-target');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_ssh_target' });
    expect(f.remediation).toContain('Add `{id: app1, host: <address>, user: <user>}` to ssh.targets.yaml targets');
  });

  it('judges only the classifications d69.ssh_target_required_for names (ops init writes [critical]), saying why it skips the others', () => {
    const judged = (classification: 'critical' | 'important') =>
      one(
        run({
          site: {
            ssh: ['pve1'],
            guests: [guest({ sshTarget: null })],
            targets: [target({ classification })],
            d69: { sshTargetRequiredFor: ['critical'] },
          },
        }),
        'D69.ssh-target',
      );
    expect(judged('critical')).toMatchObject({ outcome: 'fail', reason: 'no_ssh_target' });
    expect(judged('important')).toMatchObject({
      outcome: 'skip',
      reason: 'not_required',
      message: expect.stringContaining(
        'drift.gates.yaml d69.ssh_target_required_for is [critical], so none is required',
      ),
    });
  });
});

describe('D69.runtime-unit', () => {
  it('skips when the inventory has no runtime_units', () => {
    expect(one(run({ site: { runtimeUnits: null } }), 'D69.runtime-unit')).toMatchObject({
      outcome: 'skip',
      reason: 'no_runtime_units',
    });
  });

  it('fails a guest with no kind: vm unit (a container-fleet unit does not count)', () => {
    const f = one(run({ site: { runtimeUnits: [unit('app1', { kind: 'container-fleet' })] } }), 'D69.runtime-unit');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_runtime_unit' });
    expect(f.remediation).toContain('{unit_id: vm-100-app1, kind: vm, hostname: app1');
  });

  it('fails an incomplete unit, naming the missing fields', () => {
    const f = one(
      run({ site: { runtimeUnits: [unit('app1', { restoreClass: null, dataClass: ' ' })] } }),
      'D69.runtime-unit',
    );
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'unit_incomplete',
      actual: 'missing data_class, restore_class',
    });
  });

  it('fails a unit not admitted as production_ready', () => {
    const f = one(
      run({ site: { runtimeUnits: [unit('app1', { backupAdmissionState: 'planned' })] } }),
      'D69.runtime-unit',
    );
    expect(f).toMatchObject({ outcome: 'fail', reason: 'not_production_ready', actual: 'planned' });
  });
});

describe('D69.restore-sop', () => {
  it('passes an SOP declared on the target that exists', () => {
    expect(one(run(), 'D69.restore-sop')).toMatchObject({
      outcome: 'pass',
      message: `qemu/100 (app1): restore SOP ${SOP} exists`,
    });
  });

  it('fails when none is declared, naming both places it may go', () => {
    const f = one(run({ site: { targets: [target({ restoreSop: null })] } }), 'D69.restore-sop');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_restore_sop' });
    expect(f.remediation).toContain(
      '`restore_sop: docs/restore/app1.md` to VMID 100 in vm.lifecycle.yaml:5 or to vm-100-primary in backup.inventory.yaml:10',
    );
  });

  it("prefers the guest's path and fails when that file does not exist under the root", () => {
    const f = one(
      run({
        site: { guests: [guest({ restoreSop: 'docs/gone.md' })] },
        restoreSops: { root: '/repo', found: { [SOP]: true, 'docs/gone.md': false } },
      }),
      'D69.restore-sop',
    );
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'sop_not_found',
      message: 'qemu/100 (app1): restore SOP docs/gone.md (declared in vm.lifecycle.yaml:5) does not exist under /repo',
    });
  });

  it.each(['../other-repo/sop.md', '/etc/sop.md', 'docs/../../sop.md'])(
    'fails %s: it would leave the repository',
    (p) => {
      const f = one(
        run({ site: { targets: [target({ restoreSop: p })] }, restoreSops: { root: '/repo', found: { [p]: false } } }),
        'D69.restore-sop',
      );
      expect(f).toMatchObject({ outcome: 'fail', reason: 'sop_outside_repository' });
    },
  );

  it('skips what the policy does not require, and what was not looked up', () => {
    expect(one(run({ site: { targets: [target({ classification: 'important' })] } }), 'D69.restore-sop')).toMatchObject(
      { outcome: 'skip', reason: 'not_required' },
    );
    expect(one(run({ restoreSops: undefined }), 'D69.restore-sop')).toMatchObject({
      outcome: 'skip',
      reason: 'not_checked',
    });
    expect(one(run({ site: { guests: [guest({ backupTarget: 'nope' })] } }), 'D69.restore-sop')).toMatchObject({
      outcome: 'skip',
      reason: 'no_target',
    });
  });

  it('requires an SOP of every active guest when the policy says all', () => {
    const f = one(
      run({ site: { guests: [guest({ backupTarget: 'nope' })], d69: { restoreSopRequiredFor: 'all' } } }),
      'D69.restore-sop',
    );
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_restore_sop' });
    const important = { targets: [target({ classification: 'important', restoreSop: null })] };
    expect(
      one(run({ site: { ...important, d69: { restoreSopRequiredFor: ['critical', 'important'] } } }), 'D69.restore-sop')
        .outcome,
    ).toBe('fail');
  });
});

describe('D69.offsite', () => {
  const offsiteCopy = (o: Partial<FileGlobTarget> = {}) =>
    makeTarget({ name: 'offsite-vms', host: 'nas', basePath: '/volume1/offsite', glob: 'vzdump-qemu-*.vma.zst', ...o });
  const required = target({ offsite: { required: true, reason: 'one of a kind' } });

  it('fails a critical guest with no offsite decision', () => {
    const f = one(run({ site: { targets: [target({ offsite: null })] } }), 'D69.offsite');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_offsite_decision' });
    expect(f.remediation).toContain('`offsite: {required: true, reason: "…"}`');
  });

  it('passes "not required" with a reason, fails it without', () => {
    expect(one(run(), 'D69.offsite').message).toBe(
      'qemu/100 (app1): no offsite copy required: rebuilt from the install runbook',
    );
    const f = one(run({ site: { guests: [guest({ offsite: { required: false, reason: null } })] } }), 'D69.offsite');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_offsite_reason' });
  });

  it('passes a required copy held by an enabled target on another host', () => {
    const f = one(run({ site: { targets: [required, offsiteCopy()] } }), 'D69.offsite');
    expect(f).toMatchObject({
      outcome: 'pass',
      message: 'qemu/100 (app1): offsite copy required and held by offsite-vms on nas',
    });
  });

  it.each([
    ['no copy anywhere', [] as InventoryTarget[], {}, ''],
    ['the copy is disabled', [offsiteCopy({ enabled: false })], {}, '(offsite-vms would, but is disabled)'],
    [
      "the copy is on the site's own storage host",
      [offsiteCopy()],
      { storageHosts: { pve1: 'nas' } },
      'other than pve1 and nas',
    ],
    ['the other host holds app dumps, not its archives', [offsiteCopy({ glob: '*.tar.gz' })], {}, ''],
    ["the copy holds other guests' archives", [offsiteCopy({ glob: 'vzdump-qemu-101-*.vma.zst' })], {}, ''],
  ])('fails a required copy when %s', (_, copies, d69, text) => {
    const f = one(run({ site: { targets: [required, ...copies], d69 } }), 'D69.offsite');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'no_offsite_target' });
    expect(f.message).toContain(text);
  });

  it('counts a pve_storage copy on another host, or on a storage the policy says lives elsewhere, as offsite', () => {
    const remote = makeStorageTarget({ name: 'vm-100-remote-pbs', storage: 'pbs-remote' });
    const onOwnHost = one(run({ site: { targets: [required, remote] } }), 'D69.offsite');
    expect(onOwnHost).toMatchObject({ outcome: 'fail', reason: 'no_offsite_target' });
    const declared = one(
      run({ site: { targets: [required, remote], d69: { offsiteStorages: { pve1: ['pbs-remote'] } } } }),
      'D69.offsite',
    );
    expect(declared).toMatchObject({
      outcome: 'pass',
      message: 'qemu/100 (app1): offsite copy required and held by vm-100-remote-pbs on pve1',
    });
    const elsewhere = one(run({ site: { targets: [required, { ...remote, host: 'pve-dr' }] } }), 'D69.offsite');
    expect(elsewhere).toMatchObject({ outcome: 'pass' });
    expect(
      one(run({ site: { targets: [required, { ...remote, host: 'pve-dr', vmid: 101 }] } }), 'D69.offsite'),
    ).toMatchObject({ outcome: 'fail' });
  });

  it('skips guests the policy does not require a decision of', () => {
    expect(
      one(run({ site: { targets: [target({ classification: 'rebuildable', offsite: null })] } }), 'D69.offsite'),
    ).toMatchObject({ outcome: 'skip', reason: 'not_required' });
  });
});

describe('D69.decommissioned-clean', () => {
  const retired = (o: Partial<LifecycleGuest> = {}) =>
    guest({ status: 'decommissioned', backupTarget: null, sshTarget: null, ...o });
  const clean = { targets: [target({ enabled: false })], guests: [retired()] };

  it('passes a retired guest with nothing left', () => {
    const f = one(run({ site: clean, state: hostWith([]) }), 'D69.decommissioned-clean');
    expect(f).toMatchObject({
      outcome: 'pass',
      message: 'qemu/100 (app1) is decommissioned: no backup_target, no enabled target, in no enabled job',
    });
  });

  it('fails what the bindings alone show, even without host state', () => {
    const f = one(
      run({ site: { guests: [retired({ status: 'abandoned', backupTarget: 'vm-100-gone' })] }, state: null }),
      'D69.decommissioned-clean',
    );
    expect(f).toMatchObject({ outcome: 'fail', reason: 'backup_target_set' });
    expect(f.message).toBe(
      'qemu/100 (app1) is abandoned but backup_target is still vm-100-gone (a target the inventory no longer has); enabled target vm-100-primary still expects its backups (jobs not judged: no host state)',
    );
    expect(f.remediation).toBe(
      'Set `backup_target: null` on VMID 100 in vm.lifecycle.yaml:5. Set `enabled: false` on vm-100-primary in backup.inventory.yaml:10 with a description (retired with VMID 100), or remove it.',
    );
  });

  it('skips clean bindings without host state, errors on an unreadable host', () => {
    expect(one(run({ site: clean, state: null }), 'D69.decommissioned-clean')).toMatchObject({
      outcome: 'skip',
      reason: 'no host state',
    });
    expect(
      one(run({ site: clean, state: makeState([makeErrorHost('pve1')]) }), 'D69.decommissioned-clean'),
    ).toMatchObject({ outcome: 'error', reason: 'connect_timeout' });
  });

  it.each([
    [
      'a vmid list',
      makeJob('backup-daily', { vmids: [100, 101] }),
      '`pvesh set /cluster/backup/backup-daily --vmid 101`',
    ],
    ['`all`', makeJob('all', { all: true, exclude: [9000] }), '`pvesh set /cluster/backup/all --exclude 9000,100`'],
    ['a pool', makeJob('weekly', { pool: 'rebuild' }), '`pvesh set /pools/rebuild --vms 100 --delete 1`'],
  ])('fails a retired guest an enabled job still backs up through %s', (_, job, fix) => {
    const state = hostWith([job], {
      guests: [makeGuest(100, { status: 'stopped' }), makeGuest(101)],
      pools: { rebuild: [100] },
    });
    const f = one(run({ site: clean, state }), 'D69.decommissioned-clean');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'in_enabled_job',
      actual: `enabled job ${job.id} still backs it up`,
    });
    expect(f.remediation).toContain(fix);
  });
});

describe('D69.unregistered-guest', () => {
  const guests = [
    makeGuest(100),
    makeGuest(104, { type: 'lxc', name: 'scratch' }),
    makeGuest(9000, { template: true, name: 'tmpl' }),
  ];

  it('fails a guest the lifecycle does not list, skips an unlisted template', () => {
    const findings = run({ state: hostWith([makeJob('all', { all: true })], { guests }) });
    expect(one(findings, 'D69.unregistered-guest', 'qemu/100').outcome).toBe('pass');
    const f = one(findings, 'D69.unregistered-guest', 'lxc/104');
    expect(f).toMatchObject({
      outcome: 'fail',
      reason: 'not_in_lifecycle',
      host: 'pve1',
      message: 'lxc/104 (scratch) runs on pve1 but is not in vm.lifecycle.yaml: nobody onboarded it',
    });
    expect(f.remediation).toContain(
      '`{id: 104, hostname: scratch, proxmox_host: pve1, status: active, vm_type: lxc, backup_target: <target>, ssh_target: <id>}`',
    );
    expect(one(findings, 'D69.unregistered-guest', 'qemu/9000')).toMatchObject({ outcome: 'skip', reason: 'template' });
  });

  it('passes a template the lifecycle lists', () => {
    const site = { guests: [guest(), guest({ id: 9000, status: 'template', backupTarget: null })] };
    expect(
      one(
        run({ site, state: hostWith([makeJob('all', { all: true })], { guests }) }),
        'D69.unregistered-guest',
        'qemu/9000',
      ).outcome,
    ).toBe('pass');
  });

  it('skips per host without state or guests, errors when unreadable', () => {
    expect(one(run({ state: null }), 'D69.unregistered-guest', 'pve1')).toMatchObject({
      outcome: 'skip',
      reason: 'no host state',
    });
    expect(one(run({ state: hostWith([], { guests: [] }) }), 'D69.unregistered-guest', 'pve1')).toMatchObject({
      outcome: 'skip',
      reason: 'no_guests',
    });
    expect(one(run({ state: makeState([makeErrorHost('pve1')]) }), 'D69.unregistered-guest', 'pve1')).toMatchObject({
      outcome: 'error',
      reason: 'connect_timeout',
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe("a guest's whole life, replayed", () => {
  // VM 120 (newapp) on pve1, next to the healthy 100. Each step is the estate as the operator
  // leaves it; the assertion is the exact set of D69 failures at that step.
  const newapp = (o: Partial<LifecycleGuest> = {}) =>
    guest({ id: 120, hostname: 'newapp', backupTarget: null, sshTarget: null, ...o });
  const newTarget = (o: Partial<FileGlobTarget> = {}) =>
    target({ name: 'vm-120-newapp-primary', glob: 'vzdump-qemu-120-*.vma.zst', restoreSop: null, offsite: null, ...o });
  const withSops = { root: '/repo', found: { [SOP]: true, 'docs/restore/newapp.md': true } };

  interface Step {
    lifecycle: LifecycleGuest;
    targets?: InventoryTarget[];
    onHost?: boolean;
    jobVmids?: number[];
    ssh?: boolean;
    event?: boolean;
    unit?: boolean;
  }
  const at = (s: Step): Finding[] =>
    evaluateD69(
      makeInput({
        bindings: site({
          guests: [guest(), s.lifecycle],
          targets: [target(), ...(s.targets ?? [])],
          ssh: ['pve1', 'nas', 'app1', ...(s.ssh ? ['newapp'] : [])],
          events: [event('pve1-daily', 'DAILY', 2, 0), ...(s.event ? [event('newapp-nightly', 'DAILY', 4, 0)] : [])],
          runtimeUnits: [unit('app1'), ...(s.unit ? [unit('newapp')] : [])],
        }),
        state: hostWith(
          [
            makeJob('backup-daily', { vmids: [100] }),
            ...(s.jobVmids?.length ? [makeJob('backup-night', { vmids: s.jobVmids, schedule: '04:00' })] : []),
          ],
          { guests: [makeGuest(100), ...(s.onHost ? [makeGuest(120, { name: 'newapp' })] : [])] },
        ),
        restoreSops: withSops,
      }),
    );

  const ready = {
    targets: [
      newTarget({ restoreSop: 'docs/restore/newapp.md', offsite: { required: false, reason: 'rebuildable from git' } }),
    ],
    onHost: true,
    jobVmids: [120],
    ssh: true,
    event: true,
    unit: true,
  };

  it('onboarding: planning → provisioned → registered → active', () => {
    // Created by hand before anyone wrote it down (GAP-OP-103).
    expect(fails(at({ lifecycle: guest({ id: 99_999, status: 'planning' }), onHost: true }))).toEqual([
      'D69.unregistered-guest qemu/120',
    ]);
    expect(fails(at({ lifecycle: newapp({ status: 'planning' }) }))).toEqual([]);
    expect(fails(at({ lifecycle: newapp({ status: 'provisioned' }), onHost: true }))).toEqual([]);
    // Registered: ssh target and a new target that stays disabled until its first archive exists.
    const registered = { onHost: true, ssh: true, targets: [newTarget({ enabled: false })] };
    expect(
      fails(
        at({
          ...registered,
          lifecycle: newapp({ status: 'registered', sshTarget: 'newapp', backupTarget: 'vm-120-newapp-primary' }),
        }),
      ),
    ).toEqual([]);
    // Active too early: the VM 215 window (target disabled, no job, no unit, no SOP, no offsite decision).
    const active = newapp({ sshTarget: 'newapp', backupTarget: 'vm-120-newapp-primary' });
    expect(fails(at({ ...registered, lifecycle: active }))).toEqual([
      'D69.enrolled qemu/120',
      'D69.offsite qemu/120',
      'D69.restore-sop qemu/120',
      'D69.runtime-unit qemu/120',
      'D69.target-enabled qemu/120',
    ]);
    // Enabled and in a job, but the calendar was forgotten and the paperwork is missing.
    expect(fails(at({ ...registered, lifecycle: active, targets: [newTarget()], jobVmids: [120] }))).toEqual([
      'D69.offsite qemu/120',
      'D69.restore-sop qemu/120',
      'D69.runtime-unit qemu/120',
      'D69.scheduled qemu/120',
    ]);
    const done = at({ ...ready, lifecycle: active });
    expect(fails(done)).toEqual([]);
    expect(all(done, 'D69.scheduled', 'qemu/120')[0]?.message).toContain('04:00 ↔ DAILY event(s) newapp-nightly');
  });

  it('decommission: each step clears one failure until the guest is gone', () => {
    const retired = newapp({
      status: 'decommissioned',
      decommissionedAt: '2026-03-04',
      sshTarget: 'newapp',
      backupTarget: 'vm-120-newapp-primary',
    });
    const step1 = at({ ...ready, lifecycle: retired });
    expect(fails(step1)).toEqual(['D69.decommissioned-clean qemu/120']);
    expect(one(step1, 'D69.decommissioned-clean', 'qemu/120').message).toBe(
      'qemu/120 (newapp) is decommissioned but backup_target is still vm-120-newapp-primary; enabled target vm-120-newapp-primary still expects its backups; enabled job backup-night still backs it up',
    );
    const unbound = {
      ...ready,
      lifecycle: { ...retired, backupTarget: null },
      targets: [newTarget({ enabled: false })],
    };
    expect(one(at(unbound), 'D69.decommissioned-clean', 'qemu/120')).toMatchObject({
      outcome: 'fail',
      reason: 'in_enabled_job',
    });
    expect(fails(at({ ...unbound, jobVmids: [] }))).toEqual([]);
    expect(fails(at({ ...unbound, jobVmids: [], onHost: false }))).toEqual([]);
    // None of the active-guest checks judge it any more.
    expect(
      at({ ...unbound, jobVmids: [] })
        .filter((f) => f.subject === 'qemu/120')
        .map((f) => f.check)
        .sort(),
    ).toEqual(['D69.decommissioned-clean', 'D69.status', 'D69.unregistered-guest']);
  });
});

// ---------------------------------------------------------------------------------------------

function expectWellFormed(findings: Finding[]): void {
  expect(findings.length).toBeGreaterThan(0);
  const names = findings.map(findingId);
  expect(new Set(names).size, 'finding names are unique (one test each)').toBe(names.length);
  for (const f of findings) {
    const id = `${findingId(f)} (${f.outcome})`;
    expect(f.gate, id).toBe('D69');
    expect(D69_CHECKS, id).toContain(f.check);
    expect(f.message.trim(), id).not.toBe('');
    if (f.outcome === 'fail') expect(f.remediation?.trim() && f.reason, id).toBeTruthy();
    if (f.outcome === 'error' || f.outcome === 'skip') expect(f.reason, id).toBeTruthy();
    if (f.outcome === 'pass') expect(f.reason, id).toBeNull();
    if (f.outcome === 'pass' || f.outcome === 'skip') expect(f.remediation, id).toBeNull();
  }
}

describe('every finding', () => {
  it.each<[string, Partial<VerifyInput> & { site?: SiteOverrides }]>([
    ['healthy', {}],
    ['binding-only', { state: null }],
    ['host unreachable', { state: makeState([makeErrorHost('pve1')]) }],
    [
      'everything wrong',
      {
        site: {
          guests: [
            guest({ backupTarget: 'x', sshTarget: 'y' }),
            guest({ id: 101, status: 'stopped' }),
            guest({ id: 102, status: 'decommissioned' }),
          ],
          runtimeUnits: [],
        },
        state: hostWith([makeJob('d', { vmids: [102], schedule: '*-*-1' })], {
          guests: [makeGuest(100), makeGuest(102), makeGuest(103)],
        }),
      },
    ],
  ])('is well formed: %s', (_, o) => expectWellFormed(run(o)));

  it('is a pure function of its input', () => {
    const input = makeInput({ bindings: site(), restoreSops: SOPS });
    const before = JSON.stringify(input);
    expect(evaluateD69(input)).toEqual(evaluateD69(input));
    expect(JSON.stringify(input)).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the bundled demo site', () => {
  let findings: Finding[];
  let bindingOnly: Finding[];

  beforeAll(async () => {
    const loaded = await loadBindings(path.join(DEMO_SITE, 'bindings'));
    if (!loaded.ok) throw new Error(`demo bindings: ${JSON.stringify(loaded.errors)}`);
    const read = await readSnapshot(path.join(DEMO_SITE, 'snapshot'), loaded.bindings);
    if (!read.ok) throw new Error(`demo snapshot: ${JSON.stringify(read.errors)}`);
    const input = {
      bindings: loaded.bindings,
      now: CAPTURED_AT,
      maxSnapshotAgeHours: 24,
      bundledDemo: true,
      restoreSops: await checkRestoreSops(loaded.bindings),
    };
    findings = evaluateD69({ ...input, state: read.state });
    bindingOnly = evaluateD69({ ...input, state: null });
  });

  const key = (f: Finding) => `${f.check} ${f.host}/${f.subject} ${f.reason}`;

  // fixtures/demo-site/README.md, "D69 drift": one row each.
  const README_DRIFT = [
    'D69.status pve-shop/qemu/9000 status_not_in_enum',
    'D69.status pve-home/qemu/9100 status_not_in_enum',
    'D69.backup-target pve-home/qemu/202 unknown_target',
    'D69.target-enabled pve-shop/qemu/106 target_disabled',
    'D69.target-shape pve-shop/qemu/110 glob_mismatch',
    'D69.enrolled pve-shop/qemu/106 only_disabled_jobs',
    'D69.enrolled pve-shop/qemu/107 not_in_any_job',
    'D69.scheduled pve-shop/qemu/110 no_calendar_event',
    'D69.ssh-target pve-shop/qemu/110 unknown_ssh_target',
    'D69.runtime-unit pve-shop/qemu/110 no_runtime_unit',
    'D69.restore-sop pve-shop/qemu/102 sop_not_found',
    'D69.offsite pve-home/qemu/201 no_offsite_target',
    'D69.decommissioned-clean pve-shop/qemu/109 backup_target_set',
    'D69.unregistered-guest pve-home/lxc/204 not_in_lifecycle',
  ];
  const HOST_STATE_DRIFT = ['D69.enrolled', 'D69.scheduled', 'D69.unregistered-guest'];

  it("has exactly the README's D69 drift, one of every check, and no errors", () => {
    expect(
      findings
        .filter((f) => f.outcome === 'fail' || f.outcome === 'error')
        .map(key)
        .sort(),
    ).toEqual([...README_DRIFT].sort());
    expect(new Set(findings.filter((f) => f.outcome === 'fail').map((f) => f.check))).toEqual(new Set(D69_CHECKS));
    expectWellFormed(findings);
  });

  it('shows the binding drift without host state, and skips the rest', () => {
    const expected = README_DRIFT.filter((k) => !HOST_STATE_DRIFT.some((c) => k.startsWith(`${c} `)));
    expect(
      bindingOnly
        .filter((f) => f.outcome === 'fail' || f.outcome === 'error')
        .map(key)
        .sort(),
    ).toEqual(expected.sort());
    // Each guest (each PVE host) is still named, skipped: a check that judged nothing would list nothing here.
    const skipped = (check: string) => all(bindingOnly, check).map((f) => `${f.subject} ${f.outcome} ${f.reason}`);
    const activeGuests = [
      'qemu/101',
      'qemu/102',
      'qemu/103',
      'qemu/104',
      'lxc/105',
      'qemu/106',
      'qemu/107',
      'qemu/110',
      'qemu/201',
      'qemu/202',
      'lxc/203',
    ];
    expect(skipped('D69.enrolled')).toEqual(activeGuests.map((s) => `${s} skip no host state`));
    expect(skipped('D69.scheduled')).toEqual(activeGuests.map((s) => `${s} skip no host state`));
    expect(skipped('D69.unregistered-guest')).toEqual(['pve-home skip no host state', 'pve-shop skip no host state']);
  });

  it("passes the README's near-misses", () => {
    const outcome = (check: string, subject: string) =>
      `${one(findings, check, subject).outcome} ${one(findings, check, subject).reason ?? ''}`.trim();
    expect(outcome('D69.status', 'qemu/111')).toBe('pass'); // planning: nothing else applies yet
    expect(findings.filter((f) => f.subject === 'qemu/111').map((f) => f.check)).toEqual(['D69.status']);
    expect(outcome('D69.restore-sop', 'qemu/101')).toBe('pass'); // declared on its target, under repository_root
    expect(outcome('D69.restore-sop', 'qemu/201')).toBe('pass');
    expect(outcome('D69.offsite', 'qemu/101')).toBe('pass'); // offsite-shop-vms on the nas holds it
    expect(outcome('D69.offsite', 'qemu/102')).toBe('pass'); // decided on its target
    expect(outcome('D69.scheduled', 'qemu/103')).toBe('pass'); // sun 03:30 ↔ WEEKLY, by time only
    expect(one(findings, 'D69.scheduled', 'qemu/103').message).toContain('its day is not checked');
    expect(outcome('D69.decommissioned-clean', 'qemu/108')).toBe('pass');
    expect(outcome('D69.target-shape', 'lxc/105')).toBe('pass');
    expect(outcome('D69.enrolled', 'qemu/110')).toBe('pass');
  });

  it('suggests the real target name and the job line D19 shows', () => {
    expect(one(findings, 'D69.backup-target', 'qemu/202').remediation).toContain(
      '`backup_target: home-vm-202-home-auto-primary`',
    );
    expect(one(findings, 'D69.enrolled', 'qemu/107').remediation).toContain(
      '`pvesh set /cluster/backup/backup-3f9c2a71-5d0e --vmid 101,102,104,105,107`',
    );
    expect(one(findings, 'D69.restore-sop', 'qemu/102').message).toContain(
      `does not exist under ${path.join(PACKAGE_ROOT, 'fixtures', 'demo-site')}`,
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe.each(['2026-02-24', '2026-03-05'])(skipNamed('reference bindings %s, binding-only', NO_REFERENCE), (date) => {
  let findings: Finding[] = [];

  beforeAll(async () => {
    if (NO_REFERENCE) return;
    const loaded = await loadBindings(path.join(REFERENCE, date));
    if (!loaded.ok) throw new Error(`reference ${date}: ${JSON.stringify(loaded.errors)}`);
    findings = evaluateD69({
      bindings: loaded.bindings,
      state: null,
      now: CAPTURED_AT,
      maxSnapshotAgeHours: null,
      bundledDemo: false,
    });
  });
  const skipWithoutReference = (ctx: { skip: (condition: boolean, note: string) => void }) =>
    ctx.skip(NO_REFERENCE !== null, NO_REFERENCE ?? '');

  it('fails the five backup_target names the inventory does not have, suggesting the real ones', (ctx) => {
    skipWithoutReference(ctx);
    const failed = all(findings, 'D69.backup-target').filter((f) => f.outcome === 'fail');
    expect(failed.map((f) => `${f.subject} ${f.reason} ${f.actual}`)).toEqual([
      'qemu/206 unknown_target vm-206-primary',
      'qemu/207 unknown_target vm-207-primary',
      'qemu/209 unknown_target vm-209-primary',
      'qemu/210 unknown_target vm-210-primary',
      'qemu/211 unknown_target vm-211-primary',
    ]);
    expect(failed.map((f) => /`backup_target: ([^`]+)`/.exec(f.remediation ?? '')?.[1])).toEqual([
      'vm-206-dev-tools-primary',
      'vm-207-ai-consolidation-primary',
      'vm-209-download-stack-primary',
      'vm-210-streaming-stack-primary',
      'vm-211-finance-stack-primary',
    ]);
  });

  it('fails decommissioned VM 102, still pointing at its retired target', (ctx) => {
    skipWithoutReference(ctx);
    const f = one(findings, 'D69.decommissioned-clean', 'qemu/102');
    expect(f).toMatchObject({ outcome: 'fail', reason: 'backup_target_set', host: 'proxmox-home' });
    expect(f.message).toContain('backup_target is still home-vm-102-vaultwarden-primary');
    // 1c05f7b2 deleted the target: on 03-05 the name points at nothing.
    expect(f.message.includes('no longer has')).toBe(date === '2026-03-05');
    expect(all(findings, 'D69.decommissioned-clean').filter((x) => x.outcome === 'fail')).toHaveLength(1);
  });

  it('fails the non-enum status of template 9000, and only that', (ctx) => {
    skipWithoutReference(ctx);
    expect(
      all(findings, 'D69.status')
        .filter((f) => f.outcome === 'fail')
        .map((f) => `${f.subject} ${f.actual}`),
    ).toEqual(['qemu/9000 template']);
  });

  it('judges runtime units only where the inventory has them (VM 215 has none on 03-05)', (ctx) => {
    skipWithoutReference(ctx);
    const units = all(findings, 'D69.runtime-unit');
    if (date === '2026-02-24') expect(new Set(units.map((f) => f.reason))).toEqual(new Set(['no_runtime_units']));
    else
      expect(units.filter((f) => f.outcome === 'fail').map((f) => `${f.subject} ${f.reason}`)).toEqual([
        'qemu/215 no_runtime_unit',
      ]);
  });

  it('skips what needs host state, and is well formed', (ctx) => {
    skipWithoutReference(ctx);
    // Every active guest (every PVE host) is named and skipped: none is dropped, none judged without facts.
    const active = [
      '200',
      '202',
      '203',
      '204',
      '205',
      '206',
      '207',
      '209',
      '210',
      '211',
      '212',
      '213',
      '214',
      ...(date === '2026-03-05' ? ['215'] : []),
      '100',
    ]
      .map((vmid) => `qemu/${vmid}`)
      .concat('lxc/105');
    const skipped = (check: string) => all(findings, check).map((f) => `${f.subject} ${f.outcome} ${f.reason}`);
    expect(skipped('D69.enrolled')).toEqual(active.map((s) => `${s} skip no host state`));
    expect(skipped('D69.scheduled')).toEqual(active.map((s) => `${s} skip no host state`));
    expect(skipped('D69.unregistered-guest')).toEqual(['proxmox-home skip no host state', 'pve skip no host state']);
    expect(findings.filter((f) => f.outcome === 'error')).toEqual([]);
    expectWellFormed(findings);
  });
});

// Starter bindings claim only what the host state shows.

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PveStorageState, StorageConfig } from '../model.js';
import {
  makeGuest,
  makeHost,
  makeJob,
  makePveState,
  makeState,
  makeStorage,
  makeStorageState,
} from '../rules/testing/test-input.js';
import { archiveHome, starterBindings } from './starter.js';

const pve = makePveState({
  guests: [
    makeGuest(100),
    makeGuest(101, { type: 'lxc', name: 'dns' }),
    makeGuest(102),
    makeGuest(900, { template: true }),
  ],
  jobs: [
    makeJob('daily', { vmids: [100, 101], storage: 'local', schedule: '02:00' }),
    makeJob('weekdays', { vmids: [100], storage: 'local', schedule: 'mon..fri 12:30' }),
    makeJob('to-nas', { vmids: [102], storage: 'nas-backup', schedule: 'sun 03:00' }),
    makeJob('off', { vmids: [102], enabled: false, storage: 'local' }),
  ],
});
const starter = starterBindings(
  makeState([makeHost('pve1', { pve }), makeHost('nas', { pve: null })]),
  '2026-03-04T08:00:00Z',
);
const file = (name: string) => parse(starter.files[name]!) as Record<string, unknown>;
/** backup.inventory.yaml's targets as written (snake_case keys). */
const inventoryTargets = (files: Record<string, string>) =>
  (parse(files['backup.inventory.yaml']!) as { targets: Record<string, unknown>[] }).targets;

describe('ops init starter bindings', () => {
  it('lists every guest but templates, each target per guest per enabled job in the dump folder', () => {
    expect(file('vm.lifecycle.yaml').vms).toEqual([
      { id: 100, hostname: 'app1', proxmox_host: 'pve1', status: 'active', backup_target: 'pve1-qemu-100-daily' },
      {
        id: 101,
        hostname: 'dns',
        proxmox_host: 'pve1',
        status: 'active',
        vm_type: 'lxc',
        backup_target: 'pve1-lxc-101-daily',
      },
      { id: 102, hostname: 'app3', proxmox_host: 'pve1', status: 'active' },
    ]);
    expect(
      inventoryTargets(starter.files).map((t) => [t['name'], t['base_path'], t['glob'], t['stale_after_hours']]),
    ).toEqual([
      ['pve1-qemu-100-daily', '/var/lib/vz/dump', 'vzdump-qemu-100-*', 26],
      ['pve1-lxc-101-daily', '/var/lib/vz/dump', 'vzdump-lxc-101-*', 26],
      ['pve1-qemu-100-weekdays', '/var/lib/vz/dump', 'vzdump-qemu-100-*', 170],
    ]);
  });

  it('invents nothing: a storage whose path is unknown, or a guest in no enabled job, gets no target and a note', () => {
    expect(starter.notes.join('\n')).toContain(
      'pve1 job to-nas writes to storage nas-backup: it is not in storage.cfg, so its 1 guest(s) get no target',
    );
    expect(starter.notes.join('\n')).toContain(
      'pve1 qemu/102 (app3): in no enabled job PVE runs whose archives the host state can place, so no target',
    );
    expect(starter.notes.join('\n')).toContain('nas: not judged as a PVE host');
    expect(starter.notes.join('\n')).toContain(
      'Restore drills: critical targets need a restore that worked within 90 days (D19.restore-drill;',
    );
    expect(
      inventoryTargets(starter.files).every((t) => t['classification'] === undefined && t['restore_sop'] === undefined),
    ).toBe(true);
  });

  it('writes no retention policy, and notes the minimums and what retention the host state already shows', () => {
    const cfg = (id: string, o: Partial<StorageConfig>): StorageConfig => ({
      id,
      type: 'dir',
      line: 1,
      disabled: false,
      nodes: null,
      path: '/var/lib/vz',
      contentDirs: {},
      datastore: null,
      namespace: null,
      server: null,
      pruneBackups: null,
      maxfiles: null,
      ...o,
    });
    const storage = makeStorageState([], {
      storages: [makeStorage('local', { type: 'dir' }), makeStorage('pbs-main')],
      config: [
        cfg('local', { pruneBackups: 'keep-all=1' }),
        cfg('pbs-main', { type: 'pbs', path: null, datastore: 'main', server: '192.0.2.9' }),
      ],
      contents: {},
    });
    const jobs = makePveState({
      guests: [makeGuest(100), makeGuest(101), makeGuest(102), makeGuest(103)],
      jobs: [
        makeJob('keep1', { vmids: [100], storage: 'local', options: { 'prune-backups': 'keep-last=1' } }),
        makeJob('keep3', { vmids: [101], storage: 'local', options: { 'prune-backups': 'keep-daily=3' } }),
        makeJob('all', { vmids: [102], storage: 'local' }),
        makeJob('pbs', { vmids: [103], storage: 'pbs-main' }),
      ],
    });
    const out = starterBindings(makeState([makeHost('pve1', { pve: jobs, storage })]), '2026-03-04T08:00:00Z');
    expect(parse(out.files['drift.gates.yaml']!)).not.toHaveProperty('d19');
    const note = out.notes.find((n) => n.startsWith('Restore points:'))!;
    expect(note).toContain(
      'd19.retention.<class>.min_restore_points (defaults critical 3, important 2, rebuildable 1). ops init writes no retention policy',
    );
    expect(note).toContain('Of the 4 target(s) written, 1 would fail retention_unbounded whatever their class');
    expect(note).toContain(': pve1-qemu-102-all (keep-all=1 from storage.cfg on local)');
    expect(note).toContain(
      '1 keep fewer than 3 restore points, policy_below_class if classified critical (fewer than 2: important too): pve1-qemu-100-keep1 (keep-last=1 from the job on local)',
    );
    expect(note).toContain(
      '1 on a Proxmox Backup Server storage with keep-all on the PVE side skip pbs_side_retention',
    );
    expect(note).not.toContain('pve1-qemu-101-keep3');
    // Without /etc/vzdump.conf and the PVE version the policy cannot be known: said, never counted as fine.
    const blind = starterBindings(
      makeState([makeHost('pve1', { pve: jobs, storage, retention: null })]),
      '2026-03-04T08:00:00Z',
    );
    expect(blind.notes.find((n) => n.startsWith('Restore points:'))).toContain(
      'Of the 4 target(s) written, 0 would fail retention_unbounded whatever their class (keep-all: the storage fills until backups fail; d19.retention.allow_unbounded: [<storage>] if on purpose); 0 keep fewer than 3 restore points, policy_below_class if classified critical (fewer than 2: important too); 4 cannot be judged yet and will be errors once classified: pve1-qemu-100-keep1 (/etc/vzdump.conf and pveversion were not collected)',
    );
  });

  it('writes one event per job schedule, with byday for weekday schedules, and pve_hosts', () => {
    expect(file('backup.calendar.yaml')).toMatchObject({
      timezone: 'Europe/Berlin',
      events: [
        { id: 'daily', freq: 'DAILY', byhour: 2, byminute: 0 },
        { id: 'weekdays', freq: 'WEEKLY', byhour: 12, byminute: 30, byday: ['MO', 'TU', 'WE', 'TH', 'FR'] },
        { id: 'to-nas', freq: 'WEEKLY', byhour: 3, byminute: 0, byday: ['SU'] },
      ],
    });
    expect(file('drift.gates.yaml')).toEqual({
      version: 1,
      pve_hosts: ['pve1'],
      d69: { ssh_target_required_for: ['critical'] },
    });
  });

  it('requires ssh targets of critical guests only while ssh.targets.yaml lacks a guest, and says so under To decide', () => {
    expect(starter.notes.join('\n')).toContain(
      'ssh.targets.yaml has no entry for 3 guest(s): 100 (app1), 101 (dns), 102 (app3). drift.gates.yaml says d69.ssh_target_required_for: [critical]',
    );
    const listed = starterBindings(
      makeState([makeHost('pve1', { pve })]),
      '2026-03-04T08:00:00Z',
      new Set(['pve1', 'app1', 'dns', 'app3']),
    );
    expect(parse(listed.files['drift.gates.yaml']!)).toEqual({ version: 1, pve_hosts: ['pve1'] });
    expect(listed.notes.join('\n')).not.toContain('ssh_target_required_for');
  });

  it('says which hosts it could not read as PVE hosts, and why', () => {
    expect(starter.pveHosts).toEqual(['pve1']);
    expect(starter.unread).toEqual([{ id: 'nas', reason: null, why: 'no PVE state' }]);
  });

  it('heads each file with the hosts and the time it was generated from', () => {
    for (const text of Object.values(starter.files)) {
      expect(text).toMatch(
        /^# .*\n# Generated by `ops init` at 2026-03-04T08:00:00Z from pve1 \(host state captured 2026-03-04T07:30:00Z\)\.\n/,
      );
    }
  });
});

const cfg = (id: string, type: string, more: Partial<StorageConfig> = {}): StorageConfig => ({
  id,
  type,
  line: 1,
  disabled: false,
  nodes: null,
  path: null,
  contentDirs: {},
  datastore: null,
  namespace: null,
  server: null,
  ...more,
});
const facts = (...config: StorageConfig[]) => makeStorageState([], { config, contents: {} });

describe("archiveHome: where a job's storage puts its archives (pve-storage Plugin.pm get_subdir, backup → dump)", () => {
  const home = (
    storage: string | null,
    state: PveStorageState | null = facts(),
    options: Record<string, string> = {},
  ) => archiveHome(makeJob('j', { storage, options }), state);

  it('a dir, nfs or cifs storage: its path + /dump, or the content-dirs backup folder', () => {
    const state = facts(
      cfg('shop-backup', 'dir', { path: '/srv/backups/' }),
      cfg('nas', 'nfs', { path: '/mnt/pve/nas' }),
      cfg('smb', 'cifs', { path: '/mnt/pve/smb', contentDirs: { backup: 'vz/dumps', iso: 'isos' } }),
    );
    expect(home('shop-backup', state)).toEqual({ kind: 'folder', path: '/srv/backups/dump' });
    expect(home('nas', state)).toEqual({ kind: 'folder', path: '/mnt/pve/nas/dump' });
    expect(home('smb', state)).toEqual({ kind: 'folder', path: '/mnt/pve/smb/vz/dumps' });
  });

  it('a pbs storage: the storage itself (a pve_storage target)', () => {
    expect(home('pbs-shop', facts(cfg('pbs-shop', 'pbs', { datastore: 'shop' })))).toEqual({
      kind: 'storage',
      storage: 'pbs-shop',
    });
  });

  it('unknown: a type it cannot place, a file storage without a path, a storage not in storage.cfg, no storage facts', () => {
    expect(home('thin', facts(cfg('thin', 'lvmthin')))).toEqual({
      kind: 'unknown',
      why: 'spine-gates does not know where a lvmthin storage keeps backups',
    });
    expect(home('nas', facts(cfg('nas', 'nfs')))).toEqual({ kind: 'unknown', why: 'storage.cfg gives it no path' });
    expect(home('gone', facts())).toEqual({ kind: 'unknown', why: 'it is not in storage.cfg' });
    expect(home('nas', null)).toEqual({ kind: 'unknown', why: 'the host state has no storage facts (storage.cfg)' });
    expect(home('odd', facts(cfg('odd', 'dir', { path: 'srv/backups' })))).toEqual({
      kind: 'unknown',
      why: 'its storage.cfg path "srv/backups/dump" is not an absolute path',
    });
    expect(home('local', null, { dumpdir: 'dumps' })).toEqual({
      kind: 'unknown',
      why: 'its dumpdir "dumps" is not an absolute path',
    });
  });

  it('local (also when the job names no storage) is always /var/lib/vz (Plugin.pm parse_config); dumpdir wins over any storage', () => {
    expect(home(null, null)).toEqual({ kind: 'folder', path: '/var/lib/vz/dump' });
    expect(home('local', facts(cfg('local', 'dir', { path: '/elsewhere', contentDirs: { backup: 'bk' } })))).toEqual({
      kind: 'folder',
      path: '/var/lib/vz/dump',
    });
    expect(home('local', facts(cfg('local', 'dir')))).toEqual({ kind: 'folder', path: '/var/lib/vz/dump' });
    expect(home('local', facts(cfg('local', 'dir', { path: '/var/lib/vz', contentDirs: { backup: 'bk' } })))).toEqual({
      kind: 'folder',
      path: '/var/lib/vz/bk',
    });
    expect(home('pbs', facts(cfg('pbs', 'pbs')), { dumpdir: '/mnt/usb' })).toEqual({
      kind: 'folder',
      path: '/mnt/usb',
    });
  });
});

describe('ops init targets from storage facts', () => {
  const pve = makePveState({
    guests: [makeGuest(100), makeGuest(101, { type: 'lxc' }), makeGuest(102)],
    jobs: [
      makeJob('to-pbs', { vmids: [100, 4242], storage: 'pbs-main' }),
      makeJob('to-nas', { vmids: [101], storage: 'nas' }),
      makeJob('never-runs', { vmids: [102], storage: 'nas', runs: false }),
    ],
  });
  const storage = facts(cfg('pbs-main', 'pbs'), cfg('nas', 'nfs', { path: '/mnt/pve/nas' }));
  const out = starterBindings(makeState([makeHost('pve1', { pve, storage })]), '2026-03-04T08:00:00Z');
  const targets = inventoryTargets(out.files);

  it("a pve_storage target for the PBS job's guest, a file_glob in the NFS dump folder; none for a missing VMID or a job PVE never runs", () => {
    expect(targets).toEqual([
      expect.objectContaining({
        name: 'pve1-qemu-100-to-pbs',
        kind: 'pve_storage',
        host: 'pve1',
        storage: 'pbs-main',
        vmid: 100,
      }),
      expect.objectContaining({
        name: 'pve1-lxc-101-to-nas',
        kind: 'file_glob',
        host: 'pve1',
        base_path: '/mnt/pve/nas/dump',
        glob: 'vzdump-lxc-101-*',
      }),
    ]);
    expect(targets[0]).not.toHaveProperty('base_path');
    expect(out.notes.join('\n')).toContain('pve1 qemu/102 (app3): in no enabled job PVE runs');
  });
});

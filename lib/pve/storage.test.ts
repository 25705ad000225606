// Shapes as pve-storage (0c56bad) returns them through `pvesh … --output-format json`:
// API2/Storage/Status.pm index (storage_info: enabled/active 0|1, content as a comma list, sizes in bytes),
// Storage/PBSPlugin.pm list_volumes (volid from print_volid: `<store>:backup/<vm|ct>/<id>/<%FT%TZ>`,
// format pbs-vm/pbs-ct, ctime = backup-time, verification passed through, protected 1, notes = comment),
// Storage/Plugin.pm get_subdir_files (volid `<store>:backup/<file>`, format vma.zst/tar.zst, ctime from the name).

import { describe, expect, it } from 'vitest';
import { nodeName, parseBackupContent, parseStorageCfg, parseStorageStatus, upidStartTime } from './storage.js';

const STATUS = JSON.stringify([
  {
    storage: 'pbs-main',
    type: 'pbs',
    enabled: 1,
    active: 1,
    shared: 1,
    content: 'backup',
    total: 8796093022208,
    used: 3298534883328,
    avail: 5497558138880,
    used_fraction: 0.375,
  },
  {
    storage: 'nas_dump.2',
    type: 'nfs',
    enabled: 1,
    active: 0,
    shared: 1,
    content: 'backup,iso',
    total: 0,
    used: 0,
    avail: 0,
  },
  { storage: 'old', type: 'dir', enabled: 0, active: 0, shared: 0, content: 'backup', total: 0, used: 0, avail: 0 },
]);

// PBS escapes the verify worker id like a systemd unit name (proxmox-schema upid.rs escape_id):
// `-` → \x2d, `:` → \x3a, `/` → `-`. In JSON the backslash is doubled.
const VERIFY_UPID =
  'UPID:pbs:000004B6:0000B1F0:00000006:6B0E231D:verify:main\\x3avm-101-2026\\x2d12\\x2d01T01\\x3a00\\x3a12Z:root@pam:';

const PBS_CONTENT = JSON.stringify([
  {
    volid: 'pbs-main:backup/vm/101/2026-12-01T01:00:12Z',
    format: 'pbs-vm',
    size: 34359738368,
    content: 'backup',
    vmid: 101,
    ctime: 1796086812,
    subtype: 'qemu',
    verification: { state: 'failed', upid: VERIFY_UPID },
    encrypted: '1',
  },
  {
    volid: 'pbs-main:backup/ct/210/2026-11-30T01:07:41Z',
    format: 'pbs-ct',
    size: 1073741824,
    content: 'backup',
    vmid: 210,
    ctime: 1796000861,
    subtype: 'lxc',
    protected: 1,
    notes: 'before the upgrade',
  },
]);

describe('parseStorageStatus', () => {
  it('reads enabled, active, content and sizes as pvesh prints them (0/1, a comma list, bytes)', () => {
    expect(parseStorageStatus(STATUS)).toEqual([
      {
        id: 'pbs-main',
        type: 'pbs',
        enabled: true,
        active: true,
        content: ['backup'],
        total: 8796093022208,
        used: 3298534883328,
        avail: 5497558138880,
      },
      {
        id: 'nas_dump.2',
        type: 'nfs',
        enabled: true,
        active: false,
        content: ['backup', 'iso'],
        total: 0,
        used: 0,
        avail: 0,
      },
      { id: 'old', type: 'dir', enabled: false, active: false, content: ['backup'], total: 0, used: 0, avail: 0 },
    ]);
  });

  it('refuses what is not the status list: bad JSON, an entry without a valid id, a flag that is no flag', () => {
    expect(() => parseStorageStatus('pvesh: 500 no such node\n')).toThrow(/invalid JSON/);
    expect(() => parseStorageStatus('{}')).toThrow(/expected a JSON array/);
    expect(() => parseStorageStatus('[{"storage":"a b","type":"dir"}]')).toThrow(/entry 0 lacks a storage id/);
    expect(() => parseStorageStatus('[{"storage":"x1","type":"dir","active":"yes"}]')).toThrow(
      /x1.active: expected 0 or 1/,
    );
  });
});

describe('parseStorageCfg', () => {
  it('reads type, the bare `disable` flag, nodes, path, content-dirs, retention and the PBS datastore, namespace and server', () => {
    const cfg =
      'dir: local\n\tpath /var/lib/vz\n\tcontent iso,backup\n\tprune-backups keep-last=3\n\tmaxfiles 2\n\npbs: pbs-main\n\tdatastore main\n\tserver 192.0.2.20\n\tnamespace site-a\n\tcontent backup\n\tdisable\n\nnfs: nas\n\tpath /mnt/pve/nas\n\tnodes pve1,pve2\n\tdisable 0\n\tcontent-dirs backup=dumps/pve,iso=isos\n';
    expect(parseStorageCfg(cfg)).toEqual([
      {
        id: 'local',
        type: 'dir',
        line: 1,
        disabled: false,
        nodes: null,
        path: '/var/lib/vz',
        contentDirs: {},
        datastore: null,
        namespace: null,
        server: null,
        pruneBackups: 'keep-last=3',
        maxfiles: '2',
      },
      {
        id: 'pbs-main',
        type: 'pbs',
        line: 7,
        disabled: true,
        nodes: null,
        path: null,
        contentDirs: {},
        datastore: 'main',
        namespace: 'site-a',
        server: '192.0.2.20',
        pruneBackups: null,
        maxfiles: null,
      },
      {
        id: 'nas',
        type: 'nfs',
        line: 14,
        disabled: false,
        nodes: ['pve1', 'pve2'],
        path: '/mnt/pve/nas',
        contentDirs: { backup: 'dumps/pve', iso: 'isos' },
        datastore: null,
        namespace: null,
        server: null,
        pruneBackups: null,
        maxfiles: null,
      },
    ]);
  });
});

describe('parseBackupContent', () => {
  it('reads PBS snapshots: volid, vmid, ctime, format, verification, protected and notes', () => {
    expect(parseBackupContent(PBS_CONTENT)).toEqual([
      {
        volid: 'pbs-main:backup/vm/101/2026-12-01T01:00:12Z',
        format: 'pbs-vm',
        vmid: 101,
        ctime: 1796086812,
        size: 34359738368,
        protected: false,
        notes: null,
        verification: { state: 'failed', upid: VERIFY_UPID },
      },
      {
        volid: 'pbs-main:backup/ct/210/2026-11-30T01:07:41Z',
        format: 'pbs-ct',
        vmid: 210,
        ctime: 1796000861,
        size: 1073741824,
        protected: true,
        notes: 'before the upgrade',
        verification: null,
      },
    ]);
  });

  it('reads file backups, whose vmid PVE leaves out for a non-standard name', () => {
    const text = JSON.stringify([
      {
        volid: 'nas:backup/vzdump-qemu-101-2026_12_01-02_00_12.vma.zst',
        format: 'vma.zst',
        size: 5,
        content: 'backup',
        ctime: 1796086812,
        subtype: 'qemu',
        vmid: 101,
        protected: 1,
      },
      {
        volid: 'nas:backup/vzdump-qemu-manual.vma.zst',
        format: 'vma.zst',
        size: 7,
        content: 'backup',
        ctime: 1796086000,
        subtype: 'unknown',
      },
    ]);
    expect(parseBackupContent(text).map((v) => [v.vmid, v.protected, v.format])).toEqual([
      [101, true, 'vma.zst'],
      [null, false, 'vma.zst'],
    ]);
  });

  it('refuses an entry whose fields have the wrong types', () => {
    expect(() => parseBackupContent('[{"format":"pbs-vm"}]')).toThrow(/entry 0 lacks a volid/);
    expect(() => parseBackupContent('[{"volid":"a:b","format":"pbs-vm","ctime":"yesterday"}]')).toThrow(
      /a:b ctime: expected a whole number/,
    );
    expect(() => parseBackupContent('[{"volid":"a:b","format":"pbs-vm","verification":"ok"}]')).toThrow(
      /verification is not \{state, upid\}/,
    );
  });
});

describe('upidStartTime', () => {
  it('reads the start field (hex epoch seconds) of a verify UPID whose worker id has escaped characters', () => {
    expect(upidStartTime(VERIFY_UPID)).toBe(0x6b0e231d);
    expect(new Date(0x6b0e231d * 1000).toISOString()).toBe('2026-12-01T01:30:05.000Z'); // half an hour after the backup
    expect(upidStartTime(parseBackupContent(PBS_CONTENT)[0]!.verification!.upid!)).toBe(0x6b0e231d); // through JSON: \\x2d
  });

  it('reads a verification job UPID (empty-free worker id store:job) and refuses what is not a UPID', () => {
    expect(
      upidStartTime('UPID:pbs:00000A1C:0001D3E5:00000012:69A3C7D3:verificationjob:shop\\x3av\\x2d3f2a9c11:root@pam:'),
    ).toBe(0x69a3c7d3);
    expect(upidStartTime('UPID:pbs:0A1C:0001D3E5:00000012:69A3C7D3:verify::root@pam:')).toBeNull(); // pid is 8 hex digits
    expect(upidStartTime('UPID:pbs:00000A1C:0001D3E5:00000012:69A3C7D3:verify:a:b:root@pam:')).toBeNull(); // an unescaped `:`
    expect(upidStartTime('')).toBeNull();
  });
});

describe('nodeName', () => {
  it('takes the first label of `hostname`, as PVE::INotify::nodename does, and only a valid node name', () => {
    expect(nodeName('pve-shop\n')).toBe('pve-shop');
    expect(nodeName('pve1.example.com\n')).toBe('pve1');
    expect(nodeName("pve'; rm -rf /\n")).toBeNull();
    expect(nodeName('-pve\n')).toBeNull();
    expect(nodeName('')).toBeNull();
  });
});

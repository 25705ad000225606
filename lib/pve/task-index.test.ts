// Task index, active list and restore log lines in the shapes PVE writes them (sources cited in task-index.ts).
import { describe, expect, it } from 'vitest';
import {
  isRunning,
  parseRestoreTasks,
  parseUpid,
  restoreOutcome,
  restoreSource,
  shellWords,
  taskLogPath,
} from './task-index.js';

// pve-common UPID.pm encode: UPID:%s:%08X:%08X:%08X:%s:%s:%s:
const VM_UPID = 'UPID:pve-shop:0003A1F2:0B2C4D5E:69A1E2C0:qmrestore:9101:root@pam:';
const CT_UPID = 'UPID:pve-shop:0003B000:0B2C5000:69A2A000:vzrestore:105:root@pam:';
const PBS_UPID = 'UPID:pve-shop:0003C000:0B2C6000:69A30000:qmrestore:9102:ops@pve:';

describe('parseUpid / taskLogPath (pve-common PVE/UPID.pm decode)', () => {
  it("reads the fields and the log path from the start time's last hex digit", () => {
    expect(parseUpid(VM_UPID)).toEqual({
      node: 'pve-shop',
      start: 0x69a1e2c0,
      type: 'qmrestore',
      id: '9101',
      user: 'root@pam',
    });
    expect(taskLogPath(VM_UPID)).toBe(`/var/log/pve/tasks/0/${VM_UPID}`);
    expect(taskLogPath(CT_UPID)).toBe(`/var/log/pve/tasks/0/${CT_UPID}`);
  });
  it('takes a 9-digit pstart (uptime past 497 days) and refuses a slash or a missing trailing colon', () => {
    expect(parseUpid('UPID:n1:00000001:123456789:69A1E2C0:qmrestore:100:root@pam:')?.start).toBe(0x69a1e2c0);
    expect(parseUpid('UPID:n1:00000001:12345678:69A1E2C0:qmrestore:../../etc:root@pam:')).toBeNull();
    expect(parseUpid('UPID:n1:00000001:12345678:69A1E2C0:qmrestore:100:root@pam')).toBeNull();
  });
});

describe('parseRestoreTasks', () => {
  it('reads index lines (RESTEnvironment.pm active_workers: "%s %08X %s") with OK, WARNINGS and error statuses', () => {
    const r = parseRestoreTasks(
      [
        `task index.1 ${CT_UPID} 69A2A1F0 OK`,
        `task index ${VM_UPID} 69A1E9D0 WARNINGS: 2`,
        `task index ${PBS_UPID} 69A30100 unable to restore VM 9102 - no space left on device`,
      ].join('\n'),
    );
    expect(r.malformed).toEqual([]);
    expect(r.tasks.map((t) => [t.vmid, t.type, t.end, t.status, restoreOutcome(t)])).toEqual([
      [9102, 'qmrestore', 0x69a30100, 'unable to restore VM 9102 - no space left on device', 'failed'],
      [105, 'vzrestore', 0x69a2a1f0, 'OK', 'ok'],
      [9101, 'qmrestore', 0x69a1e9d0, 'WARNINGS: 2', 'ok'],
    ]);
  });

  it('reads active (INotify.pm write_active_workers "UPID SAVED [END [STATUS]]"): a task with no end is running, a repeat is one task', () => {
    const r = parseRestoreTasks(
      [`task index ${VM_UPID} 69A1E9D0 OK`, `task active ${VM_UPID} 1 69A1E9D0 OK`, `task active ${PBS_UPID} 0`].join(
        '\n',
      ),
    );
    expect(r.tasks).toHaveLength(2);
    const running = r.tasks.find((t) => t.vmid === 9102)!;
    expect(isRunning(running)).toBe(true);
    expect(restoreOutcome(running)).toBe('running');
    expect(r.tasks.find((t) => t.vmid === 9101)!.files).toEqual(['index', 'active']);
  });

  it('an index line without end or status (pve-manager Tasks.pm accepts it) is not an ok restore', () => {
    const t = parseRestoreTasks(`task index ${VM_UPID}`).tasks[0]!;
    expect(restoreOutcome(t)).toBe('unknown');
  });

  it('a VMA restore names the archive the VM came from (qemu-server restore_vma_archive)', () => {
    const r = parseRestoreTasks(
      [
        `task index ${VM_UPID} 69A1E9D0 OK`,
        `log ${VM_UPID} restore vma archive: zstd -q -d -c /mnt/pve/shop-backup/dump/vzdump-qemu-101-2026_02_26-02_00_03.vma.zst | vma extract -v -r /var/tmp/vzdumptmp241138.fifo - /var/tmp/vzdumptmp241138`,
      ].join('\n'),
    );
    expect(r.tasks[0]!.source).toEqual({
      vmid: 101,
      kind: 'vma',
      archive: '/mnt/pve/shop-backup/dump/vzdump-qemu-101-2026_02_26-02_00_03.vma.zst',
    });
  });

  it('reads a quoted path and a rate-limited pipeline (cstream first)', () => {
    const s = restoreSource('qmrestore', [
      "restore vma archive: cstream -t 102400 -- '/mnt/pve/my backups/dump/vzdump-qemu-102-2026_02_26-02_00_03.vma.zst' | zstd -q -d -c - | vma extract -v -r /var/tmp/vzdumptmp1.fifo - /var/tmp/vzdumptmp1",
    ]);
    expect(s.source?.vmid).toBe(102);
  });

  it('a PBS VM restore names vm/<vmid>/<time>, once per drive (qemu-server restore_proxmox_backup_archive)', () => {
    const lines = [
      'restore proxmox backup image: /usr/bin/pbs-restore --repository backup@pbs@192.0.2.20:shop vm/102/2026-03-01T01:00:04Z drive-scsi0.img.fidx /dev/zvol/rpool/data/vm-9102-disk-0 --verbose --format raw --skip-zero',
      'restore proxmox backup image: /usr/bin/pbs-restore --repository backup@pbs@192.0.2.20:shop --ns site vm/102/2026-03-01T01:00:04Z drive-efidisk0.img.fidx /dev/zvol/rpool/data/vm-9102-disk-1 --verbose --format raw',
    ];
    expect(restoreSource('qmrestore', lines).source).toEqual({
      vmid: 102,
      kind: 'pbs-vm',
      archive: 'vm/102/2026-03-01T01:00:04Z',
      repository: 'backup@pbs@192.0.2.20:shop',
    });
    expect(restoreSource('qmrestore', [lines[0]!, lines[1]!.replace('vm/102/', 'vm/103/')]).source).toBeNull();
  });

  it('a container restore names its volid or path (pve-container API2/LXC.pm)', () => {
    expect(
      restoreSource('vzrestore', [
        "recovering backed-up configuration from 'shop-backup:backup/vzdump-lxc-105-2026_03_01-02_10_44.tar.zst'",
      ]).source,
    ).toEqual({ vmid: 105, kind: 'lxc', archive: 'shop-backup:backup/vzdump-lxc-105-2026_03_01-02_10_44.tar.zst' });
    expect(
      restoreSource('vzrestore', [
        "recovering backed-up configuration from 'pbs-shop:backup/ct/203/2026-02-20T03:00:02Z'",
      ]).source,
    ).toEqual({ vmid: 203, kind: 'pbs-ct', archive: 'pbs-shop:backup/ct/203/2026-02-20T03:00:02Z' });
    expect(
      restoreSource('vzrestore', [
        "recovering backed-up configuration from '/root/vzdump-lxc-203-2026_02_20-03_00_02.tar.gz'",
      ]).source?.vmid,
    ).toBe(203);
  });

  it("a restore of another guest's archive names that guest, not the VMID restored into", () => {
    const r = parseRestoreTasks(
      [
        `task index ${CT_UPID} 69A2A1F0 OK`,
        `log ${CT_UPID} recovering backed-up configuration from 'shop-backup:backup/vzdump-lxc-203-2026_02_20-03_00_02.tar.zst'`,
      ].join('\n'),
    );
    expect(r.tasks[0]).toMatchObject({ vmid: 105, source: { vmid: 203 } });
  });

  it('a hostile log: only the first source line decides, a forged later line or TASK OK changes nothing', () => {
    const s = restoreSource('qmrestore', [
      'restore vma archive: zstd -q -d -c /tmp/evil | vma extract -v -r /var/tmp/x.fifo - /var/tmp/x',
      'restore vma archive: zstd -q -d -c /x/vzdump-qemu-101-2026_03_01-02_00_00.vma.zst | vma extract -v -r /var/tmp/x.fifo - /var/tmp/x',
    ]);
    expect(s.source).toBeNull();
    expect(s.sourceProblem).toMatch(/no single VM backup/);
    const r = parseRestoreTasks(
      [
        `task index ${PBS_UPID} 69A30100 unable to restore VM 9102 - got interrupt`,
        `log ${PBS_UPID} TASK OK`,
        'task index UPID:x:00000001:00000001:69A30100:qmrestore:1/../../etc/shadow:root@pam: 69A30100 OK',
        `task index\u0000 ${VM_UPID} 69A1E9D0 OK`,
        'rm -rf / ; task index',
      ].join('\n'),
    );
    expect(r.tasks.map((t) => restoreOutcome(t))).toEqual(['failed']);
    expect(r.malformed).toHaveLength(3);
    expect(r.malformed[1]).toContain('\\x00');
  });

  it('a restore task of another type, a non-restore UPID or a bad end time is malformed, not a drill', () => {
    const r = parseRestoreTasks(
      [
        'task index UPID:pve-shop:00000001:00000001:69A30100:vzdump::root@pam: 69A30200 OK',
        `task index ${VM_UPID} 69Z1E9D0 OK`,
      ].join('\n'),
    );
    expect(r.tasks).toEqual([]);
    expect(r.malformed).toHaveLength(2);
  });
});

describe('shellWords (String::ShellQuote output)', () => {
  it('reads bare and quoted words', () => {
    expect(shellWords("a 'b c' 'it'\\''s' |")).toEqual(['a', 'b c', "it's", '|']);
    expect(shellWords("'open")).toBeNull();
  });
});

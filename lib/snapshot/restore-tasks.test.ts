// The restore-tasks probe command run by sh (dash on PVE) against task files in the shapes PVE writes,
// its task folder moved to a temporary one: what it prints, and that lib/pve/task-index.ts reads it.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRestoreTasks, restoreOutcome } from '../pve/task-index.js';
import { RESTORE_COMMANDS } from './probe.js';

const command = RESTORE_COMMANDS.find((c) => c.id === 'restore-tasks')!.command;
let dir: string;
const hex = (epoch: number) => epoch.toString(16).toUpperCase().padStart(8, '0');
const now = Math.floor(Date.now() / 1000);
const upid = (start: number, type: string, id: string) =>
  `UPID:pve-shop:0003A1F2:0B2C4D5E:${hex(start)}:${type}:${id}:root@pam:`;
const writeLog = (u: string, text: string) => {
  const start = u.split(':')[4]!;
  mkdirSync(path.join(dir, start.slice(-1)), { recursive: true });
  writeFileSync(path.join(dir, start.slice(-1), u), text);
};
const run = () => {
  const r = spawnSync('sh', ['-c', command.replaceAll('/var/log/pve/tasks', dir)], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
  });
  if (r.status === 2) console.error(r.stderr);
  return r;
};

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tasks-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('restore-tasks probe command', () => {
  it('prints only restore task lines and the restore lines of their logs', () => {
    const vm = upid(now - 86400 * 10, 'qmrestore', '9101');
    const ct = upid(now - 86400 * 3, 'vzrestore', '105');
    const running = upid(now - 60, 'qmrestore', '9102');
    const old = upid(now - 86400 * 500, 'qmrestore', '9103');
    writeFileSync(path.join(dir, 'index.1'), `${old} ${hex(now - 86400 * 500 + 300)} OK\n`);
    writeFileSync(
      path.join(dir, 'index'),
      [
        `UPID:pve-shop:00000001:00000001:${hex(now - 100)}:vzdump::root@pam: ${hex(now - 50)} OK`,
        `${vm} ${hex(now - 86400 * 10 + 400)} OK`,
        `${ct} ${hex(now - 86400 * 3 + 100)} unable to restore CT 105 - command 'lxc-usernsexec' failed`,
      ].join('\n') + '\n',
    );
    writeFileSync(
      path.join(dir, 'active'),
      `${running} 0\n${ct} 1 ${hex(now - 86400 * 3 + 100)} unable to restore CT 105 - command 'lxc-usernsexec' failed\n`,
    );
    writeLog(
      vm,
      'restore vma archive: zstd -q -d -c /mnt/pve/shop-backup/dump/vzdump-qemu-101-2026_02_26-02_00_03.vma.zst | vma extract -v -r /var/tmp/vzdumptmp1.fifo - /var/tmp/vzdumptmp1\nCFG: size: 512 name: qemu-server.conf\nTASK OK\n',
    );
    writeLog(
      ct,
      "recovering backed-up configuration from 'shop-backup:backup/vzdump-lxc-105-2026_03_01-02_10_44.tar.zst'\nTASK ERROR: unable to restore CT 105\n",
    );
    writeLog(
      old,
      'restore vma archive: zstd -q -d -c /x/vzdump-qemu-101-2025_01_01-02_00_03.vma.zst | vma extract -v -r /f - /t\n',
    );
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('vzdump::');
    expect(r.stdout).not.toContain('CFG:');
    expect(r.stdout).not.toContain(`log ${old}`);
    const parsed = parseRestoreTasks(r.stdout);
    expect(parsed.malformed).toEqual([]);
    expect(parsed.tasks.map((t) => [t.vmid, restoreOutcome(t), t.source?.vmid ?? null])).toEqual([
      [9102, 'running', null],
      [105, 'failed', 105],
      [9101, 'ok', 101],
      [9103, 'ok', null],
    ]);
  });

  it('no task folder or no index: nothing, exit 0', () => {
    expect(run()).toMatchObject({ status: 0, stdout: '' });
  });

  it('an index it cannot read fails the command (exit 12)', () => {
    if (process.getuid?.() === 0) return; // root reads anything
    writeFileSync(path.join(dir, 'index'), 'x\n');
    chmodSync(path.join(dir, 'index'), 0o000);
    expect(run().status).toBe(12);
  });

  it('a hostile UPID with a slash or a shell word is never followed nor run', () => {
    const evil = `UPID:pve-shop:00000001:00000001:${hex(now - 10)}:qmrestore:$(touch${'${IFS}'}${dir}/pwned):root@pam: ${hex(now)} OK`;
    const slash = `UPID:pve-shop:00000001:00000001:${hex(now - 10)}:qmrestore:../../../etc:root@pam: ${hex(now)} OK`;
    writeFileSync(path.join(dir, 'index'), `${evil}\n${slash}\n`);
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(() => execFileSync('test', ['-e', path.join(dir, 'pwned')])).toThrow();
  });
});

// Live collection against real OpenSSH sshd fake hosts on 127.0.0.1 (lib/collect/testing/fake-host.ts):
// the collector in-process, and the built CLI (`dist/lib/cli/ops.js`) end to end. Needs root, sshd,
// unshare and `npm run build`. Nothing here reaches an address other than 127.0.0.1, and no name is
// ever looked up (dns_unresolved goes through the collector's `resolve` seam).

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBindings } from '../bindings/load.js';
import type { Bindings } from '../bindings/types.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { skipNamed } from '../testing/skip.js';
import { isDataExit } from '../snapshot/probe.js';
import { PROBE_ID, PROBE_INSTALL_PATH, PROBE_SCRIPT_FILE } from '../snapshot/probe-script.js';
import { readSnapshot } from '../snapshot/read.js';
import { writeSnapshot } from '../snapshot/write.js';
import { collect } from './collect.js';
import { fingerprint } from './known-hosts.js';
import {
  fakeHostsUnavailable,
  freePort,
  generateClientKey,
  startBlackholePort,
  startFakeHost,
  startSilentTcpServer,
  writeBindings,
  type Estate,
  type EstateTarget,
  type FakeFile,
  type FakeHost,
  type FakeHostSpec,
} from './testing/fake-host.js';
import type { CollectOptions } from './types.js';
import type { CollectedHost, Collection } from '../model.js';
import type { HostReason } from '../catalogue/reasons.js';

const OPS = path.join(PACKAGE_ROOT, 'dist', 'lib', 'cli', 'ops.js');
const unavailable =
  fakeHostsUnavailable() ?? (existsSync(OPS) ? null : `${OPS} is missing: run \`npm run build\` first`);

describe('live SSH prerequisites', () => {
  it('root, /usr/sbin/sshd, unshare and overlayfs are available, and the CLI is built', (ctx) => {
    if (unavailable && process.env.CI === 'true') throw new Error(`CI must run the live SSH tests: ${unavailable}`);
    if (unavailable) ctx.skip(`live SSH tests skipped: ${unavailable}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Fixture estate

const NOW = Math.floor(Date.now() / 1000);
const HOUR = 3600;
const ago = (hours: number) => NOW - Math.round(hours * HOUR);
const stamp = (epoch: number) =>
  new Date(epoch * 1000).toISOString().slice(0, 19).replace(/-/g, '_').replace('T', '-').replace(/:/g, '_');
/** A vzdump archive plus its log, as vzdump leaves them: `name → {content, mtime}`. */
function vzdump(
  dir: string,
  kind: 'qemu' | 'lxc',
  vmid: number,
  ageHours: number,
  size = 64,
): Record<string, FakeFile> {
  const end = ago(ageHours);
  const base = `${dir}/vzdump-${kind}-${vmid}-${stamp(end - 600)}`;
  return {
    [`${base}.${kind === 'qemu' ? 'vma.zst' : 'tar.zst'}`]: { content: 'z'.repeat(size), mtime: end },
    [`${base}.log`]: { content: `INFO: Finished Backup of VM ${vmid}\n`, mtime: end + 1 },
  };
}

const RESOURCES = '/var/lib/fake-pve/cluster-resources.json';
const guest = (node: string, vmid: number, name: string, extra: Record<string, unknown> = {}) => ({
  id: `qemu/${vmid}`,
  maxcpu: 2,
  maxmem: 2147483648,
  name,
  node,
  status: 'running',
  template: 0,
  type: 'qemu',
  uptime: 86400,
  vmid,
  ...extra,
});

const FAKE_PVE = '/var/lib/fake-pve';
/** What `pvesh get /nodes/<node>/storage` says without a storage.json: `local` and `backup`, active, a quarter used. */
const DEFAULT_STORAGES = JSON.stringify(
  ['local', 'backup'].map((storage) => ({
    storage,
    type: 'dir',
    enabled: 1,
    active: 1,
    shared: 0,
    content: 'iso,vztmpl,backup',
    total: 107374182400,
    used: 26843545600,
    avail: 80530636800,
    used_fraction: 0.25,
  })),
);

/**
 * Stand-ins for the PVE commands the probe runs; each checks its arguments like the real one would be called.
 * `hostname` prints a FQDN: the node name is its first label (PVE::INotify::nodename), and pvesh answers
 * only for that node. Storages come from /var/lib/fake-pve/storage.json, backups from content/<storage>
 * (content/<storage>.fail: what an unreachable PBS prints on stderr, exit 255; neither: an empty storage).
 */
function pveStandIns(o: { scheduler?: string; timezone?: string; pvesh?: string } = {}): Record<string, string> {
  const scheduler = o.scheduler ?? 'active';
  return {
    hostname: '[ $# = 0 ] || exit 2\necho pve-node.example.com',
    pveversion: "[ $# = 0 ] || exit 2\necho 'pve-manager/9.1.1/42db4a6cf33dac83 (running kernel: 6.17.2-1-pve)'",
    pvesh:
      o.pvesh ??
      [
        'node=$(hostname | cut -d. -f1)',
        'case "$*" in',
        `"get /cluster/resources --type vm --output-format json") exec cat ${RESOURCES} ;;`,
        `"get /nodes/$node/storage --output-format json") [ -e ${FAKE_PVE}/storage.json ] && exec cat ${FAKE_PVE}/storage.json; echo '${DEFAULT_STORAGES}' ;;`,
        `"get /nodes/$node/storage/"*"/content --content backup --output-format json")`,
        '  s=${2#/nodes/$node/storage/}; s=${s%/content}',
        `  [ -e "${FAKE_PVE}/content/$s.fail" ] && { cat "${FAKE_PVE}/content/$s.fail" >&2; exit 255; }`,
        `  [ -e "${FAKE_PVE}/content/$s" ] && exec cat "${FAKE_PVE}/content/$s"; echo '[]' ;;`,
        '*) echo "pvesh: unexpected arguments: $*" >&2; exit 2 ;;',
        'esac',
      ].join('\n'),
    systemctl: `[ "$*" = "is-active pvescheduler" ] || { echo "systemctl: unexpected arguments: $*" >&2; exit 2; }\necho ${scheduler}\n[ ${scheduler} = active ]`,
    timedatectl: `[ "$*" = "show -p Timezone --value" ] || exit 2\necho ${o.timezone ?? 'Europe/Berlin'}`,
  };
}

const jobsCfg = (id: string, select: string) =>
  `vzdump: ${id}\n\tschedule 02:00\n\tcompress zstd\n\tenabled 1\n\tmode snapshot\n\tprune-backups keep-last=3\n\t${select}\n\tstorage backup\n\n`;

/**
 * A job's state file as PVE::Jobs writes it, and its task log when it names a task (PVE::UPID: tasks/<last hex
 * digit>/<UPID>).
 */
function jobState(jobId: string, state: Record<string, unknown>, taskLog?: string): Record<string, FakeFile> {
  const files: Record<string, FakeFile> = { [`/var/lib/pve-manager/jobs/vzdump-${jobId}.json`]: JSON.stringify(state) };
  const upid = state['upid'];
  if (typeof upid === 'string' && taskLog !== undefined)
    files[`/var/log/pve/tasks/${upid.split(':')[4]!.slice(-1)}/${upid}`] = taskLog;
  return files;
}
const upidAt = (node: string, epoch: number) =>
  `UPID:${node}:00001A2B:00C0FFEE:${epoch.toString(16).toUpperCase().padStart(8, '0')}:vzdump::root@pam:`;

/** pve-a's files, with the CI key pinned to an installed probe (docs/live-collection.md, Least privilege). */
function forcedProbeHost(id: string, keyLine: string, script: string): FakeHostSpec {
  const a = pveA([]);
  return {
    ...a,
    id,
    authorizedKeys: [`restrict,command="${PROBE_INSTALL_PATH}" ${keyLine}`],
    files: { ...a.files, [PROBE_INSTALL_PATH]: { content: script, mode: 0o755 } },
  };
}

function pveA(authorizedKeys: string[]): FakeHostSpec {
  return {
    id: 'pve-a',
    authorizedKeys,
    commands: pveStandIns(),
    files: {
      '/etc/pve/jobs.cfg':
        jobsCfg('backup-aaaa1111-0001', 'vmid 101,102') + jobsCfg('backup-aaaa1111-0002', 'vmid 101'),
      '/etc/pve/user.cfg': 'user:root@pam:1:0:::root@example.com:::\n',
      // pvescheduler active, but its last start of the job was 4 days ago; 0002 has no state file at all.
      ...jobState(
        'backup-aaaa1111-0001',
        { state: 'stopped', msg: 'OK', upid: upidAt('pve-a', ago(96)) },
        'INFO: done\nTASK OK\n',
      ),
      [RESOURCES]: JSON.stringify([
        guest('pve-a', 101, 'files'),
        guest('pve-a', 102, 'erp'),
        guest('pve-a', 103, 'print'),
      ]),
      ...vzdump('/srv/backups/dump', 'qemu', 101, 2.5),
      ...vzdump('/srv/backups/dump', 'qemu', 101, 26.5),
      ...vzdump('/srv/backups/dump', 'qemu', 102, 50.5), // stale against 26 h
    },
  };
}

// pve-b was upgraded from PVE 6: one backup job is still a line of /etc/pve/vzdump.cron, as
// write_vzdump_cron_config wrote it, and one hand-edited line PVE's parser cannot read.
const PVE_B_CRON =
  '# cluster wide vzdump cron schedule\n# Automatically generated file - do not edit\n\nPATH="/usr/sbin:/usr/bin:/sbin:/bin"\n\n' +
  '0 3 * * *           root vzdump 201 --mode snapshot --quiet 1 --storage local\n0 4 * * 1-5 root vzdump 201\n';
const PVE_B_CRON_JOB = `${createHash('sha1').update(PVE_B_CRON).digest('hex')}:1`;

function pveB(authorizedKeys: string[]): FakeHostSpec {
  return {
    id: 'pve-b',
    authorizedKeys,
    commands: pveStandIns({ scheduler: 'failed' }),
    files: {
      '/etc/pve/jobs.cfg':
        jobsCfg('backup-bbbb2222-0002', 'all 1') +
        jobsCfg('backup-bbbb2222-0003', 'vmid 201') +
        jobsCfg('backup-bbbb2222-0004', 'vmid 201'),
      '/etc/pve/vzdump.cron': PVE_B_CRON,
      [RESOURCES]: JSON.stringify([guest('pve-b', 201, 'family-cloud')]),
      // Last run with job errors (rescheduled a minute ago, so not missed); a job created a minute ago; a running one.
      ...jobState(
        'backup-bbbb2222-0002',
        { state: 'stopped', msg: 'job errors', upid: upidAt('pve-b', ago(20)), updated: ago(0.02) },
        'INFO: starting new backup job\nERROR: Backup of VM 201 failed - unable to freeze guest filesystem\nINFO: Backup job finished with errors\nTASK ERROR: job errors\n',
      ),
      ...jobState('backup-bbbb2222-0003', { state: 'created', time: ago(0.02) }),
      ...jobState(
        'backup-bbbb2222-0004',
        { state: 'started', upid: upidAt('pve-b', ago(0.5)) },
        'INFO: starting new backup job\n',
      ),
      ...vzdump('/mnt/pve/nas-backup/dump', 'qemu', 201, 3.5),
    },
  };
}

function nas(authorizedKeys: string[]): FakeHostSpec {
  const day = (h: number) => new Date(ago(h) * 1000).toISOString().slice(0, 10);
  return {
    id: 'nas',
    authorizedKeys,
    // No systemd on the NAS: timedatectl fails and the probe falls back to /etc/timezone.
    commands: {
      timedatectl: 'echo "System has not been booted with systemd as init system (PID 1). Can\'t operate." >&2\nexit 1',
    },
    files: {
      '/etc/timezone': 'Europe/Berlin\n',
      [`/volume1/backups/apps/erp/${day(6.5)}/erp-db.sql.gz`]: { content: 'gz-new', mtime: ago(6.5) },
      [`/volume1/backups/apps/erp/${day(30.5)}/erp-db.sql.gz`]: { content: 'gz-old', mtime: ago(30.5) },
      [`/volume1/backups/apps/erp/${day(6.5)}/manifest.txt`]: { content: 'm', mtime: ago(6.4) },
    },
    // /volume1/offsite does not exist: path_missing
  };
}

/** A PBS volume as PBSPlugin.pm list_volumes returns it (volid from print_volid: the backup time in UTC). */
function pbsVolume(
  storage: string,
  vmid: number,
  ageHours: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const ctime = ago(ageHours);
  return {
    volid: `${storage}:backup/vm/${vmid}/${new Date(ctime * 1000).toISOString().replace('.000Z', 'Z')}`,
    format: 'pbs-vm',
    size: 34359738368,
    content: 'backup',
    vmid,
    ctime,
    subtype: 'qemu',
    ...extra,
  };
}

/** A verify task's UPID (proxmox-schema upid.rs): start time in hex; the worker id escaped like a systemd unit name. */
function verifyUpid(ageHours: number, vmid: number): string {
  const start = ago(ageHours).toString(16).toUpperCase().padStart(8, '0');
  return `UPID:pbs:000004B6:0000B1F0:00000006:${start}:verify:dr\\x3avm-${vmid}-2026\\x2d03\\x2d04T01\\x3a00\\x3a12Z:root@pam:`;
}

/**
 * PVE's restore task records (pve-common RESTEnvironment.pm active_workers: index lines `UPID %08X status`;
 * INotify.pm write_active_workers: active lines `UPID saved [end [status]]`) and their logs
 * (qemu-server restore_proxmox_backup_archive's `restore proxmox backup image:` line).
 */
function restoreTasks(): Record<string, FakeFile> {
  const hex = (epoch: number) => epoch.toString(16).toUpperCase().padStart(8, '0');
  const upid = (h: number, into: number, user = 'root@pam') =>
    `UPID:pve-node:00002B3C:00C0FFEE:${hex(ago(h))}:qmrestore:${into}:${user}:`;
  const log = (u: string) => `/var/log/pve/tasks/${u.split(':')[4]!.slice(-1)}/${u}`;
  const pbsLine = (vmid: number, repo: string) =>
    `restore proxmox backup image: /usr/bin/pbs-restore --repository ${repo} vm/${vmid}/2026-02-20T01:00:12Z drive-scsi0.img.fidx /dev/zvol/rpool/data/vm-9101-disk-0 --verbose --format raw --skip-zero`;
  const drill = upid(240.5, 9101);
  // Another guest's restore whose log later names 101 (an archive name with a newline): not 101's drill.
  const other = upid(2.5, 9103);
  // A UPID with shell syntax in its user field: data, only ever a quoted argument.
  const hostile = upid(3.5, 9104, '$(touch${IFS}pwned)@pam');
  return {
    '/var/log/pve/tasks/index':
      [
        `UPID:pve-node:00001A2B:00C0FFEE:${hex(ago(30))}:vzdump::root@pam: ${hex(ago(29))} OK`,
        `${drill} ${hex(ago(240))} OK`,
        `${other} ${hex(ago(2))} OK`,
        `${hostile} ${hex(ago(3))} OK`,
      ].join('\n') + '\n',
    '/var/log/pve/tasks/active': `${other} 1 ${hex(ago(2))} OK\n`,
    [log(drill)]:
      `${pbsLine(101, 'backup@pbs@192.0.2.21:dr')}\nprogress 100% (read 34359738368 bytes, duration 212 sec)\nTASK OK\n`,
    [log(other)]: `${pbsLine(103, 'backup@pbs@192.0.2.21:dr')}\n${pbsLine(101, 'backup@pbs@192.0.2.21:dr')}\nTASK OK\n`,
    [log(hostile)]: `${pbsLine(104, 'backup@pbs@192.0.2.21:dr')}\nTASK OK\n`,
  };
}

/**
 * A PVE host with three backup storages: pbs-dr (a PBS whose newest backup of 101 failed verification),
 * pbs-main (a PBS that is down: inactive, and its content listing fails as PBSPlugin.pm's does) and
 * nfs-dump (95 % full, holding a stale backup of 101).
 */
function pvePbs(authorizedKeys: string[]): FakeHostSpec {
  const tib = 2 ** 40;
  const storage = (id: string, type: string, active: number, total: number, used: number) => ({
    storage: id,
    type,
    enabled: 1,
    active,
    shared: 1,
    content: 'backup',
    total,
    used,
    avail: total - used,
    ...(total ? { used_fraction: used / total } : {}),
  });
  return {
    id: 'pve-pbs',
    authorizedKeys,
    commands: pveStandIns(),
    files: {
      '/etc/pve/jobs.cfg':
        'vzdump: backup-pbs-0001\n\tschedule 02:00\n\tenabled 1\n\tmode snapshot\n\tvmid 101\n\tstorage pbs-dr\n',
      '/etc/pve/storage.cfg':
        'pbs: pbs-dr\n\tdatastore dr\n\tserver 192.0.2.21\n\tcontent backup\n\tusername backup@pbs\n\npbs: pbs-main\n\tdatastore main\n\tserver 192.0.2.20\n\tcontent backup\n\tusername backup@pbs\n\nnfs: nfs-dump\n\tpath /mnt/pve/nfs-dump\n\tserver 192.0.2.30\n\texport /dump\n\tcontent backup\n',
      [RESOURCES]: JSON.stringify([guest('pve-node', 101, 'files')]),
      ...restoreTasks(),
      [`${FAKE_PVE}/storage.json`]: JSON.stringify([
        storage('pbs-dr', 'pbs', 1, 8 * tib, 3 * tib),
        storage('pbs-main', 'pbs', 0, 0, 0),
        storage('nfs-dump', 'nfs', 1, 2 * tib, 0.95 * 2 * tib),
      ]),
      [`${FAKE_PVE}/content/pbs-dr`]: JSON.stringify([
        pbsVolume('pbs-dr', 101, 24 * 30, {
          protected: 1,
          notes: 'before the upgrade',
          verification: { state: 'ok', upid: verifyUpid(28, 101) },
        }),
        pbsVolume('pbs-dr', 101, 29, { verification: { state: 'ok', upid: verifyUpid(28, 101) } }),
        pbsVolume('pbs-dr', 101, 5, { verification: { state: 'failed', upid: verifyUpid(1, 101) } }),
      ]),
      [`${FAKE_PVE}/content/pbs-main.fail`]:
        "error listing snapshots - 500 Can't connect to 192.0.2.20:8007 (No route to host)\n",
      [`${FAKE_PVE}/content/nfs-dump`]: JSON.stringify([
        {
          volid: 'nfs-dump:backup/vzdump-qemu-101-2026_03_02-02_00_04.vma.zst',
          format: 'vma.zst',
          size: 5368709120,
          content: 'backup',
          ctime: ago(50),
          subtype: 'qemu',
          vmid: 101,
        },
      ]),
    },
  };
}

const MAIN_TARGETS: EstateTarget[] = [
  { name: 'vm-101-files-primary', host: 'pve-a', basePath: '/srv/backups/dump', glob: 'vzdump-qemu-101-*.vma.zst' },
  { name: 'vm-102-erp-primary', host: 'pve-a', basePath: '/srv/backups/dump', glob: 'vzdump-qemu-102-*.vma.zst' },
  {
    name: 'vm-201-family-cloud-primary',
    host: 'pve-b',
    basePath: '/mnt/pve/nas-backup/dump',
    glob: 'vzdump-qemu-201-*.vma.zst',
  },
  {
    name: 'app-erp-db',
    host: 'nas',
    basePath: '/volume1/backups/apps/erp',
    glob: '*/erp-db.sql.gz',
    staleAfterHours: 48,
    classification: 'important',
  },
  {
    name: 'offsite-pve-a',
    host: 'nas',
    basePath: '/volume1/offsite/pve-a',
    glob: 'vzdump-qemu-*.vma.zst',
    staleAfterHours: 48,
    classification: 'important',
  },
];

function mainEstate(hosts: Record<string, FakeHost>): Estate {
  return {
    hosts: ['pve-a', 'pve-b', 'nas'].map((id) => ({ id, port: hosts[id]!.port })),
    targets: MAIN_TARGETS,
    guests: [
      { id: 101, hostname: 'files', proxmoxHost: 'pve-a', backupTarget: 'vm-101-files-primary' },
      { id: 102, hostname: 'erp', proxmoxHost: 'pve-a', backupTarget: 'vm-102-erp-primary' },
      { id: 103, hostname: 'print', proxmoxHost: 'pve-a' },
      { id: 201, hostname: 'family-cloud', proxmoxHost: 'pve-b', backupTarget: 'vm-201-family-cloud-primary' },
    ],
  };
}

/** A plain storage host: one dump folder with one fresh archive. */
function storageHost(id: string, authorizedKeys: string[], extra: Partial<FakeHostSpec> = {}): FakeHostSpec {
  return {
    id,
    authorizedKeys,
    commands: { timedatectl: 'echo UTC' },
    files: { '/srv/backups/app-1.tar.zst': { content: 'a', mtime: ago(1.5) }, ...(extra.files ?? {}) },
    ...(extra.dirs ? { dirs: extra.dirs } : {}),
    ...(extra.logLevel ? { logLevel: extra.logLevel } : {}),
    ...(extra.commands ? { commands: { timedatectl: 'echo UTC', ...extra.commands } } : {}),
  };
}

const storageTarget = (host: string, basePath = '/srv/backups', glob = 'app-*.tar.zst'): EstateTarget => ({
  name: `${host}-backups`,
  host,
  basePath,
  glob,
});

// ---------------------------------------------------------------------------------------------
// Mail estate (relay-stalwart): postfix, its queue and PVE's notification routing, per host

const MAIL = (scenario: string, file: string) =>
  readFileSync(path.join(PACKAGE_ROOT, 'fixtures', 'mail', scenario, file), 'utf8');
const FAKE_POSTFIX = '/var/lib/fake-postfix';

/** `postqueue -p`'s arrival time of an instant, as the host prints it: local (Europe/Berlin) time, no year. */
function mailqTime(epoch: number): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'Europe/Berlin',
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(epoch * 1000));
  const p = (type: string) => parts.find((x) => x.type === type)!.value;
  return `${p('weekday')} ${p('month')} ${p('day').padStart(2, ' ')} ${p('hour')}:${p('minute')}:${p('second')}`;
}

/**
 * A PVE host with postfix stand-ins printing `postconf` (or failing with `postconfFails`) and `postqueue`; no
 * postconf: no postfix.
 */
function mailHost(
  id: string,
  authorizedKeys: string[],
  o: {
    postconf?: string;
    postconfFails?: string;
    postqueue?: string;
    files: Record<string, FakeFile>;
  },
): FakeHostSpec {
  const standIns: Record<string, string> = {};
  if (o.postconf !== undefined || o.postconfFails) {
    standIns['postconf'] =
      o.postconfFails ??
      `[ "$*" = "-n" ] || { echo "postconf: unexpected arguments: $*" >&2; exit 2; }\nexec cat ${FAKE_POSTFIX}/postconf-n`;
    standIns['postqueue'] =
      `[ "$*" = "-p" ] || { echo "postqueue: unexpected arguments: $*" >&2; exit 2; }\nexec cat ${FAKE_POSTFIX}/postqueue-p`;
  }
  return {
    id,
    authorizedKeys,
    commands: { ...pveStandIns(), ...standIns },
    files: {
      [RESOURCES]: JSON.stringify([guest(id, 100, 'app')]),
      [`${FAKE_POSTFIX}/postconf-n`]: o.postconf ?? '',
      [`${FAKE_POSTFIX}/postqueue-p`]: o.postqueue ?? 'Mail queue is empty\n',
      ...(o.postconf !== undefined ? { '/etc/postfix/main.cf': o.postconf } : {}),
      ...vzdump('/var/lib/vz/dump', 'qemu', 100, 2),
      ...o.files,
    },
  };
}

const mailJob = (keys: string) =>
  `vzdump: backup-mail-0001\n\tschedule 02:00\n\tenabled 1\n\tmode snapshot\n\tvmid 100\n\tstorage local\n${keys}\n`;

/**
 * One host per outcome of each relay check: mail-good (a correct SMTPS relay), mail-bad (installer
 * postfix, STARTTLS endpoint, `mailnotification never` to a personal inbox, a stuck message),
 * mail-quiet (mail disabled, nothing sends, no postfix at all), mail-noisy (mail disabled, still
 * sends), mail-broken (postconf fails: only the mail facts are an error). The SASL password file
 * holds `saslCanary`, which must never leave the host.
 */
function mailHosts(authorizedKeys: string[], saslCanary: string): FakeHostSpec[] {
  const user = (email: string) => `user:root@pam:1:0:::${email}:::\n`;
  return [
    mailHost('mail-good', authorizedKeys, {
      postconf: MAIL('smtps-relay', 'postconf-n.out'),
      files: {
        '/etc/pve/jobs.cfg': mailJob(
          '\tmailnotification failure\n\tmailto alerts@example.com\n\tnotification-mode legacy-sendmail',
        ),
        '/etc/pve/user.cfg': user('alerts@example.com'),
        '/etc/pve/notifications.cfg': MAIL('smtps-relay', 'notifications.cfg'),
        '/etc/pve/datacenter.cfg': 'email_from: pve1@example.com\nkeyboard: de\n',
        '/etc/postfix/sasl/sasl_passwd': `[mail.example.com]:465 pve1:${saslCanary}\n`,
        '/etc/postfix/sasl/sasl_passwd.db': `db:${saslCanary}`,
      },
    }),
    mailHost('mail-bad', authorizedKeys, {
      postconf: MAIL('default-install', 'postconf-n.out'),
      postqueue:
        `-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n4C1F82A0E3      1893 ${mailqTime(ago(75))}  root@pve1.example.com\n` +
        '(connect to mx01.private.example.net[198.51.100.25]:25: Connection timed out)\n                                         ronny@private.example.net\n\n-- 2 Kbytes in 1 Request.\n',
      files: {
        '/etc/pve/jobs.cfg': mailJob('\tmailnotification never\n\tmailto ronny@private.example.net'),
        '/etc/pve/user.cfg': user('ronny@private.example.net'),
        '/etc/pve/notifications.cfg': MAIL('starttls-587', 'notifications.cfg'),
      },
    }),
    mailHost('mail-quiet', authorizedKeys, {
      files: {
        '/etc/pve/jobs.cfg': mailJob('\tmailnotification failure'),
        '/etc/pve/notifications.cfg':
          'sendmail: mail-to-root\n\tmailto-user root@pam\n\tdisable 1\n\nmatcher: default-matcher\n\ttarget mail-to-root\n\tdisable 1\n',
      },
    }),
    mailHost('mail-noisy', authorizedKeys, {
      postconf: MAIL('default-install', 'postconf-n.out'),
      files: {
        '/etc/pve/jobs.cfg': mailJob('\tmailnotification always\n\tmailto alerts@example.com'),
        '/etc/pve/user.cfg': user('alerts@example.com'),
      },
    }),
    mailHost('mail-broken', authorizedKeys, {
      postconfFails: 'echo "postconf: fatal: open /etc/postfix/main.cf: Permission denied" >&2\nexit 1',
      files: {
        '/etc/pve/jobs.cfg': mailJob('\tmailnotification failure'),
        '/etc/pve/user.cfg': user('alerts@example.com'),
      },
    }),
  ];
}

const MAIL_HOSTS = ['mail-good', 'mail-bad', 'mail-quiet', 'mail-noisy', 'mail-broken'];

// ---------------------------------------------------------------------------------------------
// Helpers

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built CLI in a child process, with a private HOME (no ~/.ssh of the machine leaks in). */
function ops(args: string[], o: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: o.cwd, NO_COLOR: '1', LANG: 'C.UTF-8', ...o.env };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [OPS, ...args],
      { cwd: o.cwd, env, timeout: 45_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** The CLI's SSH options (flag names per the collector's CLI; see lib/cli/usage.ts). */
const sshFlags = (knownHosts: string, identity: string) => ['--known-hosts', knownHosts, '--identity', identity];

/** A resolver that never asks DNS: IP literals resolve to themselves, every name is unknown. */
const offlineResolve = async (host: string): Promise<string> => {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host;
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), {
    code: 'ENOTFOUND',
    hostname: host,
    syscall: 'getaddrinfo',
  });
};

const hostIn = (c: Collection, id: string): CollectedHost => {
  const h = c.hosts.find((x) => x.id === id);
  if (!h) throw new Error(`host ${id} missing from the collection: ${c.hosts.map((x) => x.id).join(', ')}`);
  return h;
};
const describeHost = (h: CollectedHost) =>
  JSON.stringify({
    ...h,
    commands: h.commands.map((c) => ({ id: c.id, exit: c.exit, stdout: c.stdout.toString().slice(0, 200) })),
  });

function expectOk(c: Collection, id: string): void {
  const h = hostIn(c, id);
  expect(h.status, describeHost(h)).toBe('ok');
  for (const cmd of h.commands)
    expect(cmd.exit === 0 || isDataExit(cmd, cmd.exit), `${id} ${cmd.id}: exit ${cmd.exit}`).toBe(true);
}

/** The host's error: its reason, and its message (exactly, or matching) as a person reads it. */
function expectError(
  c: Collection,
  id: string,
  reason: HostReason,
  message: string | RegExp,
): Extract<CollectedHost, { status: 'error' }> {
  const h = hostIn(c, id);
  expect(h.status === 'error' ? h.reason : `status ${h.status}`, describeHost(h)).toBe(reason);
  if (h.status !== 'error') throw new Error('unreachable');
  if (typeof message === 'string') expect(h.message, id).toBe(message);
  else expect(h.message, id).toMatch(message);
  return h;
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A fake host's key as the collector names it: `ssh-ed25519 key SHA256:…`. */
const presentedKey = (h: FakeHost) =>
  `ssh-ed25519 key ${fingerprint(Buffer.from(h.hostKeyLine.split(' ')[1]!, 'base64'))}`;

interface JsonCheck {
  id: string;
  subject: string;
  host: string | null;
  outcome: string;
  reason: string | null;
  message: string;
}
interface JsonResult {
  runKey: string;
  outcome: string;
  summary: Record<string, number>;
  inputErrors: string[];
  gates: { id: string; outcome: string; checks: JsonCheck[] }[];
}
const checksOf = (r: JsonResult) => r.gates.flatMap((g) => g.checks);
const checkFor = (r: JsonResult, id: string, subject: string) => {
  const c = checksOf(r).find((x) => x.id === id && x.subject === subject);
  if (!c) throw new Error(`no ${id} ${subject} in ${JSON.stringify(checksOf(r).map((x) => `${x.id} ${x.subject}`))}`);
  return c;
};
function parseJson(run: Run): JsonResult {
  try {
    return JSON.parse(run.stdout) as JsonResult;
  } catch {
    throw new Error(
      `not JSON (exit ${run.code}):\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(0, 2000)}`,
    );
  }
}

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

const countMatches = (text: string, re: RegExp) =>
  (text.match(new RegExp(re.source, `${re.flags.replace('g', '')}g`)) ?? []).length;

/** A process's name; '' once it is gone (the short probe commands come and go while a test looks). */
function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function waitFor(what: string, ok: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(unavailable !== null)(skipNamed('live collection over SSH', unavailable), () => {
  let work: string;
  const stops: (() => Promise<void>)[] = [];
  const hosts: Record<string, FakeHost> = {};
  let key: { privateKeyPath: string; publicKeyLine: string };
  let otherKey: { privateKeyPath: string; publicKeyLine: string };
  let passKey: { privateKeyPath: string; publicKeyLine: string };
  const CANARY = `canary-${randomBytes(12).toString('hex')}`;
  const SASL_CANARY = `sasl-${randomBytes(12).toString('hex')}`;
  const WRONG = `wrong-${randomBytes(12).toString('hex')}`;
  /** Every known_hosts file handed to the collector, with its bytes and mtime when written. */
  const knownHostsFiles = new Map<string, { bytes: Buffer; mtimeMs: number }>();
  let refusedPort: number;
  let blackhole: { port: number; close(): Promise<void> };
  let silent: { port: number; close(): Promise<void> };

  const knownHosts = (name: string, lines: string[]): string => {
    const file = path.join(work, `known_hosts.${name}`);
    writeFileSync(file, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
    const st = statSync(file);
    knownHostsFiles.set(file, { bytes: readFileSync(file), mtimeMs: st.mtimeMs });
    return file;
  };
  const knownLines = (...ids: string[]) => ids.map((id) => hosts[id]!.knownHostsLine());
  const options = (knownHostsFile: string, over: Partial<CollectOptions> = {}): CollectOptions => ({
    knownHostsFile,
    insecureAcceptAnyHostKey: false,
    identityFiles: [key.privateKeyPath],
    sshConfigFile: null,
    concurrency: 16,
    connectTimeoutMs: 2000,
    commandTimeoutMs: 5000,
    hostBudgetMs: 20_000,
    onlyHosts: null,
    resolve: offlineResolve,
    ...over,
  });
  const bindingsFor = async (name: string, estate: Estate): Promise<{ dir: string; bindings: Bindings }> => {
    const dir = await writeBindings(path.join(work, `bindings-${name}`), estate);
    const loaded = await loadBindings(dir);
    if (!loaded.ok) throw new Error(`bindings ${name} do not load: ${JSON.stringify(loaded.errors)}`);
    return { dir, bindings: loaded.bindings };
  };
  const runDir = (name: string) => mkdtempSync(path.join(work, `run-${name}-`));

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'live-collect-'));
    [key, otherKey, passKey] = await Promise.all([
      generateClientKey(work),
      generateClientKey(work),
      generateClientKey(work, CANARY),
    ]);
    const both = [key.publicKeyLine, passKey.publicKeyLine];
    const manyDirs: Record<string, FakeFile> = {};
    for (let i = 0; i < 20; i++)
      manyDirs[`/srv/many/d${String(i).padStart(2, '0')}/app-${i}.tar.zst`] = {
        content: `${i}`,
        mtime: ago(1 + i / 10),
      };
    const HOSTILE_DIR = '/srv/x/$(touch /tmp/pwned-listed)';
    const specs: FakeHostSpec[] = [
      pveA(both),
      pveB(both),
      nas(both),
      storageHost('ok-host', [key.publicKeyLine], {
        files: { [`${HOSTILE_DIR}/app-1.tar.zst`]: { content: 'h', mtime: ago(2) } },
      }),
      storageHost('wrong-key', [otherKey.publicKeyLine]),
      storageHost('unknown-key', [key.publicKeyLine]),
      storageHost('mismatch', [key.publicKeyLine]),
      {
        id: 'failing',
        authorizedKeys: [key.publicKeyLine],
        files: {},
        commands: pveStandIns({ pvesh: 'echo "boom: cluster not ready" >&2\nexit 1' }),
      },
      { id: 'slow', authorizedKeys: [key.publicKeyLine], files: {}, commands: pveStandIns({ pvesh: 'exec sleep 30' }) },
      { id: 'lost', authorizedKeys: [key.publicKeyLine], files: {}, commands: pveStandIns({ pvesh: 'exec sleep 30' }) },
      storageHost('jump', [key.publicKeyLine], { logLevel: 'DEBUG1' }),
      storageHost('behind', [key.publicKeyLine]),
      { ...storageHost('many', [key.publicKeyLine], { logLevel: 'DEBUG1' }), files: manyDirs },
      ...mailHosts([key.publicKeyLine], SASL_CANARY),
      pvePbs([key.publicKeyLine]),
      forcedProbeHost('forced', key.publicKeyLine, PROBE_SCRIPT_FILE),
      forcedProbeHost(
        'forced-old',
        key.publicKeyLine,
        PROBE_SCRIPT_FILE.replace(`spine_gates_probe_id=${PROBE_ID}`, 'spine_gates_probe_id=0000000000000000'),
      ),
    ];
    const results = await Promise.allSettled(
      specs.map(async (spec) => {
        const h = await startFakeHost(spec);
        stops.push(() => h.stop());
        hosts[spec.id] = h;
      }),
    );
    const [extraA, extraB] = await Promise.allSettled([startBlackholePort(), startSilentTcpServer()]);
    if (extraA.status === 'fulfilled') {
      blackhole = extraA.value;
      stops.push(() => extraA.value.close());
    }
    if (extraB.status === 'fulfilled') {
      silent = extraB.value;
      stops.push(() => extraB.value.close());
    }
    const failed = [...results, extraA, extraB].find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    refusedPort = await freePort(); // nothing listens there
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(stops.map((stop) => stop()));
    if (work) rmSync(work, { recursive: true, force: true });
  }, 30_000);

  // ------------------------------------------------------------------------------------------
  describe('a multi-host estate end to end', () => {
    it('ops verify --live judges exactly what ops verify --snapshot judges on the snapshot it wrote', async () => {
      const { dir } = await bindingsFor('main', mainEstate(hosts));
      const known = knownHosts('main', knownLines('pve-a', 'pve-b', 'nas'));
      const cwd = runDir('main');
      const live = await ops(
        [
          'verify',
          '--live',
          '--json',
          '--bindings',
          dir,
          '--reports',
          'reports',
          ...sshFlags(known, key.privateKeyPath),
        ],
        { cwd },
      );
      const liveResult = parseJson(live);
      expect(liveResult.inputErrors, live.stderr).toEqual([]);
      expect(live.code, live.stderr).toBe(1); // drift, every host readable

      // The drift the estate was built with.
      expect(checkFor(liveResult, 'D19.freshness', 'vm-101-files-primary').outcome).toBe('pass');
      // Retention from the live vzdump-conf and pveversion commands: judged, with the job's policy.
      expect(checkFor(liveResult, 'D19.retention', 'vm-101-files-primary')).toMatchObject({
        outcome: expect.stringMatching(/^(pass|fail)$/),
        message: expect.stringContaining('keep-last=3 from the job'),
      });
      expect(checkFor(liveResult, 'D19.freshness', 'vm-102-erp-primary')).toMatchObject({
        outcome: 'fail',
        reason: 'stale',
      });
      expect(checkFor(liveResult, 'D19.freshness', 'vm-201-family-cloud-primary').outcome).toBe('pass');
      expect(checkFor(liveResult, 'D19.freshness', 'app-erp-db').outcome).toBe('pass'); // depth-2 listing
      expect(checkFor(liveResult, 'D19.freshness', 'offsite-pve-a')).toMatchObject({
        outcome: 'fail',
        reason: 'path_missing',
      });
      expect(
        checksOf(liveResult)
          .filter((c) => c.id === 'D19.scheduler')
          .map((c) => [c.host, c.outcome])
          .sort(),
      ).toEqual([
        ['pve-a', 'pass'],
        ['pve-b', 'fail'],
      ]);
      expect(checkFor(liveResult, 'D19.guest-covered', 'qemu/103').outcome).toBe('fail');
      expect(checksOf(liveResult).filter((c) => c.outcome === 'error')).toEqual([]);
      // Job run state, read from the hosts' /var/lib/pve-manager/jobs and task logs.
      expect(
        checksOf(liveResult)
          .filter((c) => c.id === 'D19.job-run')
          .map((c) => [c.host, c.subject, c.outcome, c.reason])
          .sort(),
      ).toEqual(
        [
          ['pve-a', 'backup-aaaa1111-0001', 'fail', 'missed_runs'],
          ['pve-a', 'backup-aaaa1111-0002', 'fail', 'no_state_file'],
          ['pve-b', 'backup-bbbb2222-0002', 'fail', 'run_failed'],
          ['pve-b', 'backup-bbbb2222-0003', 'skip', 'first_run_pending'],
          ['pve-b', 'backup-bbbb2222-0004', 'skip', 'running'],
          ['pve-b', PVE_B_CRON_JOB, 'skip', 'legacy_cron_job'],
        ].sort(),
      );
      // The legacy cron job, read from the host's /etc/pve/vzdump.cron: coverage, a conversion hint, its unread line.
      expect(checkFor(liveResult, 'D19.guest-covered', 'qemu/201').message).toContain(PVE_B_CRON_JOB);
      expect(checkFor(liveResult, 'D19.job-valid', PVE_B_CRON_JOB)).toMatchObject({
        outcome: 'fail',
        reason: 'legacy_cron_job',
      });
      expect(checkFor(liveResult, 'D19.job-valid', 'vzdump.cron:7')).toMatchObject({
        outcome: 'fail',
        reason: 'config_warning',
      });
      expect(checkFor(liveResult, 'D19.job-run', 'backup-aaaa1111-0001').message).toContain(
        'pvescheduler is active yet not starting jobs',
      );
      expect(checkFor(liveResult, 'D19.job-run', 'backup-bbbb2222-0002').message).toContain('failed guests: 201');

      // The snapshot the live run recorded in its receipt folder, judged again.
      const snapshotDir = path.join(cwd, 'reports', 'receipts', liveResult.runKey, 'snapshot');
      expect(existsSync(path.join(snapshotDir, 'snapshot.yaml')), `no snapshot under ${snapshotDir}`).toBe(true);
      const again = await ops(
        ['verify', '--json', '--bindings', dir, '--snapshot', snapshotDir, '--reports', 'reports2'],
        { cwd },
      );
      const againResult = parseJson(again);
      expect(again.code).toBe(live.code);
      // Same verdicts; only the snapshot-age message (seconds apart) may differ.
      const verdicts = (r: JsonResult) =>
        r.gates.map((g) => ({
          id: g.id,
          outcome: g.outcome,
          checks: g.checks.map((c) => ({ ...c, message: c.id === 'D19.snapshot-age' ? '' : c.message })),
        }));
      expect(verdicts(againResult)).toEqual(verdicts(liveResult));
      expect(againResult.summary).toEqual(liveResult.summary);
    });

    it('ops snapshot --out DIR writes a snapshot that reads back with every host and listing', async () => {
      const { dir, bindings } = await bindingsFor('main-snap', mainEstate(hosts));
      const known = knownHosts('main-snap', knownLines('pve-a', 'pve-b', 'nas'));
      const cwd = runDir('snapshot');
      const out = path.join(cwd, 'snap');
      const run = await ops(['snapshot', '--bindings', dir, '--out', out, ...sshFlags(known, key.privateKeyPath)], {
        cwd,
      });
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      const read = await readSnapshot(out, bindings);
      if (!read.ok) throw new Error(JSON.stringify(read.errors));
      const state = read.state;
      expect(Object.keys(state.hosts).sort()).toEqual(['nas', 'pve-a', 'pve-b']);
      expect(Math.abs(Date.parse(state.capturedAt) / 1000 - Date.now() / 1000)).toBeLessThan(120);
      for (const h of Object.values(state.hosts)) expect(h.status, h.id).toBe('ok');
      expect(state.hosts['nas']!.timezone).toBe('Europe/Berlin'); // via the /etc/timezone fallback
      expect(state.hosts['pve-b']!.pve).toMatchObject({ ok: true, value: { scheduler: 'failed' } });
      const pveAState = state.hosts['pve-a']!.pve;
      expect(pveAState?.ok && pveAState.value.guests.map((g) => g.vmid).sort()).toEqual([101, 102, 103]);
      const dump = state.hosts['pve-a']!.listings['/srv/backups/dump'];
      expect(dump?.status === 'ok' && dump.files.map((f) => f.path).sort()).toEqual(
        Object.keys(pveA([]).files)
          .filter((f) => f.startsWith('/srv/backups/dump/'))
          .map((f) => path.basename(f))
          .sort(),
      );
      const erp = state.hosts['nas']!.listings['/volume1/backups/apps/erp'];
      expect(
        erp?.status === 'ok' && erp.files.find((f) => f.path.endsWith('erp-db.sql.gz') && f.mtime === ago(6.5)),
      ).toBeTruthy();
      expect(state.hosts['nas']!.listings['/volume1/offsite/pve-a']).toEqual({ status: 'missing' });
    });

    it('ops snapshot --shard i/n on two runners, then ops merge: judged exactly like one collection', async () => {
      const { dir } = await bindingsFor('main-shard', mainEstate(hosts));
      const known = knownHosts('main-shard', knownLines('pve-a', 'pve-b', 'nas'));
      const cwd = runDir('shard');
      const collect = (args: string[]) =>
        ops(['snapshot', '--bindings', dir, ...args, ...sshFlags(known, key.privateKeyPath)], { cwd });
      const [one, two, whole] = await Promise.all([
        collect(['--out', 's1', '--shard', '1/2']),
        collect(['--out', 's2', '--shard', '2/2']),
        collect(['--out', 'whole']),
      ]);
      for (const run of [one, two, whole]) expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      const split = [one, two].map((r) => /^shard \d\/2: (.*)$/m.exec(r.stdout)?.[1]?.split(', '));
      expect(split.flat().sort()).toEqual(['nas', 'pve-a', 'pve-b']);
      const merged = await ops(['merge', '--out', 'merged', 's1', 's2'], { cwd });
      expect(merged.code, merged.stdout).toBe(0);
      const judge = async (snapshot: string) => {
        const r = parseJson(
          await ops(
            [
              'verify',
              '--json',
              '--bindings',
              dir,
              '--snapshot',
              snapshot,
              '--max-snapshot-age',
              '0',
              '--reports',
              `reports-${snapshot}`,
            ],
            { cwd },
          ),
        );
        return { summary: r.summary, gates: r.gates };
      };
      const [fromShards, fromOne] = await Promise.all([judge('merged'), judge('whole')]);
      expect(fromShards).toEqual(fromOne);
      expect(fromShards.summary.error).toBe(0);
    }, 90_000); // six CLI processes, three of them collecting at once: on two shared cores this outgrew 30 s

    it('collect() + writeSnapshot() round-trip through readSnapshot()', async () => {
      const { bindings } = await bindingsFor('main-api', mainEstate(hosts));
      const known = knownHosts('main-api', knownLines('pve-a', 'pve-b', 'nas'));
      const collection = await collect(bindings, options(known));
      for (const id of ['pve-a', 'pve-b', 'nas']) expectOk(collection, id);
      expect(collection.insecureAcceptAnyHostKey).toBe(false);
      const jobs = hostIn(collection, 'pve-a').commands.find((c) => c.id === 'jobs-cfg');
      expect(jobs?.stdout.toString()).toBe(
        jobsCfg('backup-aaaa1111-0001', 'vmid 101,102') + jobsCfg('backup-aaaa1111-0002', 'vmid 101'),
      );
      const out = path.join(work, 'api-snapshot');
      await writeSnapshot(out, collection);
      const read = await readSnapshot(out, bindings);
      if (!read.ok) throw new Error(JSON.stringify(read.errors));
      expect(read.state.capturedAt).toBe(collection.capturedAt);
      expect(readFileSync(path.join(out, 'hosts', 'pve-a', 'jobs-cfg.out'), 'utf8')).toBe(jobs?.stdout.toString());
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('every reason code, next to a host that stays ok', () => {
    let network: Collection;
    let networkKnownHosts: string;

    beforeAll(async () => {
      const estate: Estate = {
        hosts: [
          { id: 'ok-host', port: hosts['ok-host']!.port },
          { id: 'refused', port: refusedPort },
          { id: 'blackhole', port: blackhole.port },
          { id: 'silent', port: silent.port },
          { id: 'wrong-key', port: hosts['wrong-key']!.port },
          { id: 'unknown-key', port: hosts['unknown-key']!.port },
          { id: 'mismatch', port: hosts['mismatch']!.port },
          { id: 'dns', host: 'pve-gone.invalid', port: 22 },
          { id: 'failing', port: hosts['failing']!.port },
        ],
        targets: ['ok-host', 'refused', 'blackhole', 'silent', 'wrong-key', 'unknown-key', 'mismatch', 'dns'].map((h) =>
          storageTarget(h),
        ),
        guests: [],
        pveHosts: ['failing'],
      };
      const { bindings } = await bindingsFor('network', estate);
      // unknown-key: no line at all. mismatch: a line for its [127.0.0.1]:port with another host's key.
      const known = (networkKnownHosts = knownHosts('network', [
        ...knownLines('ok-host', 'wrong-key', 'failing'),
        `[127.0.0.1]:${hosts['mismatch']!.port} ${hosts['ok-host']!.hostKeyLine}`,
        // The silent and blackhole ports never get as far as a key; give them one anyway.
        `[127.0.0.1]:${silent.port} ${hosts['ok-host']!.hostKeyLine}`,
        `[127.0.0.1]:${blackhole.port} ${hosts['ok-host']!.hostKeyLine}`,
      ]));
      const t0 = Date.now();
      network = await collect(
        bindings,
        options(known, { connectTimeoutMs: 1500, commandTimeoutMs: 5000, hostBudgetMs: 15_000 }),
      );
      // Hosts in parallel, each bounded by the 1.5 s connect timeout: not the sum, not the 15 s budget.
      expect(Date.now() - t0).toBeLessThan(8000);
    }, 30_000);

    it('the control host is ok in the same collection', () => {
      expectOk(network, 'ok-host');
      expect(network.hosts.map((h) => h.id).sort()).toEqual([
        'blackhole',
        'dns',
        'failing',
        'mismatch',
        'ok-host',
        'refused',
        'silent',
        'unknown-key',
        'wrong-key',
      ]);
    });

    // Each message says what failed where: the address and port, the timeout, the key presented.
    const messages: Record<string, () => string | RegExp> = {
      refused: () => `TCP connect to 127.0.0.1:${refusedPort} refused`,
      blackhole: () => `TCP connect to 127.0.0.1:${blackhole.port} timed out after 1500 ms`,
      silent: () => `no SSH session with root@127.0.0.1:${silent.port} within 1500 ms (handshake and authentication)`,
      'wrong-key': () =>
        new RegExp(
          `^authentication to root@127\\.0\\.0\\.1:${hosts['wrong-key']!.port} failed \\(tried [^)]*client_ed25519[^)]*\\)$`,
        ),
      'unknown-key': () =>
        new RegExp(
          `^${escaped(
            `[127.0.0.1]:${hosts['unknown-key']!.port} is not in ${networkKnownHosts}; it presented ${presentedKey(
              hosts['unknown-key']!,
            )}. Check that fingerprint out of band`,
          )}`,
        ),
      mismatch: () =>
        `[127.0.0.1]:${hosts['mismatch']!.port} presented ${presentedKey(hosts['mismatch']!)}, which matches none of its keys in ${
          networkKnownHosts
        } (ssh-ed25519): possible impersonation, or the host was reinstalled`,
      // The resolver's own words differ by machine (ENOTFOUND, EAI_AGAIN).
      dns: () => /^cannot resolve pve-gone\.invalid: \S/,
      failing: () => 'guests exited 1: boom: cluster not ready',
    };

    it.each([
      ['refused', 'connect_refused'],
      ['blackhole', 'connect_timeout'],
      ['silent', 'handshake_timeout'],
      ['wrong-key', 'auth_denied'],
      ['unknown-key', 'host_key_unknown'],
      ['mismatch', 'host_key_mismatch'],
      ['dns', 'dns_unresolved'],
      ['failing', 'command_failed'],
    ] as const)('%s → %s, with what failed where', (id, reason) => {
      expectError(network, id, reason, messages[id]!());
    });

    it('command_failed carries the command\'s stderr ("boom")', () => {
      expect(expectError(network, 'failing', 'command_failed', messages['failing']!()).message).toContain('boom');
    });

    it('host keys are named in the errors so a person can pin them', () => {
      for (const [id, reason] of [
        ['mismatch', 'host_key_mismatch'],
        ['unknown-key', 'host_key_unknown'],
      ] as const) {
        const error = expectError(network, id, reason, messages[id]!());
        expect(error.message).toContain(String(hosts[id]!.port));
        expect(error.message).toContain(presentedKey(hosts[id]!));
      }
    });

    it('command_timeout: a stand-in pvesh that sleeps past a 1 s command timeout', async () => {
      const { bindings } = await bindingsFor('slow', {
        hosts: [
          { id: 'ok-host', port: hosts['ok-host']!.port },
          { id: 'slow', port: hosts['slow']!.port },
        ],
        targets: [storageTarget('ok-host')],
        guests: [],
        pveHosts: ['slow'],
      });
      const known = knownHosts('slow', knownLines('ok-host', 'slow'));
      const t0 = Date.now();
      const c = await collect(bindings, options(known, { commandTimeoutMs: 1000, hostBudgetMs: 15_000 }));
      expect(Date.now() - t0).toBeLessThan(10_000);
      expectError(c, 'slow', 'command_timeout', 'guests did not finish within 1000 ms');
      expectOk(c, 'ok-host');
    });

    it('connection_lost: the host drops the connection mid-command', async () => {
      const { bindings } = await bindingsFor('lost', {
        hosts: [
          { id: 'ok-host', port: hosts['ok-host']!.port },
          { id: 'lost', port: hosts['lost']!.port },
        ],
        targets: [storageTarget('ok-host')],
        guests: [],
        pveHosts: ['lost'],
      });
      const known = knownHosts('lost', knownLines('ok-host', 'lost'));
      const lost = hosts['lost']!;
      const running = collect(bindings, options(known, { commandTimeoutMs: 20_000, hostBudgetMs: 25_000 }));
      // Wait for the stand-in pvesh (`exec sleep 30`) to run, then drop every session of the host.
      await waitFor('pvesh running on lost', async () => {
        for (const pid of await lost.sessionPids()) {
          if (commOf(pid) === 'sleep') return true;
        }
        return false;
      });
      await lost.killSessions();
      const c = await running;
      expectError(
        c,
        'lost',
        'connection_lost',
        new RegExp(`^connection to root@127\\.0\\.0\\.1:${lost.port} lost: \\S`),
      );
      expectOk(c, 'ok-host');
    }, 30_000);

    it("ops verify exits 2 end to end, with each unreadable host's reason on its checks", async () => {
      const estate: Estate = {
        hosts: [
          { id: 'ok-host', port: hosts['ok-host']!.port },
          { id: 'refused', port: refusedPort },
          { id: 'wrong-key', port: hosts['wrong-key']!.port },
          { id: 'unknown-key', port: hosts['unknown-key']!.port },
          { id: 'mismatch', port: hosts['mismatch']!.port },
          { id: 'failing', port: hosts['failing']!.port },
        ],
        targets: ['ok-host', 'refused', 'wrong-key', 'unknown-key', 'mismatch'].map((h) => storageTarget(h)),
        guests: [],
        pveHosts: ['failing'],
      };
      const { dir } = await bindingsFor('e2e-errors', estate);
      const known = knownHosts('e2e-errors', [
        ...knownLines('ok-host', 'wrong-key', 'failing'),
        `[127.0.0.1]:${hosts['mismatch']!.port} ${hosts['ok-host']!.hostKeyLine}`,
      ]);
      const cwd = runDir('errors');
      const run = await ops(
        [
          'verify',
          '--live',
          '--json',
          '--bindings',
          dir,
          '--reports',
          'reports',
          ...sshFlags(known, key.privateKeyPath),
        ],
        { cwd },
      );
      expect(run.code, run.stderr).toBe(2);
      const result = parseJson(run);
      expect(checkFor(result, 'D19.freshness', 'ok-host-backups').outcome).toBe('pass');
      expect(checkFor(result, 'D19.freshness', 'refused-backups')).toMatchObject({
        outcome: 'error',
        reason: 'connect_refused',
      });
      expect(checkFor(result, 'D19.freshness', 'wrong-key-backups')).toMatchObject({
        outcome: 'error',
        reason: 'auth_denied',
      });
      expect(checkFor(result, 'D19.freshness', 'unknown-key-backups')).toMatchObject({
        outcome: 'error',
        reason: 'host_key_unknown',
      });
      expect(checkFor(result, 'D19.freshness', 'mismatch-backups')).toMatchObject({
        outcome: 'error',
        reason: 'host_key_mismatch',
      });
      expect(
        checksOf(result)
          .filter((c) => c.host === 'failing' && c.outcome === 'error')
          .map((c) => c.reason),
      ).toContain('command_failed');
      // The receipt records each host's collection status.
      const receipt = JSON.parse(
        readFileSync(path.join(cwd, 'reports', 'receipts', result.runKey, 'receipt.json'), 'utf8'),
      );
      const receiptHosts = receipt.hosts as { id: string; status: string; reason: string | null }[];
      const statuses = Object.fromEntries(receiptHosts.map((h) => [h.id, h.reason ?? h.status]));
      expect(statuses).toMatchObject({
        'ok-host': 'ok',
        refused: 'connect_refused',
        'wrong-key': 'auth_denied',
        'unknown-key': 'host_key_unknown',
        mismatch: 'host_key_mismatch',
        failing: 'command_failed',
      });
      expect(readFileSync(path.join(cwd, 'reports', 'junit.xml'), 'utf8')).toContain('connect_refused');
    });
  });

  // ------------------------------------------------------------------------------------------
  it("probe_via: a host reached through another host's sshd forwarding", async () => {
    const jump = hosts['jump']!;
    const behind = hosts['behind']!;
    const { bindings } = await bindingsFor('via', {
      hosts: [
        { id: 'jump', port: jump.port },
        { id: 'behind', port: behind.port, probeVia: 'jump' },
      ],
      targets: [storageTarget('jump'), storageTarget('behind')],
      guests: [],
    });
    const known = knownHosts('via', knownLines('jump', 'behind'));
    const jumpLogBefore = jump.log().length;
    const behindLogBefore = behind.log().length;
    const c = await collect(bindings, options(known));
    expectOk(c, 'jump');
    expectOk(c, 'behind');
    // jump's sshd (LogLevel DEBUG1) opened a direct-tcpip channel to behind's port …
    const jumpLog = jump.log().slice(jumpLogBefore);
    expect(jumpLog).toMatch(
      new RegExp(`server_request_direct_tcpip: originator [^\\n]*, target 127\\.0\\.0\\.1 port ${behind.port}\\b`),
    );
    expect(countMatches(jumpLog, /ctype direct-tcpip/)).toBe(1);
    // … and behind saw exactly one login, the one that came through that channel.
    expect(countMatches(behind.log().slice(behindLogBefore), /Accepted publickey for root/)).toBe(1);
  });

  // ------------------------------------------------------------------------------------------
  it('hostile base paths reach the host only as quoted data: no trace, reported path_missing (or listed)', async () => {
    const tag = randomBytes(6).toString('hex');
    const hostile = [
      `/srv/x/$(touch /tmp/pwned-${tag}-1)`,
      `/srv/x/\`touch /tmp/pwned-${tag}-2\``,
      `/srv/x/a; touch /tmp/pwned-${tag}-3`,
      `/srv/x/'; touch /tmp/pwned-${tag}-4; echo '`,
      `/srv/x/"$(touch /tmp/pwned-${tag}-5)"`,
      `/srv/x/a\ntouch /tmp/pwned-${tag}-6`,
      `/srv/x/a' || touch /tmp/pwned-${tag}-7 || '`,
    ];
    const listed = '/srv/x/$(touch /tmp/pwned-listed)'; // exists on ok-host, with one archive
    const targets: EstateTarget[] = [
      ...hostile.map((basePath, i) => ({ name: `hostile-${i + 1}`, host: 'ok-host', basePath, glob: '*.tar.zst' })),
      { name: 'hostile-listed', host: 'ok-host', basePath: listed, glob: 'app-*.tar.zst' },
    ];
    const { dir } = await bindingsFor('hostile', {
      hosts: [{ id: 'ok-host', port: hosts['ok-host']!.port }],
      targets,
      guests: [],
    });
    const known = knownHosts('hostile', knownLines('ok-host'));
    const cwd = runDir('hostile');
    const run = await ops(
      ['verify', '--live', '--json', '--bindings', dir, '--reports', 'reports', ...sshFlags(known, key.privateKeyPath)],
      { cwd },
    );
    const result = parseJson(run);
    expect(result.inputErrors).toEqual([]);
    for (let i = 1; i <= hostile.length; i++) {
      expect(checkFor(result, 'D19.freshness', `hostile-${i}`), hostile[i - 1]).toMatchObject({
        outcome: 'fail',
        reason: 'path_missing',
      });
    }
    expect(checkFor(result, 'D19.freshness', 'hostile-listed').outcome).toBe('pass');
    expect(run.code).toBe(1);
    // No trace on the host (its /tmp is in its private layer) nor on this machine.
    const pwned = (d: string) => (existsSync(d) ? readdirSync(d).filter((f) => f.startsWith('pwned-')) : []);
    expect(pwned(hosts['ok-host']!.hostPath('/tmp'))).toEqual([]);
    expect(pwned('/tmp')).toEqual([]);
    expect(pwned(cwd)).toEqual([]);
    expect(pwned(tmpdir())).toEqual([]);
  });

  // ------------------------------------------------------------------------------------------
  describe('a passphrase-protected key (SPINE_GATES_KEY_PASSPHRASE)', () => {
    it('works, and the passphrase appears in no output, report, receipt or snapshot', async () => {
      const { dir } = await bindingsFor('canary', mainEstate(hosts));
      const known = knownHosts('canary', knownLines('pve-a', 'pve-b', 'nas'));
      const cwd = runDir('canary');
      const env = { SPINE_GATES_KEY_PASSPHRASE: CANARY };
      const verify = await ops(
        [
          'verify',
          '--live',
          '--json',
          '--bindings',
          dir,
          '--reports',
          'reports',
          ...sshFlags(known, passKey.privateKeyPath),
        ],
        { cwd, env },
      );
      const snap = await ops(
        ['snapshot', '--bindings', dir, '--out', 'snap', ...sshFlags(known, passKey.privateKeyPath)],
        { cwd, env },
      );
      const result = parseJson(verify);
      expect(verify.code, verify.stderr).toBe(1); // the estate's drift, every host read with the protected key
      expect(checksOf(result).filter((c) => c.outcome === 'error')).toEqual([]);
      expect(snap.code, snap.stderr).toBe(0);
      const files = filesUnder(cwd);
      expect(files.some((f) => f.endsWith('receipt.json'))).toBe(true);
      expect(files.some((f) => f.endsWith('receipt.md'))).toBe(true);
      expect(files.some((f) => f.endsWith('junit.xml'))).toBe(true);
      expect(files.some((f) => f.endsWith(`snap${path.sep}snapshot.yaml`))).toBe(true);
      const leaks = [
        ...[verify, snap].flatMap((r, i) => [
          [`run ${i} stdout`, r.stdout],
          [`run ${i} stderr`, r.stderr],
        ]),
        ...files.map((f) => [f, readFileSync(f).toString('latin1')]),
      ]
        .filter(([, text]) => text!.includes(CANARY))
        .map(([where]) => where);
      expect(leaks).toEqual([]);
    });

    it('a wrong passphrase fails with exit 2 and is not echoed', async () => {
      const { dir } = await bindingsFor('wrong-pass', mainEstate(hosts));
      const known = knownHosts('wrong-pass', knownLines('pve-a', 'pve-b', 'nas'));
      const cwd = runDir('wrong-pass');
      const env = { SPINE_GATES_KEY_PASSPHRASE: WRONG };
      const verify = await ops(
        [
          'verify',
          '--live',
          '--json',
          '--bindings',
          dir,
          '--reports',
          'reports',
          ...sshFlags(known, passKey.privateKeyPath),
        ],
        { cwd, env },
      );
      const snap = await ops(
        ['snapshot', '--bindings', dir, '--out', 'snap', ...sshFlags(known, passKey.privateKeyPath)],
        { cwd, env },
      );
      expect(verify.code).toBe(2);
      expect(snap.code).toBe(2);
      const result = parseJson(verify);
      expect(
        checksOf(result)
          .filter((c) => c.id === 'D19.freshness')
          .map((c) => c.reason),
      ).toEqual(MAIN_TARGETS.map(() => 'auth_denied'));
      const texts = [
        verify.stdout,
        verify.stderr,
        snap.stdout,
        snap.stderr,
        ...filesUnder(cwd).map((f) => readFileSync(f).toString('latin1')),
      ];
      expect(texts.filter((t) => t.includes(WRONG) || t.includes(CANARY))).toEqual([]);
      // It says what is wrong (the key could not be decrypted), without the value.
      expect(checkFor(result, 'D19.freshness', 'vm-101-files-primary').message).toMatch(/decrypt|passphrase/i);
      expect(snap.stdout).toMatch(/decrypt|passphrase/i);
    });
  });

  // ------------------------------------------------------------------------------------------
  it('reads a host with one exec: 20 listings over one connection, one session, one `sh -s`', async () => {
    const many = hosts['many']!;
    const targets: EstateTarget[] = Array.from({ length: 20 }, (_, i) => {
      const d = String(i).padStart(2, '0');
      return { name: `many-${d}`, host: 'many', basePath: `/srv/many/d${d}`, glob: 'app-*.tar.zst' };
    });
    const { bindings } = await bindingsFor('many', { hosts: [{ id: 'many', port: many.port }], targets, guests: [] });
    const known = knownHosts('many', knownLines('many'));
    const before = many.log().length;
    const c = await collect(bindings, options(known));
    expectOk(c, 'many');
    const listings = hostIn(c, 'many').commands.filter((x) => x.basePath);
    expect(listings).toHaveLength(20);
    for (const l of listings) {
      const i = Number(l.basePath!.slice(-2));
      expect(l.exit, l.basePath).toBe(0);
      expect(l.stdout.toString()).toBe(`${ago(1 + i / 10)}.0000000000 ${String(i).length} app-${i}.tar.zst\0`);
    }
    const log = many.log().slice(before);
    expect(countMatches(log, /Accepted publickey for root/)).toBe(1);
    // sshd (LogLevel DEBUG1) logs each session channel it opens and each exec request it serves.
    expect(countMatches(log, /server_input_channel_open: ctype session/)).toBe(1);
    expect(countMatches(log, /exec request|request exec/)).toBe(1);
  });

  // ------------------------------------------------------------------------------------------
  describe('a CI key pinned to the installed probe (restrict,command=…)', () => {
    const pveAEstate = (port: number): Estate => ({
      hosts: [{ id: 'pve-a', port }],
      targets: MAIN_TARGETS.filter((t) => t.host === 'pve-a'),
      guests: mainEstate(hosts).guests.filter((g) => g.proxmoxHost === 'pve-a'),
    });
    const facts = (h: CollectedHost) => h.commands.map((c) => [c.id, c.exit, c.stdout.toString('latin1')]);

    it('reads exactly what `sh -s` reads from the same host files', async () => {
      const known = knownHosts('forced', [...knownLines('pve-a'), hosts['forced']!.knownHostsLine()]);
      const direct = await collect(
        (await bindingsFor('direct', pveAEstate(hosts['pve-a']!.port))).bindings,
        options(known),
      );
      const forced = await collect(
        (await bindingsFor('forced', pveAEstate(hosts['forced']!.port))).bindings,
        options(known),
      );
      expectOk(forced, 'pve-a');
      expect(facts(hostIn(forced, 'pve-a'))).toEqual(facts(hostIn(direct, 'pve-a')));
      // The follow-up (the storage its jobs.cfg names) came over the same stdin, to the installed copy too.
      expect(hostIn(forced, 'pve-a').commands.map((c) => c.id)).toEqual(
        expect.arrayContaining(['storage-status', `storage-content-${Buffer.from('backup').toString('hex')}`]),
      );
    });

    it('lets the key run nothing else: no command, no shell, no forwarding', async () => {
      const forced = hosts['forced']!;
      const known = knownHosts('forced-ssh', [forced.knownHostsLine()]);
      const ssh = (...args: string[]) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(
            'ssh',
            [
              '-n',
              '-F',
              '/dev/null',
              '-o',
              'BatchMode=yes',
              '-o',
              `UserKnownHostsFile=${known}`,
              '-o',
              'IdentitiesOnly=yes',
              '-i',
              key.privateKeyPath,
              '-p',
              String(forced.port),
              ...args,
            ],
            { timeout: 15_000 },
            (error, stdout, stderr) => {
              resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
            },
          );
        });
      for (const command of [['touch /tmp/forced-pwned; echo RAN'], ['sh', '-c', "'touch /tmp/forced-pwned'"], []]) {
        const r = await ssh('root@127.0.0.1', ...command);
        expect(r.code, command.join(' ')).toBe(2);
        expect(r.stdout).not.toContain('RAN');
        expect(r.stderr).toContain('spine-gates-probe: stdin is not a spine-gates probe request');
      }
      // restrict: no TCP forwarding (what probe_via would ask of a jump host) is refused.
      const client = new Client();
      await new Promise<void>((resolve, reject) => {
        client
          .once('ready', () => resolve())
          .once('error', reject)
          .connect({
            host: '127.0.0.1',
            port: forced.port,
            username: 'root',
            privateKey: readFileSync(key.privateKeyPath),
            hostVerifier: () => true,
          });
      });
      const forwarded = await new Promise<Error | undefined>((resolve) =>
        client.forwardOut('127.0.0.1', 0, '127.0.0.1', forced.port, (e) => resolve(e)),
      );
      client.end();
      expect(forwarded).toMatchObject({ message: expect.stringContaining('Channel open failure'), reason: 1 }); // SSH_OPEN_ADMINISTRATIVELY_PROHIBITED
      expect(existsSync(forced.hostPath('/tmp/forced-pwned'))).toBe(false);
    });

    it("refuses an installed probe of another version: probe_mismatch, the host's checks are errors", async () => {
      const known = knownHosts('forced-old', [hosts['forced-old']!.knownHostsLine()]);
      const c = await collect(
        (await bindingsFor('forced-old', pveAEstate(hosts['forced-old']!.port))).bindings,
        options(known),
      );
      expect(hostIn(c, 'pve-a')).toMatchObject({
        status: 'error',
        reason: 'probe_mismatch',
        message: expect.stringContaining(`version 0000000000000000, this spine-gates runs ${PROBE_ID}`),
      });
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('backups on PVE storages (PBS, NFS) through a fake pvesh', () => {
    it('judges freshness, verification and storage health from pvesh, and the snapshot judges the same', async () => {
      const { dir } = await bindingsFor('pbs', {
        hosts: [{ id: 'pve-pbs', port: hosts['pve-pbs']!.port }],
        targets: [],
        storageTargets: ['pbs-dr', 'pbs-main', 'nfs-dump'].map((storage) => ({
          name: `vm-101-${storage}`,
          host: 'pve-pbs',
          storage,
          vmid: 101,
        })),
        guests: [{ id: 101, hostname: 'files', proxmoxHost: 'pve-pbs', backupTarget: 'vm-101-pbs-dr' }],
      });
      const cwd = runDir('pbs');
      const live = parseJson(
        await ops(
          [
            'verify',
            '--live',
            '--json',
            '--bindings',
            dir,
            '--reports',
            'reports',
            ...sshFlags(knownHosts('pbs', knownLines('pve-pbs')), key.privateKeyPath),
          ],
          { cwd },
        ),
      );
      expect(live.inputErrors).toEqual([]);
      // --json lists the worst first; here in the bindings' order of the targets and storages.
      const ORDER = ['vm-101-pbs-dr', 'vm-101-pbs-main', 'vm-101-nfs-dump', 'nfs-dump', 'pbs-dr', 'pbs-main'];
      const verdicts = (check: string) =>
        checksOf(live)
          .filter((c) => c.id === check)
          .sort((a, b) => ORDER.indexOf(a.subject) - ORDER.indexOf(b.subject))
          .map((c) => `${c.subject} ${c.outcome} ${c.reason ?? ''}`.trim());
      expect(verdicts('D19.freshness')).toEqual([
        'vm-101-pbs-dr pass',
        'vm-101-pbs-main error command_failed',
        'vm-101-nfs-dump fail stale',
      ]);
      expect(verdicts('D19.verified')).toEqual([
        'vm-101-pbs-dr fail verify_failed',
        'vm-101-pbs-main error command_failed',
        'vm-101-nfs-dump skip not_pbs',
      ]);
      expect(verdicts('D19.storage')).toEqual([
        'nfs-dump fail storage_full',
        'pbs-dr pass',
        'pbs-main fail storage_inactive',
      ]);
      // The drill 10 days ago read pbs-dr's server and datastore: the other targets' guest, another copy (said);
      // the later restores are of other guests (the first log line decides).
      expect(verdicts('D19.restore-drill')).toEqual([
        'vm-101-pbs-dr pass',
        'vm-101-pbs-main pass',
        'vm-101-nfs-dump pass',
      ]);
      expect(checkFor(live, 'D19.restore-drill', 'vm-101-pbs-dr').message).toContain(
        'restored 10 days ago (within 90): qmrestore into 9101 from vm/101/2026-02-20T01:00:12Z on pve-pbs',
      );
      expect(checkFor(live, 'D19.restore-drill', 'vm-101-pbs-dr').message).not.toContain('another copy');
      expect(checkFor(live, 'D19.restore-drill', 'vm-101-pbs-main').message).toContain(
        "(another copy of 101 than this target's pbs-main)",
      );
      expect(existsSync(hosts['pve-pbs']!.hostPath('/var/log/pve/tasks/pwned'))).toBe(false);
      expect(verdicts('D19.size')).toEqual([
        'vm-101-pbs-dr skip pbs_vm_size',
        'vm-101-pbs-main error command_failed',
        'vm-101-nfs-dump skip short_history',
      ]);
      expect(checkFor(live, 'D19.verified', 'vm-101-pbs-dr').message).toContain(
        `last verified ok ${new Date(ago(28) * 1000).toISOString().replace('.000Z', 'Z')}`,
      );
      expect(checkFor(live, 'D19.freshness', 'vm-101-pbs-main').message).toContain(
        "pvesh get /nodes/'pve-node'/storage/'pbs-main'/content",
      );
      expect(checkFor(live, 'D69.target-shape', 'qemu/101').outcome).toBe('pass');
      expect(
        checksOf(live)
          .filter((c) => c.id === 'D19.scheduler')
          .map((c) => c.outcome),
      ).toEqual(['pass']); // one unreachable PBS costs only its findings

      const snapshotDir = path.join(cwd, 'reports', 'receipts', live.runKey, 'snapshot');
      expect(readFileSync(path.join(snapshotDir, 'hosts', 'pve-pbs', 'hostname.out'), 'utf8')).toBe(
        'pve-node.example.com\n',
      );
      const again = parseJson(
        await ops(
          [
            'verify',
            '--json',
            '--bindings',
            dir,
            '--snapshot',
            snapshotDir,
            '--max-snapshot-age',
            '0',
            '--reports',
            'reports2',
          ],
          { cwd },
        ),
      );
      const d19 = (r: JsonResult) =>
        r.gates.find((g) => g.id === 'D19')!.checks.filter((c) => c.id !== 'D19.snapshot-age');
      expect(d19(again)).toEqual(d19(live));
    });

    it("ops init --live writes a pve_storage target for the PBS job's guest, which ops verify --live then judges", async () => {
      const dir = mkdtempSync(path.join(work, 'init-pbs-'));
      writeFileSync(
        path.join(dir, 'ssh.targets.yaml'),
        `ssh:\n  defaults: {user: root}\n  targets:\n    - {id: pve-pbs, host: 127.0.0.1, port: ${hosts['pve-pbs']!.port}}\n`,
      );
      const flags = sshFlags(knownHosts('init-pbs', knownLines('pve-pbs')), key.privateKeyPath);
      const cwd = runDir('init-pbs');
      const init = await ops(['init', '--live', '--bindings', dir, ...flags], { cwd });
      expect(init.code, init.stdout + init.stderr).toBe(0);
      expect(readFileSync(path.join(dir, 'backup.inventory.yaml'), 'utf8')).toContain(
        'name: pve-pbs-qemu-101-backup-pbs-0001\n    enabled: true\n    kind: pve_storage\n    host: pve-pbs\n    storage: pbs-dr\n    vmid: 101\n',
      );
      const live = parseJson(
        await ops(['verify', '--live', '--json', '--bindings', dir, '--reports', 'reports', ...flags], { cwd }),
      );
      expect(live.inputErrors).toEqual([]);
      expect(checkFor(live, 'D19.freshness', 'pve-pbs-qemu-101-backup-pbs-0001').outcome).toBe('pass');
      expect(checkFor(live, 'D19.judged', 'run').outcome).toBe('pass');
    });
  });

  // ------------------------------------------------------------------------------------------
  describe('relay-stalwart through the fake hosts', () => {
    let result: JsonResult;
    let cwd: string;
    let dir: string;

    beforeAll(async () => {
      ({ dir } = await bindingsFor('mail', {
        hosts: MAIL_HOSTS.map((id) => ({ id, port: hosts[id]!.port })),
        targets: [
          {
            name: 'mail-broken-vm-100',
            host: 'mail-broken',
            basePath: '/var/lib/vz/dump',
            glob: 'vzdump-qemu-100-*.vma.zst',
          },
        ],
        guests: [],
        pveHosts: MAIL_HOSTS,
        policy: {
          relay: {
            host: 'mail.example.com',
            allowed_recipients: ['alerts@example.com'],
            sender_domain: 'example.com',
            max_queue_age_minutes: 60,
            mail: { 'mail-quiet': 'disabled', 'mail-noisy': 'disabled' },
          },
        },
      }));
      cwd = runDir('mail');
      const run = await ops(
        [
          'verify',
          '--live',
          '--json',
          '--bindings',
          dir,
          '--reports',
          'reports',
          ...sshFlags(knownHosts('mail', knownLines(...MAIL_HOSTS)), key.privateKeyPath),
        ],
        { cwd },
      );
      result = parseJson(run);
      expect(result.inputErrors, run.stderr).toEqual([]);
    }, 60_000);

    const relay = (id: string, host: string) =>
      checksOf(result)
        .filter((c) => c.id === id && c.host === host)
        .map((c) => `${c.subject} ${c.outcome}${c.reason ? ` ${c.reason}` : ''}`);

    it.each([
      ['relay.postfix', 'mail-good', ['postfix pass']],
      ['relay.postfix', 'mail-bad', ['postfix fail no_relayhost']],
      ['relay.notifications', 'mail-good', ['sendmail/mail-to-root pass', 'smtp/stalwart pass']],
      [
        'relay.notifications',
        'mail-bad',
        ['smtp/stalwart fail smtp_wrong_port', 'sendmail/mail-to-root skip not_routed'],
      ],
      ['relay.job-mail', 'mail-good', ['backup-mail-0001 pass']],
      ['relay.job-mail', 'mail-bad', ['backup-mail-0001 fail mailnotification_never']],
      ['relay.queue', 'mail-good', ['queue pass']],
      ['relay.queue', 'mail-bad', ['queue fail message_too_old']],
      ['relay.disabled', 'mail-quiet', ['mail pass']],
      ['relay.disabled', 'mail-noisy', ['mail fail job_mailto']],
      ['relay.postfix', 'mail-quiet', ['mail-quiet skip mail_disabled']],
      ['relay.queue', 'mail-quiet', ['queue skip no_postfix']], // no postfix on the host: exit 11 is data
      ['relay.disabled', 'mail-good', ['mail-good skip mail_relayed']],
    ])('%s on %s', (check, host, expected) => {
      expect(relay(check, host)).toEqual(expected);
    });

    it("reads the stuck message's age in the host's zone, and the personal inbox", () => {
      expect(checksOf(result).find((c) => c.id === 'relay.queue' && c.host === 'mail-bad')!.message).toContain(
        `4C1F82A0E3 (deferred, since ${mailqTime(ago(75)).replace(/\s+/g, ' ')}, 3 d 3 h)`,
      );
      expect(checksOf(result).find((c) => c.id === 'relay.job-mail' && c.host === 'mail-bad')!.message).toContain(
        'mailto ronny@private.example.net is not an allowed recipient',
      );
    });

    it('a failing postconf makes only the mail checks errors: the host is read, D19 judges it', () => {
      expect(
        checksOf(result)
          .filter((c) => c.host === 'mail-broken' && c.id.startsWith('relay.') && c.id !== 'relay.disabled')
          .map((c) => `${c.id} ${c.outcome} ${c.reason}`),
      ).toEqual([
        'relay.postfix error command_failed',
        'relay.notifications error command_failed',
        'relay.job-mail error command_failed',
        'relay.queue error command_failed',
      ]);
      expect(checkFor(result, 'D19.freshness', 'mail-broken-vm-100').outcome).toBe('pass');
      expect(checksOf(result).find((c) => c.id === 'D19.scheduler' && c.host === 'mail-broken')!.outcome).toBe('pass');
      const receipt = JSON.parse(
        readFileSync(path.join(cwd, 'reports', 'receipts', result.runKey, 'receipt.json'), 'utf8'),
      );
      expect((receipt.hosts as { id: string; status: string }[]).find((h) => h.id === 'mail-broken')!.status).toBe(
        'ok',
      );
    });

    it('judges the recorded snapshot exactly as the live run did, and the SASL password never left its host', async () => {
      const snapshotDir = path.join(cwd, 'reports', 'receipts', result.runKey, 'snapshot');
      const again = parseJson(
        await ops(
          [
            'verify',
            '--json',
            '--bindings',
            dir,
            '--snapshot',
            snapshotDir,
            '--gate',
            'relay-stalwart',
            '--reports',
            'reports2',
          ],
          { cwd },
        ),
      );
      const relayGate = (r: JsonResult) => r.gates.find((g) => g.id === 'relay-stalwart');
      expect(relayGate(again)).toEqual(relayGate(result));
      expect(readFileSync(path.join(snapshotDir, 'hosts', 'mail-good', 'postfix-files.out'), 'utf8')).toContain(
        'sasl/sasl_passwd.db\n',
      );
      const leaks = filesUnder(cwd).filter((f) => readFileSync(f).toString('latin1').includes(SASL_CANARY));
      expect(leaks).toEqual([]);
    });
  });

  // ------------------------------------------------------------------------------------------
  it('strict host keys: no known_hosts file was ever written (bytes and mtime unchanged), no ~/.ssh created', () => {
    expect(knownHostsFiles.size).toBeGreaterThan(5);
    for (const [file, before] of knownHostsFiles) {
      expect(readFileSync(file).equals(before.bytes), file).toBe(true);
      expect(statSync(file).mtimeMs, file).toBe(before.mtimeMs);
    }
    // The CLI runs had HOME=<their cwd>: none of them created ~/.ssh/known_hosts there.
    const runs = readdirSync(work).filter((d) => d.startsWith('run-'));
    expect(runs.length).toBeGreaterThan(3);
    for (const d of runs) expect(existsSync(path.join(work, d, '.ssh')), d).toBe(false);
  });
});

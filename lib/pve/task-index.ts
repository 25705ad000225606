// Restore tasks as PVE keeps them: its task index and the restore lines of their task logs (D19.restore-drill).
//
// pve-common src/PVE/RESTEnvironment.pm `active_workers` moves each finished task to
// /var/log/pve/tasks/index as `sprintf("%s %08X %s\n", $upid, $endtime, $status)`, renaming the
// index to index.1 once it passes 50,000 bytes, and keeps running and the most recent finished tasks
// in /var/log/pve/tasks/active, written by src/PVE/INotify.pm `write_active_workers` as
// `UPID SAVED [ENDTIME [STATUS]]` (SAVED 0|1: already in the index; a running task has no end) and
// read back by `read_active_workers` with /^(\S+)\s(0|1)(\s([0-9A-Za-z]{8})(\s(\s*\S.*))?)?$/.
// The status is PVE::UPID read_status's: `OK`, `WARNINGS: n`, or the error text (status_is_error).
// A task's log is /var/log/pve/tasks/<the UPID start time's last hex digit>/<UPID> (PVE::UPID decode).
//
// The restore source is in the log (the task's id is the VMID restored *into*):
// - qemu-server src/PVE/QemuServer.pm restore_vma_archive: `print "restore vma archive: $dbg_cmdstring\n"`,
//   the decompressor/vma pipeline as PVE::Tools::cmd2string (String::ShellQuote) prints it, naming
//   the archive's path (`…/vzdump-qemu-<vmid>-<stamp>.vma.zst`);
// - restore_proxmox_backup_archive: `print "restore proxmox backup image: $dbg_cmdstring\n"` once per
//   drive, `pbs-restore --repository R [--ns NS] vm/<vmid>/<time> drive-….img.fidx <path> --verbose …`;
// - pve-container src/PVE/API2/LXC.pm (worker `vzrestore`): `print "recovering backed-up configuration
//   from '$archive'\n"`, the archive as given: a volid (`local:backup/vzdump-lxc-<vmid>-….tar.zst`,
//   `pbs:backup/ct/<vmid>/<time>`) or a path.
// qemu-server src/PVE/API2/Qemu.pm names the VM worker `qmrestore`.
//
// Output of the `restore-tasks` probe, one record a line:
//   task <index|index.1|active> <a line of that file naming a qmrestore/vzrestore task>
//   log <UPID> <a restore line of that task's log>
//   unreadable <UPID>          (its log exists but the probe's user cannot read it)

import type { RestoreSource, RestoreTask, RestoreTasks, RestoreType } from '../model.js';
import { parseArchiveName } from './archives.js';

export type { RestoreSource, RestoreTask, RestoreTasks, RestoreType };

export const RESTORE_TYPES: readonly RestoreType[] = ['qmrestore', 'vzrestore'];

export interface Upid {
  node: string;
  /** Start time, epoch seconds. */
  start: number;
  type: string;
  id: string;
  user: string;
}

// PVE::UPID decode, verbatim.
const UPID_RE =
  /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

export function parseUpid(upid: string): Upid | null {
  const m = UPID_RE.exec(upid);
  if (!m) return null;
  return { node: m[1]!, start: parseInt(m[4]!, 16), type: m[5]!, id: m[6]!, user: m[7]! };
}

/** The task log's path, as PVE::UPID decode builds it: the start time's last hex digit is the folder. */
export function taskLogPath(upid: string): string | null {
  const m = UPID_RE.exec(upid);
  return m ? `/var/log/pve/tasks/${m[4]!.slice(7, 8)}/${upid}` : null;
}

/** PVE::UPID status_is_error: anything but `OK` and `WARNINGS: n`. */
export const statusIsError = (status: string) => !(status === 'OK' || /^WARNINGS: \d+$/.test(status));

const INDEX_FILES = new Set(['index', 'index.1', 'active']);
const MAX_MALFORMED = 50;
const MAX_LOG_LINES = 16;
// pve-common INotify.pm read_active_workers, and pve-manager PVE/API2/Tasks.pm reading the index.
const ACTIVE_LINE = /^(\S+)\s(0|1)(?:\s([0-9A-Za-z]{8})(?:\s(\s*\S.*))?)?$/;
const INDEX_LINE = /^(\S+)(?:\s([0-9A-Za-z]{8})(?:\s(\S.*))?)?$/;

/** Control characters escaped and the text bounded: host text quoted in a message. */
export function escapeHostText(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

export function parseRestoreTasks(text: string): RestoreTasks {
  const byUpid = new Map<string, RestoreTask>();
  const malformed: string[] = [];
  const logs = new Map<string, string[]>();
  const unreadableLogs = new Set<string>();
  const bad = (line: string, why: string) => {
    if (malformed.length < MAX_MALFORMED) malformed.push(`${why}: "${escapeHostText(line)}"`);
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const log = /^log (\S+) (.*)$/s.exec(line);
    if (log) {
      const lines = logs.get(log[1]!) ?? [];
      if (lines.length < MAX_LOG_LINES) lines.push(log[2]!);
      logs.set(log[1]!, lines);
      continue;
    }
    const unreadable = /^unreadable (\S+)$/.exec(line);
    if (unreadable) {
      unreadableLogs.add(unreadable[1]!);
      continue;
    }
    const task = /^task (\S+) (.*)$/s.exec(line);
    if (!task || !INDEX_FILES.has(task[1]!)) {
      bad(line, 'not a restore-tasks record');
      continue;
    }
    const file = task[1]!;
    const m = (file === 'active' ? ACTIVE_LINE : INDEX_LINE).exec(task[2]!);
    if (!m) {
      bad(line, `not a line of ${file}`);
      continue;
    }
    const upid = m[1]!;
    const u = parseUpid(upid);
    if (!u || !RESTORE_TYPES.includes(u.type as RestoreType)) {
      bad(line, 'not a restore task UPID');
      continue;
    }
    const [endHex, status] = file === 'active' ? [m[3], m[4]] : [m[2], m[3]];
    if (endHex !== undefined && !/^[0-9A-Fa-f]{8}$/.test(endHex)) {
      bad(line, 'end time is not hex');
      continue;
    }
    const end = endHex === undefined ? null : parseInt(endHex, 16);
    const known = byUpid.get(upid);
    if (known) {
      // active repeats recent finished tasks: the same task once, its end from whichever file has it.
      if (!known.files.includes(file)) known.files.push(file);
      if (known.end === null && end !== null) Object.assign(known, { end, status: status ?? null });
      continue;
    }
    const vmid = /^[1-9][0-9]{2,8}$/.test(u.id) ? Number(u.id) : null;
    byUpid.set(upid, {
      upid,
      node: u.node,
      type: u.type as RestoreType,
      vmid,
      start: u.start,
      end,
      status: status ?? null,
      files: [file],
      source: null,
      sourceProblem: null,
    });
  }
  for (const [upid, lines] of logs) {
    const t = byUpid.get(upid);
    if (t) Object.assign(t, restoreSource(t.type, lines));
  }
  for (const upid of unreadableLogs) {
    const t = byUpid.get(upid);
    if (t && !t.source) t.sourceProblem = `its log ${taskLogPath(upid)} cannot be read by the probe's user`;
  }
  return { tasks: [...byUpid.values()].sort((a, b) => b.start - a.start || (a.upid < b.upid ? -1 : 1)), malformed };
}

/**
 * The backup a restore task's log names. Only the first line of its kind decides: a later line
 * (an archive name holding a newline printed the rest as a line of its own) never replaces it, and
 * PBS drive lines that disagree leave the source unknown.
 */
export function restoreSource(
  type: RestoreType,
  lines: readonly string[],
): { source: RestoreSource | null; sourceProblem: string | null } {
  const none = (sourceProblem: string) => ({ source: null, sourceProblem });
  if (type === 'vzrestore') {
    const first = lines.find((l) => l.startsWith('recovering backed-up configuration from '));
    if (first === undefined) return none('its log has no `recovering backed-up configuration` line');
    const m = /^recovering backed-up configuration from '(.*)'$/.exec(first);
    const source = m ? lxcArchive(m[1]!) : null;
    return source
      ? { source, sourceProblem: null }
      : none(`its log names no container backup: "${escapeHostText(first)}"`);
  }
  const vma = lines.find((l) => l.startsWith('restore vma archive: '));
  if (vma !== undefined) {
    const words = shellWords(vma.slice('restore vma archive: '.length));
    const found = (words ?? []).flatMap((w) => {
      const a = parseArchiveName(w.split('/').pop()!);
      return a && a.type === 'qemu' && a.ext.startsWith('vma')
        ? [{ vmid: a.vmid, archive: w, kind: 'vma' as const }]
        : [];
    });
    const vmids = new Set(found.map((f) => f.vmid));
    return found.length && vmids.size === 1
      ? { source: found[0]!, sourceProblem: null }
      : none(`its log names no single VM backup: "${escapeHostText(vma)}"`);
  }
  const pbs = lines.filter((l) => l.startsWith('restore proxmox backup image: '));
  if (pbs.length) {
    const found = pbs.map((l) => {
      const words = shellWords(l.slice('restore proxmox backup image: '.length)) ?? [];
      const name = words.find((w) => /^vm\/[1-9][0-9]{2,8}\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(w));
      const r = words.indexOf('--repository');
      const repository = r >= 0 ? words[r + 1] : undefined;
      return name
        ? {
            vmid: Number(name.split('/')[1]),
            archive: name,
            kind: 'pbs-vm' as const,
            ...(repository ? { repository } : {}),
          }
        : null;
    });
    const vmids = new Set(found.map((f) => (f ? `${f.vmid} ${f.repository ?? ''}` : null)));
    return vmids.size === 1 && found[0]
      ? { source: found[0], sourceProblem: null }
      : none(`its log names no single PBS VM backup: "${escapeHostText(pbs[0]!)}"`);
  }
  return none(
    'its log has no `restore vma archive` or `restore proxmox backup image` line (a tar archive or an unsupported restore)',
  );
}

/** A container backup as pct restore names it: a volid (file or PBS) or a path. */
function lxcArchive(archive: string): RestoreSource | null {
  const pbs = /^[A-Za-z][A-Za-z0-9._-]*:backup\/ct\/([1-9][0-9]{2,8})\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.exec(archive);
  if (pbs) return { vmid: Number(pbs[1]), archive, kind: 'pbs-ct' };
  const a = parseArchiveName(archive.split(/[/:]/).pop()!);
  return a && (a.type === 'lxc' || a.type === 'openvz') && (a.ext.startsWith('tar') || a.ext === 'tgz')
    ? { vmid: a.vmid, archive, kind: 'lxc' }
    : null;
}

/**
 * Shell words as String::ShellQuote writes them (bare words, `'…'` with `'\''` for a quote; `|`
 * between commands is a word of its own); null for text it would not have written.
 */
export function shellWords(text: string): string[] | null {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ') {
      i++;
      continue;
    }
    let word = '';
    while (i < text.length && text[i] !== ' ') {
      if (text[i] === "'") {
        const close = text.indexOf("'", i + 1);
        if (close < 0) return null;
        word += text.slice(i + 1, close);
        i = close + 1;
      } else if (text[i] === '\\') {
        if (i + 1 >= text.length) return null;
        word += text[i + 1];
        i += 2;
      } else {
        word += text[i];
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

/** Only in `active`, with no end: still running (a restore that has not finished proves nothing yet). */
export const isRunning = (t: RestoreTask) => t.end === null && t.files.every((f) => f === 'active');

/** How the task ended: `ok` (OK or WARNINGS: n), `failed` (PVE's error text), or `unknown` (running, or ended without a status). */
export function restoreOutcome(t: RestoreTask): 'ok' | 'failed' | 'running' | 'unknown' {
  if (isRunning(t)) return 'running';
  if (t.end === null || t.status === null) return 'unknown';
  return statusIsError(t.status) ? 'failed' : 'ok';
}

// Job run state as pvescheduler keeps it (pve-manager PVE/Jobs.pm): one JSON file per job and node,
// /var/lib/pve-manager/jobs/vzdump-<id>.json, plus the `ERROR:` and `WARN:` lines and the last line of
// the task log its UPID names (/var/log/pve/tasks/<last hex digit of the start time>/<UPID>, pve-common
// PVE/UPID.pm decode). Output of the `job-state` probe, one record a line:
//   node <nodename>
//   state <file name> <the file's JSON>
//   log <file name> <a line of its task log>

import type { JobRunState, JobRunStates } from '../model.js';

const MAX_TASK_LINES = 50;
const MAX_WARN_LINES = 3;

// PVE::UPID decode: UPID:node:pid:pstart:starttime:type:id:user:
const UPID =
  /^UPID:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:([0-9A-Fa-f]{8}):[^:\s/]+:[^:\s/]*:[^:\s/]+:$/;

export function parseJobStates(text: string): JobRunStates & { node: string | null } {
  const jobs: Record<string, JobRunState> = {};
  const unreadable: Record<string, string> = {};
  let node: string | null = null;
  const logs = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const nodeLine = /^node (\S+)$/.exec(line);
    if (nodeLine) {
      node = nodeLine[1]!;
      continue;
    }
    const log = /^log vzdump-(\S+)\.json (.*)$/s.exec(line);
    if (log) {
      const lines = logs.get(log[1]!) ?? [];
      if (lines.length < MAX_TASK_LINES + MAX_WARN_LINES + 1) lines.push(log[2]!);
      logs.set(log[1]!, lines);
      continue;
    }
    const state = /^state vzdump-(\S+)\.json (.*)$/s.exec(line);
    if (!state) {
      unreadable[line.slice(0, 80)] = 'not a job-state line';
      continue;
    }
    const [, id, json] = state as unknown as [string, string, string];
    const parsed = parseStateJson(json);
    if (typeof parsed === 'string') unreadable[`vzdump-${id}.json`] = parsed;
    else if (Object.hasOwn(jobs, id)) unreadable[`vzdump-${id}.json`] = 'listed twice';
    else jobs[id] = parsed;
  }
  for (const [id, lines] of logs) if (Object.hasOwn(jobs, id)) Object.assign(jobs[id]!, taskLog(lines));
  return { node, jobs, unreadable };
}

/** One state file (PVE::Jobs read_job_state: an empty file is the default `created` state). */
function parseStateJson(json: string): JobRunState | string {
  if (json.trim() === '')
    return { state: 'created', time: 0, upid: null, started: null, msg: null, updated: null, ...taskLog([]) };
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return 'invalid JSON';
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not a JSON object';
  const o = data as Record<string, unknown>;
  const epoch = (key: string): number | null | string => {
    const v = o[key];
    if (v === undefined || v === null) return null;
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : `'${key}' is not epoch seconds`;
  };
  const text = (key: string): string | null | false =>
    o[key] === undefined || o[key] === null ? null : typeof o[key] === 'string' ? (o[key] as string) : false;
  const [time, updated] = [epoch('time'), epoch('updated')];
  if (typeof time === 'string') return time;
  if (typeof updated === 'string') return updated;
  const [state, upid, msg] = [text('state'), text('upid'), text('msg')];
  if (typeof state !== 'string') return "'state' is missing";
  if (upid === false || msg === false) return "'upid' and 'msg' must be strings";
  let started: number | null = null;
  if (upid !== null) {
    const m = UPID.exec(upid);
    if (!m) return `unable to parse worker upid '${upid.slice(0, 120)}'`;
    started = parseInt(m[1]!, 16);
  }
  return { state, time, upid, started, msg, updated, ...taskLog([]) };
}

/**
 * A task log's lines as the probe sends them (its ERROR and WARN lines, then its last line; older
 * snapshots: its ERROR and TASK lines). The `TASK` line is read as PVE::UPID read_status does.
 */
function taskLog(lines: string[]): Pick<JobRunState, 'taskErrors' | 'taskWarnings' | 'taskEnd'> {
  const end = lines.findLast((l) => l.startsWith('TASK '));
  return {
    taskErrors: lines.filter((l) => l.startsWith('ERROR: ')).slice(0, MAX_TASK_LINES),
    taskWarnings: lines.filter((l) => l.startsWith('WARN: ')).slice(0, MAX_WARN_LINES),
    taskEnd:
      end === undefined
        ? null
        : /^TASK OK$/.test(end)
          ? 'OK'
          : ((/^TASK ERROR: (.+)$/s.exec(end) ?? /^TASK (WARNINGS: \d+)$/.exec(end))?.[1] ?? 'unexpected status'),
  };
}

/** PVE::UPID status_is_error: anything but `OK` and `WARNINGS: n` (an unreadable status too). */
export function statusIsError(status: string): boolean {
  return !(status === 'OK' || /^WARNINGS: \d+$/.test(status));
}

/** PVE::Jobs get_last_runtime: `updated`, else the task's start time, else `time`. */
export function lastRuntime(s: JobRunState): number {
  return lastRuntimeOf(s).at;
}

/** Which field {@link lastRuntime} read: a schedule edit or scheduler restart, the task's start, or the state's own time. */
export function lastRuntimeOf(s: JobRunState): { at: number; from: 'updated' | 'task' | 'time' } {
  if (s.updated !== null) return { at: s.updated, from: 'updated' };
  if (s.started !== null) return { at: s.started, from: 'task' };
  return { at: s.time ?? 0, from: 'time' };
}

/** Guests whose backup failed, from `ERROR: Backup of VM <id> failed - …` task log lines (PVE/VZDump.pm exec_backup_task). */
export function failedGuests(taskErrors: string[]): number[] {
  return [...new Set(taskErrors.flatMap((l) => /ERROR: Backup of VM (\d+) failed/.exec(l)?.[1] ?? []).map(Number))];
}

// Kept here too, where earlier releases exported them.
export { nextEvent, occurrencesBetween } from './calendar-event.js';

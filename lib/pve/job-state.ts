// Job run state as pvescheduler keeps it (pve-manager PVE/Jobs.pm): one JSON file per job and node,
// /var/lib/pve-manager/jobs/vzdump-<id>.json, plus the `ERROR:`/`TASK` lines of the last run's task
// log (/var/log/pve/tasks/<last hex digit of the start time>/<UPID>, pve-common PVE/UPID.pm decode).
// Output of the `job-state` probe, one record a line:
//   node <nodename>
//   state <file name> <the file's JSON>
//   log <file name> <a line of its task log>

import type { JobRunState, JobRunStates } from '../model.js';
import type { CalendarEventSpec } from './calendar-event.js';
import { zonedToUtc } from '../time/zone.js';

const MAX_TASK_LINES = 50;

// PVE::UPID decode: UPID:node:pid:pstart:starttime:type:id:user:
const UPID = /^UPID:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:([0-9A-Fa-f]{8}):[^:\s/]+:[^:\s/]*:[^:\s/]+:$/;

export function parseJobStates(text: string): JobRunStates & { node: string | null } {
  const jobs: Record<string, JobRunState> = {};
  const unreadable: Record<string, string> = {};
  let node: string | null = null;
  const logs = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const nodeLine = /^node (\S+)$/.exec(line);
    if (nodeLine) { node = nodeLine[1]!; continue; }
    const log = /^log vzdump-(\S+)\.json (.*)$/s.exec(line);
    if (log) {
      const lines = logs.get(log[1]!) ?? [];
      if (lines.length < MAX_TASK_LINES) lines.push(log[2]!);
      logs.set(log[1]!, lines);
      continue;
    }
    const state = /^state vzdump-(\S+)\.json (.*)$/s.exec(line);
    if (!state) { unreadable[line.slice(0, 80)] = 'not a job-state line'; continue; }
    const [, id, json] = state as unknown as [string, string, string];
    const parsed = parseStateJson(json);
    if (typeof parsed === 'string') unreadable[`vzdump-${id}.json`] = parsed;
    else if (Object.hasOwn(jobs, id)) unreadable[`vzdump-${id}.json`] = 'listed twice';
    else jobs[id] = parsed;
  }
  for (const [id, lines] of logs) if (Object.hasOwn(jobs, id)) jobs[id]!.taskErrors = lines;
  return { node, jobs, unreadable };
}

/** One state file (PVE::Jobs read_job_state: an empty file is the default `created` state). */
function parseStateJson(json: string): JobRunState | string {
  if (json.trim() === '') return { state: 'created', time: 0, upid: null, started: null, msg: null, updated: null, taskErrors: [] };
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
  const text = (key: string): string | null | false => (o[key] === undefined || o[key] === null ? null : typeof o[key] === 'string' ? o[key] as string : false);
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
  return { state, time, upid, started, msg, updated, taskErrors: [] };
}

/** PVE::Jobs get_last_runtime: `updated`, else the task's start time, else `time`. */
export function lastRuntime(s: JobRunState): number {
  return s.updated ?? s.started ?? s.time ?? 0;
}

/** Guests whose backup failed, from `ERROR: Backup of VM <id> failed - …` task log lines (PVE/VZDump.pm exec_backup_task). */
export function failedGuests(taskErrors: string[]): number[] {
  return [...new Set(taskErrors.flatMap((l) => /ERROR: Backup of VM (\d+) failed/.exec(l)?.[1] ?? []).map(Number))];
}

/**
 * The first occurrence of a calendar event strictly after `after` (epoch seconds), as proxmox-time
 * compute_next_event: in the node's zone (UTC when the spec says so or the zone is unknown). Null
 * when none comes within eight years (a date that never recurs).
 */
export function nextEvent(spec: CalendarEventSpec, after: number, zone: string | null): number | null {
  const z = spec.utc || zone === null ? 'UTC' : zone;
  const local = new Intl.DateTimeFormat('en-US', { timeZone: z, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(new Date(after * 1000));
  const part = (type: string) => Number(local.find((p) => p.type === type)!.value);
  for (let i = 0; i < 366 * 8; i++) {
    const day = new Date(Date.UTC(part('year'), part('month') - 1, part('day') + i));
    const [year, month, date] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    if (spec.years && !spec.years.includes(year)) continue;
    if (spec.months && !spec.months.includes(month)) continue;
    if (spec.days && !spec.days.includes(date)) continue;
    if (spec.weekdays && !spec.weekdays.includes(day.getUTCDay())) continue;
    for (const hour of spec.hours) for (const minute of spec.minutes) for (const second of spec.seconds) {
      const at = zonedToUtc(z, year, month - 1, date, hour, minute, second) / 1000;
      if (at > after) return at;
    }
  }
  return null;
}

/** Occurrences in (after, until], counted up to `cap`. */
export function occurrencesBetween(spec: CalendarEventSpec, after: number, until: number, zone: string | null, cap = 1000): number {
  let count = 0;
  for (let at = nextEvent(spec, after, zone); at !== null && at <= until && count < cap; at = nextEvent(spec, at, zone)) count++;
  return count;
}

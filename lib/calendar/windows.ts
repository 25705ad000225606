// Backup windows in one week, in the calendar's zone: every enabled vzdump job's runs (from the
// host state) and every calendar event (from the bindings), with which of them overlap. What the
// HTML report's week view draws; computed once here, from the same schedule readers the gates use.

import type { Bindings } from '../bindings/types.js';
import type { HostState } from '../model.js';
import { DEFAULT_DURATION_MINUTES, planCalendar } from './binding.js';
import { pveJobRuns, type Run } from './schedule.js';

export interface BackupWindow {
  source: 'job' | 'calendar';
  /** Job id or calendar event id. */
  id: string;
  host: string | null;
  /** 0 = Sunday. */
  weekday: number;
  /** Minutes after midnight. */
  start: number;
  minutes: number;
  /** False for jobs: PVE does not say how long a job runs, so it is drawn for the default duration. */
  durationKnown: boolean;
  /**
   * Keys (`job:host/id`, `calendar:id`) of the other jobs or other events it overlaps; a job and the
   * event that documents it are meant to overlap, so jobs are compared with jobs and events with events.
   */
  overlaps: string[];
}

export interface WeekWindows {
  zone: string | null;
  windows: BackupWindow[];
  /** Jobs and events a week cannot show (monthly, hourly, unparsable), with why. */
  notShown: Array<{ source: 'job' | 'calendar'; id: string; host: string | null; why: string }>;
}

const WEEK = 7 * 24 * 60;

export function weekWindows(bindings: Bindings, state: HostState | null, now: string): WeekWindows {
  // Without backup.calendar.yaml there are no events, and jobs are shown in the inventory's zone.
  const plan = bindings.calendar
    ? planCalendar(bindings, bindings.calendar)
    : { events: [], zone: bindings.inventory.defaults.timezone ?? null };
  const windows: Array<Omit<BackupWindow, 'overlaps'>> = [];
  const notShown: WeekWindows['notShown'] = [];
  for (const { event, timing } of plan.events) {
    if (!timing || timing.freq === 'MONTHLY' || timing.freq === 'HOURLY') {
      notShown.push({
        source: 'calendar',
        id: event.id,
        host: null,
        why: timing ? `${timing.freq.toLowerCase()} event` : 'its timing is not known',
      });
      continue;
    }
    for (const day of timing.weekdays ?? ALL_DAYS) {
      windows.push({
        source: 'calendar',
        id: event.id,
        host: null,
        weekday: day,
        start: timing.hour * 60 + timing.minute,
        minutes: timing.durationMinutes,
        durationKnown: true,
      });
    }
  }
  for (const host of Object.values(state?.hosts ?? {})) {
    if (!host.pve?.ok) continue;
    for (const job of host.pve.value.jobs.filter((j) => j.enabled)) {
      const runs = pveJobRuns(job.schedule, { from: host.timezone, to: plan.zone, now });
      if (!runs.ok || runs.freq === 'HOURLY' || runs.freq === 'MONTHLY') {
        notShown.push({
          source: 'job',
          id: job.id,
          host: host.id,
          why: runs.ok ? `${runs.freq.toLowerCase()} schedule` : runs.why,
        });
        continue;
      }
      for (const run of runs.runs) {
        for (const day of daysOf(run)) {
          windows.push({
            source: 'job',
            id: job.id,
            host: host.id,
            weekday: day,
            start: run.hour * 60 + run.minute,
            minutes: DEFAULT_DURATION_MINUTES,
            durationKnown: false,
          });
        }
      }
    }
  }
  return { zone: plan.zone, windows: withOverlaps(windows), notShown };
}

const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];
const daysOf = (run: Run) => run.weekdays ?? ALL_DAYS;
export const windowKey = (w: Pick<BackupWindow, 'source' | 'id' | 'host'>) =>
  `${w.source}:${w.host ? `${w.host}/` : ''}${w.id}`;

/**
 * Each window with the windows of other jobs (or other events) sharing a minute of the week with it
 * (the week wraps around). Found through the windows sorted by start, not by comparing every pair:
 * a large estate has thousands of job windows.
 */
export function withOverlaps(windows: ReadonlyArray<Omit<BackupWindow, 'overlaps'>>): BackupWindow[] {
  const keys = windows.map(windowKey);
  const longest = windows.reduce((m, w) => Math.max(m, w.minutes), 0);
  // Every window at its minute of the week, and a week before and after, by start.
  const starts = windows
    .flatMap((w, i) => [-WEEK, 0, WEEK].map((shift) => ({ at: weekMinute(w) + shift, i })))
    .sort((x, y) => x.at - y.at);
  return windows.map((w, i) => {
    const a = weekMinute(w);
    const hits = new Set<string>();
    // Another window at b overlaps when a < b + its minutes and b < a + w.minutes: so b > a - longest.
    for (let k = firstAfter(starts, a - longest); k < starts.length && starts[k]!.at < a + w.minutes; k++) {
      const { at: b, i: j } = starts[k]!;
      if (windows[j]!.source === w.source && keys[j] !== keys[i] && a < b + windows[j]!.minutes) hits.add(keys[j]!);
    }
    return { ...w, overlaps: [...hits].sort() };
  });
}

const weekMinute = (w: Pick<BackupWindow, 'weekday' | 'start'>) => w.weekday * 1440 + w.start;

/** The index of the first entry whose `at` is greater than `value` (binary search). */
function firstAfter(sorted: ReadonlyArray<{ at: number }>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.at > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

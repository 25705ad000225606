// Which backup windows overlap: found through the windows sorted by start (a large estate has
// thousands), it must say what comparing every pair says, also across the week's end.

import { describe, expect, it } from 'vitest';
import { windowKey, withOverlaps, type BackupWindow } from './windows.js';

type Window = Omit<BackupWindow, 'overlaps'>;
const WEEK = 7 * 1440;

/** The definition: another job's (or event's) window sharing a minute of the week, the week wrapping around. */
function pairwise(w: Window, all: Window[]): string[] {
  const a = w.weekday * 1440 + w.start;
  const hits = all.filter(
    (o) =>
      o.source === w.source &&
      windowKey(o) !== windowKey(w) &&
      [-WEEK, 0, WEEK].some((shift) => {
        const b = o.weekday * 1440 + o.start + shift;
        return a < b + o.minutes && b < a + w.minutes;
      }),
  );
  return [...new Set(hits.map(windowKey))].sort();
}

describe('withOverlaps', () => {
  it('finds the overlaps comparing every pair finds: same day, past midnight, Saturday into Sunday, touching ends', () => {
    const window = (source: Window['source'], id: string, weekday: number, start: number, minutes: number): Window => ({
      source,
      id,
      host: source === 'job' ? 'pve' : null,
      weekday,
      start,
      minutes,
      durationKnown: source === 'calendar',
    });
    const fixed = [
      window('job', 'a', 6, 23 * 60, 120), // Saturday 23:00 for 2 h: into Sunday
      window('job', 'b', 0, 0, 30), // Sunday 00:00
      window('job', 'c', 3, 120, 60),
      window('job', 'd', 3, 180, 60), // touching: 02:00–03:00 and 03:00–04:00 do not overlap
      window('calendar', 'e', 3, 150, 60),
      window('job', 'c', 4, 120, 60), // another source; the same job on another day
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const generated = Array.from({ length: 400 }, (_, i) =>
      window(
        random() < 0.2 ? 'calendar' : 'job',
        `j${i % 60}`,
        Math.floor(random() * 7),
        Math.floor(random() * 1440),
        1 + Math.floor(random() * 600),
      ),
    );
    for (const all of [fixed, [...fixed, ...generated]]) {
      expect(withOverlaps(all).map((w) => w.overlaps)).toEqual(all.map((w) => pairwise(w, all)));
    }
    const found = withOverlaps(fixed);
    expect(found[0]!.overlaps).toEqual(['job:pve/b']);
    expect(found[2]!.overlaps).toEqual([]);
  });
});

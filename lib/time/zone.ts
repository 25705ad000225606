// Wall-clock time in an IANA zone ↔ UTC, with Intl only (no tz database of our own).

/** Minutes the zone is ahead of UTC at instant `at` (Europe/Berlin in winter: 60). Throws RangeError for an unknown zone. */
export function utcOffsetMinutes(zone: string, at: string | number | Date): number {
  const instant = new Date(at);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
  }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'));
  return Math.round((local - Math.floor(instant.getTime() / 60_000) * 60_000) / 60_000);
}

/**
 * Epoch milliseconds of a wall-clock time in `zone` (month 0-based). The offset is looked up twice,
 * so a time just after a DST change lands right; a time that does not exist (skipped by the change)
 * reads as the offset before it.
 */
export function zonedToUtc(zone: string, year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const wall = Date.UTC(year, month, day, hour, minute, second);
  const first = wall - utcOffsetMinutes(zone, wall) * 60_000;
  return wall - utcOffsetMinutes(zone, first) * 60_000;
}

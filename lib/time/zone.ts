// Wall-clock time in an IANA zone ↔ UTC, with Intl only (no tz database of our own).

/** Minutes the zone is ahead of UTC at instant `at` (Europe/Berlin in winter: 60). Throws RangeError for an unknown zone. */
export function utcOffsetMinutes(zone: string, at: string | number | Date): number {
  return Math.round(utcOffsetSeconds(zone, Math.floor(new Date(at).getTime() / 1000)) / 60);
}

/**
 * Epoch milliseconds of a wall-clock time in `zone` (month 0-based). The offset is looked up twice,
 * so a time just after a DST change lands right; a time that does not exist (skipped by the change)
 * reads as the offset before it.
 */
export function zonedToUtc(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const wall = Date.UTC(year, month, day, hour, minute, second);
  const first = wall - utcOffsetMinutes(zone, wall) * 60_000;
  return wall - utcOffsetMinutes(zone, first) * 60_000;
}

/** A broken-down local time, as libc's `struct tm` holds it (month 1-12, weekday 0 = Sunday). */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

// One formatter per zone: building one costs far more than using it. Bounded by the zones a run names.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size >= 64) formatters.clear();
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of `zone` at `epoch` seconds, as seconds on a UTC-less scale (Date.UTC of its fields). */
function wallSecondsAt(zone: string, epoch: number): number {
  let year = 0,
    month = 0,
    day = 0,
    hour = 0,
    minute = 0,
    second = 0,
    bc = false;
  for (const p of formatterOf(zone).formatToParts(new Date(epoch * 1000))) {
    switch (p.type) {
      case 'year':
        year = Number(p.value);
        break;
      case 'month':
        month = Number(p.value);
        break;
      case 'day':
        day = Number(p.value);
        break;
      case 'hour':
        hour = Number(p.value);
        break;
      case 'minute':
        minute = Number(p.value);
        break;
      case 'second':
        second = Number(p.value);
        break;
      case 'era':
        bc = p.value === 'BC';
        break;
    }
  }
  const wall = new Date(0);
  wall.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  return wall.getTime() / 1000;
}

/** Seconds the zone is ahead of UTC at `epoch` seconds. */
export function utcOffsetSeconds(zone: string, epoch: number): number {
  return wallSecondsAt(zone, epoch) - epoch;
}

/** libc localtime_r (gmtime_r for UTC): the wall clock of `zone` at `epoch` seconds. */
export function wallTimeAt(zone: string, epoch: number): WallTime {
  return wallTimeOf(wallSecondsAt(zone, epoch));
}

function wallTimeOf(wallSeconds: number): WallTime {
  const d = new Date(wallSeconds * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

/** The result of {@link localMktime}: the instant, its normalised wall time, and the offset it used. */
export interface Mktime {
  epoch: number;
  wall: WallTime;
  offset: number;
}

/**
 * glibc's mktime with `tm_isdst = -1`, as proxmox-time's TmEditor calls it after every edit (posix.rs
 * timelocal). Fields may be out of range (hour 24, day 32, month 13) and are normalised as mktime
 * does. Like glibc's __mktime_internal it probes from a guessed offset (`guess`: glibc keeps the
 * previous call's in a static), which decides an ambiguous time (the repeated hour when clocks go
 * back): the reading whose offset the probe meets first. A time the zone skips (clocks go forward)
 * is read with the offset before the change, so 02:30 becomes 03:30 after the change; checked against
 * glibc 2.36 for Europe/Vienna, America/New_York and Australia/Sydney.
 */
export function localMktime(zone: string, fields: Omit<WallTime, 'weekday'>, guess: number): Mktime {
  const requested = new Date(0);
  requested.setUTCFullYear(fields.year, fields.month - 1, fields.day);
  requested.setUTCHours(fields.hour, fields.minute, fields.second, 0);
  const wall = requested.getTime() / 1000;
  const seen = new Set<number>();
  let offset = guess;
  for (let probe = 0; probe < 6; probe++) {
    const next = utcOffsetSeconds(zone, wall - offset);
    if (next === offset) return { epoch: wall - offset, wall: wallTimeOf(wall), offset };
    if (seen.has(next)) break; // oscillating between two offsets: a skipped time
    seen.add(offset);
    offset = next;
  }
  // Skipped: of the two offsets around the change, the earlier instant's offset is the one before it.
  const [a, b] = [utcOffsetSeconds(zone, wall - offset), offset];
  const before = utcOffsetSeconds(zone, wall - Math.max(a, b));
  const epoch = wall - before;
  return { epoch, wall: wallTimeAt(zone, epoch), offset: before };
}

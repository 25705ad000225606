// Instants from host or binding text, never NaN.

/**
 * Epoch milliseconds of an ISO time or epoch seconds; null when it is no real instant (NaN must never reach a
 * comparison).
 */
export function instantMs(t: string | number): number | null {
  const ms = typeof t === 'number' ? t * 1000 : Date.parse(t);
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : null;
}

/** Hours from one instant to another; null when either is no real instant, so an age is never NaN. */
export function hoursBetween(from: string | number, to: string | number): number | null {
  const a = instantMs(from);
  const b = instantMs(to);
  return a === null || b === null ? null : (b - a) / 3_600_000;
}

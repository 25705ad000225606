// Why the calendar could not be read or written: its own module, so the gate rules (through
// ./location.ts) can name it without loading the CalDAV client and its XML parser.

import type { CalendarReason } from '../catalogue/reasons.js';

/** Why the calendar could not be read or written. Part of the output contract (lib/catalogue/reasons.ts). */
export class CalendarError extends Error {
  override name = 'CalendarError';
  constructor(
    readonly reason: CalendarReason,
    message: string,
  ) {
    super(message);
  }
}

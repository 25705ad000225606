import { describe, expect, it } from 'vitest';
import { parseCalendarEvent } from './calendar-event.js';
import { PveParseError } from './errors.js';
import { parseGuests } from './guests.js';
import { parseBackupContent, parseStorageStatus } from './storage.js';

/** What `parse(text)` threw, or null. */
function thrown(parse: () => unknown): unknown {
  try {
    parse();
    return null;
  } catch (e) {
    return e;
  }
}

describe('PveParseError', () => {
  // The parsers' one error type: the snapshot reader turns it into parse_error, and the calendar
  // event parser backtracks on it (and only on it). A JSON SyntaxError or a TypeError escaping
  // a parser would be neither.
  it.each([
    ['guests', () => parseGuests('{not json'), /^invalid JSON: /],
    ['guests', () => parseGuests('{}'), /^expected a JSON array of resources$/],
    ['guests', () => parseGuests('[null]'), /^resource 0 is not an object$/],
    [
      'guests',
      () => parseGuests('[{"type":"qemu","vmid":"101","node":"pve1"}]'),
      /^resource 0 lacks an integer vmid or a node$/,
    ],
    ['storage-status', () => parseStorageStatus('[{"type":"dir"}]'), /^entry 0 lacks a storage id or a type$/],
    [
      'storage-status',
      () => parseStorageStatus('[{"storage":"local","type":"dir","used":"lots"}]'),
      /^local\.used: expected a byte count/,
    ],
    ['storage-content', () => parseBackupContent('[1]'), /^entry 0 is not an object$/],
    [
      'storage-content',
      () => parseBackupContent('[{"volid":"local:backup/x"}]'),
      /^entry 0 lacks a volid or a format$/,
    ],
    ['schedule', () => parseCalendarEvent('0 3 * * *'), /^invalid schedule '0 3 \* \* \*': /],
  ] as const)('names its source %s on input that does not parse (%#)', (source, parse, message) => {
    const e = thrown(parse);
    expect(e).toBeInstanceOf(PveParseError);
    expect(e).toMatchObject({ name: 'PveParseError', source });
    expect((e as Error).message).toMatch(message);
  });

  it('is what the calendar event parser backtracks on: specs that need a second reading parse', () => {
    // Each of these tries a reading (a weekday, a date) that fails, rewinds, and reads it another way.
    expect(thrown(() => parseCalendarEvent('sat 03:00'))).toBeNull();
    expect(thrown(() => parseCalendarEvent('mon..fri 21:30'))).toBeNull();
    expect(thrown(() => parseCalendarEvent('03:00'))).toBeNull();
    expect(thrown(() => parseCalendarEvent('*-*-01 02:00'))).toBeNull();
  });
});

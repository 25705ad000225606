// `postqueue -p` (the Sendmail-compatible mailq listing) → queued messages, and when they arrived.

import type { QueuedMessage } from '../model.js';
import { zonedToUtc } from '../time/zone.js';

// `A1B2C3D4E5*    1234 Mon Feb 23 10:15:02  root@pve.example.com` (long queue ids have more characters).
const ENTRY =
  /^([0-9A-Za-z]+)([*!#]?)\s+(\d+)\s+((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\s+(.*?)\s*$/;
const STATUS = { '*': 'active', '!': 'hold', '#': 'expiring', '': 'deferred' } as const;

export function parsePostqueue(text: string): { messages: QueuedMessage[]; warnings: string[] } {
  const messages: QueuedMessage[] = [];
  const warnings: string[] = [];
  let current: QueuedMessage | null = null;
  let reason: string | null = null; // a `(…)` reason still open: it may wrap onto the next lines
  for (const [index, line] of text.split('\n').entries()) {
    if (reason !== null) {
      reason = `${reason} ${line.trim()}`;
      if (line.trimEnd().endsWith(')')) {
        current?.reasons.push(reason.slice(1, -1));
        reason = null;
      }
      continue;
    }
    if (line.trim() === '') {
      current = null;
      continue;
    }
    if (/^(-Queue ID-|Mail queue is empty|-- \d+ Kbytes? in \d+ Requests?\.)/.test(line.trim())) continue;
    const entry = ENTRY.exec(line);
    if (entry) {
      const [, id = '', mark = '', size = '0', arrival = '', sender = ''] = entry;
      current = {
        id,
        status: STATUS[mark as keyof typeof STATUS],
        size: Number(size),
        arrival: arrival.replace(/\s+/g, ' '),
        sender,
        recipients: [],
        reasons: [],
      };
      messages.push(current);
    } else if (current && line.startsWith('(')) {
      reason = line.trim();
      if (reason.endsWith(')')) {
        current.reasons.push(reason.slice(1, -1));
        reason = null;
      }
    } else if (current && /^\s+\S+$/.test(line)) {
      current.recipients.push(line.trim());
    } else {
      warnings.push(`line ${index + 1}: not understood: ${line}`);
    }
  }
  return { messages, warnings };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Epoch seconds of an arrival time as printed (`Mon Feb 23 10:15:02`: the host's local time, no
 * year). The year is the latest one that puts the arrival no later than the capture (with a day of
 * grace for a host clock running ahead), read in the host's zone (UTC when the zone is unknown or
 * not a zone name). So a message queued more than a year ago reads as less than a year old: still
 * far past any queue limit. Null when the text is not an arrival time.
 */
export function arrivalEpoch(arrival: string, capturedAt: string, zone: string | null): number | null {
  const m = /^\w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)$/.exec(arrival.trim());
  const month = MONTHS.indexOf(m?.[1] ?? '');
  if (!m || month < 0) return null;
  const at = (year: number) => {
    const fields = [year, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])] as const;
    try {
      return zonedToUtc(zone ?? 'UTC', ...fields);
    } catch {
      return zonedToUtc('UTC', ...fields); // not a zone name Intl knows
    }
  };
  const captured = Date.parse(capturedAt);
  let year = new Date(captured).getUTCFullYear() + 1; // +1: the host's new year may already have begun
  while (at(year) > captured + 86_400_000) year--;
  const arrived = at(year);
  return Number.isFinite(arrived) ? Math.floor(arrived / 1000) : null; // unknown counts as too old, never as NaN (which passes every limit)
}

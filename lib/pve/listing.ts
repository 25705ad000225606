// Output of the listing probe (lib/snapshot/probe.ts listingCommand): one record per regular file,
// `find -printf '%T@ %s %P\0'`. Snapshots taken before the NUL format have `\n` records; which one a
// listing uses is read off the command the snapshot recorded (listingSeparator).
//
// File names come from whoever can write into the backup folder, so records are parsed strictly: a
// record that does not read exactly is kept as malformed (with its number) for the rule to report,
// never skipped, and never allowed to mean a file it does not name.

import type { FileEntry, MalformedRecord } from '../model.js';

export type ListingSeparator = '\0' | '\n';

/** `%T@` (epoch seconds with a fraction), `%s`, `%P` (the rest: may hold spaces and, NUL-separated, newlines). */
const RECORD = /^(\d+)(?:\.\d+)? (\d+) (.+)$/s;
/** The path of a record whose time or size is unusable: still worth naming, so only the targets it could match lose their verdict. */
const PATH_ONLY = /^\d\S* \S+ (.+)$/s;
/** Seconds a JavaScript Date can hold (±8.64e15 ms): a later mtime cannot be an age. */
const MAX_EPOCH_SECONDS = 8.64e12;
const MAX_SHOWN = 200;

/** The record separator of a recorded listing command: NUL since the NUL format, newline before it. */
export function listingSeparator(command: string): ListingSeparator {
  return /%P\\0'/.test(command) ? '\0' : '\n';
}

export function parseListing(
  text: string,
  separator: ListingSeparator = '\0',
): { files: FileEntry[]; malformed: MalformedRecord[] } {
  const files: FileEntry[] = [];
  const malformed: MalformedRecord[] = [];
  if (text === '') return { files, malformed };
  const records = text.split(separator);
  // Every record ends with the separator, so the last piece is empty; anything else was cut off.
  const tail = records.pop()!;
  if (tail !== '') records.push(tail);
  records.forEach((record, index) => {
    const problem =
      tail !== '' && index === records.length - 1 ? 'not terminated (output cut off)' : recordProblem(record);
    if (problem === null) {
      const m = RECORD.exec(record)!;
      files.push({ mtime: Number(m[1]), size: Number(m[2]), path: m[3]! });
      return;
    }
    malformed.push({ record: index + 1, problem, path: PATH_ONLY.exec(record)?.[1] ?? null, text: shown(record) });
  });
  return { files, malformed };
}

function recordProblem(record: string): string | null {
  const m = RECORD.exec(record);
  if (!m) return 'not "<mtime> <size> <path>"';
  const mtime = Number(m[1]);
  if (!Number.isSafeInteger(mtime) || mtime > MAX_EPOCH_SECONDS) return `mtime ${m[1]} is beyond any date`;
  if (!Number.isSafeInteger(Number(m[2]))) return `size ${m[2]} is not a usable number`;
  return null;
}

/** A record as a message may show it: bounded, control characters escaped. */
function shown(record: string): string {
  const cut = record.length > MAX_SHOWN ? `${record.slice(0, MAX_SHOWN)}…` : record;
  return JSON.stringify(cut).slice(1, -1);
}

// Output of `find … -type f -printf '%T@ %s %P\n'` (see lib/snapshot/probe.ts listingCommand).

import type { FileEntry } from '../model.js';

// `%T@` is epoch seconds with a fraction; `%P` is the rest of the line and may contain spaces.
const LINE = /^(\d+)(?:\.\d*)? (\d+) (.+)$/;

export function parseListing(text: string): { files: FileEntry[]; warnings: string[] } {
  const files: FileEntry[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const m = LINE.exec(line);
    if (!m) {
      warnings.push(`line ${index + 1}: not a listing line, ignored: ${line}`);
      continue;
    }
    files.push({ mtime: Number(m[1]), size: Number(m[2]), path: m[3] ?? '' });
  }
  return { files, warnings };
}

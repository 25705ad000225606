// PVE::SectionConfig grammar (pve-common SectionConfig.pm parse_config), used for
// /etc/pve/jobs.cfg and /etc/pve/notifications.cfg. Values stay strings; typing is the caller's job.

export interface Section {
  type: string;
  id: string;
  /** 1-based line of the section header. */
  line: number;
  keys: Record<string, string>;
  /** Every body line in order, duplicates included: for callers that judge each value as PVE does. */
  entries: SectionEntry[];
}

export interface SectionEntry {
  key: string;
  /** null for a bare key (PVE reads a bare boolean as 1 and rejects any other bare key). */
  value: string | null;
  line: number;
  text: string;
}

const HEADER = /^(\S+):\s*(\S+)\s*$/;
const BODY = /^\s+(\S+)(\s+(.*\S))?\s*$/;

/**
 * Parse section-config text. `arrayKeys` may repeat; their values are joined with "\n".
 * A key without a value reads as "" (PVE treats a bare boolean key as 1). With
 * `warnDuplicates` false, a repeated key is left to the caller (it is in `entries`).
 */
export function parseSectionConfig(
  text: string,
  arrayKeys: readonly string[] = [],
  warnDuplicates = true,
): { sections: Section[]; warnings: string[] } {
  // Maps, not objects, so a key such as `__proto__` stays an ordinary key.
  const sections: Array<Omit<Section, 'keys'> & { keys: Map<string, string> }> = [];
  const warnings: string[] = [];
  let current: (typeof sections)[number] | null = null;

  for (const [index, line] of text.split('\n').entries()) {
    const lineNo = index + 1;
    if (/^\s*#/.test(line)) continue;
    // Only a truly empty line ends a section: PVE reads a whitespace-only line as a bad body line.
    if (line === '') {
      current = null;
      continue;
    }
    if (current === null) {
      const header = HEADER.exec(line);
      if (!header) {
        warnings.push(`line ${lineNo}: ignored, not a section header: ${line}`);
        continue;
      }
      const [, type = '', id = ''] = header;
      // PVE keeps sections in a hash by id: a later section with the same id replaces the earlier.
      const earlier = sections.findIndex((s) => s.id === id);
      if (earlier >= 0) {
        warnings.push(
          `line ${lineNo}: section '${id}' repeats the one at line ${sections[earlier]?.line}, which is ignored`,
        );
        sections.splice(earlier, 1);
      }
      current = { type, id, line: lineNo, keys: new Map(), entries: [] };
      sections.push(current);
      continue;
    }
    const body = BODY.exec(line);
    if (!body) {
      warnings.push(`line ${lineNo}: ignored config line in section '${current.id}': ${line}`);
      continue;
    }
    const [, key = '', , value = ''] = body;
    current.entries.push({ key, value: body[3] ?? null, line: lineNo, text: line });
    const previous = current.keys.get(key);
    if (previous === undefined) {
      current.keys.set(key, value);
    } else if (arrayKeys.includes(key)) {
      current.keys.set(key, `${previous}\n${value}`);
    } else if (warnDuplicates) {
      warnings.push(`line ${lineNo}: duplicate key '${key}' in section '${current.id}', line ignored`);
    }
  }

  return {
    sections: sections.map((s) => ({ ...s, keys: Object.fromEntries(s.keys) })),
    warnings,
  };
}

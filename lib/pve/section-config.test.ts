import { describe, expect, it } from 'vitest';
import { parseSectionConfig, type Section } from './section-config.js';

const withoutEntries = (sections: Section[]) => sections.map(({ entries: _entries, ...rest }) => rest);

describe('parseSectionConfig', () => {
  it('reads headers, tab-indented keys and values with inner spaces', () => {
    const { sections, warnings } = parseSectionConfig('vzdump: job1\n\tschedule mon..fri 21:00\n\tall 1\n');
    expect(warnings).toEqual([]);
    expect(withoutEntries(sections)).toEqual([
      { type: 'vzdump', id: 'job1', line: 1, keys: { schedule: 'mon..fri 21:00', all: '1' } },
    ]);
  });

  it('accepts any leading whitespace and trims trailing whitespace', () => {
    const { sections } = parseSectionConfig('vzdump:  job1  \n    storage  local  \n        mode snapshot');
    expect(sections[0]?.id).toBe('job1');
    expect(sections[0]?.keys).toEqual({ storage: 'local', mode: 'snapshot' });
  });

  it('ends a section at the first empty line and reports stray lines after it', () => {
    const { sections, warnings } = parseSectionConfig('vzdump: a\n\tall 1\n\n\tvmid 100\nvzdump: b\n\tvmid 101\n');
    expect(sections.map((s) => [s.id, s.line, s.keys])).toEqual([
      ['a', 1, { all: '1' }],
      ['b', 5, { vmid: '101' }],
    ]);
    expect(warnings).toEqual(['line 4: ignored, not a section header: \tvmid 100']);
  });

  it('does not end a section at a whitespace-only line, so a following header is swallowed (as in PVE)', () => {
    const { sections, warnings } = parseSectionConfig('vzdump: a\n\tall 1\n  \nvzdump: b\n\tvmid 101\n');
    expect(withoutEntries(sections)).toEqual([{ type: 'vzdump', id: 'a', line: 1, keys: { all: '1', vmid: '101' } }]);
    expect(warnings).toEqual([
      "line 3: ignored config line in section 'a':   ",
      "line 4: ignored config line in section 'a': vzdump: b",
    ]);
  });

  it('skips comment lines everywhere without ending the section', () => {
    const text = '# header comment\nvzdump: a\n\t# disabled for now\n    #vmid 100\n\tall 1\n';
    const { sections, warnings } = parseSectionConfig(text);
    expect(warnings).toEqual([]);
    expect(withoutEntries(sections)).toEqual([{ type: 'vzdump', id: 'a', line: 2, keys: { all: '1' } }]);
  });

  it('keeps the first value of a repeated key and warns', () => {
    const { sections, warnings } = parseSectionConfig('vzdump: a\n\tstorage local\n\tstorage pbs1\n');
    expect(sections[0]?.keys).toEqual({ storage: 'local' });
    expect(warnings).toEqual(["line 3: duplicate key 'storage' in section 'a', line ignored"]);
  });

  it('keeps every body line in entries, and leaves repeats to the caller when asked', () => {
    const { sections, warnings } = parseSectionConfig('vzdump: a\n\tstorage local\n\tstorage pbs1\n\tall\n', [], false);
    expect(warnings).toEqual([]);
    expect(sections[0]?.entries).toEqual([
      { key: 'storage', value: 'local', line: 2, text: '\tstorage local' },
      { key: 'storage', value: 'pbs1', line: 3, text: '\tstorage pbs1' },
      { key: 'all', value: null, line: 4, text: '\tall' },
    ]);
  });

  it('joins repeated array keys with newlines', () => {
    const text = 'sendmail: mail\n\tmailto a@example.com\n\tmailto b@example.com\n\tauthor PVE\n';
    const { sections, warnings } = parseSectionConfig(text, ['mailto', 'mailto-user']);
    expect(warnings).toEqual([]);
    expect(sections[0]?.keys).toEqual({ mailto: 'a@example.com\nb@example.com', author: 'PVE' });
  });

  it('reads a key without a value as an empty string', () => {
    const { sections } = parseSectionConfig('vzdump: a\n\tall\n');
    expect(sections[0]?.keys).toEqual({ all: '' });
  });

  it('lets a later section with the same id replace the earlier one, with a warning', () => {
    const { sections, warnings } = parseSectionConfig('vzdump: a\n\tall 1\n\nvzdump: a\n\tvmid 100\n');
    expect(withoutEntries(sections)).toEqual([{ type: 'vzdump', id: 'a', line: 4, keys: { vmid: '100' } }]);
    expect(warnings).toEqual(["line 4: section 'a' repeats the one at line 1, which is ignored"]);
  });

  it('rejects indented headers and headers with extra words', () => {
    const { sections, warnings } = parseSectionConfig(' vzdump: a\n\nvzdump: a b\n');
    expect(sections).toEqual([]);
    expect(warnings).toHaveLength(2);
  });

  it('keeps ids with colons (converted vzdump.cron jobs)', () => {
    const { sections } = parseSectionConfig('vzdump: 3bc2e5d4c0a9:1\n\tall 1\n');
    expect(sections[0]).toMatchObject({ type: 'vzdump', id: '3bc2e5d4c0a9:1' });
  });

  it('treats __proto__ as an ordinary key', () => {
    const { sections } = parseSectionConfig('vzdump: a\n\t__proto__ x\n');
    expect(Object.keys(sections[0]?.keys ?? {})).toEqual(['__proto__']);
  });

  it('returns nothing for empty text', () => {
    expect(parseSectionConfig('')).toEqual({ sections: [], warnings: [] });
  });
});

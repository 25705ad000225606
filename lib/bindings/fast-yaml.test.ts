// The fast parse (js-yaml, starts of mappings and lists only) must read every file exactly as yaml's
// Document does: the same data and the same line for every item, or hand the file to yaml.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../package-root.js';
import { parseFast } from './fast-yaml.js';
import { loadBindings } from './load.js';
import { parseSource, type FieldPath, type Source } from './source.js';
import { NO_REFERENCE, REFERENCE, skipNamed } from '../testing/skip.js';
import type { BindingError } from './types.js';

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(name) ? [p] : [];
  });
}

/** Paths of every mapping and list in `data` (what `Source.ref` is asked about). */
function objectPaths(data: unknown, at: FieldPath = []): FieldPath[] {
  if (data === null || typeof data !== 'object') return [];
  const entries: [string | number, unknown][] = Array.isArray(data) ? data.map((v, i) => [i, v]) : Object.entries(data);
  return [at, ...entries.flatMap(([k, v]) => objectPaths(v, [...at, k]))];
}

function both(text: string): { fast: Source | null; slow: Source | null; errors: BindingError[] } {
  const errors: BindingError[] = [];
  const fileError = () => errors.push({ file: 'f.yaml', line: null, column: null, path: '', expected: '', found: '' });
  return {
    fast: parseSource('f.yaml', text, errors, fileError),
    slow: parseSource('f.yaml', text, errors, fileError, false),
    errors,
  };
}

function expectSameReading(text: string, name: string): void {
  const { fast, slow } = both(text);
  expect(fast, name).not.toBeNull();
  expect(fast!.data, name).toEqual(slow!.data);
  for (const p of objectPaths(slow!.data)) expect(fast!.ref(p), `${name} ${p.join('.')}`).toEqual(slow!.ref(p));
}

/** A large inventory, written in a mix of styles real files use. */
function largeInventory(n: number): string {
  const lines = [
    'version: 1',
    'defaults: {timezone: Europe/Berlin, stale_after_hours: 26}',
    '# every guest of the estate',
    'targets:',
  ];
  for (let i = 0; i < n; i++) {
    const vmid = 1000 + i;
    if (i % 3 === 0)
      lines.push(
        `  - {name: vm-${vmid}, enabled: true, kind: file_glob, host: nas, base_path: /mnt/dump, glob: "vzdump-qemu-${vmid}-*.vma.zst", stale_after_hours: 26}`,
      );
    else if (i % 3 === 1)
      lines.push(
        `  -`,
        `    # guest ${vmid}`,
        `    name: 'vm-${vmid}'`,
        `    enabled: ${i % 7 !== 0}`,
        '    kind: file_glob',
        '    host: nas',
        '    base_path: /mnt/dump',
        `    glob: vzdump-qemu-${vmid}-*.vma.zst`,
        '    description: >-',
        '      folded',
        '      text',
      );
    else
      lines.push(
        `  - name: vm-${vmid}`,
        '    enabled: true',
        '    kind: file_glob',
        '    host: nas',
        '    base_path: /mnt/dump',
        `    glob: vzdump-qemu-${vmid}-*.vma.zst`,
        '    offsite: {required: false, reason: "lab"}',
        '',
        '    stale_after_hours: 0x1A',
      );
  }
  return `${lines.join('\n')}\n`;
}

describe('the fast YAML parse', () => {
  it('reads every YAML file of the project as yaml does, lines included', () => {
    const files = yamlFiles(path.join(PACKAGE_ROOT, 'fixtures'));
    // Every binding file of the demo site is among them (a wrong folder would read nothing and pass).
    expect(files.map((f) => path.relative(PACKAGE_ROOT, f))).toEqual(
      expect.arrayContaining(
        ['backup.inventory.yaml', 'vm.lifecycle.yaml', 'ssh.targets.yaml', 'backup.calendar.yaml'].map((b) =>
          path.join('fixtures', 'demo-site', 'bindings', b),
        ),
      ),
    );
    for (const f of files) expectSameReading(readFileSync(f, 'utf8'), path.relative(PACKAGE_ROOT, f));
  });

  it.skipIf(NO_REFERENCE !== null)(
    skipNamed('reads every reference binding file as yaml does, lines included', NO_REFERENCE),
    () => {
      // Both dates, each with its inventory: without ../shared this test says it skipped, never passes.
      const files = yamlFiles(REFERENCE);
      for (const date of ['2026-02-24', '2026-03-05']) {
        expect(files).toContain(path.join(REFERENCE, date, 'backup.inventory.yaml'));
      }
      for (const f of files) expectSameReading(readFileSync(f, 'utf8'), path.relative(PACKAGE_ROOT, f));
    },
  );

  it('reads a large inventory in mixed styles as yaml does, every item at its line', () => {
    expectSameReading(largeInventory(3000), 'large inventory');
  });

  it('resolves plain scalars by YAML 1.2 core as yaml does (no 1.1 booleans, dates, `_` or `0b` numbers)', () => {
    const scalars = [
      '1_000',
      '0b11',
      '0o17',
      '0x1F',
      '+5',
      '-0',
      '0755',
      '.inf',
      '-.Inf',
      '.NaN',
      '1e3',
      '1.50',
      '.5',
      '5.',
      '~',
      'Null',
      '',
      'TRUE',
      'yes',
      'on',
      'No',
      '2026-04-30',
      '12:30',
      '1:20:00',
      '=',
      '0x',
      '1e',
      'nULL',
      'True',
      '-1.5e-3',
      '+.inf',
    ];
    const text = scalars.map((s, i) => `k${i}: ${s}`).join('\n');
    expect(parseFast(text)!.data).toEqual(parse(text));
  });

  it('hands yaml what it does not read exactly like it: anchors, tags, errors, a byte order mark', () => {
    for (const text of [
      'a: &x {b: 1}\nc: *x\n',
      'a: !!binary aGVsbG8=\n',
      'a: !local x\n',
      'a: 1\na: 2\n',
      'a: [1, 2\n',
      '\uFEFFa: 1\n',
      '--- a\n--- b\n',
    ])
      expect(parseFast(text), JSON.stringify(text)).toBeNull();
    // And yaml still reports them, with their position.
    const { fast, errors } = both('targets:\n  - name: a\n    name: b\n');
    expect(fast).toBeNull();
    expect(errors.length).toBeGreaterThan(0);
  });
});

describe('loading a large estate', () => {
  it('loads a 3.8 MB inventory, every target at its own line (the file that took 35 s)', async () => {
    const dir = path.join(PACKAGE_ROOT, 'fixtures', 'demo-site', 'bindings');
    const { mkdtempSync, cpSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const copy = mkdtempSync(path.join(tmpdir(), 'large-bindings-'));
    cpSync(dir, copy, { recursive: true });
    const targets = Array.from({ length: 15_000 }, (_, i) =>
      [
        `  - name: vm-${1000 + i}-g${1000 + i}`,
        '    enabled: true',
        '    kind: file_glob',
        '    host: pve-shop',
        '    base_path: /mnt/pve/backup/dump',
        `    glob: vzdump-qemu-${1000 + i}-*.vma.zst`,
        '    stale_after_hours: 26',
        '    classification: important',
        `    description: daily vzdump of g${1000 + i}`,
      ].join('\n'),
    );
    const text = `version: 1\ndefaults: {timezone: Europe/Berlin, stale_after_hours: 26}\ntargets:\n${targets.join('\n')}\n`;
    expect(text.length).toBeGreaterThan(3_500_000);
    writeFileSync(path.join(copy, 'backup.inventory.yaml'), text);
    // The demo's drills name its own targets, which this inventory replaces.
    rmSync(path.join(copy, 'restore.drills.yaml'));
    const loaded = await loadBindings(copy);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors.slice(0, 3)));
    const { targets: read } = loaded.bindings.inventory;
    expect(read).toHaveLength(15_000);
    expect(read.map((t) => t.source.line)).toEqual(read.map((_, i) => 4 + 9 * i));
    expect(read[14_999]).toMatchObject({
      name: 'vm-15999-g15999',
      host: 'pve-shop',
      staleAfterHours: 26,
      classification: 'important',
    });
  }, 60_000);
});

// One binding file as read: its bytes' digest, its plain data and where its nodes are (in full
// only for a file with a problem: fast-yaml.ts). Every later problem (schema, cross-reference) is
// reported through `Source.report`, so it carries the line and column of the node it is about.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Document, LineCounter, YAMLError } from 'yaml';
import { notText, readInputFile } from '../input-file.js';
import { lineAt, lineStartsOf, parseFast } from './fast-yaml.js';
import type { BindingError, SourceRef } from './types.js';

/**
 * yaml (positions, the errors it reports) is loaded only when a file needs it: one with an error,
 * or that js-yaml reads differently. Every run would otherwise pay for its import.
 */
const yaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml') as typeof import('yaml');

const MAX_FILE_BYTES = 5 * 1024 * 1024;
/** yaml's own default, spelled out because the error message quotes it. */
const MAX_ALIAS_COUNT = 100;

/** A field path: map keys and sequence indexes, e.g. `['targets', 3, 'glob']`. */
export type FieldPath = readonly (string | number)[];

/** Where a problem is shown: at the value, at its key (unknown fields), or at the enclosing node (missing fields). */
type Anchor = 'value' | 'key' | 'parent';

/** A file's YAML Document and line index: every node's position, parsed only when needed. */
interface Located {
  doc: Document;
  lines: LineCounter;
}

export class Source {
  private located: Located | null;
  private lineStarts: number[] | null = null;

  /**
   * `starts`: where each mapping and list of `data` starts (the fast parse); `located`: the
   * Document when the file was parsed with positions. A fast-parsed file is parsed again, with
   * positions, only when a problem in it is reported.
   */
  constructor(
    readonly file: string,
    readonly data: unknown,
    private readonly text: string,
    private readonly sink: BindingError[],
    private readonly starts: ReadonlyMap<object, number> | null,
    located: Located | null = null,
  ) {
    this.located = located;
  }

  report(path: FieldPath, expected: string, found: string, anchor: Anchor = 'value'): void {
    const { lines } = this.locate();
    const { line, col } = lines.linePos(this.offset(path, anchor));
    this.sink.push({ file: this.file, line, column: col, path: formatPath(path, this.data), expected, found });
  }

  ref(path: FieldPath): SourceRef {
    const node = valueAt(this.data, path);
    const start = node !== null && typeof node === 'object' ? this.starts?.get(node) : undefined;
    if (start !== undefined) {
      this.lineStarts ??= lineStartsOf(this.text);
      return { file: this.file, line: lineAt(this.text, this.lineStarts, start) };
    }
    return { file: this.file, line: this.locate().lines.linePos(this.offset(path, 'value')).line };
  }

  /**
   * The line of a top-level key (`targets:` at the start of a line): where a whole list is declared.
   * Found by one scan of the text, without parsing it again; where the value starts when the key is
   * not written that way (a flow mapping).
   */
  keyRef(key: string): SourceRef {
    const at = new RegExp(`^["']?${key}["']?[ \\t]*:`, 'm').exec(this.text);
    if (!at) return this.ref([key]);
    this.lineStarts ??= lineStartsOf(this.text);
    return { file: this.file, line: lineAt(this.text, this.lineStarts, at.index) };
  }

  private locate(): Located {
    if (!this.located) {
      const { LineCounter, parseDocument } = yaml();
      const lines = new LineCounter();
      this.located = { doc: parseDocument(this.text, { lineCounter: lines, prettyErrors: false }), lines };
    }
    return this.located;
  }

  /** Start offset of the node at `path`, or of its deepest existing ancestor. */
  private offset(path: FieldPath, anchor: Anchor): number {
    const { isMap, isNode, isScalar, isSeq } = yaml();
    let node: unknown = this.locate().doc.contents;
    let key: unknown = null;
    for (const seg of anchor === 'parent' ? path.slice(0, -1) : path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        key = pair.key;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        key = null;
        node = node.items[seg];
      } else break;
    }
    const target = anchor === 'key' && key ? key : node;
    return (isNode(target) && target.range?.[0]) || 0;
  }
}

/** The value at `path` in plain data, or undefined. */
function valueAt(data: unknown, path: FieldPath): unknown {
  let node = data;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/** Fields that name a list item, in the order they are preferred. */
const ITEM_NAMES = ['name', 'id', 'vmid', 'unit_id'];

/**
 * `targets[13] (app-mail-archiver).glob`: a list item is named as well as numbered, so an error in
 * a long file says which entry it is about without counting.
 */
function formatPath(path: FieldPath, data: unknown): string {
  let node: unknown = data;
  return path
    .map((seg, i) => {
      node = typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[seg] : undefined;
      if (typeof seg !== 'number') return i === 0 ? seg : `.${seg}`;
      const item = (typeof node === 'object' && node !== null ? node : {}) as Record<string, unknown>;
      const name = ITEM_NAMES.map((k) => item[k]).find((v) => typeof v === 'string' || typeof v === 'number');
      return name === undefined ? `[${seg}]` : `[${seg}] (${name})`;
    })
    .join('');
}

/** A value as shown after "found": compact, with its YAML type. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `${JSON.stringify(shown)} (a string)`;
  }
  if (typeof value === 'number') return `${value} (${Number.isInteger(value) ? 'an integer' : 'a number'})`;
  if (typeof value === 'boolean') return `${value} (a boolean)`;
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  return 'a mapping';
}

/**
 * Reads and parses `dir/file`. Problems go to `sink`; returns null when the file is absent or
 * unusable (an absent optional file is not a problem). Digests cover every file read.
 */
export async function readSource(
  dir: string,
  file: string,
  required: boolean,
  sink: BindingError[],
  digests: Record<string, string>,
): Promise<Source | null> {
  const fileError = (expected: string, found: string, line: number | null = null, column: number | null = null) =>
    sink.push({ file, line, column, path: '', expected, found });

  // A regular file inside `dir` only, at most 5 MiB, read without following links out of it or
  // blocking on a pipe (lib/input-file.ts says why).
  const read = await readInputFile(dir, file, MAX_FILE_BYTES);
  if (!read.ok) {
    if (!read.absent || required) fileError(read.expected, read.found);
    return null;
  }
  const bytes = read.bytes;
  digests[file] = createHash('sha256').update(bytes).digest('hex');

  // Only YAML text is ever quoted back in an error; binary content is named, never shown.
  const binary = notText(bytes);
  if (binary) {
    fileError('YAML text (UTF-8)', binary);
    return null;
  }
  return parseSource(file, bytes.toString('utf8'), sink, fileError);
}

/**
 * Parses a file's text: fast and without positions when js-yaml reads it as yaml would, else
 * (or with `fast` false, for tests) with yaml's Document, whose errors are the ones reported.
 */
export function parseSource(
  file: string,
  text: string,
  sink: BindingError[],
  fileError: (expected: string, found: string, line: number | null, column: number | null) => void,
  fast = true,
): Source | null {
  const parsed = fast ? parseFast(text) : null;
  if (parsed) return new Source(file, parsed.data, text, sink, parsed.starts);

  const { LineCounter, parseDocument, visit } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  // One syntax error is one message: what yaml finds after the first is mostly that error seen
  // again from later lines. Duplicate keys stand alone, so each is said.
  const first = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
  for (const e of doc.errors.filter((x) => x === first || x.code === 'DUPLICATE_KEY')) {
    const { offset, expected, found } = describeYamlError(doc, e);
    const { line, col } = lines.linePos(offset);
    fileError(expected, found, line, col);
  }
  if (doc.errors.length) return null;

  try {
    return new Source(file, doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), text, sink, null, { doc, lines });
  } catch (e) {
    // Alias problems only surface while converting: an alias bomb, or an alias with no anchor before it.
    if (!(e instanceof ReferenceError)) throw e;
    const bomb = e.message.startsWith('Excessive alias count');
    let offset = 0;
    visit(doc, {
      Alias(_, alias) {
        if (bomb || !alias.resolve(doc)) {
          offset = alias.range?.[0] ?? 0;
          return visit.BREAK;
        }
      },
    });
    const { line, col } = lines.linePos(offset);
    if (bomb) fileError(`at most ${MAX_ALIAS_COUNT} alias expansions`, `more (a YAML alias bomb?)`, line, col);
    else fileError('an alias to an anchor defined before it', e.message, line, col);
    return null;
  }
}

/** What to say about one of yaml's errors, and where: the offset it is about. */
function describeYamlError(doc: Document, e: YAMLError): { offset: number; expected: string; found: string } {
  const { isScalar, visit } = yaml();
  if (e.code !== 'DUPLICATE_KEY') {
    // An unclosed [ or {: yaml notices it on the next line that is not part of it; the bracket is what to fix.
    const bracket = /end with an? ([\]}])$/.exec(e.message)?.[1];
    let opened: number | null = null;
    if (bracket) {
      visit(doc, {
        Collection(_, node) {
          if (node.flow && node.range?.[1] === e.pos[0]) {
            opened = node.range[0];
            return visit.BREAK;
          }
        },
      });
    }
    if (opened !== null)
      return {
        offset: opened,
        expected: `a ${bracket} closing this ${bracket === ']' ? '[' : '{'}`,
        found: `none (a syntax error: ${e.message})`,
      };
    return { offset: e.pos[0], expected: 'valid YAML', found: `a syntax error: ${e.message}` };
  }
  let key = 'a key';
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === e.pos[0]) {
        key = `key ${JSON.stringify(pair.key.value)}`;
        return visit.BREAK;
      }
    },
  });
  return { offset: e.pos[0], expected: 'each key at most once per mapping', found: `${key} a second time` };
}

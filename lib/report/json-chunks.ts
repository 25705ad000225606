// Large outputs (receipt.json, --json) are written in pieces: a large estate's receipt is tens of
// MB, and building it as one string (then encoding it as one buffer) cost seconds and as much
// memory again. The pieces join to exactly the text JSON.stringify(value, null, 2) gives.

/**
 * JSON.stringify(value, null, 2), yielded in pieces: objects and arrays down to `depth` levels are
 * opened here, member by member; what lies deeper is stringified whole (a finding is never split),
 * the members of an array at the last level opened a batch at a time.
 */
export function* jsonChunks(value: unknown, depth = 3, indent = ''): Generator<string> {
  if (isLeaf(value, depth)) {
    yield leafText(value, indent);
    return;
  }
  const inner = `${indent}  `;
  const array = Array.isArray(value);
  // The last level opened: an array's members are all leaves (a receipt's findings).
  if (array && depth === 1 && value.length > 0) {
    let open = '[';
    for (const text of memberBatches(value, inner)) {
      yield `${open}\n${text}`;
      open = ',';
    }
    yield `\n${indent}]`;
    return;
  }
  // As JSON.stringify: in an object, members whose value JSON cannot carry are left out; in an array they read null.
  const entries = array
    ? value.map((v): [string, unknown] => ['', carried(v) ? v : null])
    : Object.entries(value as object).filter(([, v]) => carried(v));
  if (!entries.length) {
    yield array ? '[]' : '{}';
    return;
  }
  let open = array ? '[' : '{';
  for (const [key, v] of entries) {
    const head = `${open}\n${inner}${array ? '' : `${JSON.stringify(key)}: `}`;
    open = ',';
    // A leaf goes out with its separator as one piece.
    if (isLeaf(v, depth - 1)) yield head + leafText(v, inner);
    else {
      yield head;
      yield* jsonChunks(v, depth - 1, inner);
    }
  }
  yield `\n${indent}${array ? ']' : '}'}`;
}

const carried = (v: unknown) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';

const isLeaf = (value: unknown, depth: number) =>
  depth <= 0 ||
  value === null ||
  typeof value !== 'object' ||
  typeof (value as { toJSON?: unknown }).toJSON === 'function';

/** A value stringified whole, its lines indented to where it stands. */
function leafText(value: unknown, indent: string): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  return indent && text.includes('\n') ? text.replaceAll('\n', `\n${indent}`) : text;
}

/** Members of a leaf array per piece: a receipt's findings. */
const BATCH = 256;

/**
 * An array's members (all leaves), `BATCH` at a time, each batch as JSON.stringify prints members
 * standing at `inner`: it indents by nesting, so the batch goes in as deep as the array stands and
 * the wrapper's brackets are cut off. Stringifying each member and re-indenting its lines after
 * cost twice as much.
 */
function* memberBatches(values: unknown[], inner: string): Generator<string> {
  const levels = inner.length / 2;
  // The wrapper's opening lines (`[\n`, `  [\n`, …) and as many closing ones: 2 + 4 + … + 2·levels characters.
  const cut = levels * (levels + 1);
  for (let i = 0; i < values.length; i += BATCH) {
    let wrapped: unknown = values.slice(i, i + BATCH);
    for (let l = 1; l < levels; l++) wrapped = [wrapped];
    yield JSON.stringify(wrapped, null, 2).slice(cut, -cut);
  }
}

/** A JSON file's text, `${JSON.stringify(value, null, 2)}\n`, in pieces (see jsonChunks for `depth`). */
export function* jsonFile(value: unknown, depth: number): Generator<string> {
  yield* jsonChunks(value, depth);
  yield '\n';
}

/**
 * Joins small pieces into pieces of about `size` characters, so each write is worth its call.
 * Joined, not concatenated: a string built by `+=` from thousands of pieces is a rope that has to
 * be flattened before it can be encoded, which cost more than making the pieces.
 */
export function* batched(pieces: Iterable<string>, size = 1 << 16): Generator<string> {
  let batch: string[] = [];
  let length = 0;
  for (const piece of pieces) {
    batch.push(piece);
    length += piece.length;
    if (length >= size) {
      yield batch.join('');
      batch = [];
      length = 0;
    }
  }
  if (batch.length) yield batch.join('');
}

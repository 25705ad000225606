// The fast way to read a binding file or snapshot manifest: js-yaml, about ten times faster than
// yaml's Document (which builds a node, with its position, for every value: most of the time
// and memory of loading a large estate). It keeps only where each mapping and list starts, which
// is all a file without problems needs (every target's and guest's line). Anything it does not
// read exactly as yaml would (anchors and aliases, tags, a syntax error, a duplicate key) returns
// null, and the caller parses the file with yaml instead, which also words the error.

import jsyaml from 'js-yaml';

/** Whether a plain scalar can be a number at all (a digit, sign or dot first): most are names, tried against every type. */
const mayBeNumber = (s: string): boolean => {
  const c = s.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
};

/**
 * YAML 1.2's core schema exactly as yaml (the reference parser here) resolves plain scalars (its
 * schema/core tests): js-yaml's own int and float also accept `_` separators and `0b`, which yaml
 * reads as strings.
 */
const CORE = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new jsyaml.Type('tag:yaml.org,2002:null', {
      kind: 'scalar',
      resolve: (s: string) => s.length <= 4 && /^(?:~|[Nn]ull|NULL)?$/.test(s),
      construct: () => null,
    }),
    new jsyaml.Type('tag:yaml.org,2002:bool', {
      kind: 'scalar',
      resolve: (s: string) => s.length <= 5 && /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s),
      construct: (s: string) => /^t/i.test(s),
    }),
    new jsyaml.Type('tag:yaml.org,2002:int', {
      kind: 'scalar',
      resolve: (s: string) =>
        mayBeNumber(s) && (/^[-+]?[0-9]+$/.test(s) || /^0o[0-7]+$/.test(s) || /^0x[0-9a-fA-F]+$/.test(s)),
      construct: (s: string) =>
        s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, 10),
    }),
    new jsyaml.Type('tag:yaml.org,2002:float', {
      kind: 'scalar',
      resolve: (s: string) =>
        mayBeNumber(s) &&
        (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s) ||
          /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) ||
          /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)),
      construct: (s: string) =>
        /nan$/i.test(s) ? NaN : /inf$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : parseFloat(s),
    }),
  ],
});

export interface FastParse {
  data: unknown;
  /** Each mapping and list → the text offset its node starts at (before leading space and comments). */
  starts: Map<object, number>;
}

export function parseFast(text: string): FastParse | null {
  // js-yaml drops a byte order mark, which would shift its offsets against the text.
  if (text.startsWith('\uFEFF')) return null;
  const starts = new Map<object, number>();
  const opened: number[] = [];
  let anchored = false;
  let data: unknown;
  try {
    data = jsyaml.load(text, {
      schema: CORE,
      listener(event, state) {
        if (event === 'open') return void opened.push(state.position);
        const start = opened.pop()!;
        // Anchors make shared values (and alias bombs): yaml expands them, with its limit.
        if ((state as { anchor?: string | null }).anchor != null) anchored = true;
        if (state.result !== null && typeof state.result === 'object') starts.set(state.result, start);
      },
    });
  } catch {
    return null;
  }
  // yaml reads an empty document as null.
  return anchored ? null : { data: data === undefined ? null : data, starts };
}

/** The 1-based line of the first content at or after `offset`: a node's own line, past space and comments. */
export function lineAt(text: string, lineStarts: readonly number[], offset: number): number {
  let at = offset;
  for (;;) {
    const ch = text[at];
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') at++;
    else if (ch === '#') {
      const eol = text.indexOf('\n', at);
      if (eol < 0) break;
      at = eol + 1;
    } else break;
  }
  // The last line start at or before `at`.
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid]! <= at) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

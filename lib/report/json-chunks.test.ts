// receipt.json and --json are written in pieces; joined, they must be exactly JSON.stringify(value, null, 2).

import { describe, expect, it } from 'vitest';
import { batched, jsonChunks, jsonFile } from './json-chunks.js';

const VALUES: unknown[] = [
  null,
  0,
  'text',
  [],
  {},
  [[]],
  { a: {} },
  {
    runKey: 'k',
    gates: [
      {
        id: 'D19',
        findings: [
          { subject: 'a\nb "quoted" \u2028', evidence: [{ file: 'x', line: 1 }], gone: undefined },
          { nested: [[1, 2], { deep: { er: [3] } }] },
        ],
        durationMs: undefined,
      },
      { id: 'D69', findings: [] },
    ],
    list: [undefined, () => 1, Symbol('s'), new Date(0), { toJSON: () => 'mine' }],
    f: () => 1,
    at: new Date(0),
    empty: { only: undefined },
  },
];

describe('jsonChunks', () => {
  it('joins to JSON.stringify(value, null, 2) at every depth: empty, undefined, functions, toJSON, escapes', () => {
    for (const value of VALUES) {
      for (const depth of [0, 1, 2, 4, 9])
        expect([...jsonChunks(value, depth)].join(''), `depth ${depth}`).toBe(JSON.stringify(value, null, 2));
    }
  });

  it('yields findings (the members of the last level opened) a batch at a time, each whole, and a file ends in a newline', () => {
    const run = { gates: [{ findings: [{ a: 1, b: [1] }, { a: 2 }] }] };
    const pieces = [...jsonChunks(run, 4)];
    expect(pieces).toContain(
      '[\n        {\n          "a": 1,\n          "b": [\n            1\n          ]\n        },\n        {\n          "a": 2\n        }',
    );
    expect([...jsonFile(run, 4)].join('')).toBe(`${JSON.stringify(run, null, 2)}\n`);
    expect([...batched(pieces, 10)].join('')).toBe(JSON.stringify(run, null, 2));
    // 600 findings: three pieces (256, 256, 88), none split.
    const many = { gates: [{ findings: Array.from({ length: 600 }, (_, i) => ({ i })) }] };
    const batches = [...jsonChunks(many, 4)].filter((p) => p.includes('"i"'));
    expect(batches.map((p) => p.match(/"i"/g)!.length)).toEqual([256, 256, 88]);
    expect([...jsonChunks(many, 4)].join('')).toBe(JSON.stringify(many, null, 2));
  });
});

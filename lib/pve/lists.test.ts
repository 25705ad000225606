import { describe, expect, it } from 'vitest';
import { sortedUnique, splitList } from './lists.js';

describe('splitList', () => {
  it('splits on commas, semicolons and whitespace, dropping empty items', () => {
    expect(splitList(' 100,101;102  103\t104,,')).toEqual(['100', '101', '102', '103', '104']);
    expect(splitList('')).toEqual([]);
  });
});

describe('sortedUnique', () => {
  it('sorts numerically and drops duplicates', () => {
    expect(sortedUnique([110, 9, 100, 9])).toEqual([9, 100, 110]);
  });
});

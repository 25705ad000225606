import { describe, expect, it } from 'vitest';
import { PveParseError } from './errors.js';

describe('PveParseError', () => {
  it('is an Error that names its source', () => {
    const error = new PveParseError('guests', 'invalid JSON');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PveParseError');
    expect(error.source).toBe('guests');
    expect(error.message).toBe('invalid JSON');
  });
});

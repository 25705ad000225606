import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_MODULE, validatorsModule } from './schema-codegen.js';

describe('the validators compiled at build time', () => {
  it('match the JSON Schemas as they are now (after changing one: npm run schemas)', () => {
    expect(readFileSync(GENERATED_MODULE, 'utf8') === validatorsModule(), 'lib/bindings/schemas/validators.generated.ts is stale: run `npm run schemas`').toBe(true);
  });
});

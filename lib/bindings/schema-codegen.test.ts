import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_MODULE, validatorsModule } from './schema-codegen.mjs';

describe('the validators compiled at build time', () => {
  it('match the JSON Schemas as they are now (npm run build regenerates it)', () => {
    expect(readFileSync(GENERATED_MODULE, 'utf8') === validatorsModule(), 'lib/bindings/schemas/validators.generated.ts is stale: run `npm run build` and commit it').toBe(true);
  });
});

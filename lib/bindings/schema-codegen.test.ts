import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_MODULE, RAW_TYPES_MODULE, rawTypesModule, validatorsModule } from './schema-codegen.mjs';

describe('the modules generated from the JSON Schemas at build time', () => {
  it('validators match the JSON Schemas as they are now (npm run build regenerates it)', () => {
    expect(
      readFileSync(GENERATED_MODULE, 'utf8') === validatorsModule(),
      'lib/bindings/schemas/validators.generated.ts is stale: run `npm run build` and commit it',
    ).toBe(true);
  });

  it('raw binding types match them too, so each binding file is described once: by its schema', async () => {
    const text = await rawTypesModule();
    expect(
      readFileSync(RAW_TYPES_MODULE, 'utf8') === text,
      'lib/bindings/schemas/raw-types.generated.ts is stale: run `npm run build` and commit it',
    ).toBe(true);
    // A closed target (additionalProperties false) stays closed: a typo'd field is a type error in normalise.ts too.
    expect(text).toMatch(/export interface Target \{[^}]*stale_after_hours\?: number/);
  });
});

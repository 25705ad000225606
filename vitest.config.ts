// The project's own test suite. Gate files (gates/*.gate.ts) are not tests of the project:
// `ops verify` runs them with the collected state injected.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts'],
    allowOnly: false,
    testTimeout: 30_000,
    // A finding whose reason is not in lib/catalogue/reasons.ts throws (lib/rules/input.ts).
    env: { SPINE_GATES_STRICT_REASONS: '1' },
  },
});

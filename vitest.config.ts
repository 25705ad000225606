// The project's own test suite. Gate files (gates/*.gate.ts) are not tests of the project:
// `ops verify` runs them with the collected state injected. The global setup rebuilds dist/ first when
// a source is newer than it (17 test files run the built `ops`), or stops the run when the build fails.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts'],
    globalSetup: ['lib/testing/global-setup.ts'],
    allowOnly: false,
    testTimeout: 30_000,
    // A finding whose reason is not in lib/catalogue/reasons.ts throws (lib/rules/input.ts).
    env: { SPINE_GATES_STRICT_REASONS: '1' },
  },
});

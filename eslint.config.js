// ESLint 9 flat config: typescript-eslint over the TypeScript (type-aware: one program from
// tsconfig.test.json, which holds every .ts file, tests included), and the plain JavaScript of bench/ and the
// schema code generator. Rules that catch real problems only; no formatting beyond line length
// (no formatter: line length is the one layout rule).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['dist/', 'node_modules/', 'reports/', 'lib/bindings/schemas/*.generated.ts']),
  // An eslint-disable comment that no longer silences anything is an error (each says why, after --).
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A ternary nested in a ternary inside a template literal: the message templates the issue names.
      // (no-nested-ternary everywhere would flag 58 more, mostly short value choices; not now.)
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TemplateLiteral ConditionalExpression ConditionalExpression',
          message:
            'No nested ternary inside a template literal: compute the part first (a variable or a small function).',
        },
      ],
      // Code lines; a line whose length is a string, template or regular expression is left as it is.
      'max-len': [
        'error',
        { code: 140, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true },
      ],
    },
  },
]);

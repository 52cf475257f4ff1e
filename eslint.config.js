// ESLint (flat config) with typescript-eslint's recommended rules, for the project's own
// TypeScript: src/, test/, proof/, scripts/. Prettier formats; ESLint checks the rest,
// including the 120-character line limit that Prettier cannot reach inside long strings.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'examples/', 'test/golden/', 'test/fixtures/*/repo/', 'test/fixtures/[!t]*/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly' },
    },
    rules: {
      'max-len': ['error', { code: 120, ignoreUrls: true, ignorePattern: '^\\s*// ' }],
      // detection reads arbitrary JSON (package.json): `any` is the honest type there
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);

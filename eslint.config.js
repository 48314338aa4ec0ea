import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'tests/fixtures/**', 'bench/out/**', '**/*.min.js', '.demo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // Promises must be awaited or handed on on purpose: a dropped promise loses its rejection (an
    // unhandled rejection ends the daemon), and a promise where a callback's void is expected runs
    // unawaited. These rules need the types, so they read tsconfig.json through the project service.
    files: ['**/*.ts'],
    // The browser folders' declaration files belong to tsconfig.browser.json (checked by typecheck).
    ignores: ['sync-server/*/browser/**'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // The player page runs in Chromium, not Node.
    files: ['player/page/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The dashboard pages' scripts run in the browser (ES modules), not Node: Node's globals are off.
    files: ['sync-server/*/browser/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        ...Object.fromEntries(
          Object.keys(globals.node)
            .filter((g) => !(g in globals.browser))
            .map((g) => [g, 'off']),
        ),
        ...globals.browser,
      },
    },
  },
  {
    // Sample generation drives a browser page from Node.
    files: ['samples/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);

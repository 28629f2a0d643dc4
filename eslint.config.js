import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** An import boundary: files matching `files` may not import paths matching `group` (gitignore globs, or one regular expression). */
const boundary = (files, group, message, ignores = []) => ({
  files,
  ignores,
  rules: { 'no-restricted-imports': ['error', { patterns: [typeof group === 'string' ? { regex: group, message } : { group, message }] }] },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'mlruns/', '.crops-cache/', '.venv-mlflow/', 'out/', '**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', performance: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // The layers (docs/architecture.md): src/core and src/extension-points at the bottom, the framework's
  // stages in src/, kits/ for helpers only plugins use, plugins/ on top. Import loops are checked by
  // dependency-cruiser (.dependency-cruiser.cjs), which also sees type-only imports.
  boundary(
    ['src/**/*.ts'],
    ['**/plugins/**', '**/kits/**'],
    'the framework reaches plugins only through the registry, and kits serve plugins only; src/cli (the composition root) is the exception',
    ['src/cli/**'],
  ),
  boundary(
    ['src/core/**/*.ts', 'src/extension-points/**/*.ts'],
    '^\\.\\./(?!core/|extension-points/)',
    'core services and contracts sit at the bottom: they import nothing else of crops-lab',
    ['**/*.spec.ts'],
  ),
  boundary(
    ['kits/**/*.ts'],
    ['**/plugins/**', '**/src/cli/**', '**/src/runner/**', '**/src/training/**', '**/src/eval/**', '**/src/report/**', '**/src/config/**'],
    'kits are for plugins and build on src/core, src/extension-points, src/backend and src/tracking only, never on the runner stages',
    ['**/*.spec.ts'],
  ),
  boundary(
    ['plugins/**/*.ts'],
    ['**/src/cli/**', '**/src/runner/**'],
    'plugins see the runner only through src/extension-points and the services it binds',
    ['**/*.spec.ts'],
  ),
);

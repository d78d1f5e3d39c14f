// Flat config: typescript-eslint's recommended rules on src, test and bench.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      // Deliberately broken modules: they test the "cannot load" errors.
      'test/fixtures/stage-syntax-error.js',
      'test/fixtures/syntax-error.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'off',
    },
  },
  // Tests read terminal output, escape codes and all.
  { files: ['test/**'], rules: { 'no-control-regex': 'off' } },
);

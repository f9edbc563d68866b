// Lint for the whole repository: type-aware rules from typescript-eslint, with the house rules on top. Formatting is
// prettier's job (.prettierrc.json); eslint-config-prettier turns off the rules that would fight it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'artifacts/', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // src/web runs in the browser (DOM types) and test/web drives it: each has a tsconfig of its own.
        project: ['./tsconfig.json', './tsconfig.web.json', './tsconfig.browser-tests.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Tests and adapters read untyped library and JSON values on purpose; narrowing them is the code's job.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // Messages quote API values of unknown type on purpose (String(value) of whatever Microsoft sent).
      '@typescript-eslint/no-base-to-string': 'off',
      // XML 1.0 character rules and one-line log values are about control characters.
      'no-control-regex': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
    },
  },
  {
    // Product code: stdout carries the XML stream and stderr the log lines; only the logger writes them.
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // DOM event handlers may be async: each one reports its own failure in the page.
    files: ['src/web/**/*.ts'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }] },
  },
  {
    // Fakes implement async ports without awaiting anything, and chai reads methods off objects.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // The emulator's own tests read whatever JSON the emulator answers and assert on its shape field by field.
    files: ['test/emulator/**/*.test.ts', 'test/emulator/test-client.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
  },
  prettier,
);

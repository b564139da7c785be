import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

// What src/core may not import: it runs in the browser, a worker and Node, so never the DOM or the UI.
const coreForbidden = ['**/ui/**', '**/state/**', 'svelte', 'svelte/*'];
// tfjs comes as tfjs-core + tfjs-layers (src/core/tf.ts) and the backends where a backend is chosen: the umbrella
// package would bundle the converter, tfjs-data and every backend into each worker.
const noUmbrella = [{ name: '@tensorflow/tfjs', message: "Import '<relative path>/core/tf' instead (see src/core/tf.ts)." }];

export default ts.config(
  { ignores: ['dist/', 'node_modules/', 'public/data/', 'test-results/', 'playwright-report/', 'tmp/', 'bench/results/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.worker } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: noUmbrella }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    // core runs in the browser, a worker and Node: it must not reach for the DOM or the UI.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: noUmbrella, patterns: coreForbidden }],
      'no-restricted-globals': ['error', 'document', 'window', 'localStorage'],
    },
  },
  {
    // Training depends on models and kernels, never the reverse (docs/architecture.md, "Rooms").
    files: ['src/core/models/**/*.ts', 'src/core/kernels/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: noUmbrella, patterns: [...coreForbidden, '**/train/**', '**/measure/**'] }],
    },
  },
);

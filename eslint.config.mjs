// eslint flat config: type-aware rules for all TypeScript, plus the layering rule of
// ../shared/notes/house-style.md as no-restricted-imports per source folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'crypto',
  'net',
  'util',
  'stream',
  'events',
  'worker_threads',
];
const restrict = (folders, extra = []) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        ...folders.map((f) => ({
          group: [`**/${f}/*`, `**/${f}`],
          message: `this layer may not import src/${f}`,
        })),
        ...extra.map((p) => ({ group: [p], message: 'core, protocol and webview must run in a browser' })),
      ],
      paths: extra.includes('vscode')
        ? [{ name: 'vscode', message: 'only src/extension imports vscode' }]
        : [],
    },
  ],
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      '.tsbuild/**',
      'node_modules/**',
      '.cache/**',
      'test-results/**',
      'bench-results/**',
      'examples/**',
      'media/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((c) => ({ ...c, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    // Explicit projects: src/**/*.test.ts are excluded from their folder's tsconfig (tests may use
    // node:*) and type-checked by test/tsconfig.json instead.
    languageOptions: {
      parserOptions: {
        project: ['src/*/tsconfig.json', 'test/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'no default exports (house style)' },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict(
      ['extension', 'server', 'webview', 'cli', 'node', 'protocol'],
      [...nodeBuiltins, 'vscode'],
    ),
  },
  {
    files: ['src/protocol/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict(['extension', 'server', 'webview', 'cli', 'node'], [...nodeBuiltins, 'vscode']),
  },
  {
    files: ['src/webview/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict(['extension', 'server', 'cli', 'node'], [...nodeBuiltins, 'vscode']),
  },
  {
    files: ['src/node/**/*.ts'],
    rules: restrict(['extension', 'server', 'webview', 'cli', 'protocol'], ['vscode']),
  },
  { files: ['src/server/**/*.ts'], rules: restrict(['extension', 'webview', 'cli'], ['vscode']) },
  { files: ['src/cli/**/*.ts'], rules: restrict(['extension', 'server', 'webview'], ['vscode']) },
  { files: ['src/extension/**/*.ts'], rules: restrict(['server', 'webview', 'cli']) },
  {
    files: ['src/playground/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict(['extension', 'cli', 'node'], [...nodeBuiltins]),
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
      },
    },
  },
);

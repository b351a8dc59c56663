// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'tls', 'url', 'util', 'stream', 'zlib', 'events', 'buffer', 'process', 'worker_threads'];

/**
 * Import direction (../shared/DESIGN.md): shared ← agent, collector ← main ← preload ← renderer.
 * Each block names what a folder may not import; test/unit/layering.test.ts checks the same rules
 * on the files themselves so that a rule switched off here is still caught.
 */
export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.e2e/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: NODE_BUILTINS, message: 'src/shared is pure: no Node built-ins.' },
          { group: ['electron', 'electron/*'], message: 'src/shared is pure: no Electron.' },
          { group: ['**/agent/**', '**/collector/**', '**/main/**', '**/renderer/**'], message: 'src/shared imports nothing from other layers.' },
          { group: ['axios', 'systeminformation', 'pg', 'better-sqlite3', 'fastify', 'iconv-lite'], message: 'src/shared is pure: no runtime I/O libraries.' },
        ],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'process', 'Buffer', 'require'],
    },
  },
  {
    files: ['src/agent/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*'], message: 'The agent core never imports Electron: the shell hands it adapters.' },
          // Relative paths that climb out of src/agent into a sibling layer (the layering test
          // resolves every path exactly; this catches the common cases while editing).
          { regex: '^(\\.\\./)+(collector|main|renderer)/', message: 'src/agent imports only src/shared.' },
        ],
      }],
    },
  },
  {
    files: ['src/collector/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['electron', 'electron/*'], message: 'The collector never imports Electron.' },
          { regex: '^(\\.\\./)+(agent|main|renderer)/', message: 'src/collector imports only src/shared.' },
        ],
      }],
    },
  },
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: NODE_BUILTINS, message: 'Renderer code runs in the browser: no Node built-ins.' },
          { group: ['electron', 'electron/*'], message: 'Renderer code reaches the main process only through its preload API.' },
          { group: ['**/src/agent/**', '**/src/collector/**', '**/main/**'], message: 'renderer/ imports only src/shared.' },
        ],
      }],
    },
  },
);

import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', '.tmp/', '__fixtures__/corpus/'] },
  js.configs.recommended,
  // Type-aware rules over the TypeScript of tsconfig.json (found by the project service).
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
      },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Small functions in the product code: none over 80 lines (blank lines and comments not counted).
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
  {
    // One way to the job log: outside text must not start a workflow command. Only
    // the log writer (src/runner/log.ts, which makes every message inert) issues commands or
    // writes stdout; everything else goes through the run's LogSink or `runnerLog`.
    files: ['src/**/*.ts'],
    ignores: ['src/runner/log.ts', 'src/runner/workflow-commands.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'stdout', message: 'Write the job log through the LogSink (src/runner/log.ts).' },
        { object: 'process', property: 'stderr', message: 'Write the job log through the LogSink (src/runner/log.ts).' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflow-commands.js'],
              importNames: ['info', 'debug', 'notice', 'warning', 'error', 'group', 'issueCommand', 'setSecret'],
              message: 'Write the job log through the LogSink or runnerLog (src/runner/log.ts): it makes outside text inert.',
            },
          ],
        },
      ],
    },
  },
  // Plain JavaScript (config files, scripts/*.mjs) has no types to check.
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
)

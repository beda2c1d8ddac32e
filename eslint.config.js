// @ts-check
/**
 * ESLint flat config. TypeScript is linted with type information, so
 * `@typescript-eslint/no-floating-promises` catches a forgotten `await` on a
 * workflow or client call. Files under workflows/ may import only what runs
 * in Temporal's deterministic workflow sandbox.
 */
const { builtinModules } = require('node:module');
const { defineConfig, globalIgnores } = require('eslint/config');
const js = require('@eslint/js');
const globals = require('globals');
const tseslint = require('typescript-eslint');

const TS_FILES = ['**/*.ts', '**/*.mts', '**/*.cts'];

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const SANDBOX_MESSAGE =
  "Workflow code runs in Temporal's deterministic sandbox, which has no Node built-ins, network or file access. " +
  'Move the code that needs this module into an activity and call it through proxyActivities.';

const TYPE_ONLY_MESSAGE =
  "Workflow code runs in Temporal's deterministic sandbox: import activity, worker and client modules " +
  'with `import type` only, and call activities through proxyActivities.';

/**
 * Import rules for workflow code. Every Node built-in is listed by name (with
 * its subpaths, such as fs/promises) so a workflow-local module such as
 * ./activities is not mistaken for one.
 */
const workflowImportPatterns = [
  {
    regex: `^(node:.*|(${builtinModules.map(escapeRegExp).join('|')})(/.*)?)$`,
    message: SANDBOX_MESSAGE,
  },
  {
    regex:
      '^(@aws-sdk/.*|nodemailer|pino|@temporalio/(client|worker|activity|testing)|' +
      'smtp-server|mailparser|playwright-core|commander)(/.*)?$',
    message: SANDBOX_MESSAGE,
  },
  {
    regex: '^(\\.\\./)+(activities|workers|client)(/.*)?$',
    allowTypeImports: true,
    message: TYPE_ONLY_MESSAGE,
  },
];

module.exports = defineConfig([
  globalIgnores(['dist/', 'node_modules/', '.venv/', '.mlops/', 'coverage/']),

  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },

  {
    files: TS_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },

  {
    // Tests pass deliberately invalid input, typed `any` on purpose.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },

  {
    files: ['workflows/**/*.ts'],
    rules: {
      // The TypeScript version of the rule understands `import type`.
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: workflowImportPatterns }],
    },
  },
]);

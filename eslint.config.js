// The linter as a guardrail: import cycles, what may import what, unused exports, and
// typescript-eslint's recommended rules. Syntax-only (no type information), so it stays fast.
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

const SERVER = ['**/src/**', '../*', '../../src/**', 'keyforge'];

export default tseslint.config(
  { ignores: ['dist/**', '**/dist/**', 'node_modules/**', 'test-artifacts/**', 'views/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    // A leading underscore marks a parameter kept for its position (Express error handlers, say).
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'packages/resource-server/tsconfig.json'], noWarnOnMultipleProjects: true })],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      // oidc-provider's runtime is configured and wired in src/provider alone; its internals
      // are touched only in src/provider/internals.ts. Elsewhere its types may be named.
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'oidc-provider', allowTypeImports: true, message: 'Only src/provider/** uses oidc-provider at runtime; go through src/provider (internals.ts for its internals).' }],
      }],
    },
  },
  {
    files: ['src/provider/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    // oidc-provider's request entities and replaceable prototypes: read and patched in
    // provider/internals.ts alone. (resource-indicators reads ctx.oidc.params, which the
    // resourceIndicators feature hands it by contract.)
    files: ['src/**/*.ts'],
    ignores: ['src/provider/internals.ts', 'src/provider/resource-indicators.ts', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "MemberExpression[property.name='oidc']", message: 'ctx.oidc is oidc-provider internals: add an accessor to src/provider/internals.ts.' },
        { selector: "MemberExpression[object.property.name=/^(Client|OIDCContext)$/][property.name='prototype']", message: 'oidc-provider prototypes are patched in src/provider/internals.ts only.' },
        { selector: "MemberExpression[object.property.name='request'][property.name='body']", message: 'oidc-provider reads ctx.request.body; set it through setParsedBody in src/provider/internals.ts.' },
      ],
    },
  },
  {
    // The CLI talks to a server over HTTP; it shares only the leaf constants.
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./(?!consts/)', message: 'The CLI imports nothing from the server but src/consts.' }],
      }],
    },
  },
  {
    // The kit is its own package: it must not reach into the server.
    files: ['packages/resource-server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: SERVER, message: 'The resource-server kit imports nothing from the server.' }],
      }],
    },
  },
);

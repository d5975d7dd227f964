// Typed lint: floating promises are bugs in a networked program. Product code (packages/*/src,
// specs aside) is held to the type-checked preset; specs, tests, bench and scripts to the
// recommended rules plus the promise rules below. No formatting rules: Prettier formats.
import tseslint from 'typescript-eslint';

/** Imports a layer may not make (README.md, "Layout"): each rule names the packages above it. */
const layer = (files, patterns, message) => ({
  files,
  ignores: ['**/*.spec.ts'],
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: patterns, message, allowTypeImports: true }] }] },
});
const GRPC = ['@grpc/*', 'nice-grpc', 'nice-grpc-*', 'grpc-health-check', '@kompart/grpc', '@kompart/grpc/*'];
const DOMAIN = ['@kompart/registry-server', '@kompart/peer', '@kompart/kompart'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/protocol/src/gen/**', 'bench/dist/**', 'bench/out/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
  },
  layer(['packages/protocol/src/**/*.ts'], [...GRPC, '@kompart/*'], 'the contract imports no gRPC library and nothing else of kompart'),
  layer(['packages/core/src/**/*.ts'], [...GRPC, ...DOMAIN], 'core has no gRPC and is below every domain package'),
  layer(['packages/grpc/src/**/*.ts'], DOMAIN, 'the gRPC glue is below the domain packages'),
  layer(
    [
      'packages/registry-server/src/{peer-directory,store,memory-store,redis-store,redis-scripts,rate-limiter,ticket-issuer}.ts',
      'packages/peer/src/{download-file,local-library,hash-file,hash-cache,safe-file-name,part-writer,part-writer-thread,idle-buffers,task-pool,file-identity,peer-error,session-state}.ts',
    ],
    [...GRPC, '@kompart/kompart'],
    'domain code imports no gRPC (handlers and sessions do, through @kompart/grpc)',
  ),
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.spec.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
);

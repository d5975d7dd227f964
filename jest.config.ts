import type { Config } from 'jest';

/**
 * One Jest run for the whole monorepo: unit tests beside the code (`src/**\/*.spec.ts`)
 * and integration tests (`test/**\/*.test.ts`) that start real gRPC servers and real
 * `kompart` processes on 127.0.0.x. Workspace packages resolve to their TypeScript source.
 *
 * ESM: inquirer and its @inquirer/* dependencies ship only as ES modules. Jest runs
 * CommonJS here, so those packages are transpiled to CommonJS by ts-jest (allowJs) instead
 * of being ignored like the rest of node_modules; the program itself loads them natively.
 */
const esmOnly = [
  'inquirer',
  '@inquirer',
  'mute-stream',
  'run-async',
  'yoctocolors',
  'ansi-escapes',
  'environment',
  'cli-width',
  'signal-exit',
  'fast-wrap-ansi',
  'fast-string-width',
  'fast-string-truncated-width',
  'chardet',
  'iconv-lite',
];

const config: Config = {
  // Node's environment plus the teardown check: a test file fails when it leaves servers,
  // sockets or child processes open (test/support/leak-check.ts says how, and the
  // environment why it is not a setupFilesAfterEnv hook).
  testEnvironment: '<rootDir>/test/support/leak-check-environment.ts',
  roots: ['<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/src/**/*.spec.ts', '**/test/**/*.test.ts'],
  moduleNameMapper: {
    '^@kompart/(protocol|core|grpc|registry-server|peer|kompart)$': '<rootDir>/packages/$1/src/index.ts',
    '^@kompart/(core|grpc)/testing$': '<rootDir>/packages/$1/src/testing/index.ts',
    '^@kompart/registry-server/config$': '<rootDir>/packages/registry-server/src/config.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.[cm]?[tj]s$': [
      'ts-jest',
      {
        tsconfig: {
          isolatedModules: true,
          allowJs: true,
          module: 'commonjs',
          moduleResolution: 'node10',
          esModuleInterop: true,
          target: 'ES2022',
          types: ['node', 'jest'],
          sourceMap: true,
        },
        diagnostics: false,
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  // Peers' identities under a temporary XDG_STATE_HOME (test/support/state-home.ts).
  globalSetup: '<rootDir>/test/support/state-home.ts',
  globalTeardown: '<rootDir>/test/support/state-home-teardown.ts',
  testTimeout: 30_000,
  maxWorkers: 2,
};

export default config;

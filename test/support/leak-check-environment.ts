/**
 * The Node test environment with the teardown check of leak-check.ts: a test file fails
 * ("Test suite failed to run") when it leaves servers, sockets or child processes open.
 *
 * Why an environment and not a setupFilesAfterEnv module: jest-circus runs the hooks of a
 * describe block in the order they were declared, and a setup file declares its hooks in the
 * root block before the test file does. Measured with jest-circus 30.5 (a setup file and a
 * test file that both declare beforeAll/afterEach/afterAll, one describe with its own hooks):
 *
 *   setup beforeAll, file beforeAll, test, describe afterEach, setup afterEach,
 *   file afterEach, describe afterAll, setup afterAll, file afterAll 1, file afterAll 2,
 *   environment: run_finish, environment teardown
 *
 * So an afterAll of a setup file runs before the file's own top-level afterAll hooks (where
 * the files here stop their servers and programs), and hooks cannot be added once the run has
 * started. The environment's handleTestEvent sees `run_finish`, which jest-circus dispatches
 * after the root block's last afterAll hook and before it collects the run's errors: the check
 * runs there, and a leak becomes an error of the file (state.unhandledErrors, reported like an
 * error thrown by an afterAll hook). The baseline is taken in setup(), before the test file
 * is loaded. Works the same in Jest's worker processes and with --runInBand (both run one file
 * at a time per process).
 */
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';
import { LeakCheck } from './leak-check';

export default class LeakCheckEnvironment extends TestEnvironment {
  readonly #check: LeakCheck;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    // testEnvironmentOptions.leakCheckTimeoutMs: how long to wait for things to close (the
    // check's own test uses a shorter wait for its deliberately leaky fixtures).
    const timeoutMs = config.projectConfig.testEnvironmentOptions['leakCheckTimeoutMs'];
    this.#check = new LeakCheck({ rootDir: config.projectConfig.rootDir, ...(typeof timeoutMs === 'number' ? { timeoutMs } : {}) });
  }

  override async setup(): Promise<void> {
    await super.setup();
    this.#check.start();
  }

  async handleTestEvent(event: Circus.Event, state: Circus.State): Promise<void> {
    if (event.name !== 'run_finish') return;
    const report = await this.#check.finish();
    if (report !== undefined) {
      const error = new Error(report);
      error.stack = ''; // The report is the message; a stack of this module would say nothing.
      state.unhandledErrors.push(error);
    }
  }

  override async teardown(): Promise<void> {
    this.#check.stop();
    await super.teardown();
  }
}

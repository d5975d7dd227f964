/**
 * The teardown check (test/support/leak-check.ts) itself: the fixtures in ./fixtures run in
 * a child Jest, with the repository's environment, once in one process (--runInBand) and
 * once in two workers (as the main run does). A file that leaves a server, a connection or
 * a child process open fails, naming what it left and where it was created; a file that
 * closes everything in its own afterAll hooks (without waiting) and leaves only an unref'd
 * timer passes. The fixtures are `*.fixture.ts`, which the main run's testMatch leaves out.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(__dirname, 'fixtures', 'jest.config.ts');

interface FileResult {
  readonly name: string;
  readonly status: 'passed' | 'failed';
  readonly message: string;
  readonly assertionResults: ReadonlyArray<{ readonly status: string }>;
}

interface ChildRun {
  readonly code: number | null;
  readonly output: string;
  /** By fixture file name (leaky-child.fixture.ts, ...). */
  readonly files: ReadonlyMap<string, FileResult>;
}

async function runFixtures(mode: string[]): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), 'kompart-teardown-'));
  const outputFile = join(dir, 'results.json');
  try {
    const env = { ...process.env };
    delete env['JEST_WORKER_ID'];
    const child = spawn(
      process.execPath,
      [require.resolve('jest/bin/jest'), '--config', CONFIG, '--no-watchman', '--json', '--outputFile', outputFile, ...mode],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', resolve));
    const results = JSON.parse(readFileSync(outputFile, 'utf8')) as { testResults: FileResult[] };
    const files = new Map(results.testResults.map((result) => [result.name.split('/').pop() ?? result.name, result]));
    return { code, output, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each([
  ['in one process (--runInBand)', ['--runInBand']],
  ['in two workers', ['--maxWorkers=2']],
])('the teardown check %s', (_mode, args) => {
  let run: ChildRun;
  beforeAll(async () => {
    run = await runFixtures(args);
  }, 60_000);

  const file = (name: string): FileResult => {
    const result = run.files.get(name);
    if (result === undefined) throw new Error(`no result for ${name}\n${run.output}`);
    return result;
  };

  it('fails the run, and only the leaky files, whose tests themselves pass', () => {
    expect(run.code).toBe(1);
    expect([...run.files.keys()].sort()).toEqual(['clean.fixture.ts', 'leaky-child.fixture.ts', 'leaky-server.fixture.ts', 'leaky-sockets.fixture.ts']);
    for (const result of run.files.values()) expect(result.assertionResults.map((test) => test.status)).toEqual(['passed']);
    expect(file('clean.fixture.ts')).toMatchObject({ status: 'passed', message: '' });
  });

  it('names a server left listening, and where it was started', () => {
    const { status, message } = file('leaky-server.fixture.ts');
    expect(status).toBe('failed');
    expect(message).toContain('The test file left servers, sockets or child processes open');
    expect(message).toMatch(/active handles \(at the file's start -> now\): TCPServerWrap \d+ -> \d+/);
    expect(message).toMatch(/Server listening on 127\.0\.0\.1:\d+, created at .*test\/teardown\/fixtures\/leaky-server\.fixture\.ts:\d+/);
  });

  it('names both ends of a connection left open after the server stopped listening', () => {
    const { status, message } = file('leaky-sockets.fixture.ts');
    expect(status).toBe('failed');
    expect(message).toMatch(/client socket 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+, created at .*test\/teardown\/fixtures\/leaky-sockets\.fixture\.ts:\d+/);
    expect(message).toMatch(/accepted socket 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+/);
    expect(message).not.toContain('listening on');
  });

  it('names a child process left running by pid and command, and ends it', () => {
    const { status, message } = file('leaky-child.fixture.ts');
    expect(status).toBe('failed');
    expect(message).toMatch(/ProcessWrap \d+ -> \d+/);
    const match = /child process pid (\d+) \(sleep 30\) still running, created at .*test\/teardown\/fixtures\/leaky-child\.fixture\.ts:\d+/.exec(message);
    expect(match).not.toBeNull();
    expect(isAlive(Number(match?.[1]))).toBe(false);
  });
});

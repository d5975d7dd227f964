/**
 * Runs the real `kompart` program (packages/kompart/dist/bin.js, built by `npm test`) the
 * way a user's shell would (shared by the end-to-end tests, the network simulation and
 * `npm run demo`): arguments, environment, a pipe for standard input, and its
 * output read line by line. Tests wait for lines, never for a fixed time.
 */
import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptionsWithStdioTuple, type StdioPipe } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const BIN = join(__dirname, '..', '..', 'packages', 'kompart', 'dist', 'bin.js');
/** The `kompart` command npm links (`npx kompart`, the image's entrypoint): a sh launcher
 * that sets glibc's allocator up and replaces itself with `node --initial-old-space-size=64 dist/bin.js`. */
const LAUNCHER = join(__dirname, '..', '..', 'packages', 'kompart', 'bin', 'kompart');

/** Generous: the machine is shared with other test runs. */
export const WAIT_MS = 20_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The environment of a user with no kompart settings (KOMPART_* of this shell removed). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('KOMPART_')) env[key] = value;
  return { ...env, ...extra };
}

/** Standard output, standard error, or both in the order their lines arrived. */
type Stream = 'out' | 'err' | 'any';

interface Waiter {
  readonly stream: Stream;
  readonly pattern: string | RegExp;
  readonly from: number;
  readonly resolve: (line: string) => void;
  /** The program ended without printing the line. */
  readonly reject: (error: Error) => void;
}

const running = new Set<Program>();

type PipedSpawnOptions = SpawnOptionsWithStdioTuple<StdioPipe, StdioPipe, StdioPipe>;

export interface ProgramOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly label?: string;
  /** How to start the process (default: child_process.spawn on this host); the network
   * simulation starts it inside a namespace. */
  readonly spawn?: (command: string, args: readonly string[], options: PipedSpawnOptions) => ChildProcessWithoutNullStreams;
  /** Called with every output line as it arrives (live transcripts). */
  readonly onLine?: (line: string, stream: 'out' | 'err') => void;
  /** Start through LAUNCHER (as `npx kompart` does) instead of `node dist/bin.js`. */
  readonly launcher?: boolean;
}

export class Program {
  /** Standard output, line by line. */
  readonly out: string[] = [];
  /** Standard error, line by line. */
  readonly err: string[] = [];
  /**
   * Both, in the order their lines arrived (the program writes error lines to standard
   * error when standard output is not a terminal: a command's result and its error are read
   * together here).
   */
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiters = new Set<Waiter>();
  readonly #onLine: ProgramOptions['onLine'];
  #exit: Exit | undefined;

  constructor(
    readonly args: readonly string[],
    options: ProgramOptions = {},
  ) {
    const start = options.spawn ?? spawn;
    this.#onLine = options.onLine;
    const [command, prefix] = options.launcher === true ? [LAUNCHER, []] : [process.execPath, [BIN]];
    this.#child = start(command, [...prefix, ...args], { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdin.on('error', () => undefined);
    createInterface({ input: this.#child.stdout }).on('line', (line) => this.#add('out', line));
    createInterface({ input: this.#child.stderr }).on('line', (line) => this.#add('err', line));
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.#child.on('close', (code, signal) => {
        this.#exit = { code, signal };
        running.delete(this);
        resolve(this.#exit);
        // Every line has been read: a line still awaited will never come.
        for (const waiter of [...this.#waiters]) waiter.reject(this.#endedWithout(waiter.stream, waiter.pattern));
      });
    });
  }

  /** The process id (the program's own when started through LAUNCHER, which execs it). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Writes lines to standard input. */
  send(...lines: string[]): void {
    for (const line of lines) this.#child.stdin.write(`${line}\n`);
  }

  /** Closes standard input (the end of a script). */
  end(): void {
    this.#child.stdin.end();
  }

  signal(signal: NodeJS.Signals): void {
    if (this.#exit === undefined) this.#child.kill(signal);
  }

  /** Where the next output line will be: pass as `from` to wait only for later lines. */
  mark(stream: Stream = 'any'): number {
    return this.#linesOf(stream).length;
  }

  /**
   * The first line at index `from` or later (default 0) of the output (both streams, or
   * `stream`) that equals `pattern` or matches it.
   */
  waitFor(pattern: string | RegExp, options: { from?: number; stream?: Stream; timeoutMs?: number } = {}): Promise<string> {
    const stream = options.stream ?? 'any';
    const from = options.from ?? 0;
    const found = this.#linesOf(stream)
      .slice(from)
      .find((line) => matches(line, pattern));
    if (found !== undefined) return Promise.resolve(found);
    if (this.#exit !== undefined) return Promise.reject(this.#endedWithout(stream, pattern));
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? WAIT_MS;
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no ${stream} line ${String(pattern)} within ${timeoutMs} ms from kompart ${this.args.join(' ')}\n${this.transcript()}`));
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        stream,
        pattern,
        from,
        resolve: (line) => {
          settle();
          resolve(line);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  #endedWithout(stream: Stream, pattern: string | RegExp): Error {
    const exit = this.#exit;
    return new Error(
      `no ${stream} line ${String(pattern)} from kompart ${this.args.join(' ')}: it exited (${exit?.signal ?? `code ${exit?.code}`})\n${this.transcript()}`,
    );
  }

  /**
   * Types a command and returns the output lines it printed, once a line matching `last`
   * appeared (the command's final line).
   */
  async run(command: string, last: string | RegExp, options: { timeoutMs?: number } = {}): Promise<string[]> {
    const from = this.mark();
    this.send(command);
    const line = await this.waitFor(last, { from, ...options });
    const end = this.lines.indexOf(line, from);
    return this.lines.slice(from, end + 1);
  }

  /** Waits for the exit (failing after the timeout). */
  async exit(timeoutMs = WAIT_MS): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`kompart ${this.args.join(' ')} did not exit within ${timeoutMs} ms\n${this.transcript()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Everything printed so far, for failure messages. */
  transcript(): string {
    return [...this.out.map((line) => `out| ${line}`), ...this.err.map((line) => `err| ${line}`)].join('\n');
  }

  /** Ends the process if it still runs (SIGKILL after a grace period). */
  async stop(): Promise<void> {
    if (this.#exit !== undefined) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  #linesOf(stream: Stream): string[] {
    return stream === 'out' ? this.out : stream === 'err' ? this.err : this.lines;
  }

  #add(stream: 'out' | 'err', line: string): void {
    (stream === 'out' ? this.out : this.err).push(line);
    this.lines.push(line);
    this.#onLine?.(line, stream);
    for (const waiter of [...this.#waiters]) {
      if (waiter.stream !== stream && waiter.stream !== 'any') continue;
      const index = this.#linesOf(waiter.stream).length - 1;
      if (index >= waiter.from && matches(line, waiter.pattern)) waiter.resolve(line);
    }
  }
}

/** Stops every program still running (afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((program) => program.stop()));
}

function matches(line: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? line === pattern : pattern.test(line);
}

/**
 * An address to start a server on `host`: the default port when it is free there (so the
 * identity is the bare IP, as in the seed syntax), else a free port.
 */
export async function addressOn(host: string, defaultPort: number): Promise<{ arg: string; id: string; port: number }> {
  if (await isFree(host, defaultPort)) return { arg: host, id: host, port: defaultPort };
  const port = await freePort(host);
  return { arg: `${host}:${port}`, id: `${host}:${port}`, port };
}

/** A port nobody listens on at `host` right now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Escapes text for use inside a RegExp. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A real Redis for the tests: Debian's /usr/bin/redis-server, spawned per suite on a free
 * loopback port with no persistence (unless asked), waited for until it accepts
 * connections, stopped at the end. `.ci/run` installs redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const REDIS_SERVER = '/usr/bin/redis-server';

/** True when this machine can run the Redis tests (CI must: it fails loudly otherwise). */
export function redisAvailable(): boolean {
  const found = existsSync(REDIS_SERVER);
  if (!found && process.env['CI']) throw new Error(`the Redis tests need ${REDIS_SERVER} (Debian redis-server); .ci/run installs it`);
  if (!found) console.warn(`SKIPPED Redis tests: apt-get install redis-server`);
  return found;
}

export interface RedisServerOptions {
  /** Keep the data in an append-only file (survives a restart); default off. */
  readonly appendOnly?: boolean;
  /** Listen on this address (default 127.0.0.1), e.g. inside a network namespace. */
  readonly host?: string;
  /** Listen on this port (default: a free one of `host`; give one when `host` is not on this machine's network). */
  readonly port?: number;
  /** How to start the process (default: spawn here); the network simulation starts it in a namespace. */
  readonly spawn?: (command: string, args: readonly string[]) => ChildProcess;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export class RedisServer {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly host: string,
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /** `redis://host:port` */
  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const host = options.host ?? '127.0.0.1';
    for (let attempt = 0; ; attempt++) {
      const server = new RedisServer(host, options.port ?? (await freePort(host)), mkdtempSync(join(tmpdir(), 'kompart-redis-')), options);
      try {
        await server.#launch();
        return server;
      } catch (error) {
        rmSync(server.dir, { recursive: true, force: true });
        if (attempt >= 3) throw error;
      }
    }
  }

  async #launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      this.host,
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      this.options.appendOnly ? 'yes' : 'no',
      '--protected-mode',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'notice',
    ];
    const child = (this.options.spawn ?? ((command, argv) => spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] })))(REDIS_SERVER, args);
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const output: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        output.push(line);
        if (/Ready to accept connections/.test(line)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output.join('\n')}`)));
    });
  }

  /** Stops Redis cleanly (SIGTERM: an append-only file is flushed) and waits for it to exit. */
  async stop(): Promise<void> {
    this.#child?.kill('SIGTERM');
    await this.#exited;
    this.#child = undefined;
  }

  /** Kills Redis at once, as a crash would. */
  async kill(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
    this.#child = undefined;
  }

  /** Starts Redis again on the same port and folder (the data comes back with the append-only file). */
  async restart(): Promise<void> {
    await this.stop();
    await this.#launch();
  }

  /** Stops Redis and removes its folder. */
  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

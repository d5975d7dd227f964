/**
 * The teardown check of every test file (wired by leak-check-environment.ts): what a file
 * starts (servers, sockets, child processes) it must have closed by the time its last
 * afterAll hook has run.
 *
 * Two views of the process, both taken from the worker that runs the file:
 *
 * - Counts of the libuv handles that matter, by type, from the documented
 *   `process.getActiveResourcesInfo()`: taken when the file starts (the baseline holds Jest's
 *   own worker IPC pipe, the stdio streams and anything earlier files left) and compared at
 *   the end. This sees every handle whatever created it (TLS client sockets, handles of
 *   native code) but only ref'd ones, and only as counts: a handle of the baseline that
 *   closes during the file (with --runInBand, Jest's own crawler processes do) hides a new
 *   one of the same type.
 * - The objects themselves, observed as they are created through Node's built-in
 *   diagnostics channels (`net.client.socket`, `net.server.socket`, `child_process`,
 *   `udp.socket`, and `tracing:net.server.listen:asyncStart`, which listen() publishes
 *   synchronously), each with the stack that created it. This also sees unref'd sockets,
 *   and names what is left: the server's address, the socket's ends, the child's pid and
 *   command line, and where in the repository it was created.
 *
 * The file fails when, after waiting up to `timeoutMs` (polling: sockets and processes close
 * asynchronously), a watched handle type is above its baseline or a tracked object is still
 * open. Timers never count (a forgotten unref'd interval keeps nothing alive). What is left
 * is then closed by force (children killed), so that one leaky file does not fail the next
 * file run by the same worker.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket as DgramSocket } from 'node:dgram';
import * as diagnostics from 'node:diagnostics_channel';
import type { Server, Socket } from 'node:net';
import { relative, sep } from 'node:path';

/** The handle types of servers, sockets, pipes and child processes. */
const WATCHED_TYPES: readonly string[] = ['TCPServerWrap', 'TCPSocketWrap', 'TCPWrap', 'PipeServerWrap', 'PipeWrap', 'ProcessWrap', 'UDPWrap'];

export interface LeakCheckOptions {
  /** Paths in the report are relative to it; stack frames outside it (or in node_modules) are left out. */
  readonly rootDir: string;
  /** How long sockets and processes may take to close after the last hook (default 3000 ms). */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}

type Tracked =
  | { readonly kind: 'server'; readonly object: Server; readonly origin: string }
  | { readonly kind: 'socket'; readonly object: Socket; readonly accepted: boolean; readonly origin: string }
  | { readonly kind: 'udp'; readonly object: DgramSocket; readonly origin: string }
  | { readonly kind: 'child'; readonly object: ChildProcess; readonly origin: string };

/** Counts of the watched handle types now active (ref'd) in this process. */
function countHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    if (WATCHED_TYPES.includes(type)) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

export class LeakCheck {
  readonly #rootDir: string;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  #tracked: Tracked[] = [];
  #seen = new WeakSet<object>();
  #pruneAt = 512;
  #baseline = new Map<string, number>();
  readonly #subscriptions: Array<readonly [string, (message: unknown) => void]> = [];

  constructor(options: LeakCheckOptions) {
    this.#rootDir = options.rootDir;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#pollMs = options.pollMs ?? 20;
  }

  /** Starts observing and takes the baseline (call before the test file is loaded). */
  start(): void {
    // process.stdout/stderr are created on first use: create them now, so that a test that
    // prints to them later does not look like a new pipe.
    void process.stdout;
    void process.stderr;
    this.#subscribe('net.client.socket', (message) =>
      this.#add({ kind: 'socket', object: (message as { socket: Socket }).socket, accepted: false, origin: this.#origin() }),
    );
    this.#subscribe('net.server.socket', (message) =>
      this.#add({ kind: 'socket', object: (message as { socket: Socket }).socket, accepted: true, origin: this.#origin() }),
    );
    this.#subscribe('tracing:net.server.listen:asyncStart', (message) =>
      this.#add({ kind: 'server', object: (message as { server: Server }).server, origin: this.#origin() }),
    );
    this.#subscribe('child_process', (message) => this.#add({ kind: 'child', object: (message as { process: ChildProcess }).process, origin: this.#origin() }));
    this.#subscribe('udp.socket', (message) => this.#add({ kind: 'udp', object: (message as { socket: DgramSocket }).socket, origin: this.#origin() }));
    this.#baseline = countHandles();
  }

  /**
   * Waits (bounded) until everything the file opened is closed again. Returns undefined when
   * it is, else a report of what is still open (and then closes it by force).
   */
  async finish(): Promise<string | undefined> {
    const deadline = Date.now() + this.#timeoutMs;
    let leaks = this.#leaks();
    while (leaks !== undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, this.#pollMs));
      leaks = this.#leaks();
    }
    if (leaks === undefined) return undefined;
    const report = [
      `The test file left servers, sockets or child processes open (still open ${this.#timeoutMs} ms after its last afterAll hook):`,
      ...leaks.map((line) => `  ${line}`),
    ];
    report.push(
      'Close them in afterAll/afterEach or a finally block (servers, clients and channels closed, http2 sessions destroyed, child processes ended and awaited).',
    );
    this.#closeLeftovers();
    return report.join('\n');
  }

  /** Stops observing (the environment's teardown). */
  stop(): void {
    for (const [name, listener] of this.#subscriptions) diagnostics.unsubscribe(name, listener);
    this.#subscriptions.length = 0;
    this.#tracked = [];
    this.#seen = new WeakSet();
    this.#pruneAt = 512;
  }

  #subscribe(name: string, listener: (message: unknown) => void): void {
    diagnostics.subscribe(name, listener);
    this.#subscriptions.push([name, listener]);
  }

  #add(entry: Tracked): void {
    if (this.#seen.has(entry.object)) return; // a server that listens again
    this.#seen.add(entry.object);
    // A fuzz test opens thousands of connections: forget the closed ones now and then.
    if (this.#tracked.length >= this.#pruneAt) {
      this.#tracked = this.#tracked.filter((tracked) => isOpen(tracked));
      this.#pruneAt = Math.max(512, 2 * this.#tracked.length);
    }
    this.#tracked.push(entry);
  }

  /**
   * Where an object was created: the first frames in the repository outside node_modules,
   * else the package that created it (grpc-js opens its sockets from its own callbacks).
   */
  #origin(): string {
    const holder: { stack?: string } = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 40;
    Error.captureStackTrace(holder, this.#origin);
    Error.stackTraceLimit = limit;
    const frames = (holder.stack ?? '')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().replace(/^at /, ''))
      .filter((frame) => frame.includes(this.#rootDir) && !frame.includes(__filename));
    const own = frames.filter((frame) => !frame.includes(`${sep}node_modules${sep}`));
    if (own.length > 0)
      return `created at ${own
        .slice(0, 3)
        .map((frame) => frame.split(this.#rootDir + sep).join(''))
        .join(' < ')}`;
    const library = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(frames[0] ?? '')?.[1];
    return library === undefined ? '' : `created by ${library.replace(/\\/g, '/')}`;
  }

  /** What is open beyond the baseline, one line each; undefined when nothing is. */
  #leaks(): string[] | undefined {
    const lines: string[] = [];
    const counts = countHandles();
    const above = WATCHED_TYPES.filter((type) => (counts.get(type) ?? 0) > (this.#baseline.get(type) ?? 0));
    if (above.length > 0) {
      lines.push(
        `active handles (at the file's start -> now): ${above.map((type) => `${type} ${this.#baseline.get(type) ?? 0} -> ${counts.get(type) ?? 0}`).join(', ')}`,
      );
    }
    for (const tracked of this.#tracked) {
      if (isOpen(tracked)) lines.push(`${describeTracked(tracked, this.#rootDir)}${tracked.origin === '' ? '' : `, ${tracked.origin}`}`);
    }
    return lines.length === 0 ? undefined : lines;
  }

  #closeLeftovers(): void {
    for (const tracked of this.#tracked) {
      if (!isOpen(tracked)) continue;
      try {
        switch (tracked.kind) {
          case 'server':
            tracked.object.close();
            break;
          case 'socket':
            tracked.object.destroy();
            break;
          case 'udp':
            tracked.object.close();
            break;
          case 'child':
            if (isRunning(tracked.object)) tracked.object.kill('SIGKILL');
            for (const stream of tracked.object.stdio) stream?.destroy();
            break;
        }
      } catch {
        // Already closing: nothing more to do.
      }
    }
  }
}

function isRunning(child: ChildProcess): boolean {
  // pid is undefined when the spawn failed (that child never ran).
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function isOpen(tracked: Tracked): boolean {
  switch (tracked.kind) {
    case 'server':
      return tracked.object.listening;
    case 'socket':
      return !tracked.object.destroyed;
    case 'udp':
      try {
        tracked.object.address();
        return true;
      } catch {
        return false; // not bound, or closed
      }
    case 'child':
      return isRunning(tracked.object) || tracked.object.stdio.some((stream) => stream !== null && stream !== undefined && !stream.destroyed);
  }
}

function describeTracked(tracked: Tracked, rootDir: string): string {
  switch (tracked.kind) {
    case 'server': {
      const address = tracked.object.address();
      const where = address === null ? '?' : typeof address === 'string' ? address : `${address.address}:${address.port}`;
      return `${tracked.object.constructor.name} listening on ${where}`;
    }
    case 'socket': {
      const socket = tracked.object;
      const local = socket.localAddress === undefined ? '?' : `${socket.localAddress}:${socket.localPort}`;
      const remote = socket.remoteAddress === undefined ? (socket.connecting ? 'connecting' : '?') : `${socket.remoteAddress}:${socket.remotePort}`;
      return `${tracked.accepted ? 'accepted' : 'client'} socket ${local} -> ${remote}`;
    }
    case 'udp':
      return 'UDP socket';
    case 'child': {
      const child = tracked.object;
      const command = child.spawnargs.map((arg) => (arg.startsWith(rootDir + sep) ? relative(rootDir, arg) : arg)).join(' ');
      const state = isRunning(child) ? 'still running' : `exited (${child.signalCode ?? child.exitCode}) but its stdio pipes are open`;
      return `child process pid ${child.pid ?? '?'} (${command}) ${state}`;
    }
  }
}

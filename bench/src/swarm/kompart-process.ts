import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { processCpuMs } from '../lib/proc.js';

/**
 * The `kompart` command as a user runs it: its launcher (packages/kompart/bin/kompart), which
 * sets glibc's allocator and V8's heap up and execs node, so the pid is the program's.
 */
const KOMPART_LAUNCHER = join(__dirname, '..', '..', '..', 'packages', 'kompart', 'bin', 'kompart');

/**
 * One `kompart` process driven through its standard input, one command a line, with
 * `--json` output read line by line; optionally inside a network namespace
 * (`ip netns exec`, which execs, so the pid is the program's).
 */
export class KompartProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(args: readonly string[], options: { namespace?: string; env?: NodeJS.ProcessEnv } = {}) {
    const command = [KOMPART_LAUNCHER, ...args];
    const [file, ...rest] = options.namespace === undefined ? command : ['ip', 'netns', 'exec', options.namespace, ...command];
    this.child = spawn(file!, rest, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line);
        for (const waiter of [...this.#waiters]) waiter();
      });
    }
    this.child.on('exit', () => {
      for (const waiter of [...this.#waiters]) waiter();
    });
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  mark(): number {
    return this.lines.length;
  }

  /** The first line from `from` on that matches. */
  waitFor(pattern: RegExp, from = 0, timeoutMs = 600_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const look = (): void => {
        const line = this.lines.slice(from).find((candidate) => pattern.test(candidate));
        if (line !== undefined) {
          done();
          resolve(line);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(new Error(`kompart exited before ${String(pattern)}:\n${this.lines.slice(-20).join('\n')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no line ${String(pattern)} within ${timeoutMs} ms:\n${this.lines.slice(-20).join('\n')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(look);
      };
      this.#waiters.add(look);
      look();
    });
  }

  /** CPU ms of the program and every process it started (the launcher's child), so far. */
  cpuMs(): number {
    return this.#tree().reduce((sum, pid) => sum + safe(() => processCpuMs(pid)), 0);
  }

  /** Peak resident memory (VmHWM) of the largest process of the tree, bytes. */
  peakRss(): number {
    return Math.max(
      ...this.#tree().map((pid) => safe(() => Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024)),
    );
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }

  #tree(): number[] {
    const root = this.child.pid;
    if (root === undefined) return [];
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = safe(() => readFileSync(`/proc/${entry}/stat`, 'utf8'), '');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    }
    const tree = [root];
    for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
    return tree;
  }
}

function safe<T>(read: () => T, fallback: T): T;
function safe(read: () => number): number;
function safe<T>(read: () => T, fallback?: T): T | number {
  try {
    return read();
  } catch {
    return fallback ?? 0;
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient } from '@redis/client';
import { freePort } from './ports.js';
import { processCpuMs, processRss } from './proc.js';

/**
 * A redis-server of the benchmark's own (Debian's /usr/bin/redis-server on a free loopback
 * port, no persistence: the registry's store, not Redis's disk, is measured), and what the
 * runner reads of it around a measured window: CPU from /proc and from `INFO cpu`, the
 * per-command counters of `INFO commandstats`, memory from `INFO memory` and /proc.
 */

const REDIS_SERVER = '/usr/bin/redis-server';

/** One command's counters from `INFO commandstats` (scripts count as EVALSHA, their inner commands under their own names too). */
export interface CommandCount {
  readonly calls: number;
  readonly usec: number;
}

/** What Redis did over a window. */
export interface RedisWindow {
  readonly ms: number;
  /** CPU time of the redis-server process (all its threads), /proc. */
  readonly cpuMs: number;
  /** used_cpu_user + used_cpu_sys of `INFO cpu` (its own getrusage). */
  readonly infoCpuMs: number;
  /** Per command over the window, most time first. */
  readonly commands: readonly (CommandCount & { readonly name: string })[];
}

interface Snapshot {
  readonly at: number;
  readonly cpuMs: number;
  readonly infoCpuMs: number;
  readonly commands: ReadonlyMap<string, CommandCount>;
}

export interface RedisMemory {
  /** used_memory of `INFO memory`: what Redis's allocator holds for data and buffers. */
  readonly usedMemory: number;
  /** Resident set of the process (/proc). */
  readonly rss: number;
}

/** The runner's own connection, for INFO and FLUSHALL only. */
async function infoClient(url: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

type InfoClient = Awaited<ReturnType<typeof infoClient>>;

export class BenchRedis {
  private constructor(
    readonly url: string,
    readonly pid: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly client: InfoClient,
  ) {}

  /** Starts redis-server and connects the runner's own client (for INFO only). */
  static async start(): Promise<BenchRedis> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'kompart-bench-redis-'));
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
      '--loglevel',
      'notice',
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await ready(child);
      const url = `redis://127.0.0.1:${port}`;
      return new BenchRedis(url, child.pid!, child, dir, await infoClient(url));
    } catch (error) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Counters now; `windowSince` of two of them is what happened in between. */
  async snapshot(): Promise<Snapshot> {
    const cpu = parseInfo(await this.client.info('cpu'));
    const stats = parseInfo(await this.client.info('commandstats'));
    const commands = new Map<string, CommandCount>();
    for (const [key, value] of stats) {
      if (!key.startsWith('cmdstat_')) continue;
      const fields = new Map(value.split(',').map((pair) => pair.split('=') as [string, string]));
      commands.set(key.slice('cmdstat_'.length), { calls: Number(fields.get('calls')), usec: Number(fields.get('usec')) });
    }
    const infoCpuMs = (Number(cpu.get('used_cpu_user')) + Number(cpu.get('used_cpu_sys'))) * 1000;
    return { at: performance.now(), cpuMs: processCpuMs(this.pid), infoCpuMs, commands };
  }

  static windowSince(before: Snapshot, after: Snapshot): RedisWindow {
    const commands = [...after.commands].map(([name, count]) => {
      const earlier = before.commands.get(name) ?? { calls: 0, usec: 0 };
      return { name, calls: count.calls - earlier.calls, usec: count.usec - earlier.usec };
    });
    return {
      ms: after.at - before.at,
      cpuMs: after.cpuMs - before.cpuMs,
      infoCpuMs: after.infoCpuMs - before.infoCpuMs,
      commands: commands.filter((command) => command.calls > 0).sort((a, b) => b.usec - a.usec),
    };
  }

  async memory(): Promise<RedisMemory> {
    const info = parseInfo(await this.client.info('memory'));
    return { usedMemory: Number(info.get('used_memory')), rss: processRss(this.pid) };
  }

  /** Empties every key (between parts of a suite that must not see each other's data). */
  /** The value of one key (the registry's presence `offset`, for the trials' notes). */
  async get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async flush(): Promise<void> {
    await this.client.flushAll();
  }

  /** Stops Redis and removes its folder; safe to call twice. */
  async stop(): Promise<void> {
    this.client.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `key:value` lines of an INFO reply. */
function parseInfo(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) entries.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return entries;
}

/** Resolves when redis-server says it accepts connections; rejects if it exits first. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      if (/Ready to accept connections/.test(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output.join('\n')}`)));
  });
}

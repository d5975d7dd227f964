import { join } from 'node:path';
import { alternate, profileDir, reportProfile, sleep, type BenchContext, type Observed } from '../lib/context.js';
import { startChild, type Child } from '../lib/ipc.js';
import { asLaunched } from '../lib/launcher-env.js';
import { probeOf, type WindowResult } from '../lib/probe.js';
import { cpuWindow } from '../lib/proc.js';
import { BenchRedis, type RedisWindow } from '../lib/redis.js';
import { MB, type Row } from '../lib/report.js';
import { medianOf, spread } from '../lib/stats.js';
import type { KompartRegistryOps } from '../registry/kompart-registry-child.js';
import type { LoadOps, RunResult, UnaryMethod } from '../registry/load-child.js';

/**
 * Issue 15 item 8, part 1: RegisterFile and LocateFile on the memory store (one registry,
 * the baseline) and on one Redis with one, two and three replicas serving, alternated.
 * The lean h2 client keeps the same number of calls in flight in every variant, spread
 * over the serving replicas (call i to replica i % k). Besides the rates, every run takes
 * the CPU of each replica (probe windows) and of redis-server (/proc, INFO), so that the
 * cost of a call can be quoted per process: on two cores the whole cluster shares them.
 */

interface Settings {
  readonly peers: number;
  readonly filesPerPeer: number;
  /** HTTP/2 connections of the load generator to each replica. */
  readonly channels: number;
  /** Calls in flight in all, whatever the number of replicas. */
  readonly concurrency: number;
  readonly runMs: number;
  readonly rounds: number;
  /** Peers registered at once while filling Redis in-process. */
  readonly populateConcurrency: number;
}

const FULL: Settings = { peers: 10_000, filesPerPeer: 100, channels: 4, concurrency: 64, runMs: 5000, rounds: 5, populateConcurrency: 64 };
const QUICK: Settings = { peers: 1000, filesPerPeer: 100, channels: 4, concurrency: 64, runMs: 2000, rounds: 3, populateConcurrency: 64 };

/** Heartbeats play no part here: a long interval keeps the populated peers from expiring. */
const NO_EXPIRY_MS = 3_600_000;

/** The registry children: the memory-store registry, and replicas A, B, C on one Redis. */
const REPLICAS = ['A', 'B', 'C'] as const;
type RegistryName = 'memory' | (typeof REPLICAS)[number];

interface Variant {
  readonly name: string;
  /** The registries that serve its calls. */
  readonly serving: readonly RegistryName[];
}

const VARIANTS: readonly Variant[] = [
  { name: 'memory', serving: ['memory'] },
  { name: 'redis x1', serving: ['A'] },
  { name: 'redis x2', serving: ['A', 'B'] },
  { name: 'redis x3', serving: ['A', 'B', 'C'] },
];
const REDIS_VARIANTS = VARIANTS.slice(1);

interface Measured {
  readonly load: RunResult;
  /** The serving registries' windows, in the variant's order. */
  readonly windows: readonly WindowResult[];
  readonly redis: RedisWindow;
}

type Registries = Readonly<Record<RegistryName, Child<KompartRegistryOps>>>;

export async function clusterRpcRows(context: BenchContext, redis: BenchRedis): Promise<Row[]> {
  const settings = context.quick ? QUICK : FULL;
  const serverArgv = ['--expose-gc', '--max-old-space-size=4096'];
  const start = (name: RegistryName): Child<KompartRegistryOps> =>
    startChild<KompartRegistryOps>(`registry-${name}`, join(__dirname, '..', 'registry', 'kompart-registry-child.js'), asLaunched(serverArgv));
  const registries: Registries = { memory: start('memory'), A: start('A'), B: start('B'), C: start('C') };
  const load = startChild<LoadOps>('load', join(__dirname, '..', 'registry', 'load-child.js'), asLaunched(['--max-old-space-size=4096']));
  try {
    await startRegistries(context, settings, registries, redis, load);
    const rows: Row[] = [];
    for (const method of ['registerFile', 'locateFile'] as const) rows.push(...(await methodRows(context, settings, registries, redis, load, method)));
    return rows;
  } finally {
    await Promise.all([...Object.values(registries).map((child) => child.stop()), load.stop()]);
  }
}

/**
 * Starts the memory registry and replica A, fills both with the same population (A fills
 * Redis for all three), then starts B and C: they read the event log from its newest
 * entry, so they skip the million registrations of the filling.
 */
async function startRegistries(context: BenchContext, settings: Settings, registries: Registries, redis: BenchRedis, load: Child<LoadOps>): Promise<void> {
  const { log } = context;
  const store = (origin: string) => ({ url: redis.url, prefix: 'kompart-bench:', origin });
  const connect = async (name: RegistryName): Promise<void> => {
    const args = name === 'memory' ? { heartbeatIntervalMs: NO_EXPIRY_MS } : { heartbeatIntervalMs: NO_EXPIRY_MS, store: store(name) };
    const { target } = await registries[name].call('start', args);
    await load.call('connect', { name, target, channels: settings.channels });
  };
  await Promise.all([connect('memory'), connect('A')]);
  const files = settings.peers * settings.filesPerPeer;
  log(
    `cluster: populating ${settings.peers.toLocaleString('en-US')} peers x ${settings.filesPerPeer} files into the memory store and into Redis (through replica A)`,
  );
  const args = { peers: settings.peers, filesPerPeer: settings.filesPerPeer, group: 0 };
  // At once: filling Redis is bound by redis-server, filling the memory store by its registry.
  const [memory, redisPopulation] = await Promise.all([
    registries.memory.call('populate', args),
    registries.A.call('populate', { ...args, concurrency: settings.populateConcurrency }),
  ]);
  for (const [name, population] of [
    ['memory', memory],
    ['Redis', redisPopulation],
  ] as const) {
    if (population.files !== files) throw new Error(`${name} holds ${population.files} files, expected ${files}`);
    log(`  ${name}: ${population.files} files in ${(population.ms / 1000).toFixed(1)} s, registry RSS ${(population.rss / MB).toFixed(0)} MB`);
  }
  const redisMemory = await redis.memory();
  log(`  redis-server: used_memory ${(redisMemory.usedMemory / MB).toFixed(0)} MB, RSS ${(redisMemory.rss / MB).toFixed(0)} MB`);
  await Promise.all([connect('B'), connect('C')]);
  await load.call('setSessions', { name: 'memory', sessions: memory.sessions });
  // One set of sessions for the three replicas: they share the store.
  for (const name of REPLICAS) await load.call('setSessions', { name, sessions: redisPopulation.sessions });
}

const LABELS: Record<UnaryMethod, string> = { registerFile: 'RegisterFile', locateFile: 'LocateFile' };

async function methodRows(
  context: BenchContext,
  settings: Settings,
  registries: Registries,
  redis: BenchRedis,
  load: Child<LoadOps>,
  method: UnaryMethod,
): Promise<Row[]> {
  const { log } = context;
  const label = LABELS[method];
  let runNumber = 0;
  const job = (variant: Variant, durationMs: number) => ({
    name: variant.serving[0]!,
    spreadOver: variant.serving,
    method,
    client: 'h2' as const,
    durationMs,
    maxCalls: 2_000_000,
    concurrency: settings.concurrency,
    filesPerPeer: settings.filesPerPeer,
    tag: `cluster-${method}-${runNumber++}`,
  });
  const measure = async (variant: Variant): Promise<Measured> => {
    const idle = pauseOthers(registries, variant);
    try {
      const before = await redis.snapshot();
      await Promise.all(variant.serving.map((name) => probeOf(registries[name]).call('windowStart', { sampleMs: 100 })));
      const result = await load.call('closedLoop', job(variant, settings.runMs));
      const stopped = await Promise.all(variant.serving.map((name) => probeOf(registries[name]).call('windowStop')));
      const after = await redis.snapshot();
      if (result.errors > 0) log(`  ! ${variant.name}: ${result.errors} errors, first: ${result.firstError}`);
      return { load: result, windows: stopped, redis: BenchRedis.windowSince(before, after) };
    } finally {
      await resume(idle);
    }
  };

  log(
    `cluster: ${label}, closed loop, lean h2 client, ${settings.concurrency} in flight over the serving replicas (${settings.channels} connections each), ${settings.runMs} ms runs, warm-up first`,
  );
  for (const variant of VARIANTS) {
    const idle = pauseOthers(registries, variant);
    await load.call('closedLoop', job(variant, Math.min(2000, settings.runMs))).finally(() => resume(idle));
  }
  const results = await alternate(
    context.rounds ?? settings.rounds,
    VARIANTS.map((variant) => ({ name: variant.name, run: () => measure(variant) })),
    log,
    describe,
  );
  if (context.profile) await profileReplica(context, settings, registries, load, label, () => job(VARIANTS[1]!, settings.runMs));
  return rowsOf(settings, label, results);
}

/** A V8 CPU profile of replica A serving alone (separate, unmeasured run). */
async function profileReplica(
  context: BenchContext,
  settings: Settings,
  registries: Registries,
  load: Child<LoadOps>,
  label: string,
  job: () => Parameters<LoadOps['closedLoop']>[0],
): Promise<void> {
  const file = join(profileDir(context), `cluster-${label}-replica.cpuprofile`);
  const idle = pauseOthers(registries, VARIANTS[1]!);
  try {
    await probeOf(registries.A).call('profileStart', undefined);
    await load.call('closedLoop', job());
    await probeOf(registries.A).call('profileStop', { file });
  } finally {
    await resume(idle);
  }
  await reportProfile(context, `profile: ${label}, replica A on Redis serving alone, closed loop, lean h2 client (${settings.runMs} ms)`, file);
}

// Per-run figures. CPU per call is robust to a busy machine where rates are not.

const cpuUs = (window: WindowResult): number => window.coreShare * window.ms * 1000;

/** CPU of the serving registries per call, µs (all of them together). */
const servingUs = (m: Measured): number => m.windows.reduce((sum, window) => sum + cpuUs(window), 0) / Math.max(1, m.load.calls);

/** redis-server CPU per call, µs (/proc: all its threads, networking included). */
const redisUs = (m: Measured): number => (m.redis.cpuMs * 1000) / Math.max(1, m.load.calls);

/** The same from Redis's own getrusage (INFO cpu), µs. */
const redisInfoUs = (m: Measured): number => (m.redis.infoCpuMs * 1000) / Math.max(1, m.load.calls);

const loadUs = (m: Measured): number => (m.load.clientCoreShare * m.load.ms * 1000) / Math.max(1, m.load.calls);

function describe(m: Measured): string {
  const cpu = m.windows.map((w) => pct(w.coreShare)).join(' + ');
  return `${m.load.rate.toFixed(0)}/s p50 ${m.load.latency.p50.toFixed(2)} ms p99 ${m.load.latency.p99.toFixed(2)} ms; serving ${cpu} (${servingUs(m).toFixed(0)} µs/call); redis ${pct(m.redis.cpuMs / m.redis.ms)} (${redisUs(m).toFixed(1)} µs/call); load generator ${pct(m.load.clientCoreShare)} (${loadUs(m).toFixed(0)} µs/call)${m.load.errors ? `, ${m.load.errors} errors` : ''}`;
}

/** `evalsha 1.00/call 14.2 µs, hmget 2.00/call 1.1 µs, …`: each command's calls per RPC and usec_per_call. */
function commandMix(runs: readonly Measured[]): string {
  const totals = new Map<string, { calls: number; usec: number }>();
  let rpcs = 0;
  for (const run of runs) {
    rpcs += run.load.calls;
    for (const command of run.redis.commands) {
      if (command.name === 'info') continue;
      const total = totals.get(command.name) ?? { calls: 0, usec: 0 };
      total.calls += command.calls;
      total.usec += command.usec;
      totals.set(command.name, total);
    }
  }
  return [...totals]
    .sort((a, b) => b[1].usec - a[1].usec)
    .slice(0, 8)
    .map(([name, t]) => `${name} ${(t.calls / Math.max(1, rpcs)).toFixed(2)}/call at ${(t.usec / Math.max(1, t.calls)).toFixed(1)} µs`)
    .join(', ');
}

function rowsOf(settings: Settings, label: string, results: Map<string, Observed<Measured>[]>): Row[] {
  const runsOf = (variant: Variant): Observed<Measured>[] => results.get(variant.name)!;
  const memory = runsOf(VARIANTS[0]!);
  const single = runsOf(REDIS_VARIANTS[0]!);
  const rateOf = (runs: readonly Measured[]): number => medianOf(runs, (m) => m.load.rate);
  const base = `median of ${memory.length} alternating ${settings.runMs / 1000} s runs, lean h2 client, ${settings.concurrency} in flight in all; ${settings.peers.toLocaleString('en-US')} peers / ${(settings.peers * settings.filesPerPeer).toLocaleString('en-US')} files; registries not serving are paused`;
  const each = (make: (runs: Observed<Measured>[], k: number) => Row): Row[] => REDIS_VARIANTS.map((variant) => make(runsOf(variant), variant.serving.length));
  return [
    ...each((runs, k) => {
      const rate = spread(runs, (m) => m.load.rate);
      return {
        item: 7,
        figure: `${label} rate, Redis store, ${k} replica${k > 1 ? 's' : ''}`,
        unit: 'calls/s',
        kompart: rateOf(runs),
        baseline: rateOf(memory),
        baselineName: 'memory store, one registry',
        ...(k === 1 ? { target: { on: 'ratio' as const, op: '>=' as const, limit: 0.5, text: '>= 0.5x' } } : {}),
        note: `${base}; runs ${rate.min.toFixed(0)}–${rate.max.toFixed(0)}/s (memory ${spread(memory, (m) => m.load.rate).min.toFixed(0)}–${spread(memory, (m) => m.load.rate).max.toFixed(0)}/s); ${k > 1 ? `${(rateOf(runs) / rateOf(single)).toFixed(2)}x one Redis replica; ` : ''}machine ${medianOf(runs, (m) => m.machineBusy).toFixed(2)} cores busy`,
      };
    }),
    ...each((runs, k) => ({
      item: 7,
      figure: `${label} p99 latency, Redis store, ${k} replica${k > 1 ? 's' : ''}`,
      unit: 'ms',
      kompart: medianOf(runs, (m) => m.load.latency.p99),
      baseline: medianOf(memory, (m) => m.load.latency.p99),
      baselineName: 'memory store',
      note: `p50 ${medianOf(runs, (m) => m.load.latency.p50).toFixed(2)} vs ${medianOf(memory, (m) => m.load.latency.p50).toFixed(2)} ms; ${base}`,
    })),
    ...each((runs, k) => ({
      item: 7,
      figure: `${label} replica CPU per call, ${k} replica${k > 1 ? 's' : ''} (all together)`,
      unit: 'µs',
      kompart: medianOf(runs, servingUs),
      baseline: medianOf(memory, servingUs),
      baselineName: 'memory-store registry',
      note: `replicas ${pct(medianOf(runs, (m) => m.windows.reduce((sum, w) => sum + w.coreShare, 0)))} of a core in all; load generator ${medianOf(runs, loadUs).toFixed(0)} µs per call (${medianOf(memory, loadUs).toFixed(0)} against the memory store); ${base}`,
    })),
    ...each((runs, k) => ({
      item: 7,
      figure: `${label} redis-server CPU per call, ${k} replica${k > 1 ? 's' : ''}`,
      unit: 'µs',
      kompart: medianOf(runs, redisUs),
      note: `/proc utime+stime over the run (INFO cpu: ${medianOf(runs, redisInfoUs).toFixed(1)} µs); redis-server at ${pct(medianOf(runs, (m) => m.redis.cpuMs / m.redis.ms))} of a core; INFO commandstats, per call and usec_per_call (a script's commands also count on their own): ${commandMix(runs)}`,
    })),
    ...ceilingRows(label, runsOf),
  ];
}

/**
 * Where Redis becomes the limit: the rate at which redis-server would use a whole core
 * (1e6 / its µs per call; Redis runs commands on one thread) against what N replicas can
 * serve with a core each (N x 1e6 / the replicas' µs per call, all of them together: with
 * RegisterFile every replica also reads every other replica's events).
 */
function ceilingRows(label: string, runsOf: (variant: Variant) => Observed<Measured>[]): Row[] {
  const redisCeiling = (variant: Variant): number => 1e6 / medianOf(runsOf(variant), redisUs);
  const offer = (variant: Variant): number => (variant.serving.length * 1e6) / medianOf(runsOf(variant), servingUs);
  const [one, , three] = REDIS_VARIANTS as [Variant, Variant, Variant];
  // What each more replica adds to a call's replica CPU (reading the call's event, if any).
  const perExtraReplica = (medianOf(runsOf(three), servingUs) - medianOf(runsOf(one), servingUs)) / 2;
  return [
    {
      item: 7,
      figure: `${label}: rate at which redis-server would fill one core (1e6 / its µs per call, 3 replicas)`,
      unit: 'calls/s',
      kompart: redisCeiling(three),
      note: `with 1 / 2 / 3 replicas: ${REDIS_VARIANTS.map((v) => redisCeiling(v).toFixed(0)).join(' / ')} calls/s`,
    },
    {
      item: 7,
      figure: `${label}: what 3 replicas offer with a core each (3 x 1e6 / their µs per call)`,
      unit: 'calls/s',
      kompart: offer(three),
      baseline: redisCeiling(three),
      baselineName: 'redis-server at one core',
      note: `N = 1 / 2 / 3: ${REDIS_VARIANTS.map((v) => offer(v).toFixed(0)).join(' / ')} calls/s; each more replica adds ${perExtraReplica.toFixed(0)} µs of replica CPU per call; Redis fills its core first from about ${(redisCeiling(three) / (offer(one) || 1)).toFixed(1)} replicas (at the single replica's cost); on this machine the load generator, the replicas and Redis share 2 cores, so the wall rates cannot show it`,
    },
  ];
}

/**
 * Pauses (SIGSTOP) every registry that does not serve `variant`, so that a variant is a
 * registry of exactly its replicas: a running replica reads every event of the log (each
 * RegisterFile on another replica) and sweeps; a paused one does neither. Returns them.
 */
function pauseOthers(registries: Registries, variant: Variant): Child<KompartRegistryOps>[] {
  const others = (Object.keys(registries) as RegistryName[]).filter((name) => !variant.serving.includes(name)).map((name) => registries[name]);
  for (const child of others) child.kill('SIGSTOP');
  return others;
}

/**
 * Resumes paused registries and waits (at most 20 s) until they have caught up with the
 * event log they missed: until each uses under 2 % of a core over 250 ms.
 */
async function resume(children: readonly Child<KompartRegistryOps>[]): Promise<void> {
  for (const child of children) child.kill('SIGCONT');
  const deadline = Date.now() + 20_000;
  for (;;) {
    const window = cpuWindow(children.map((child) => child.pid));
    await sleep(250);
    const { ms, cpuMs } = window.stop();
    if (cpuMs.every((used) => used / ms < 0.02) || Date.now() > deadline) return;
  }
}

const pct = (share: number): string => `${(share * 100).toFixed(0)} %`;

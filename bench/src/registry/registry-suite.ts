import { join } from 'node:path';
import { alternate, profileDir, reportProfile, type BenchContext, type Observed } from '../lib/context.js';
import { startChild, type Child } from '../lib/ipc.js';
import { probeOf, type WindowResult } from '../lib/probe.js';
import { MB, type Row } from '../lib/report.js';
import { medianOf, spread } from '../lib/stats.js';
import type { BareRegistryOps } from './bare-registry-child.js';
import type { KompartRegistryOps, Population } from './kompart-registry-child.js';
import type { ClientKind, LoadOps, RunResult, UnaryMethod } from './load-child.js';
import { asLaunched } from '../lib/launcher-env.js';

/**
 * Issue items 4 (RegisterFile / LocateFile rate and latency) and 5 (listing a million
 * files): the kompart registry and a bare grpc-js server, each in its own process and both
 * holding the same population, driven in alternation by one load-generator process.
 */

interface Settings {
  readonly peers: number;
  readonly filesPerPeer: number;
  readonly channels: number;
  readonly concurrency: number;
  readonly runMs: number;
  readonly rounds: number;
  readonly openRate: number;
  readonly openMs: number;
  readonly openRounds: number;
  readonly listRounds: number;
  readonly pageSize: number;
}

const FULL: Settings = {
  peers: 10_000,
  filesPerPeer: 100,
  channels: 4,
  concurrency: 64,
  runMs: 5000,
  rounds: 5,
  openRate: 1000,
  openMs: 4000,
  openRounds: 3,
  listRounds: 5,
  pageSize: 10_000,
};
const QUICK: Settings = {
  peers: 1000,
  filesPerPeer: 100,
  channels: 4,
  concurrency: 64,
  runMs: 2000,
  rounds: 3,
  openRate: 1000,
  openMs: 2000,
  openRounds: 2,
  listRounds: 3,
  pageSize: 10_000,
};

/** Heartbeats play no part here: a long interval keeps the populated peers from expiring. */
const NO_EXPIRY_MS = 3_600_000;

interface Measured {
  readonly load: RunResult;
  readonly server: WindowResult;
}

export async function runRegistrySuite(context: BenchContext): Promise<Row[]> {
  const settings = { ...(context.quick ? QUICK : FULL) };
  const rounds = context.rounds ?? settings.rounds;
  const { log } = context;
  const files = settings.peers * settings.filesPerPeer;
  const serverArgv = ['--expose-gc', '--max-old-space-size=4096'];
  // Both servers with the `kompart` launcher's allocator settings: the registry as users run it, the baseline alike.
  const kompart = startChild<KompartRegistryOps>('kompart-registry', join(__dirname, 'kompart-registry-child.js'), asLaunched(serverArgv));
  const bare = startChild<BareRegistryOps>('bare-registry', join(__dirname, 'bare-registry-child.js'), asLaunched(serverArgv));
  const load = startChild<LoadOps>('load', join(__dirname, 'load-child.js'), { execArgv: ['--max-old-space-size=4096'] });
  const rows: Row[] = [];
  try {
    const kTarget = (await kompart.call('start', { heartbeatIntervalMs: NO_EXPIRY_MS })).target;
    const bTarget = (await bare.call('start', { heartbeatIntervalMs: NO_EXPIRY_MS })).target;
    await load.call('connect', { name: 'kompart', target: kTarget, channels: settings.channels });
    await load.call('connect', { name: 'bare', target: bTarget, channels: settings.channels });

    log(`registry: populating ${settings.peers.toLocaleString('en-US')} peers x ${settings.filesPerPeer} files (${context.populate})`);
    let population: Population;
    if (context.populate === 'rpc') {
      const started = Date.now();
      const viaRpc = await load.call('populateRpc', {
        name: 'kompart',
        peers: settings.peers,
        filesPerPeer: settings.filesPerPeer,
        group: 0,
        concurrency: 256,
      });
      const memory = await kompart.call('gc');
      population = { ms: Date.now() - started, peers: settings.peers, files, sessions: viaRpc.sessions, rss: memory.rss, heapUsed: memory.heapUsed };
      log(
        `  RegisterPeer x${settings.peers} in ${viaRpc.peersMs.toFixed(0)} ms; RegisterFile x${files} in ${viaRpc.filesMs.toFixed(0)} ms (${viaRpc.filesRate.toFixed(0)}/s, 256 in flight)`,
      );
      rows.push({
        item: 4,
        figure: `populate: ${files.toLocaleString('en-US')} RegisterFile RPCs, 256 in flight`,
        unit: 'calls/s',
        kompart: viaRpc.filesRate,
        note: 'one pass, no baseline',
      });
    } else {
      population = await kompart.call('populate', { peers: settings.peers, filesPerPeer: settings.filesPerPeer, group: 0 });
    }
    const barePopulation = await bare.call('populate', { peers: settings.peers, filesPerPeer: settings.filesPerPeer, group: 0 });
    log(
      `  kompart: ${population.files} files in ${population.ms.toFixed(0)} ms, RSS ${(population.rss / MB).toFixed(0)} MB (heap ${(population.heapUsed / MB).toFixed(0)} MB)`,
    );
    log(`  bare:    ${barePopulation.files} entries, RSS ${(barePopulation.rss / MB).toFixed(0)} MB (heap ${(barePopulation.heapUsed / MB).toFixed(0)} MB)`);
    await load.call('setSessions', { name: 'kompart', sessions: population.sessions });
    await load.call('setSessions', { name: 'bare', sessions: barePopulation.sessions });
    rows.push({
      item: 5,
      figure: `registry RSS holding ${settings.peers.toLocaleString('en-US')} peers / ${files.toLocaleString('en-US')} files (after GC)`,
      unit: 'MB',
      kompart: population.rss / MB,
      baseline: barePopulation.rss / MB,
      baselineName: 'bare: plain message array',
      note: `heap ${(population.heapUsed / MB).toFixed(0)} MB vs ${(barePopulation.heapUsed / MB).toFixed(0)} MB`,
    });

    rows.push(...(await listing(context, settings, kompart, bare, load, files)));

    const servers = { kompart: probeOf(kompart), bare: probeOf(bare) };
    let runNumber = 0;
    const measure = async (name: 'kompart' | 'bare', run: () => Promise<RunResult>): Promise<Measured> => {
      const server = servers[name];
      await server.call('windowStart', { sampleMs: 100 });
      const result = await run();
      const window = await server.call('windowStop');
      if (result.errors > 0) log(`  ! ${name}: ${result.errors} errors, first: ${result.firstError}`);
      return { load: result, server: window };
    };
    const closedJob = (name: string, method: UnaryMethod, client: ClientKind, durationMs: number) => ({
      name,
      method,
      client,
      durationMs,
      maxCalls: 2_000_000,
      concurrency: settings.concurrency,
      filesPerPeer: settings.filesPerPeer,
      tag: `${name}-${method}-${runNumber++}`,
    });
    const describe = (m: Measured): string =>
      `${m.load.rate.toFixed(0)}/s p50 ${m.load.latency.p50.toFixed(2)} ms p99 ${m.load.latency.p99.toFixed(2)} ms; server CPU ${pct(m.server.coreShare)} (${cpuPerCall(m).toFixed(0)} µs/call, loop delay max ${m.server.loopDelayMax.toFixed(0)} ms), client CPU ${pct(m.load.clientCoreShare)}${m.load.errors ? `, ${m.load.errors} errors` : ''}`;
    const both = ['kompart', 'bare'] as const;

    for (const method of ['locateFile', 'registerFile'] as const) {
      const label = method === 'registerFile' ? 'RegisterFile' : 'LocateFile';
      for (const client of ['h2', 'grpc-js'] as const) {
        const via = client === 'h2' ? 'lean h2 client' : 'grpc-js client';
        log(
          `registry: ${label}, closed loop, ${via}, ${settings.concurrency} in flight over ${settings.channels} connections, ${settings.runMs} ms runs, warm-up first`,
        );
        for (const name of both) await load.call('closedLoop', closedJob(name, method, client, Math.min(2000, settings.runMs)));
        const closed = await alternate(
          rounds,
          both.map((name) => ({ name, run: () => measure(name, () => load.call('closedLoop', closedJob(name, method, client, settings.runMs))) })),
          log,
          describe,
        );
        const k = closed.get('kompart')!;
        const b = closed.get('bare')!;
        const runs = `median of ${k.length} alternating ${settings.runMs / 1000} s runs; ${via}, ${settings.concurrency} in flight, ${settings.channels} HTTP/2 connections; server loop delay max ${medianOf(k, (m) => m.server.loopDelayMax).toFixed(0)} vs ${medianOf(b, (m) => m.server.loopDelayMax).toFixed(0)} ms`;
        const cpu = `server CPU ${pct(medianOf(k, (m) => m.server.coreShare))} vs ${pct(medianOf(b, (m) => m.server.coreShare))}, load generator ${pct(medianOf(k, (m) => m.load.clientCoreShare))} vs ${pct(medianOf(b, (m) => m.load.clientCoreShare))}`;
        const rate = spread(k, (m) => m.load.rate);
        const baseRate = spread(b, (m) => m.load.rate);
        rows.push({
          item: 4,
          figure: `${label} rate, ${settings.concurrency} in flight (${via})`,
          unit: 'calls/s',
          kompart: medianOf(k, (m) => m.load.rate),
          baseline: medianOf(b, (m) => m.load.rate),
          baselineName: 'bare grpc-js',
          target: { on: 'ratio', op: '>=', limit: 0.7, text: '>= 0.7x' },
          note: `${runs}; runs ${rate.min.toFixed(0)}–${rate.max.toFixed(0)}/s vs ${baseRate.min.toFixed(0)}–${baseRate.max.toFixed(0)}/s; ${cpu}`,
        });
        rows.push({
          item: 4,
          figure: `${label} server CPU per call (${via})`,
          unit: 'µs',
          kompart: medianOf(k, cpuPerCall),
          baseline: medianOf(b, cpuPerCall),
          baselineName: 'bare grpc-js',
          note: `${runs}; the rate a saturated core would reach is 1e6 / this; other processes used ${medianOf(k, others).toFixed(2)} vs ${medianOf(b, others).toFixed(2)} cores during the runs (median)`,
        });
        rows.push(...latencyRows(`${label} %s latency, ${settings.concurrency} in flight (${via})`, k, b, runs));
      }

      log(`registry: ${label}, open loop at ${settings.openRate}/s, lean h2 client, ${settings.openMs} ms runs`);
      const openJob = (name: string) => ({ ...closedJob(name, method, 'h2', settings.openMs), rate: settings.openRate });
      const open = await alternate(
        context.rounds ?? settings.openRounds,
        both.map((name) => ({ name, run: () => measure(name, () => load.call('openLoop', openJob(name))) })),
        log,
        describe,
      );
      const ko = open.get('kompart')!;
      const bo = open.get('bare')!;
      const openRuns = `open loop at ${settings.openRate}/s (lean h2 client), latency from the scheduled start; median of ${ko.length} alternating ${settings.openMs / 1000} s runs; server CPU ${pct(medianOf(ko, (m) => m.server.coreShare))} vs ${pct(medianOf(bo, (m) => m.server.coreShare))}; server loop delay max ${medianOf(ko, (m) => m.server.loopDelayMax).toFixed(0)} vs ${medianOf(bo, (m) => m.server.loopDelayMax).toFixed(0)} ms; other processes ${medianOf(ko, others).toFixed(2)} vs ${medianOf(bo, others).toFixed(2)} cores`;
      rows.push(...latencyRows(`${label} %s latency at ${settings.openRate}/s offered`, ko, bo, openRuns));

      if (context.profile) {
        for (const name of both) {
          const server = servers[name];
          const file = join(profileDir(context), `registry-${method}-${name}.cpuprofile`);
          await server.call('profileStart', undefined);
          await load.call('closedLoop', closedJob(name, method, 'h2', settings.runMs));
          await server.call('profileStop', { file });
          await reportProfile(context, `profile: ${label}, ${name} server, closed loop, lean h2 client`, file);
        }
      }
    }
  } finally {
    await Promise.all([kompart.stop(), bare.stop(), load.stop()]);
  }
  return rows;
}

async function listing(
  context: BenchContext,
  settings: Settings,
  kompart: Child<KompartRegistryOps>,
  bare: Child<BareRegistryOps>,
  load: Child<LoadOps>,
  files: number,
): Promise<Row[]> {
  const { log } = context;
  type Listed = { ms: number; entries: number; pages: number; firstPageMs: number; window: WindowResult };
  const servers = { kompart: probeOf(kompart), bare: probeOf(bare) };
  const listOnce = async (name: 'kompart' | 'bare'): Promise<Listed> => {
    const server = servers[name];
    await server.call('windowStart', { sampleMs: 10 });
    const listed = await load.call('listAll', { name, pageSize: settings.pageSize });
    const window = await server.call('windowStop');
    if (listed.entries !== files) throw new Error(`${name} listed ${listed.entries} entries, expected ${files}`);
    return { ...listed, window };
  };
  log(`registry: list all ${files.toLocaleString('en-US')} files, pages of ${settings.pageSize}, warm-up first`);
  await listOnce('kompart');
  await listOnce('bare');
  const results = await alternate(
    context.rounds ?? settings.listRounds,
    (['kompart', 'bare'] as const).map((name) => ({ name, run: () => listOnce(name) })),
    log,
    (r) =>
      `${r.ms.toFixed(0)} ms (${r.pages} pages, first after ${r.firstPageMs.toFixed(0)} ms); server CPU ${(r.window.coreShare * 100).toFixed(0)} %, peak RSS ${(r.window.peakRss / MB).toFixed(0)} MB`,
  );
  const k = results.get('kompart')!;
  const b = results.get('bare')!;
  const runs = `median of ${k.length} alternating runs, pages of ${settings.pageSize}; server CPU during listing ${pct(medianOf(k, (r) => r.window.coreShare))} vs ${pct(medianOf(b, (r) => r.window.coreShare))}`;
  const rows: Row[] = [
    {
      item: 5,
      figure: `list all ${files.toLocaleString('en-US')} files: time to last entry at the client`,
      unit: 's',
      kompart: medianOf(k, (r) => r.ms) / 1000,
      baseline: medianOf(b, (r) => r.ms) / 1000,
      baselineName: 'bare grpc-js, same pages',
      target: { on: 'value', op: '<', limit: 3, text: '< 3 s' },
      note: runs,
    },
    {
      item: 5,
      figure: 'registry peak RSS while listing',
      unit: 'MB',
      kompart: Math.max(...k.map((r) => r.window.peakRss)) / MB,
      baseline: Math.max(...b.map((r) => r.window.peakRss)) / MB,
      baselineName: 'bare grpc-js',
      target: { on: 'value', op: '<', limit: 1000, text: '< 1000 MB' },
      note: `highest sample (every 10 ms) over all listing runs; process-life peak (ru_maxrss) ${(Math.max(...k.map((r) => r.window.maxRss)) / MB).toFixed(0)} MB vs ${(Math.max(...b.map((r) => r.window.maxRss)) / MB).toFixed(0)} MB`,
    },
  ];
  if (context.profile) {
    for (const name of ['kompart', 'bare'] as const) {
      const file = join(profileDir(context), `registry-list-${name}.cpuprofile`);
      await servers[name].call('profileStart', undefined);
      await load.call('listAll', { name, pageSize: settings.pageSize });
      await servers[name].call('profileStop', { file });
      await reportProfile(context, `profile: list all, ${name} server`, file);
    }
  }
  return rows;
}

const pct = (share: number): string => `${(share * 100).toFixed(0)} %`;

/** Server CPU time per call, µs: robust to a busy machine where rates are not. */
const cpuPerCall = (m: Measured): number => (m.server.coreShare * m.server.ms * 1000) / Math.max(1, m.load.calls);

/** CPU the rest of the machine used during a run, cores. */
const others = (m: Observed<Measured>): number => m.machineBusy - m.server.coreShare - m.load.clientCoreShare;

/** The p50 and p99 rows of kompart vs bare runs; `%s` in `figure` becomes the percentile; the p99 carries the target. */
function latencyRows(figure: string, kompart: readonly Measured[], bare: readonly Measured[], note: string): Row[] {
  return (['p50', 'p99'] as const).map((p) => ({
    item: 4,
    figure: figure.replace('%s', p),
    unit: 'ms',
    kompart: medianOf(kompart, (m) => m.load.latency[p]),
    baseline: medianOf(bare, (m) => m.load.latency[p]),
    baselineName: 'bare grpc-js',
    ...(p === 'p99' ? { target: { on: 'ratio', op: '<=', limit: 1.5, text: '<= 1.5x' } as const } : {}),
    note,
  }));
}

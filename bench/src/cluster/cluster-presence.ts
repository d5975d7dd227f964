import { EventType } from '@kompart/protocol';
import { heartbeatExpiryMs } from '@kompart/registry-server';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { profileDir, reportProfile, sleep, type BenchContext } from '../lib/context.js';
import { peerAddress } from '../lib/fixtures.js';
import { startChild, type Child } from '../lib/ipc.js';
import { asLaunched } from '../lib/launcher-env.js';
import { busyCores, cpuTimes, waitForQuiet } from '../lib/machine-load.js';
import { probeOf, type WindowResult } from '../lib/probe.js';
import { cpuWindow, processRss } from '../lib/proc.js';
import { BenchRedis, type RedisMemory, type RedisWindow } from '../lib/redis.js';
import { MB, type Row } from '../lib/report.js';
import { median, percentile } from '../lib/stats.js';
import { now, Observer } from '../presence/observer.js';
import type { VictimOps } from '../presence/victim-child.js';
import type { KompartRegistryOps } from '../registry/kompart-registry-child.js';
import { Crowd, CrowdFailure, REPLICA_NAMES, type CrowdSettings } from './crowd.js';

/**
 * Issue 15 item 8, part 2: a crowd of peer sessions (100,000; quick 10,000) beating every
 * 5 s, spread over three replicas on one Redis: each replica's CPU and memory, Redis's CPU
 * and memory over a 30 s window. Then, with the crowd held, a peer on replica A crashes
 * (SIGKILL) or goes silent (SIGSTOP) and a watching peer on replica B times the event.
 * When a crowd does not hold (streams not all acknowledged in time, streams ending, beats
 * missing), the next smaller size is tried, and the report says why the larger one failed.
 */

interface Settings {
  /** Crowd sizes to try, largest first; the first that holds is measured. */
  readonly attempts: readonly number[];
  readonly crowd: CrowdSettings;
  readonly windowMs: number;
  readonly crashTrials: number;
  readonly cutVictims: number;
}

const CROWD: CrowdSettings = {
  intervalMs: 5000,
  misses: 2,
  beatProcessesPerReplica: 2,
  streamsPerConnection: 100,
  populateConcurrency: 64,
  opensPerSecond: 1000,
  setupTimeoutMs: 120_000,
};
const FULL: Settings = { attempts: [100_000, 50_000, 35_000, 25_000, 15_000], crowd: CROWD, windowMs: 30_000, crashTrials: 20, cutVictims: 10 };
const QUICK: Settings = {
  attempts: [10_000, 5000],
  crowd: { ...CROWD, beatProcessesPerReplica: 1, setupTimeoutMs: 60_000 },
  windowMs: 10_000,
  crashTrials: 5,
  cutVictims: 3,
};

/** `KOMPART_BENCH_CLUSTER_SESSIONS=50000,30000` tries those crowd sizes instead (focused runs). */
function attemptsOf(settings: Settings): readonly number[] {
  const chosen = process.env['KOMPART_BENCH_CLUSTER_SESSIONS'];
  if (chosen === undefined || chosen === '') return settings.attempts;
  const sizes = chosen.split(',').map(Number);
  if (sizes.some((size) => !Number.isInteger(size) || size < 1)) throw new Error('KOMPART_BENCH_CLUSTER_SESSIONS takes crowd sizes, e.g. 50000,30000');
  return sizes;
}

/** A 30 s window over a crowd that has been held for one interval. */
interface Held {
  readonly sessions: number;
  readonly setupMs: number;
  readonly ms: number;
  readonly replicas: readonly WindowResult[];
  /** Beats acknowledged by each replica over the window. */
  readonly beatsByReplica: readonly number[];
  readonly redis: RedisWindow;
  readonly redisMemory: RedisMemory;
  /** CPU of all beat processes together over the window, ms, and their RSS at its end. */
  readonly crowdCpuMs: number;
  readonly crowdRss: number;
  readonly machineBusy: number;
  /** Streams that ended or failed during the window (an expiry, a dropped connection), and sessions online before and after. */
  readonly ended: number;
  readonly failed: number;
  readonly firstError: string;
  readonly peersBefore: number;
  readonly peersAfter: number;
}

interface Trials {
  /** Crash on A: kill → event at the watcher on B; → A read its own peer-left from the log; → B read it. */
  readonly crashMs: number[];
  readonly crashAtAMs: number[];
  readonly crashAtBMs: number[];
  /** Silence on A: from the cut and from the last beat sent → PEER_EXPIRED at the watcher on B. */
  readonly cutFromCutMs: number[];
  readonly cutFromLastBeatMs: number[];
  /** Last beat received by A → B read the expiry from the log; B read it → the watcher heard. */
  readonly cutExpiryMs: number[];
  readonly deliveryMs: number[];
}

export async function clusterPresenceRows(context: BenchContext, redis: BenchRedis): Promise<Row[]> {
  const settings = context.quick ? QUICK : FULL;
  const { log } = context;
  const failures: string[] = [];
  for (const sessions of attemptsOf(settings)) {
    const busy = await waitForQuiet(30_000);
    if (busy > 0.3) log(`  (machine still busy: ${busy.toFixed(2)} cores in use)`);
    log(
      `cluster: ${sessions.toLocaleString('en-US')} heartbeat streams at ${settings.crowd.intervalMs} ms over 3 replicas on one Redis (${settings.crowd.beatProcessesPerReplica} beat processes per replica, ${settings.crowd.streamsPerConnection} streams per connection)`,
    );
    let crowd: Crowd | undefined;
    let observer: Observer | undefined;
    try {
      crowd = await Crowd.start(redis, `kompart-bench-crowd-${sessions}:`, sessions, settings.crowd, log);
      log(`  all ${sessions.toLocaleString('en-US')} streams acknowledged; set-up ${(crowd.setupMs / 1000).toFixed(1)} s`);
      observer = await Observer.open(crowd.targets[1]!, peerAddress(0, 2), settings.crowd.intervalMs);
      await sleep(settings.crowd.intervalMs);
      const held = await holdWindow(settings, crowd, redis);
      log(`  ${describeHeld(held, settings)}`);
      const problem = heldProblem(held, settings);
      if (problem !== undefined) {
        failures.push(`${sessions.toLocaleString('en-US')}: ${problem}`);
        log(`  ${sessions.toLocaleString('en-US')} streams did not hold: ${problem}`);
        continue;
      }
      if (context.profile) await profileHeld(context, crowd);
      const offsetKey = `kompart-bench-crowd-${sessions}:offset`;
      const offsetBefore = Number((await redis.get(offsetKey)) ?? 0);
      const trials = await runTrials(context, settings, crowd, observer);
      // The outage rule (redis-scripts.ts, SWEEP): a gap in sweeping above the threshold moves every deadline out.
      const offsetMoved = Number((await redis.get(offsetKey)) ?? 0) - offsetBefore;
      log(`  presence offset moved by ${offsetMoved} ms during the trials (${offsetBefore} ms before them)`);
      return rowsOf(settings, held, trials, failures);
    } catch (error) {
      if (!(error instanceof CrowdFailure)) throw error;
      failures.push(`${sessions.toLocaleString('en-US')}: ${error.message}`);
      log(`  ${sessions.toLocaleString('en-US')} streams could not be set up: ${error.message}`);
    } finally {
      observer?.close();
      crowd?.stop();
      await redis.flush();
    }
  }
  throw new Error(`no crowd held: ${failures.join('; ')}`);
}

async function holdWindow(settings: Settings, crowd: Crowd, redis: BenchRedis): Promise<Held> {
  const before = await crowd.status();
  const peersBefore = (await crowd.replicas[0]!.call('counts')).peers;
  const redisBefore = await redis.snapshot();
  const machine = cpuTimes();
  const beaterPids = crowd.beaters.map(({ child }) => child.pid);
  const crowdCpu = cpuWindow(beaterPids);
  await Promise.all(crowd.replicas.map((replica) => probeOf(replica).call('windowStart', { sampleMs: 100 })));
  await sleep(settings.windowMs);
  const replicas = await Promise.all(crowd.replicas.map((replica) => probeOf(replica).call('windowStop')));
  const { ms, cpuMs } = crowdCpu.stop();
  const machineBusy = busyCores(machine, cpuTimes());
  const redisWindow = BenchRedis.windowSince(redisBefore, await redis.snapshot());
  const after = await crowd.status();
  return {
    sessions: crowd.sessions,
    setupMs: crowd.setupMs,
    ms,
    replicas,
    beatsByReplica: after.acksByReplica.map((acks, r) => acks - before.acksByReplica[r]!),
    redis: redisWindow,
    redisMemory: await redis.memory(),
    crowdCpuMs: cpuMs.reduce((a, b) => a + b, 0),
    crowdRss: beaterPids.reduce((sum, pid) => sum + processRss(pid), 0),
    machineBusy,
    ended: after.ended - before.ended,
    failed: after.errors - before.errors,
    firstError: after.firstError,
    peersBefore,
    peersAfter: (await crowd.replicas[0]!.call('counts')).peers,
  };
}

/** Why a window shows a crowd that did not hold, or undefined when it held. */
function heldProblem(held: Held, settings: Settings): string | undefined {
  const expected = (held.sessions * held.ms) / settings.crowd.intervalMs;
  const beats = held.beatsByReplica.reduce((a, b) => a + b, 0);
  const stalls = `worst event-loop delay of the replicas ${held.replicas.map((w) => `${(w.loopDelayMax / 1000).toFixed(1)} s`).join(' / ')}`;
  if (held.failed > 0) return `${held.failed} streams failed during the window (first: ${held.firstError}); ${stalls}`;
  if (held.ended > 0) return `${held.ended} streams ended during the window (expired while beating: beats too late); ${stalls}`;
  if (held.peersAfter < held.peersBefore) return `${held.peersBefore - held.peersAfter} sessions lost during the window`;
  if (beats < 0.9 * expected) {
    return `only ${beats.toLocaleString('en-US')} of ${Math.round(expected).toLocaleString('en-US')} beats acknowledged (the machine was ${held.machineBusy.toFixed(2)} of 2 cores busy: CPU-bound); ${stalls}`;
  }
  return undefined;
}

const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;
const beatUs = (window: WindowResult, beats: number): number => (window.coreShare * window.ms * 1000) / Math.max(1, beats);

function describeHeld(held: Held, settings: Settings): string {
  const replicas = held.replicas
    .map(
      (w, r) =>
        `${REPLICA_NAMES[r]} ${pct(w.coreShare)} (${beatUs(w, held.beatsByReplica[r]!).toFixed(0)} µs/beat, RSS ${(w.endRss / MB).toFixed(0)} MB, loop delay p99 ${w.loopDelayP99.toFixed(0)} ms)`,
    )
    .join(', ');
  const beats = held.beatsByReplica.reduce((a, b) => a + b, 0);
  return `window ${(held.ms / 1000).toFixed(0)} s: replicas ${replicas}; redis ${pct(held.redis.cpuMs / held.ms)}, used_memory ${(held.redisMemory.usedMemory / MB).toFixed(0)} MB, RSS ${(held.redisMemory.rss / MB).toFixed(0)} MB; crowd processes ${pct(held.crowdCpuMs / held.ms)}, RSS ${(held.crowdRss / MB).toFixed(0)} MB; ${beats.toLocaleString('en-US')} beats acknowledged (expected ${Math.round((held.sessions * held.ms) / settings.crowd.intervalMs).toLocaleString('en-US')}), ${held.ended} streams ended, sessions ${held.peersBefore} → ${held.peersAfter}; machine ${held.machineBusy.toFixed(2)} cores busy`;
}

/** A V8 CPU profile of replica A holding its share of the crowd (a separate, unmeasured window). */
async function profileHeld(context: BenchContext, crowd: Crowd): Promise<void> {
  const file = join(profileDir(context), 'cluster-crowd-replica.cpuprofile');
  await probeOf(crowd.replicas[0]!).call('profileStart', { intervalUs: 1000 });
  await sleep(15_000);
  await probeOf(crowd.replicas[0]!).call('profileStop', { file });
  await reportProfile(
    context,
    `profile: replica A on Redis holding ${Math.round(crowd.sessions / 3).toLocaleString('en-US')} of ${crowd.sessions.toLocaleString('en-US')} heartbeat streams`,
    file,
  );
}

async function runTrials(context: BenchContext, settings: Settings, crowd: Crowd, observer: Observer): Promise<Trials> {
  const [a, b] = crowd.replicas as [Child<KompartRegistryOps>, Child<KompartRegistryOps>];
  await a.call('watch');
  await b.call('watch');
  const victims: Child<VictimOps>[] = [];
  const startVictim = (name: string): Child<VictimOps> => {
    const victim = startChild<VictimOps>(name, join(__dirname, '..', 'presence', 'victim-child.js'), asLaunched([], 'peer'));
    victims.push(victim);
    return victim;
  };
  try {
    const trials: Trials = { crashMs: [], crashAtAMs: [], crashAtBMs: [], cutFromCutMs: [], cutFromLastBeatMs: [], cutExpiryMs: [], deliveryMs: [] };
    for (let t = 0; t < settings.crashTrials; t++) await crashTrial(settings, crowd, observer, startVictim(`crash-${t}`), t, trials);
    await Promise.all(Array.from({ length: settings.cutVictims }, (_, v) => cutTrial(settings, crowd, observer, startVictim(`cut-${v}`), v, trials)));
    context.log(
      `  crash on A → PEER_LEFT on B: ${list(trials.crashMs)} ms (A read its peer-left after ${list(trials.crashAtAMs)}, B after ${list(trials.crashAtBMs)}); silence on A → PEER_EXPIRED on B: ${list(trials.cutFromCutMs)} ms from the cut, ${list(trials.cutFromLastBeatMs)} ms from the last beat sent (B read the expiry ${list(trials.cutExpiryMs)} ms after A's last beat); B's delivery to the watcher ${list(trials.deliveryMs)} ms`,
    );
    return trials;
  } finally {
    for (const victim of victims) victim.kill('SIGKILL');
  }
}

/** A peer on A SIGKILLed a moment after its first ack; the watcher on B times the PEER_LEFT. */
async function crashTrial(settings: Settings, crowd: Crowd, observer: Observer, victim: Child<VictimOps>, t: number, trials: Trials): Promise<void> {
  const [a, b] = crowd.replicas as [Child<KompartRegistryOps>, Child<KompartRegistryOps>];
  const { peer } = await victim.call('run', { target: crowd.targets[0]!, address: peerAddress(t, 3), intervalMs: settings.crowd.intervalMs });
  await sleep(200 + Math.random() * 300);
  const left = observer.when(EventType.EVENT_TYPE_PEER_LEFT, peer, 10_000);
  const killedAt = now();
  victim.kill('SIGKILL');
  const at = await left;
  const [[seenA], [seenB]] = await Promise.all([a.call('watched', { peers: [peer] }), b.call('watched', { peers: [peer] })]);
  trials.crashMs.push(at - killedAt);
  if (seenA?.removed !== undefined) trials.crashAtAMs.push(seenA.removed - killedAt);
  if (seenB?.removed !== undefined) {
    trials.crashAtBMs.push(seenB.removed - killedAt);
    trials.deliveryMs.push(at - seenB.removed);
  }
}

/** A peer on A SIGSTOPped at a random phase of its beat; the watcher on B times the PEER_EXPIRED. */
async function cutTrial(settings: Settings, crowd: Crowd, observer: Observer, victim: Child<VictimOps>, v: number, trials: Trials): Promise<void> {
  const [a, b] = crowd.replicas as [Child<KompartRegistryOps>, Child<KompartRegistryOps>];
  const interval = settings.crowd.intervalMs;
  let lastBeat = 0;
  victim.onNotice((notice, at) => {
    if (notice === 'beat') lastBeat = at as number;
  });
  // The victims start half an interval apart, as peers that joined at different moments.
  // Started together, they beat in step and expired in the same sweep; started a tenth of
  // an interval apart, their joins and expiries came at 4 a second, as fast as a replica of
  // 5,000 streams can tell them all (about 250 ms an event), and the trials timed the queue.
  await sleep(v * (interval / 2));
  const { peer } = await victim.call('run', { target: crowd.targets[0]!, address: peerAddress(500 + v, 3), intervalMs: interval });
  await sleep(Math.random() * interval);
  const expired = observer.when(EventType.EVENT_TYPE_PEER_EXPIRED, peer, heartbeatExpiryMs(interval, settings.crowd.misses) + 3 * interval);
  const cutAt = now();
  victim.kill('SIGSTOP');
  const at = await expired;
  victim.kill('SIGKILL');
  const [[seenA], [seenB]] = await Promise.all([a.call('watched', { peers: [peer] }), b.call('watched', { peers: [peer] })]);
  trials.cutFromCutMs.push(at - cutAt);
  trials.cutFromLastBeatMs.push(at - lastBeat);
  if (seenA?.lastBeat !== undefined && seenB?.removed !== undefined) {
    trials.cutExpiryMs.push(seenB.removed - seenA.lastBeat);
    trials.deliveryMs.push(at - seenB.removed);
  }
}

const list = (values: readonly number[]): string => values.map((v) => v.toFixed(0)).join(' ');

/**
 * What a crowd of `target` sessions would need, from the costs per beat and per stream
 * measured on the crowd that held: CPU (replicas, Redis, the crowd's clients) against the
 * machine's 2 cores, memory against what is free. Says which one rules a larger crowd out.
 */
function projectionRow(settings: Settings, held: Held, target: number): Row {
  const beats = held.beatsByReplica.reduce((a, b) => a + b, 0);
  const perBeat = (cpuMs: number): number => (cpuMs * 1000) / Math.max(1, beats);
  const replicaUs = perBeat(held.replicas.reduce((sum, w) => sum + w.coreShare * w.ms, 0));
  const redisUs = perBeat(held.redis.cpuMs);
  const crowdUs = perBeat(held.crowdCpuMs);
  const beatsPerSecond = target / (settings.crowd.intervalMs / 1000);
  const cores = (us: number): number => (beatsPerSecond * us) / 1e6;
  const perSession = (bytes: number): number => (bytes / held.sessions) * target;
  const replicaRss = held.replicas.reduce((sum, w) => sum + w.endRss, 0);
  return {
    item: 7,
    figure: `CPU a crowd of ${target.toLocaleString('en-US')} would need (costs per beat measured at ${held.sessions.toLocaleString('en-US')})`,
    unit: '% core',
    kompart: cores(replicaUs + redisUs + crowdUs) * 100,
    baseline: 200,
    baselineName: 'the machine: 2 cores',
    note: `${beatsPerSecond.toLocaleString('en-US')} beats/s: replicas ${cores(replicaUs).toFixed(2)} cores (${replicaUs.toFixed(0)} µs per beat), redis-server ${cores(redisUs).toFixed(2)} (${redisUs.toFixed(1)} µs), the crowd's grpc-js clients ${cores(crowdUs).toFixed(2)} (${crowdUs.toFixed(0)} µs); memory, at the RSS per session measured (an upper bound: it includes each process's base): replicas ${(perSession(replicaRss) / 2 ** 30).toFixed(1)} GiB, crowd ${(perSession(held.crowdRss) / 2 ** 30).toFixed(1)} GiB, redis ${(perSession(held.redisMemory.rss) / 2 ** 30).toFixed(2)} GiB, of ${(freemem() / 2 ** 30).toFixed(1)} GiB free now`,
  };
}

function rowsOf(settings: Settings, held: Held, trials: Trials, failures: readonly string[]): Row[] {
  const interval = settings.crowd.intervalMs;
  const target = settings.attempts[0]!;
  const sessions = held.sessions.toLocaleString('en-US');
  const beats = held.beatsByReplica.reduce((a, b) => a + b, 0);
  const shares = held.replicas.map((w) => w.coreShare * 100);
  const perBeat = held.replicas.map((w, r) => beatUs(w, held.beatsByReplica[r]!));
  const window = `${(held.ms / 1000).toFixed(0)} s window after one interval; machine ${held.machineBusy.toFixed(2)} cores busy`;
  const p = (values: number[], q: number): number => percentile(values, values.length, q);
  const cutBound = 2 * interval + 1000;
  const evalsha = held.redis.commands.find((c) => c.name === 'evalsha');
  return [
    {
      item: 7,
      figure: `peer sessions held over 3 replicas on one Redis (${interval / 1000} s beats)`,
      unit: 'peers',
      kompart: held.sessions,
      target: { on: 'value', op: '>=', limit: target, text: `>= ${target.toLocaleString('en-US')}` },
      note: `${failures.length > 0 ? `larger crowds did not hold: ${failures.join('; ')}; ` : ''}set-up ${(held.setupMs / 1000).toFixed(0)} s; ${beats.toLocaleString('en-US')} beats acknowledged in the window; ${held.ended} streams ended`,
    },
    {
      item: 7,
      figure: `replica CPU holding ${Math.round(held.sessions / 3).toLocaleString('en-US')} streams each (median of the 3)`,
      unit: '% core',
      kompart: median(shares),
      note: `replicas ${shares.map((s) => s.toFixed(1)).join(' / ')} %; ${window}; compare the single registry of item 6 (10,000 streams)`,
    },
    {
      item: 7,
      figure: `replica CPU per beat received (median of the 3)`,
      unit: 'µs',
      kompart: median(perBeat),
      note: `replicas ${perBeat.map((us) => us.toFixed(0)).join(' / ')} µs (CPU over the window ÷ beats acknowledged by its streams); loop delay p99 ${held.replicas.map((w) => w.loopDelayP99.toFixed(0)).join(' / ')} ms`,
    },
    {
      item: 7,
      figure: `replica RSS holding ${Math.round(held.sessions / 3).toLocaleString('en-US')} streams (largest of the 3)`,
      unit: 'MB',
      kompart: Math.max(...held.replicas.map((w) => w.peakRss)) / MB,
      note: `end of window ${held.replicas.map((w) => (w.endRss / MB).toFixed(0)).join(' / ')} MB`,
    },
    {
      item: 7,
      figure: `redis-server CPU holding ${sessions} sessions`,
      unit: '% core',
      kompart: (held.redis.cpuMs / held.ms) * 100,
      note: `${((held.redis.cpuMs * 1000) / Math.max(1, beats)).toFixed(1)} µs per beat (/proc; INFO cpu ${((held.redis.infoCpuMs * 1000) / Math.max(1, beats)).toFixed(1)} µs); beats reach Redis in batches: ${evalsha === undefined ? '—' : `${(beats / Math.max(1, evalsha.calls)).toFixed(1)} beats per EVALSHA, ${(evalsha.usec / Math.max(1, evalsha.calls)).toFixed(1)} µs each`}; ${window}`,
    },
    {
      item: 7,
      figure: `redis-server memory holding ${sessions} sessions (used_memory)`,
      unit: 'MB',
      kompart: held.redisMemory.usedMemory / MB,
      note: `RSS ${(held.redisMemory.rss / MB).toFixed(0)} MB; ${(held.redisMemory.usedMemory / held.sessions).toFixed(0)} B per session (hash, token key, presence entry, events in the log)`,
    },
    {
      item: 7,
      figure: `the crowd's own processes (${settings.crowd.beatProcessesPerReplica * 3} beat processes, grpc-js clients)`,
      unit: '% core',
      kompart: (held.crowdCpuMs / held.ms) * 100,
      note: `RSS ${(held.crowdRss / MB).toFixed(0)} MB in all; they share the 2 cores with the replicas and Redis`,
    },
    projectionRow(settings, held, target),
    {
      item: 7,
      figure: `crash (SIGKILL) of a peer on replica A → PEER_LEFT at a peer on replica B, p50`,
      unit: 'ms',
      kompart: p(trials.crashMs, 50),
      note: `${trials.crashMs.length} trials while the ${sessions} streams are held; A read its own peer-left from the log after ${median(trials.crashAtAMs).toFixed(0)} ms, B after ${median(trials.crashAtBMs).toFixed(0)} ms (medians)`,
    },
    {
      item: 7,
      figure: `crash on A → PEER_LEFT on B, p99 (= max of the trials)`,
      unit: 'ms',
      kompart: p(trials.crashMs, 99),
      target: { on: 'value', op: '<', limit: 1000, text: '< 1000 ms' },
      note: `all: ${list(trials.crashMs)} ms`,
    },
    {
      item: 7,
      figure: `silence (SIGSTOP) on A → PEER_EXPIRED on B, worst of ${trials.cutFromLastBeatMs.length} (from the last beat sent)`,
      unit: 'ms',
      kompart: Math.max(...trials.cutFromLastBeatMs),
      baseline: heartbeatExpiryMs(interval, settings.crowd.misses),
      baselineName: 'configured expiry',
      target: { on: 'value', op: '<=', limit: cutBound, text: `<= ${cutBound} ms (2 beats + 1 s)` },
      note: `median ${median(trials.cutFromLastBeatMs).toFixed(0)} ms; from the cut: worst ${Math.max(...trials.cutFromCutMs).toFixed(0)}, median ${median(trials.cutFromCutMs).toFixed(0)} ms; all from the last beat ${list(trials.cutFromLastBeatMs)} ms`,
    },
    {
      item: 7,
      figure: `  where it goes: last beat received by A → B read the expiry from the log, worst`,
      unit: 'ms',
      kompart: Math.max(...trials.cutExpiryMs),
      baseline: heartbeatExpiryMs(interval, settings.crowd.misses),
      baselineName: 'configured expiry',
      note: `all ${list(trials.cutExpiryMs)} ms; then B to the watcher (told last of B's ${Math.round(held.sessions / 3).toLocaleString('en-US')} streams): median ${median(trials.deliveryMs).toFixed(0)}, max ${Math.max(...trials.deliveryMs).toFixed(0)} ms (crash and silence trials)`,
    },
  ];
}

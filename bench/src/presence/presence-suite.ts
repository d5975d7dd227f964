import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { EventType, type RegisterPeerResponse } from '@kompart/protocol';
import { tokenMetadata } from '@kompart/grpc';
import { heartbeatExpiryMs } from '@kompart/registry-server';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { profileDir, reportProfile, sleep, type BenchContext } from '../lib/context.js';
import { peerAddress } from '../lib/fixtures.js';
import { startChild, type Child } from '../lib/ipc.js';
import { busyCores, cpuTimes, waitForQuiet } from '../lib/machine-load.js';
import { probeOf, type WindowResult } from '../lib/probe.js';
import { MB, type Row } from '../lib/report.js';
import { median, percentile } from '../lib/stats.js';
import type { BareRegistryOps } from '../registry/bare-registry-child.js';
import type { KompartRegistryOps } from '../registry/kompart-registry-child.js';
import type { BeatOps } from './beat-child.js';
import type { VictimOps } from './victim-child.js';
import { now, Observer } from './observer.js';
import { asLaunched } from '../lib/launcher-env.js';

/**
 * Issue item 6: one registry holding N heartbeat streams (its CPU share and memory), and
 * how fast another peer hears that a peer crashed (stream closed) or went silent (expiry).
 * The baseline is the bare grpc-js server answering the same beats with the same acks and
 * broadcasting a PEER_LEFT when a stream closes (it has no expiry).
 */

interface Settings {
  readonly streams: number;
  readonly beatProcesses: number;
  /** HTTP/2 connections per beat process. */
  readonly channels: number;
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly crashTrials: number;
  readonly cutVictims: number;
  readonly rounds: number;
  /** Peers that join and leave at once, to time the registry's fan-out of one event. */
  readonly fanoutPairs: number;
  /** Of the streams, how many sit in a process of their own that is killed at the end (mass departure). */
  readonly departing: number;
  readonly departureTimeoutMs: number;
}

const FULL: Settings = {
  streams: 10_000,
  beatProcesses: 2,
  channels: 50,
  intervalMs: 5000,
  windowMs: 30_000,
  crashTrials: 10,
  cutVictims: 5,
  rounds: 2,
  fanoutPairs: 40,
  departing: 500,
  departureTimeoutMs: 180_000,
};
const QUICK: Settings = {
  streams: 2000,
  beatProcesses: 2,
  channels: 20,
  intervalMs: 2000,
  windowMs: 10_000,
  crashTrials: 5,
  cutVictims: 3,
  rounds: 1,
  fanoutPairs: 20,
  departing: 200,
  departureTimeoutMs: 60_000,
};
const MISSES = 2;

const list = (values: readonly number[]): string => values.map((v) => v.toFixed(0)).join(' ');

interface RunResult {
  readonly window: WindowResult;
  readonly machineBusy: number;
  readonly crashMs: number[];
  readonly cutFromCutMs: number[];
  readonly cutFromLastBeatMs: number[];
  /** kompart only, from the registry's own clock: kill → stream closed seen, and → event at the watcher. */
  readonly crashRegistryMs: number[];
  readonly crashDeliveryMs: number[];
  /** kompart only: last beat received → peer removed (the expiry timer), and removed → event at the watcher. */
  readonly cutRegistryMs: number[];
  readonly cutDeliveryMs: number[];
  readonly setupMs: number;
  /** Registry CPU per event pushed to every stream (PEER_JOINED / PEER_LEFT), ms; kompart only. */
  readonly fanoutMs: number | undefined;
  /** kompart only: the departing process killed at once; until the registry counted them all gone. */
  readonly departure: { readonly settleMs: number; readonly settled: boolean; readonly falseExpiries: number; readonly loopDelayMax: number } | undefined;
}

export async function runPresenceSuite(context: BenchContext): Promise<Row[]> {
  const settings = context.quick ? QUICK : FULL;
  const rounds = context.rounds ?? settings.rounds;
  const { log } = context;
  const results: Record<'kompart' | 'bare', RunResult[]> = { kompart: [], bare: [] };
  const interval = settings.intervalMs;
  const expiryMs = heartbeatExpiryMs(interval, MISSES);
  log(
    `presence: ${settings.streams.toLocaleString('en-US')} heartbeat streams at ${interval} ms from ${settings.beatProcesses + 1} processes over about ${Math.round((settings.beatProcesses * settings.channels * settings.streams) / (settings.streams - settings.departing))} HTTP/2 connections (about ${Math.ceil((settings.streams - settings.departing) / (settings.beatProcesses * settings.channels))} streams each; Node's default SETTINGS_MAX_CONCURRENT_STREAMS is unlimited), ${rounds} round(s)`,
  );
  for (let round = 0; round < rounds; round++) {
    for (const name of ['kompart', 'bare'] as const) {
      const busy = await waitForQuiet(20_000);
      if (busy > 0.3) log(`  (machine still busy: ${busy.toFixed(2)} cores in use)`);
      const result = await presenceRun(context, settings, name, round, expiryMs);
      results[name].push(result);
      log(
        `  round ${round + 1}/${rounds} ${name}: set-up ${(result.setupMs / 1000).toFixed(1)} s; CPU ${(result.window.coreShare * 100).toFixed(1)} % of a core over ${(result.window.ms / 1000).toFixed(0)} s, RSS ${(result.window.endRss / MB).toFixed(0)} MB (peak ${(result.window.peakRss / MB).toFixed(0)}), loop delay p99 ${result.window.loopDelayP99.toFixed(1)} ms; crash→PEER_LEFT ${result.crashMs.map((ms) => ms.toFixed(0)).join(' ')} ms${result.cutFromCutMs.length ? `; cut→PEER_EXPIRED ${result.cutFromCutMs.map((ms) => ms.toFixed(0)).join(' ')} ms (from last beat ${result.cutFromLastBeatMs.map((ms) => ms.toFixed(0)).join(' ')})` : ''}${result.crashRegistryMs.length ? `; registry saw the crash after ${list(result.crashRegistryMs)} ms, delivered after ${list(result.crashDeliveryMs)} ms` : ''}${result.cutRegistryMs.length ? `; expiry timer ${list(result.cutRegistryMs)} ms after the last beat received, delivered after ${list(result.cutDeliveryMs)} ms` : ''}${result.fanoutMs === undefined ? '' : `; fan-out ${result.fanoutMs.toFixed(1)} ms CPU per event`}${result.departure === undefined ? '' : `; ${settings.departing} peers leaving at once: ${result.departure.settled ? 'all heard of' : 'NOT all heard of'} after ${(result.departure.settleMs / 1000).toFixed(1)} s, loop delay max ${result.departure.loopDelayMax.toFixed(0)} ms, ${result.departure.falseExpiries} survivors expired`}; machine ${result.machineBusy.toFixed(2)} cores busy`,
      );
    }
  }

  const k = results.kompart;
  const b = results.bare;
  const all = (runs: RunResult[], pick: (run: RunResult) => number[]): number[] => runs.flatMap(pick);
  const p = (values: number[], q: number): number => percentile(values, values.length, q);
  const crashK = all(k, (r) => r.crashMs);
  const crashB = all(b, (r) => r.crashMs);
  const fromCut = all(k, (r) => r.cutFromCutMs);
  const fromBeat = all(k, (r) => r.cutFromLastBeatMs);
  const streams = settings.streams.toLocaleString('en-US');
  const base = `${streams} streams at ${interval} ms, ${settings.beatProcesses * settings.channels} connections; median of ${k.length} alternating runs`;
  const cutTarget = 2 * interval + 1000;
  return [
    {
      item: 6,
      figure: `registry CPU holding ${streams} heartbeat streams (${interval / 1000} s beats)`,
      unit: '% core',
      kompart: median(k.map((r) => r.window.coreShare * 100)),
      baseline: median(b.map((r) => r.window.coreShare * 100)),
      baselineName: 'bare grpc-js acks',
      target: { on: 'value', op: '<', limit: 15, text: '< 15 % core' },
      note: `${base}; ${(settings.windowMs / 1000).toFixed(0)} s window after one settling interval; runs ${k.map((r) => (r.window.coreShare * 100).toFixed(1)).join(', ')} vs ${b.map((r) => (r.window.coreShare * 100).toFixed(1)).join(', ')}; machine busy ${median(k.map((r) => r.machineBusy)).toFixed(2)} cores`,
    },
    {
      item: 6,
      figure: `registry RSS holding ${streams} heartbeat streams`,
      unit: 'MB',
      kompart: Math.max(...k.map((r) => r.window.peakRss)) / MB,
      baseline: Math.max(...b.map((r) => r.window.peakRss)) / MB,
      baselineName: 'bare grpc-js acks',
      target: { on: 'value', op: '<', limit: 1000, text: '< 1000 MB' },
      note: `${base}; highest RSS sample of the window; process-life peak ${(Math.max(...k.map((r) => r.window.maxRss)) / MB).toFixed(0)} MB vs ${(Math.max(...b.map((r) => r.window.maxRss)) / MB).toFixed(0)} MB (includes set-up)`,
    },
    {
      item: 6,
      figure: `registry CPU to push one event to ${streams} streams (fan-out)`,
      unit: 'ms',
      kompart: median(k.map((r) => r.fanoutMs ?? Number.NaN)),
      note: `${settings.fanoutPairs} peers joining and leaving (PEER_JOINED + PEER_LEFT to every stream), CPU above the steady beat load, per event; every crash, expiry, join or disconnect costs this; runs ${k.map((r) => (r.fanoutMs ?? 0).toFixed(1)).join(', ')} ms`,
    },
    {
      item: 6,
      figure: `${settings.departing} of the ${streams} peers crash at once: until another peer has heard of them all`,
      unit: 's',
      kompart: median(k.map((r) => (r.departure?.settleMs ?? Number.NaN) / 1000)),
      baseline: median(b.map((r) => (r.departure?.settleMs ?? Number.NaN) / 1000)),
      baselineName: 'bare grpc-js broadcast',
      note: `one process holding ${settings.departing} streams SIGKILLed; each departure is pushed to every other stream (${settings.departing} x ~${(settings.streams - settings.departing).toLocaleString('en-US')} messages); runs: ${k.map((r) => `${((r.departure?.settleMs ?? 0) / 1000).toFixed(1)} s${r.departure?.settled ? '' : ' (timed out)'}, loop delay max ${(r.departure?.loopDelayMax ?? 0).toFixed(0)} ms, ${r.departure?.falseExpiries ?? 0} survivors expired by mistake`).join('; ')}`,
    },
    {
      item: 6,
      figure: `crash (SIGKILL) → PEER_LEFT at another peer, p50`,
      unit: 'ms',
      kompart: p(crashK, 50),
      baseline: p(crashB, 50),
      baselineName: 'bare grpc-js broadcast',
      note: `${crashK.length} vs ${crashB.length} trials while the ${streams} streams are held; the watching peer registered last (told last)`,
    },
    {
      item: 6,
      figure: `crash (SIGKILL) → PEER_LEFT at another peer, p99 (= max of the trials)`,
      unit: 'ms',
      kompart: p(crashK, 99),
      baseline: p(crashB, 99),
      baselineName: 'bare grpc-js broadcast',
      target: { on: 'value', op: '<', limit: 1000, text: '< 1000 ms' },
      note: `${crashK.length} vs ${crashB.length} trials; all: ${crashK.map((ms) => ms.toFixed(0)).join(' ')} vs ${crashB.map((ms) => ms.toFixed(0)).join(' ')} ms`,
    },
    {
      item: 6,
      figure: `cut link (SIGSTOP) → PEER_EXPIRED, worst of ${fromCut.length} (from the cut)`,
      unit: 'ms',
      kompart: Math.max(...fromCut),
      baseline: expiryMs,
      baselineName: 'design: misses x interval + grace, from the last beat',
      target: { on: 'value', op: '<=', limit: cutTarget, text: `<= ${cutTarget} ms (2 intervals + 1 s)` },
      note: `cut at a random phase of the beat; median ${median(fromCut).toFixed(0)} ms; all ${fromCut.map((ms) => ms.toFixed(0)).join(' ')} ms`,
    },
    {
      item: 6,
      figure: `cut link → PEER_EXPIRED, worst of ${fromBeat.length} (from the last beat sent)`,
      unit: 'ms',
      kompart: Math.max(...fromBeat),
      baseline: expiryMs,
      baselineName: 'design bound',
      target: { on: 'value', op: '<=', limit: cutTarget, text: `<= ${cutTarget} ms` },
      note: `the worst case of a cut just after a beat; median ${median(fromBeat).toFixed(0)} ms; all ${fromBeat.map((ms) => ms.toFixed(0)).join(' ')} ms`,
    },
    {
      item: 6,
      figure: `  where it goes: expiry at the registry after the last beat it received, worst`,
      unit: 'ms',
      kompart: Math.max(...all(k, (r) => r.cutRegistryMs)),
      baseline: expiryMs,
      baselineName: 'configured expiry',
      note: `registry-side clock (instrumented directory); all ${list(all(k, (r) => r.cutRegistryMs))} ms`,
    },
    {
      item: 6,
      figure: `  where it goes: registry removed the peer → event at the watching peer (last of ${streams}), p50`,
      unit: 'ms',
      kompart: p([...all(k, (r) => r.crashDeliveryMs), ...all(k, (r) => r.cutDeliveryMs)], 50),
      note: `crash and cut trials together; max ${Math.max(...all(k, (r) => r.crashDeliveryMs), ...all(k, (r) => r.cutDeliveryMs)).toFixed(0)} ms; the crash itself was seen by the registry after ${list(all(k, (r) => r.crashRegistryMs))} ms`,
    },
  ];
}

async function presenceRun(context: BenchContext, settings: Settings, name: 'kompart' | 'bare', round: number, expiryMs: number): Promise<RunResult> {
  const { log } = context;
  const interval = settings.intervalMs;
  const serverScript = join(__dirname, '..', 'registry', name === 'kompart' ? 'kompart-registry-child.js' : 'bare-registry-child.js');
  // Both servers with the `kompart` launcher's allocator settings: the registry as users run it, the baseline alike.
  const launched = asLaunched();
  const server = name === 'kompart' ? startChild<KompartRegistryOps>(name, serverScript, launched) : startChild<BareRegistryOps>(name, serverScript, launched);
  const probe = probeOf(server);
  const beaters: Child<BeatOps>[] = [];
  const victims: Child<VictimOps>[] = [];
  let observer: Observer | undefined;
  try {
    const { target } = await (server as Child<KompartRegistryOps>).call('start', { heartbeatIntervalMs: interval, heartbeatMisses: MISSES });
    const started = performance.now();
    // The crowd: `beatProcesses` processes share the streams, except `departing` of them that
    // live in one more process, killed at the very end to see a mass departure.
    const staying = settings.streams - settings.departing;
    const perProcess = Math.ceil(staying / settings.beatProcesses);
    const shares = Array.from({ length: settings.beatProcesses }, (_, i) => ({
      count: Math.min(perProcess, staying - i * perProcess),
      offset: i * perProcess,
    }));
    shares.push({ count: settings.departing, offset: staying });
    shares.forEach((_, i) => beaters.push(startChild<BeatOps>(i < settings.beatProcesses ? `beat-${i}` : 'beat-departing', join(__dirname, 'beat-child.js'))));
    await Promise.all(
      beaters.map((beater, i) =>
        beater.call('connect', {
          target,
          channels: i < settings.beatProcesses ? settings.channels : Math.max(1, Math.round((settings.channels * settings.departing) / perProcess)),
        }),
      ),
    );
    // The crowd's sessions are made by the server process itself (the directory's
    // registerPeer, no RPC): 10 000 RegisterPeer calls take longer than the expiry on a
    // busy machine, and the first peers would expire before the last had registered.
    // Registering is not what this suite measures; the streams and beats are all RPCs.
    const population = await (server as Child<KompartRegistryOps>).call('populate', { peers: settings.streams, filesPerPeer: 0, group: 1 });
    await Promise.all(
      beaters.map((beater, i) => beater.call('adopt', { sessions: population.sessions.slice(shares[i]!.offset, shares[i]!.offset + shares[i]!.count) })),
    );
    await Promise.all(beaters.map((beater) => beater.call('open', { intervalMs: interval, spreadMs: Math.min(interval, 2000) })));
    let touched = performance.now();
    for (const deadline = performance.now() + 120_000; ;) {
      // Opening 10 000 streams on a busy machine can take longer than the expiry: keep the
      // crowd's sessions alive in-process until every stream has beaten (kompart only; the
      // bare server has no expiry).
      if (name === 'kompart' && performance.now() - touched > interval / 2) {
        await (server as Child<KompartRegistryOps>).call('touchPopulated');
        touched = performance.now();
      }
      const statuses = await Promise.all(beaters.map((beater) => beater.call('status')));
      const acked = statuses.reduce((sum, s) => sum + s.acked, 0);
      const errors = statuses.reduce((sum, s) => sum + s.errors, 0);
      if (errors > 0) throw new Error(`${errors} heartbeat streams failed: ${statuses.map((s) => s.firstError).join(' ')}`);
      if (acked >= settings.streams) break;
      if (performance.now() > deadline) throw new Error(`only ${acked} of ${settings.streams} streams acknowledged`);
      await sleep(250);
    }
    const setupMs = performance.now() - started;
    observer = await Observer.open(target, peerAddress(0, 2), interval);
    await sleep(interval);

    const machineBefore = cpuTimes();
    await probe.call('windowStart', { sampleMs: 100 });
    await sleep(settings.windowMs);
    const window = await probe.call('windowStop');
    const machineBusy = busyCores(machineBefore, cpuTimes());
    if (context.profile && round === 0) {
      // A separate, unmeasured window: the profiler's own cost stays out of the figures.
      const profileFile = join(profileDir(context), `presence-${name}.cpuprofile`);
      await probe.call('profileStart', { intervalUs: 1000 });
      await sleep(Math.min(settings.windowMs, 15_000));
      await probe.call('profileStop', { file: profileFile });
      await reportProfile(context, `profile: ${name} registry holding ${settings.streams} heartbeat streams`, profileFile);
    }
    const kompartServer = name === 'kompart' ? (server as Child<KompartRegistryOps>) : undefined;
    await kompartServer?.call('watch');

    // Fan-out: peers that register and disconnect at once; each pushes PEER_JOINED then
    // PEER_LEFT to every stream. CPU above the steady beat load, per event.
    let fanoutMs: number | undefined;
    const joinAndLeave = async (count: number, first: number): Promise<void> => {
      const client = observer!.client;
      for (let j = 0; j < count; j++) {
        const address = peerAddress(round * 1000 + first + j, 4);
        const session = await new Promise<RegisterPeerResponse>((resolve, reject) =>
          client.registerPeer({ address, certificateSha256: Buffer.alloc(0) }, new Metadata(), (error: ServiceError | null, response) =>
            error ? reject(error) : resolve(response),
          ),
        );
        await new Promise<void>((resolve, reject) =>
          client.disconnect({ peer: session.peer }, tokenMetadata(session.sessionToken), (error: ServiceError | null) => (error ? reject(error) : resolve())),
        );
        await sleep(50);
      }
    };
    if (name === 'kompart') {
      await probe.call('windowStart', { sampleMs: 100 });
      await joinAndLeave(settings.fanoutPairs, 0);
      const fanout = await probe.call('windowStop');
      fanoutMs = (Math.max(0, fanout.coreShare - window.coreShare) * fanout.ms) / (2 * settings.fanoutPairs);
      if (context.profile && round === 0) {
        const profileFile = join(profileDir(context), 'presence-fanout-kompart.cpuprofile');
        await probe.call('profileStart', { intervalUs: 500 });
        await joinAndLeave(10, 500);
        await probe.call('profileStop', { file: profileFile });
        await reportProfile(context, `profile: kompart registry pushing 20 events to ${settings.streams} streams (fan-out)`, profileFile);
      }
    }

    // Crashes: one victim at a time, SIGKILLed a moment after its first ack.
    const crashMs: number[] = [];
    const crashRegistryMs: number[] = [];
    const crashDeliveryMs: number[] = [];
    for (let t = 0; t < settings.crashTrials; t++) {
      const victim = startChild<VictimOps>(`victim-${t}`, join(__dirname, 'victim-child.js'));
      victims.push(victim);
      const { peer } = await victim.call('run', { target, address: peerAddress(round * 100 + t, 3), intervalMs: interval });
      await sleep(200 + Math.random() * 300);
      const left = observer.when(EventType.EVENT_TYPE_PEER_LEFT, peer, 10_000);
      const killedAt = now();
      victim.kill('SIGKILL');
      const at = await left;
      crashMs.push(at - killedAt);
      const [seen] = (await kompartServer?.call('watched', { peers: [peer] })) ?? [];
      if (seen?.removed !== undefined) {
        crashRegistryMs.push(seen.removed - killedAt);
        crashDeliveryMs.push(at - seen.removed);
      }
    }

    // Cut links (kompart only; the bare server has no expiry): SIGSTOP at a random phase.
    const cutFromCutMs: number[] = [];
    const cutFromLastBeatMs: number[] = [];
    const cutRegistryMs: number[] = [];
    const cutDeliveryMs: number[] = [];
    if (kompartServer !== undefined) {
      const cut = await Promise.all(
        Array.from({ length: settings.cutVictims }, async (_, v) => {
          const victim = startChild<VictimOps>(`cut-${v}`, join(__dirname, 'victim-child.js'));
          victims.push(victim);
          let lastBeat = 0;
          victim.onNotice((notice, at) => {
            if (notice === 'beat') lastBeat = at as number;
          });
          const { peer } = await victim.call('run', { target, address: peerAddress(round * 100 + 50 + v, 3), intervalMs: interval });
          await sleep(Math.random() * interval);
          const expired = observer!.when(EventType.EVENT_TYPE_PEER_EXPIRED, peer, expiryMs + interval * 3);
          const cutAt = now();
          victim.kill('SIGSTOP');
          const at = await expired;
          victim.kill('SIGKILL');
          const [seen] = await kompartServer.call('watched', { peers: [peer] });
          return { fromCut: at - cutAt, fromLastBeat: at - lastBeat, seen, at };
        }),
      );
      for (const { fromCut, fromLastBeat, seen, at } of cut) {
        cutFromCutMs.push(fromCut);
        cutFromLastBeatMs.push(fromLastBeat);
        if (seen?.removed !== undefined && seen.lastBeat !== undefined) {
          cutRegistryMs.push(seen.removed - seen.lastBeat);
          cutDeliveryMs.push(at - seen.removed);
        }
      }
    }
    // Mass departure: the departing process dies; each of its peers' departures is pushed to
    // every other stream. How long until the registry has removed them all, and did any
    // survivor expire meanwhile (its beats waiting behind the fan-out)?
    let departure: RunResult['departure'];
    if (settings.departing > 0) {
      const departing = Array.from({ length: settings.departing }, (_, i) => peerAddress(staying + i, 1));
      const before = await kompartServer?.call('counts');
      await probe.call('windowStart', { sampleMs: 100 });
      const heard = departing.map((peer) => observer!.when(EventType.EVENT_TYPE_PEER_LEFT, peer, settings.departureTimeoutMs).catch(() => undefined));
      const killedAt = now();
      beaters[beaters.length - 1]!.kill('SIGKILL');
      const arrivals = await Promise.all(heard);
      const loop = await probe.call('windowStop');
      const missing = arrivals.filter((at) => at === undefined).length;
      const last = Math.max(...arrivals.map((at) => at ?? killedAt + settings.departureTimeoutMs));
      await sleep(interval);
      const after = await kompartServer?.call('counts');
      const survivors = await Promise.all(beaters.slice(0, settings.beatProcesses).map((beater) => beater.call('status')));
      const ended = survivors.reduce((sum, status) => sum + status.ended, 0);
      departure = {
        settleMs: last - killedAt,
        settled: missing === 0,
        falseExpiries: before !== undefined && after !== undefined ? Math.max(before.peers - settings.departing - after.peers, ended) : ended,
        loopDelayMax: loop.loopDelayMax,
      };
    }
    return {
      window,
      machineBusy,
      crashMs,
      cutFromCutMs,
      cutFromLastBeatMs,
      crashRegistryMs,
      crashDeliveryMs,
      cutRegistryMs,
      cutDeliveryMs,
      setupMs,
      fanoutMs,
      departure,
    };
  } catch (error) {
    log(`  ${name} presence run failed: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  } finally {
    observer?.close();
    // The server goes first: were the crowd to leave first, it would broadcast N departures to N streams.
    server.kill('SIGKILL');
    for (const child of [...beaters, ...victims]) child.kill('SIGKILL');
  }
}

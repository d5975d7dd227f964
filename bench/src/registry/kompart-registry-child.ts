import { performance } from 'node:perf_hooks';
import { DEFAULT_PEER_PORT, RegisterFileRequest } from '@kompart/protocol';
import { parseEndpoint, type Logger } from '@kompart/core';
import { RedisStore, startRegistryServer, type PeerRecord, type RunningRegistry } from '@kompart/registry-server';
import { exitHandler, serve } from '../lib/ipc.js';
import { fileHash, filePath, fileSize, peerAddress } from '../lib/fixtures.js';
import { probeHandlers, usage } from '../lib/probe.js';

/** The kompart registry, in a process of its own, as the benchmark runner drives it. */

let registry: RunningRegistry | undefined;
/** The sessions the last `populate` made. */
let populated: (PeerRecord | undefined)[] = [];

const running = (): RunningRegistry => {
  if (registry === undefined) throw new Error('registry not started');
  return registry;
};

export interface PopulateArgs {
  readonly peers: number;
  readonly filesPerPeer: number;
  readonly group: number;
  /** Index of the first peer in its group (default 0): replicas of one registry populate disjoint ranges. */
  readonly offset?: number;
  /**
   * Peers registered at once (default 1, one after the other). A shared store answers each
   * call after a round trip: several in flight keep Redis busy instead of waiting on it.
   */
  readonly concurrency?: number;
}

/** A shared Redis store for this replica: `RedisStore.connect` arguments. */
export interface StoreArgs {
  readonly url: string;
  readonly prefix: string;
  /** This replica's id on the events it logs. */
  readonly origin: string;
}

export interface Population {
  readonly ms: number;
  readonly peers: number;
  readonly files: number;
  /** Session per peer, in peer order. */
  readonly sessions: readonly { readonly peer: string; readonly token: string }[];
  readonly rss: number;
  readonly heapUsed: number;
}

const handlers = {
  ...probeHandlers(),
  ...exitHandler(async () => registry?.kill()),

  /**
   * Starts the registry on the memory store, or as a replica on a shared Redis when `store`
   * is given. `logAs` prints its warnings and errors (and the store's connection errors) to
   * stderr under that name, to explain a failed run.
   */
  start: async (args: { heartbeatIntervalMs: number; heartbeatMisses?: number; address?: string; store?: StoreArgs; logAs?: string }) => {
    const logger = args.logAs === undefined ? undefined : problemLogger(args.logAs);
    const store = args.store === undefined ? undefined : await RedisStore.connect({ ...args.store, ...(logger === undefined ? {} : { logger }) });
    registry = await startRegistryServer({
      ...(logger === undefined ? {} : { logger }),
      address: args.address ?? '127.0.0.1:0',
      heartbeatIntervalMs: args.heartbeatIntervalMs,
      heartbeatMisses: args.heartbeatMisses ?? 2,
      summaryIntervalMs: 0,
      ...(store === undefined ? {} : { store }),
      // Load generators register thousands of peers from one source IP: the limits that
      // keep one host from starving the others are off here (their cost is one map lookup).
      maxRegistrationsPerMinute: 0,
      maxSessionsPerIp: 0,
      maxPeers: 0,
      maxFiles: 0,
    });
    return { target: registry.target, pid: process.pid };
  },

  /**
   * Fills the directory in-process through the same domain calls the RPC handlers make
   * (PeerDirectory.registerPeer / registerFile), so that a million files take seconds rather
   * than minutes; the RPC path is what the throughput runs measure. Each request goes
   * through the generated encoder and decoder first, so the stored strings are the same
   * kind of V8 strings an RPC would leave (flat, decoded), and memory figures match.
   */
  populate: async (args: PopulateArgs): Promise<Population> => {
    const { directory } = running();
    const started = performance.now();
    const offset = args.offset ?? 0;
    const sessions: { peer: string; token: string }[] = new Array(args.peers);
    populated = new Array(args.peers);
    const registerOne = async (i: number): Promise<void> => {
      const p = offset + i;
      const peer = parseEndpoint(peerAddress(p, args.group), DEFAULT_PEER_PORT);
      const record = await directory.registerPeer(peer);
      populated[i] = record;
      sessions[i] = { peer: record.id, token: record.token };
      for (let f = 0; f < args.filesPerPeer; f++) {
        const request = RegisterFileRequest.decode(
          RegisterFileRequest.encode({ peer: record.id, path: filePath(p, f), sha256: fileHash(p, f), size: fileSize(p, f) }).finish(),
        );
        await directory.registerFile(record, { path: request.path, sha256: request.sha256.toLowerCase(), size: request.size });
      }
    };
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < args.peers) await registerOne(next++);
    };
    await Promise.all(Array.from({ length: Math.max(1, args.concurrency ?? 1) }, lane));
    const ms = performance.now() - started;
    (globalThis as { gc?: () => void }).gc?.();
    const counts = await directory.counts();
    const memory = usage();
    return { ms, peers: counts.peers, files: counts.files, sessions, rss: memory.rss, heapUsed: memory.heapUsed };
  },

  counts: () => running().directory.counts(),

  /**
   * Counts a beat, in-process, for every peer the last `populate` registered: keeps a
   * freshly populated crowd alive while its heartbeat streams are still being opened
   * (set-up only; the measured windows come after every stream has beaten).
   */
  touchPopulated: async () => {
    const { directory } = running();
    let touched = 0;
    for (let start = 0; start < populated.length; start += TOUCH_CHUNK) {
      // A populate still running has holes (peers not registered yet): skip them.
      for (const record of populated.slice(start, start + TOUCH_CHUNK)) {
        if (record === undefined) continue;
        directory.beat(record);
        touched++;
      }
      // The directory sends the beats of one turn of the event loop as one batch: end the turn.
      await new Promise(setImmediate);
    }
    return touched;
  },

  /**
   * From now on, records when the registry received each peer's last beat and when it
   * removed each peer (wall-clock ms), so that a detection time splits into the registry's
   * part and the delivery to the other peers. Instrumentation only: wraps the directory's
   * beat and listens to its events (installed after the CPU window, never during it).
   */
  watch: () => {
    if (watching) return;
    watching = true;
    const directory = running().directory;
    // Every beat of a heartbeat stream goes through directory.beat: wrap it.
    const beat = directory.beat.bind(directory);
    directory.beat = (session) => {
      lastBeats.set(session.id, wallNow());
      beat(session);
    };
    // First in line: the registry's own listener (the fan-out to every stream) runs after.
    directory.prependListener('event', (event) => {
      if ((event.type === 'peer-left' || event.type === 'peer-expired') && !removals.has(event.peer)) removals.set(event.peer, wallNow());
    });
  },

  watched: (args: { peers: readonly string[] }) => args.peers.map((peer) => ({ peer, lastBeat: lastBeats.get(peer), removed: removals.get(peer) })),
};

/**
 * Beats per batch when touching a large crowd: RedisStore.beat spreads a batch into one
 * call's arguments, and a batch of 20,000 beats (40,000 arguments) overflowed the stack
 * (RangeError, reported as STORE_UNAVAILABLE) in this Node version.
 */
const TOUCH_CHUNK = 5000;

/** Lines of one message printed at most, so that a storm of failures stays readable. */
const REPEATS_SHOWN = 5;

/** Warnings, errors, and debug lines carrying an error, to stderr; each message REPEATS_SHOWN times at most. */
function problemLogger(name: string): Logger {
  const seen = new Map<string, number>();
  const print = (level: string, fields: Record<string, unknown>, message: string): void => {
    const count = (seen.get(message) ?? 0) + 1;
    seen.set(message, count);
    if (count > REPEATS_SHOWN) return;
    const cause =
      fields['err'] instanceof Error ? `: ${fields['err'].message}${fields['err'].cause instanceof Error ? ` (${fields['err'].cause.message})` : ''}` : '';
    console.error(`[${name} ${level}] ${message}${cause}${count === REPEATS_SHOWN ? ' (repeats not shown)' : ''}`);
  };
  return {
    debug: (fields, message) => fields['err'] !== undefined && print('debug', fields, message),
    info: () => undefined,
    warn: (fields, message) => print('warn', fields, message),
    error: (fields, message) => print('error', fields, message),
  };
}

const wallNow = (): number => performance.timeOrigin + performance.now();
let watching = false;
const lastBeats = new Map<string, number>();
const removals = new Map<string, number>();

export type KompartRegistryOps = typeof handlers;

serve(handlers);

import { performance } from 'node:perf_hooks';
import { DEFAULT_PEER_PORT, RegisterFileRequest } from '@kompart/protocol';
import { parseEndpoint } from '@kompart/core';
import { startRegistryServer, type PeerRecord, type RunningRegistry } from '@kompart/registry-server';
import { exitHandler, serve } from '../lib/ipc.js';
import { fileHash, filePath, fileSize, peerAddress } from '../lib/fixtures.js';
import { probeHandlers, usage } from '../lib/probe.js';

/** The kompart registry, in a process of its own, as the benchmark runner drives it. */

let registry: RunningRegistry | undefined;
/** The sessions the last `populate` made. */
let populated: PeerRecord[] = [];

const running = (): RunningRegistry => {
  if (registry === undefined) throw new Error('registry not started');
  return registry;
};

export interface PopulateArgs {
  readonly peers: number;
  readonly filesPerPeer: number;
  readonly group: number;
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

  start: async (args: { heartbeatIntervalMs: number; heartbeatMisses?: number; address?: string }) => {
    registry = await startRegistryServer({
      address: args.address ?? '127.0.0.1:0',
      heartbeatIntervalMs: args.heartbeatIntervalMs,
      heartbeatMisses: args.heartbeatMisses ?? 2,
      summaryIntervalMs: 0,
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
    const sessions: { peer: string; token: string }[] = [];
    populated = [];
    for (let p = 0; p < args.peers; p++) {
      const peer = parseEndpoint(peerAddress(p, args.group), DEFAULT_PEER_PORT);
      const record = await directory.registerPeer(peer);
      populated.push(record);
      sessions.push({ peer: record.id, token: record.token });
      for (let f = 0; f < args.filesPerPeer; f++) {
        const request = RegisterFileRequest.decode(
          RegisterFileRequest.encode({ peer: record.id, path: filePath(p, f), sha256: fileHash(p, f), size: fileSize(p, f) }).finish(),
        );
        await directory.registerFile(record, { path: request.path, sha256: request.sha256.toLowerCase(), size: request.size });
      }
    }
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
  touchPopulated: () => {
    const { directory } = running();
    for (const record of populated) directory.beat(record);
    return populated.length;
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

const wallNow = (): number => performance.timeOrigin + performance.now();
let watching = false;
const lastBeats = new Map<string, number>();
const removals = new Map<string, number>();

export type KompartRegistryOps = typeof handlers;

serve(handlers);

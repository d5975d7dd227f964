import { ChannelCredentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { EVENT_BATCHES_METADATA_KEY, heartbeatEvents, type HeartbeatRequest, type HeartbeatResponse } from '@kompart/protocol';
import { RegistryClient } from '@kompart/grpc/testing';
import { tokenMetadata } from '@kompart/grpc';
import { performance } from 'node:perf_hooks';
import { peerAddress } from '../lib/fixtures.js';
import { exitHandler, serve } from '../lib/ipc.js';

/**
 * A crowd of peers in one process: it registers them and holds one heartbeat stream per
 * peer, beating at the registry's interval with phases spread evenly over it (as peers that
 * joined at random moments would). Streams are spread over `channels` HTTP/2 connections.
 */

interface Beating {
  readonly peer: string;
  readonly stream: ClientDuplexStream<HeartbeatRequest, HeartbeatResponse>;
  sequence: number;
  acked: boolean;
  ended: boolean;
  timers: NodeJS.Timeout[];
}

let clients: RegistryClient[] = [];
let sessions: { peer: string; token: string }[] = [];
const beating: Beating[] = [];
const counters = { acks: 0, events: 0, errors: 0, firstError: '' };

/** Sessions whose stream is open. */
const opened = new Set<number>();

/** Opens session `i`'s stream and beats at once, then every interval at a random phase. */
function startBeating(i: number, intervalMs: number): void {
  if (opened.has(i)) return;
  opened.add(i);
  const session = sessions[i]!;
  // As kompart peers open theirs: taking several events in one message.
  const metadata = tokenMetadata(session.token);
  metadata.set(EVENT_BATCHES_METADATA_KEY, '1');
  const stream = clients[i % clients.length]!.heartbeat(metadata);
  const b: Beating = { peer: session.peer, stream, sequence: 0, acked: false, ended: false, timers: [] };
  beating.push(b);
  stream.on('data', (message: HeartbeatResponse) => {
    if (message.kind?.$case === 'ack') {
      counters.acks++;
      b.acked = true;
    } else counters.events += heartbeatEvents(message).length;
  });
  stream.on('error', (error: ServiceError) => {
    counters.errors++;
    counters.firstError ||= `${error.code} ${error.details}`;
    b.ended = true;
  });
  stream.on('end', () => {
    b.ended = true;
  });
  const beat = (): void => {
    if (!b.ended) stream.write({ sequence: ++b.sequence, transfers: [] });
  };
  beat();
  b.timers.push(
    setTimeout(() => {
      beat();
      b.timers.push(setInterval(beat, intervalMs));
    }, Math.random() * intervalMs),
  );
}

const handlers = {
  ...exitHandler(() => {
    for (const b of beating) for (const timer of b.timers) clearTimeout(timer);
  }),

  connect: async (args: { target: string; channels: number }) => {
    clients = Array.from(
      { length: args.channels },
      () => new RegistryClient(args.target, ChannelCredentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
    );
    await Promise.all(
      clients.map((client) => new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve())))),
    );
  },

  /** RegisterPeer for peers `offset … offset+count-1` of `group`, `concurrency` calls in flight. */
  register: async (args: { count: number; offset: number; group: number; concurrency: number }) => {
    const started = performance.now();
    sessions = new Array(args.count);
    let next = 0;
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      const start = (): void => {
        if (next >= args.count) return;
        const i = next++;
        const client = clients[i % clients.length]!;
        client.registerPeer(
          { address: peerAddress(args.offset + i, args.group), certificateSha256: Buffer.alloc(0) },
          new Metadata(),
          (error: ServiceError | null, response) => {
            if (error !== null) {
              reject(error);
              return;
            }
            sessions[i] = { peer: response.peer, token: response.sessionToken };
            if (++done === args.count) resolve();
            else start();
          },
        );
      };
      for (let c = 0; c < Math.min(args.concurrency, args.count); c++) start();
    });
    return { ms: performance.now() - started };
  },

  /** Takes sessions registered elsewhere (by the server process itself), instead of `register`. */
  adopt: (args: { sessions: readonly { peer: string; token: string }[] }) => {
    sessions = [...args.sessions];
  },

  /**
   * Opens every stream not opened yet, the i-th after i/N of `spreadMs` (kept
   * short: a registered peer must beat before it expires), beating at once; later beats
   * keep a random phase of the interval, so that in steady state beats arrive evenly.
   */
  open: (args: { intervalMs: number; spreadMs: number }) => {
    const n = sessions.length;
    sessions.forEach((_session, i) => {
      if (opened.has(i)) return;
      const timer = setTimeout(() => startBeating(i, args.intervalMs), (i / n) * args.spreadMs);
      timer.unref();
    });
  },

  status: () => ({
    opened: beating.length,
    acked: beating.filter((b) => b.acked).length,
    ended: beating.filter((b) => b.ended).length,
    ...counters,
  }),
};

export type BeatOps = typeof handlers;

serve(handlers);

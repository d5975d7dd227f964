import { Server, ServerCredentials, status, type ChannelOptions, type ServerDuplexStream, type UntypedHandleCall } from '@grpc/grpc-js';
import { parseEndpoint } from '@kompart/core';
import { replicaTarget } from '@kompart/grpc';
import { FakeClock } from '@kompart/core/testing';
import { RegistryService } from '@kompart/grpc/testing';
import { REGISTRY_SERVICE_NAME, type HeartbeatRequest, type HeartbeatResponse } from '@kompart/protocol';
import { createMemoryStore, startRegistryServer, type RunningRegistry } from '@kompart/registry-server';
import { PeerEventEmitter, type PeerEvents, type PeerEventType } from './peer-events.js';
import { RegistrySession, type FileRegistration } from './registry-session.js';

const BACKOFF = { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0 };
const INTERVAL_MS = 5000;

/** A session on a fake clock: beats, ack timeouts and reconnect pauses move only when the spec says so. */
function sessionOn(
  target: string,
  clock: FakeClock,
  files: FileRegistration[] = [],
  channelOptions: ChannelOptions = {},
): { session: RegistrySession; events: PeerEventEmitter; seen: PeerEventType[] } {
  const events = new PeerEventEmitter({ debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined });
  const seen: PeerEventType[] = [];
  events.onAny((event) => seen.push(event.type));
  const session = new RegistrySession({
    target,
    channelOptions,
    server: target,
    self: () => '127.0.0.2:6000',
    backoff: BACKOFF,
    callTimeoutMs: 5000,
    filesToRestore: () => files,
    events,
    clock,
    random: () => 0.5,
  });
  return { session, events, seen };
}

const next = <K extends PeerEventType>(events: PeerEventEmitter, type: K): Promise<PeerEvents[K]> => events.next(type);

/**
 * A registry that registers anyone and never answers a beat (a hung process). ListFiles
 * answers an empty page when `onList` calls its `answer`; without `onList`, only when
 * `answerLists` is called, so a spec can hold calls open.
 */
async function startSilentRegistry(onList?: (answer: () => void) => void): Promise<{ target: string; port: number; answerLists(): void; close(): void }> {
  const server = new Server();
  const heldLists: (() => void)[] = [];
  const listed = onList ?? ((answer: () => void): number => heldLists.push(answer));
  const unimplemented: UntypedHandleCall = (_call: unknown, done: (error: { code: number }) => void) => done({ code: status.UNIMPLEMENTED });
  server.addService(RegistryService, {
    registerPeer: (call: { request: { address: string } }, done: (error: null, value: object) => void) =>
      done(null, {
        peer: call.request.address,
        sessionToken: 'token',
        heartbeatIntervalMs: INTERVAL_MS,
        heartbeatMisses: 2,
        registryInstance: 'silent',
        ticketPublicKey: Buffer.alloc(0),
      }),
    registerFile: unimplemented,
    unregisterFile: unimplemented,
    listFiles: (_call: unknown, done: (error: null, value: object) => void) => listed(() => done(null, { files: [], nextPageToken: '' })),
    locateFile: unimplemented,
    disconnect: unimplemented,
    heartbeat: (call: ServerDuplexStream<HeartbeatRequest, HeartbeatResponse>) => {
      call.on('data', () => undefined);
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error))),
  );
  return {
    target: `127.0.0.1:${port}`,
    port,
    answerLists: () => heldLists.splice(0).forEach((answer) => answer()),
    close: () => server.forceShutdown(),
  };
}

describe('RegistrySession on a fake clock', () => {
  let registry: RunningRegistry | undefined;
  afterEach(async () => {
    await registry?.close();
    registry = undefined;
  });

  it('beats at once, then every interval of its own clock, each beat answered', async () => {
    registry = await startRegistryServer({ address: '127.0.0.1:0', heartbeatIntervalMs: INTERVAL_MS, summaryIntervalMs: 0 });
    const clock = new FakeClock();
    const { session, events } = sessionOn(registry.target, clock);
    try {
      const first = next(events, 'heartbeat');
      await session.register();
      expect(await first).toMatchObject({ sequence: 1 });
      const second = next(events, 'heartbeat');
      await clock.advance(INTERVAL_MS - 1);
      await clock.advance(1);
      expect(await second).toMatchObject({ sequence: 2 });
    } finally {
      await session.close();
    }
  });

  it('takes a beat without an ack within half an interval (at most 2 s) as a silent registry, and tries to resume at once', async () => {
    const silent = await startSilentRegistry();
    const clock = new FakeClock();
    const { session, events, seen } = sessionOn(silent.target, clock);
    try {
      await session.register();
      await clock.advance(1999);
      expect(seen).not.toContain('connection-lost');
      const lost = next(events, 'connection-lost');
      const reconnecting = next(events, 'reconnecting');
      await clock.advance(1);
      expect(await lost).toEqual({ type: 'connection-lost', reason: 'no-ack' });
      // The session may be alive on another replica: the first attempt is a resume, without a pause.
      expect(await reconnecting).toEqual({ type: 'reconnecting', attempt: 1, delayMs: 0 });
      expect(session.state).toBe('reconnecting');
    } finally {
      await session.close();
      silent.close();
    }
  });

  it('starting over on a new channel lets the calls in flight on the old one finish', async () => {
    const silent = await startSilentRegistry();
    const clock = new FakeClock();
    const { session, events } = sessionOn(silent.target, clock);
    try {
      await session.register();
      const listed = session.listPage({ pageSize: 10, pageToken: '', nameContains: '', sha256Prefix: '', holder: '' });
      const reconnecting = next(events, 'reconnecting');
      await clock.advance(2000);
      await reconnecting;
      silent.answerLists();
      expect(await listed).toEqual({ files: [], nextPageToken: '' });
    } finally {
      await session.close();
      silent.close();
    }
  });

  it('a read hedged to another replica still goes out after the channel it started on was replaced', async () => {
    // Two replicas that never ack a beat; the first ListFiles either receives is never
    // answered (a replica whose cable was cut), the next ones are.
    let held = false;
    const holdFirst = (answer: () => void): void => {
      if (held) answer();
      held = true;
    };
    const replicas = [await startSilentRegistry(holdFirst), await startSilentRegistry(holdFirst)];
    const registry = replicaTarget(
      replicas.map((replica) => parseEndpoint(`127.0.0.1:${replica.port}`, 0)),
      { service: REGISTRY_SERVICE_NAME, methods: ['ListFiles'] },
    );
    const clock = new FakeClock();
    const { session, events } = sessionOn(registry.target, clock, [], registry.options);
    try {
      await session.register();
      const listed = session.listPage({ pageSize: 10, pageToken: '', nameContains: '', sha256Prefix: '', holder: '' });
      const reconnecting = next(events, 'reconnecting');
      await clock.advance(2000);
      await reconnecting;
      // The hedge leaves a second (of real time, grpc-js's timer) after the first attempt.
      expect(await listed).toEqual({ files: [], nextPageToken: '' });
    } finally {
      await session.close();
      replicas.forEach((replica) => replica.close());
    }
  });

  it('reconnects after the backoff of its clock, and registers every file again', async () => {
    registry = await startRegistryServer({ address: '127.0.0.1:0', heartbeatIntervalMs: INTERVAL_MS, summaryIntervalMs: 0 });
    const target = registry.target;
    const clock = new FakeClock();
    const files = [
      { path: '/srv/a.txt', sha256: 'a'.repeat(64), size: 1 },
      { path: '/srv/b.txt', sha256: 'b'.repeat(64), size: 2 },
    ];
    const { session, events, seen } = sessionOn(target, clock, files);
    try {
      const beating = next(events, 'heartbeat');
      await session.register();
      await beating;
      for (const file of files) await session.registerFile(file);
      const lost = next(events, 'connection-lost');
      const resumeAtOnce = next(events, 'reconnecting');
      const resumeFailed = next(events, 'reconnect-failed');
      registry.kill();
      expect((await lost).reason).toMatch(/stream-error|stream-ended/);
      // First a resume, at once: no replica answers.
      expect(await resumeAtOnce).toMatchObject({ attempt: 1, delayMs: 0 });
      expect(await resumeFailed).toMatchObject({ attempt: 1 });

      // Then the backoff: nothing is tried before the pause is over, and the attempt fails.
      const failed = next(events, 'reconnect-failed');
      const nextPause = next(events, 'reconnecting');
      await clock.advance(999);
      expect(seen.filter((type) => type === 'reconnect-failed')).toHaveLength(1);
      await clock.advance(1);
      expect(await failed).toMatchObject({ attempt: 2 });
      expect(await nextPause).toMatchObject({ attempt: 3, delayMs: 2000 });

      // A new registry (its memory store knows nothing of the old session): the resume is
      // refused and the session registers again, files and all.
      registry = await startRegistryServer({ address: target, heartbeatIntervalMs: INTERVAL_MS, summaryIntervalMs: 0 });
      const back = next(events, 'reconnected');
      await clock.advance(2000);
      expect(await back).toMatchObject({ peer: '127.0.0.2:6000', attempt: 3, files: 2, failedFiles: 0, registryInstance: registry.instance });
      expect(session.state).toBe('online');
      expect(await registry.directory.counts()).toEqual({ peers: 1, files: 2 });
    } finally {
      await session.close();
    }
  });

  it('keeps resuming past an expiry period, pausing at most one heartbeat interval, until the registry is back with its session', async () => {
    // The registry's clock stands still while it is away: like a cluster, whose presence
    // does not count the time nobody could reach the store, it keeps the session.
    const registryClock = new FakeClock();
    const store = createMemoryStore({ clock: registryClock });
    const options = { heartbeatIntervalMs: INTERVAL_MS, summaryIntervalMs: 0, store, clock: registryClock };
    registry = await startRegistryServer({ address: '127.0.0.1:0', ...options });
    const target = registry.target;
    const clock = new FakeClock();
    const file = { path: '/srv/a.txt', sha256: 'a'.repeat(64), size: 1 };
    const { session, events, seen } = sessionOn(target, clock, [file]);
    try {
      const beating = next(events, 'heartbeat');
      await session.register();
      await beating;
      await session.registerFile(file);
      const pauses: number[] = [];
      events.on('reconnecting', (event) => pauses.push(event.delayMs));
      const failed = next(events, 'reconnect-failed');
      await registry.close();
      registry = undefined;
      await failed;
      // Pauses of 1, 2, 4 s, then one interval (5 s) where the backoff would go on to 8 s:
      // 17 s in all, past the 10 s expiry period.
      for (const pause of [1000, 2000, 4000, 5000]) {
        const again = next(events, 'reconnect-failed');
        await clock.advance(pause);
        await again;
      }
      registry = await startRegistryServer({ address: target, ...options });
      const resumed = next(events, 'resumed');
      await clock.advance(5000);
      expect(await resumed).toMatchObject({ peer: '127.0.0.2:6000', attempt: 6 });
      expect(pauses).toEqual([0, 1000, 2000, 4000, 5000, 5000]);
      expect(seen).not.toContain('reconnected');
      expect(session.state).toBe('online');
      expect(await registry.directory.counts()).toEqual({ peers: 1, files: 1 });
    } finally {
      await session.close();
    }
  });

  it('gives up recovering when disconnected meanwhile, and the state machine ends idle', async () => {
    registry = await startRegistryServer({ address: '127.0.0.1:0', heartbeatIntervalMs: INTERVAL_MS, summaryIntervalMs: 0 });
    const clock = new FakeClock();
    const { session, events } = sessionOn(registry.target, clock);
    try {
      const beating = next(events, 'heartbeat');
      await session.register();
      await beating;
      const pause = next(events, 'reconnecting');
      registry.kill();
      await pause;
      await expect(session.disconnect()).resolves.toEqual({ removedFiles: undefined });
      expect(session.state).toBe('idle');
      expect(clock.pending).toBe(0);
    } finally {
      await session.close();
    }
  });
});

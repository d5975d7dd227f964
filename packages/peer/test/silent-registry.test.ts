import { Server, ServerCredentials, status, type ServerDuplexStream, type UntypedHandleCall } from '@grpc/grpc-js';
import { type HeartbeatRequest, type HeartbeatResponse } from '@kompart/protocol';
import { RegistryService } from '@kompart/grpc/testing';
import { createPeer } from '../src/index';
import { makeTempDir } from './support/temp-dir';

/** A registry that registers anyone and then never answers a beat (a hung process). */
async function startSilentRegistry(): Promise<{ target: string; beats: () => number; close(): void }> {
  let beats = 0;
  const server = new Server();
  const unimplemented: UntypedHandleCall = (_call: unknown, done: (error: { code: number }) => void) => done({ code: status.UNIMPLEMENTED });
  server.addService(RegistryService, {
    registerPeer: (call: { request: { address: string } }, done: (error: null, value: object) => void) =>
      done(null, { peer: call.request.address, sessionToken: 'token', heartbeatIntervalMs: 80, heartbeatMisses: 2, registryInstance: 'silent', ticketPublicKey: Buffer.alloc(0) }),
    registerFile: unimplemented,
    listFiles: unimplemented,
    locateFile: unimplemented,
    disconnect: unimplemented,
    heartbeat: (call: ServerDuplexStream<HeartbeatRequest, HeartbeatResponse>) => {
      call.on('data', () => {
        beats += 1;
      });
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error))),
  );
  return { target: `127.0.0.1:${port}`, beats: () => beats, close: () => server.forceShutdown() };
}

describe('a registry that stops answering', () => {
  it('is noticed after misses + 2 intervals without an ack, and recovery starts', async () => {
    const registry = await startSilentRegistry();
    const dir = makeTempDir();
    const peer = createPeer({
      registry: registry.target,
      address: '127.0.0.40:0',
      downloadsDir: dir.join('dl'),
      cacheDir: null,
      backoff: { initialMs: 5000, maxMs: 5000, factor: 1, jitter: 0 },
    });
    try {
      await peer.start();
      const lost = peer.events.next('connection-lost');
      await peer.registerPeer();
      expect(await lost).toEqual({ type: 'connection-lost', reason: 'no-ack' });
      expect(registry.beats()).toBeGreaterThanOrEqual(4);
      expect(peer.state).toBe('reconnecting');
    } finally {
      await peer.close();
      registry.close();
      dir.remove();
    }
  });
});

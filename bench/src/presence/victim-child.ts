import { ChannelCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { type HeartbeatResponse, type RegisterPeerResponse } from '@kompart/protocol';
import { RegistryClient } from '@kompart/grpc/testing';
import { tokenMetadata } from '@kompart/grpc';
import { performance } from 'node:perf_hooks';
import { exitHandler, notify, serve } from '../lib/ipc.js';

/**
 * One peer that the runner crashes (SIGKILL: the kernel closes its connection) or cuts off
 * (SIGSTOP: the connection stays open but nothing more arrives, as behind a dead link).
 * It tells the runner the wall-clock time of every beat it sends.
 */

const now = (): number => performance.timeOrigin + performance.now();

const handlers = {
  ...exitHandler(),

  run: async (args: { target: string; address: string; intervalMs: number }) => {
    const client = new RegistryClient(args.target, ChannelCredentials.createInsecure());
    const session = await new Promise<RegisterPeerResponse>((resolve, reject) =>
      client.registerPeer({ address: args.address, certificateSha256: Buffer.alloc(0) }, new Metadata(), (error: ServiceError | null, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
    const stream = client.heartbeat(tokenMetadata(session.sessionToken));
    stream.on('error', () => {});
    let sequence = 0;
    const beat = (): void => {
      stream.write({ sequence: ++sequence, transfers: [] });
      notify('beat', now());
    };
    const acked = new Promise<void>((resolve) =>
      stream.on('data', (message: HeartbeatResponse) => {
        if (message.kind?.$case === 'ack') resolve();
      }),
    );
    beat();
    setInterval(beat, args.intervalMs);
    await acked;
    return { peer: session.peer };
  },
};

export type VictimOps = typeof handlers;

serve(handlers);

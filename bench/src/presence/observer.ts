import { ChannelCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { EVENT_BATCHES_METADATA_KEY, EventType, heartbeatEvents, type HeartbeatResponse, type RegisterPeerResponse } from '@kompart/protocol';
import { RegistryClient } from '@kompart/grpc/testing';
import { tokenMetadata } from '@kompart/grpc';
import { performance } from 'node:perf_hooks';

/** Wall-clock ms, comparable between processes (the runner's and its children's). */
export const now = (): number => performance.timeOrigin + performance.now();

/** The watching peer: registered last, so it is the last to be told of every event. */
export class Observer {
  private readonly waiters = new Map<string, { type: EventType; resolve: (at: number) => void }>();
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private constructor(readonly client: RegistryClient) {}

  static async open(target: string, address: string, intervalMs: number): Promise<Observer> {
    const client = new RegistryClient(target, ChannelCredentials.createInsecure());
    const observer = new Observer(client);
    const session = await new Promise<RegisterPeerResponse>((resolve, reject) =>
      client.registerPeer({ address, certificateSha256: Buffer.alloc(0) }, new Metadata(), (error: ServiceError | null, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
    // As a kompart peer opens its stream: taking several events in one message.
    const metadata = tokenMetadata(session.sessionToken);
    metadata.set(EVENT_BATCHES_METADATA_KEY, '1');
    const stream = client.heartbeat(metadata);
    stream.on('error', () => {});
    stream.on('data', (message: HeartbeatResponse) => {
      const received = heartbeatEvents(message);
      if (received.length === 0) return;
      const at = now();
      for (const { type, peer } of received) {
        const key = `${type}:${peer}`;
        const waiter = observer.waiters.get(key);
        if (waiter === undefined) observer.seen.set(key, at);
        else {
          observer.waiters.delete(key);
          waiter.resolve(at);
        }
      }
    });
    let sequence = 0;
    stream.write({ sequence: ++sequence, transfers: [] });
    observer.timer = setInterval(() => stream.write({ sequence: ++sequence, transfers: [] }), intervalMs);
    return observer;
  }

  /** Wall-clock time the event arrived (now or later); rejects after `timeoutMs`. */
  when(type: EventType, peer: string, timeoutMs: number): Promise<number> {
    const key = `${type}:${peer}`;
    const seen = this.seen.get(key);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`no ${EventType[type]} for ${peer} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, {
        type,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }

  close(): void {
    clearInterval(this.timer);
    this.client.close();
  }
}

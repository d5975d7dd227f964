import { ChannelCredentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  type DisconnectRequest,
  type DisconnectResponse,
  type HeartbeatRequest,
  type ListFilesRequest,
  type ListFilesResponse,
  type LocateFileRequest,
  type LocateFileResponse,
  type LocateHoldersRequest,
  type LocateHoldersResponse,
  type RegisterFileRequest,
  type RegisterFileResponse,
  type UnregisterFileRequest,
  type UnregisterFileResponse,
  type RegisterPeerRequest,
  type HeartbeatResponse,
  type RegisterPeerResponse,
  type RegistryEvent,
  EVENT_BATCHES_METADATA_KEY,
  STREAM_ATTEMPT_METADATA_KEY,
  heartbeatEvents,
} from '@kompart/protocol';
import { RegistryClient } from '@kompart/grpc/testing';
import { type KompartError } from '@kompart/core';
import { fromServiceError, tokenMetadata } from '@kompart/grpc';
import { startRegistryServer, type RegistryServerOptions, type RunningRegistry } from '../src/index.js';

/** A real registry on 127.0.0.1 and a port of its own, plus a real generated client. */
export interface Harness {
  readonly registry: RunningRegistry;
  readonly client: RegistryClient;
  /** Registers a peer and returns its session. */
  register(address: string): Promise<RegisterPeerResponse>;
  /** Calls a unary method and returns the KompartError it fails with (fails the test otherwise). */
  rejection<T>(call: Promise<T>): Promise<KompartError & { grpcCode: number; grpcMessage: string }>;
  /**
   * Opens a heartbeat stream for a session (with its attempt, when given; taking several
   * events in one message with `batches`), collecting what the registry sends.
   */
  heartbeat(token: string, attempt?: number, options?: { batches?: boolean }): HeartbeatTap;
  close(): Promise<void>;
}

export interface HeartbeatTap {
  readonly stream: ClientDuplexStream<HeartbeatRequest, HeartbeatResponse>;
  /** Every event received, those of `events` messages one by one. */
  readonly events: RegistryEvent[];
  /** How many events each event message carried (1 for an `event`). */
  readonly batchSizes: number[];
  /** Resolves with the first received event matching `predicate` (past or future). */
  nextEvent(predicate: (event: RegistryEvent) => boolean): Promise<RegistryEvent>;
  /** Resolves when the registry ends or fails the stream. */
  readonly ended: Promise<ServiceError | undefined>;
  beat(sequence: number): void;
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;
type Unary<Req, Res> = (request: Req, metadata: Metadata, callback: Callback<Res>) => unknown;

/** The Registry's unary methods, as request -> response types. */
interface Methods {
  registerPeer: [RegisterPeerRequest, RegisterPeerResponse];
  registerFile: [RegisterFileRequest, RegisterFileResponse];
  unregisterFile: [UnregisterFileRequest, UnregisterFileResponse];
  listFiles: [ListFilesRequest, ListFilesResponse];
  locateFile: [LocateFileRequest, LocateFileResponse];
  locateHolders: [LocateHoldersRequest, LocateHoldersResponse];
  disconnect: [DisconnectRequest, DisconnectResponse];
}

/** Promise form of a generated unary method, with an optional session token. */
export function call<M extends keyof Methods>(client: RegistryClient, method: M, request: Methods[M][0], token?: string): Promise<Methods[M][1]> {
  const fn = client[method] as unknown as Unary<Methods[M][0], Methods[M][1]>;
  return new Promise((resolve, reject) => {
    fn.call(client, request, token === undefined ? new Metadata() : tokenMetadata(token), (error, response) => (error ? reject(error) : resolve(response)));
  });
}

export async function startHarness(options: Partial<RegistryServerOptions> = {}): Promise<Harness> {
  const registry = await startRegistryServer({ address: '127.0.0.1:0', summaryIntervalMs: 0, ...options });
  const client = new RegistryClient(registry.target, ChannelCredentials.createInsecure());
  const taps: HeartbeatTap[] = [];
  return {
    registry,
    client,
    register: (address) => call(client, 'registerPeer', { address, certificateSha256: Buffer.alloc(0) }),
    async rejection(promise) {
      try {
        await promise;
      } catch (error) {
        const known = fromServiceError(error);
        if (known === undefined) throw error;
        const service = error as ServiceError;
        return Object.assign(known, { grpcCode: service.code, grpcMessage: service.details });
      }
      throw new Error('expected the call to fail');
    },
    heartbeat(token, attempt, options = {}) {
      const metadata = tokenMetadata(token);
      if (attempt !== undefined) metadata.set(STREAM_ATTEMPT_METADATA_KEY, String(attempt));
      if (options.batches === true) metadata.set(EVENT_BATCHES_METADATA_KEY, '1');
      const stream = client.heartbeat(metadata);
      const events: RegistryEvent[] = [];
      const batchSizes: number[] = [];
      const waiters: { predicate: (event: RegistryEvent) => boolean; resolve: (event: RegistryEvent) => void }[] = [];
      stream.on('data', (message: HeartbeatResponse) => {
        const received = heartbeatEvents(message);
        if (received.length === 0) return;
        batchSizes.push(received.length);
        for (const event of received) {
          events.push(event);
          for (const waiter of waiters.splice(0)) {
            if (waiter.predicate(event)) waiter.resolve(event);
            else waiters.push(waiter);
          }
        }
      });
      const ended = new Promise<ServiceError | undefined>((resolve) => {
        stream.on('error', (error: ServiceError) => resolve(error));
        stream.on('end', () => resolve(undefined));
      });
      const tap: HeartbeatTap = {
        stream,
        events,
        batchSizes,
        ended,
        beat: (sequence) => stream.write({ sequence, transfers: [] }),
        nextEvent: (predicate) =>
          new Promise((resolve) => {
            const seen = events.find(predicate);
            if (seen !== undefined) resolve(seen);
            else waiters.push({ predicate, resolve });
          }),
      };
      taps.push(tap);
      return tap;
    },
    async close() {
      for (const tap of taps) tap.stream.cancel();
      client.close();
      registry.kill();
    },
  };
}

/** A 64-hex hash whose first 8 digits are `n` in hex, for tests. */
export function fakeHash(n: number): string {
  return n.toString(16).padStart(8, '0') + 'e'.repeat(56);
}

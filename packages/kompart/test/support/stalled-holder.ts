/**
 * A holder that never finishes: registered at the registry like a peer, its FileService
 * sends the header and one chunk of a file, then waits until the downloader goes away.
 * Makes "a download in progress" deterministic, whatever the machine's speed.
 */
import { createHash } from 'node:crypto';
import { Server, ServerCredentials, credentials, type ServerWritableStream } from '@grpc/grpc-js';
import { type DownloadRequest, type DownloadResponse } from '@kompart/protocol';
import { FileServiceService, RegistryClient } from '@kompart/grpc/testing';
import { tokenMetadata } from '@kompart/grpc';

export interface StalledHolder {
  /** The holder's identity (`host:port`). */
  readonly id: string;
  readonly name: string;
  readonly data: Buffer;
  /** Bytes sent before stalling. */
  readonly sentBytes: number;
  /** Resolves when the first chunk was written to a downloader. */
  readonly stalled: Promise<void>;
  close(): Promise<void>;
}

export async function startStalledHolder(host: string, registryTarget: string, name = 'slow.bin'): Promise<StalledHolder> {
  const data = Buffer.alloc(1024 * 1024, 42);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const sentBytes = 64 * 1024;
  let markStalled: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (markStalled = resolve));
  const calls = new Set<ServerWritableStream<DownloadRequest, DownloadResponse>>();
  const server = new Server();
  server.addService(FileServiceService, {
    download(call: ServerWritableStream<DownloadRequest, DownloadResponse>) {
      calls.add(call);
      call.on('cancelled', () => calls.delete(call));
      call.write({ payload: { $case: 'header', value: { name, path: `/srv/${name}`, size: data.length, sha256, offset: 0 } } });
      call.write({ payload: { $case: 'chunk', value: data.subarray(0, sentBytes) } }, () => markStalled());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const id = `${host}:${port}`;
  const registry = new RegistryClient(registryTarget, credentials.createInsecure());
  const unary = <T>(invoke: (done: (error: Error | null, value: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) => invoke((error, value) => (error ? reject(error) : resolve(value))));
  const session = await unary<{ sessionToken: string }>((done) => registry.registerPeer({ address: id }, done));
  await unary((done) => registry.registerFile({ peer: id, path: `/srv/${name}`, sha256, size: data.length }, tokenMetadata(session.sessionToken), done));
  return {
    id,
    name,
    data,
    sentBytes,
    stalled,
    async close() {
      for (const call of calls) call.end();
      registry.close();
      server.forceShutdown();
    },
  };
}

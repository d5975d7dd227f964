/**
 * A holder that never finishes: registered at the registry like a peer, its FileService
 * sends the header and one chunk of a file, then waits until the downloader goes away.
 * It serves in plaintext and registers no certificate, so its downloaders run with
 * `--plaintext-transfers`.
 * Makes "a download in progress" deterministic, whatever the machine's speed. It shares
 * one file, or several (`a/x.bin`, `a/y.bin`: a folder under /srv), each of its own
 * content; `stalled` resolves when every one of them has sent its chunk.
 */
import { createHash } from 'node:crypto';
import { Server, ServerCredentials, credentials, type ServerWritableStream } from '@grpc/grpc-js';
import { type DownloadRequest, type DownloadResponse } from '@kompart/protocol';
import { FileServiceService, RegistryClient } from '@kompart/grpc/testing';
import { tokenMetadata } from '@kompart/grpc';

export interface StalledHolder {
  /** The holder's identity (`host:port`). */
  readonly id: string;
  /** The first file's name and content. */
  readonly name: string;
  readonly data: Buffer;
  /** Bytes sent before stalling. */
  readonly sentBytes: number;
  /** Resolves when the first chunk was written to a downloader. */
  readonly stalled: Promise<void>;
  close(): Promise<void>;
}

export async function startStalledHolder(host: string, registryTarget: string, names: string | readonly string[] = 'slow.bin'): Promise<StalledHolder> {
  const files = (typeof names === 'string' ? [names] : names).map((name, i) => {
    const data = Buffer.alloc(1024 * 1024, 42 + i);
    return { path: `/srv/${name}`, name: name.slice(name.lastIndexOf('/') + 1), data, sha256: createHash('sha256').update(data).digest('hex') };
  });
  const sentBytes = 64 * 1024;
  const started = new Set<string>();
  let markStalled: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (markStalled = resolve));
  const calls = new Set<ServerWritableStream<DownloadRequest, DownloadResponse>>();
  const server = new Server();
  server.addService(FileServiceService, {
    download(call: ServerWritableStream<DownloadRequest, DownloadResponse>) {
      const file = files.find((candidate) => candidate.sha256 === call.request.sha256) ?? files[0]!;
      calls.add(call);
      call.on('cancelled', () => calls.delete(call));
      call.write({ payload: { $case: 'header', value: { name: file.name, path: file.path, size: file.data.length, sha256: file.sha256, offset: 0 } } });
      call.write({ payload: { $case: 'chunk', value: file.data.subarray(0, sentBytes) } }, () => {
        started.add(file.path);
        if (started.size === files.length) markStalled();
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const id = `${host}:${port}`;
  const registry = new RegistryClient(registryTarget, credentials.createInsecure());
  const unary = <T>(invoke: (done: (error: Error | null, value: T) => void) => void): Promise<T> =>
    new Promise((resolve, reject) => invoke((error, value) => (error ? reject(error) : resolve(value))));
  const session = await unary<{ sessionToken: string }>((done) => registry.registerPeer({ address: id, certificateSha256: Buffer.alloc(0) }, done));
  for (const file of files) {
    await unary((done) =>
      registry.registerFile({ peer: id, path: file.path, sha256: file.sha256, size: file.data.length }, tokenMetadata(session.sessionToken), done),
    );
  }
  return {
    id,
    name: files[0]!.name,
    data: files[0]!.data,
    sentBytes,
    stalled,
    async close() {
      for (const call of calls) call.end();
      registry.close();
      server.forceShutdown();
    },
  };
}

import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { type DownloadRequest, type DownloadResponse } from '@kompart/protocol';
import { FileServiceService } from '@kompart/grpc/testing';

/**
 * A hand-written FileService that streams `content` for any request, honestly (header,
 * then the bytes from the requested offset). Whatever name the downloader uses comes from
 * elsewhere (the registry, or the test): this is the holder a hostile name travels with.
 */
export interface ScriptedHolder {
  /** `host:port` the server listens on (also its identity when registered). */
  readonly target: string;
  /** What is served from now on. */
  serve(content: Buffer, name?: string): void;
  close(): void;
}

export async function startScriptedHolder(host: string): Promise<ScriptedHolder> {
  let content: Buffer = Buffer.alloc(0);
  let name = 'file';
  const server = new Server();
  server.addService(FileServiceService, {
    download(call: ServerWritableStream<DownloadRequest, DownloadResponse>) {
      const offset = call.request.offset;
      const sha256 = createHash('sha256').update(content).digest('hex');
      call.write({ payload: { $case: 'header', value: { name, path: `/shared/${name}`, size: content.length, sha256, offset } } });
      for (let at = offset; at < content.length; at += 64 * 1024) {
        call.write({ payload: { $case: 'chunk', value: content.subarray(at, Math.min(content.length, at + 64 * 1024)) } });
      }
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error))),
  );
  return {
    target: `${host}:${port}`,
    serve(next, nextName = 'file') {
      content = next;
      name = nextName;
    },
    close: () => server.forceShutdown(),
  };
}

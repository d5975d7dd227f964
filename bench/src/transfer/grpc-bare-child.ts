import { ChannelCredentials, Server, ServerCredentials, makeGenericClientConstructor, type ClientOptions, type ServerWritableStream } from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { DownloadResponse, MAX_MESSAGE_BYTES, type DownloadRequest } from '@kompart/protocol';
import { FileServiceService, type FileServiceClient } from '@kompart/grpc/testing';
import { exitHandler, serve } from '../lib/ipc.js';
import { probeHandlers } from '../lib/probe.js';

/**
 * A bare gRPC transfer with the same generated FileService, to see gRPC's own ceiling and
 * to try, one at a time, the changes the kompart peer could make:
 *
 * - sender `serializer`: `generated` (DownloadResponse.encode: the chunk is copied into the
 *   writer, then by Buffer.from, then by grpc-js's framing) or `preframed` (the file is read
 *   straight into a buffer behind a 4-byte protobuf field header and sent as is, so grpc-js
 *   framing is the only copy);
 * - receiver `sink`: `stream` (a WriteStream, no hashing), `serial-hash` (what the kompart
 *   downloader does: await the positional write, then hash) or `overlap-hash` (start the
 *   write, hash while the thread pool writes, then await) or `pipelined-hash` (hash each
 *   chunk as it arrives and keep up to 4 positional writes in flight, waiting only when
 *   4 are pending). The receiver always takes a chunk as a view of the received message
 *   (no decode copy).
 */

const servers: Server[] = [];

export type Serializer = 'generated' | 'preframed';
export type Sink = 'stream' | 'serial-hash' | 'overlap-hash' | 'pipelined-hash';

/** Writes a `pipelined-hash` receiver keeps in flight. */
const PIPELINE_DEPTH = 4;

const options = (windowBytes: number | undefined) => ({
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  ...(windowBytes === undefined ? {} : { 'grpc-node.flow_control_window': windowBytes }),
});

/** DownloadResponse field 2 (`chunk`, bytes): tag 0x12, then the length as a varint. */
const CHUNK_TAG = 0x12;
const HEADROOM = 5;

/** Writes the field header right before `at` so that it ends exactly there; returns where it starts. */
function writeChunkHeader(buffer: Buffer, at: number, length: number): number {
  const varint: number[] = [];
  let rest = length;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    varint.push(byte);
  } while (rest !== 0);
  const start = at - 1 - varint.length;
  buffer[start] = CHUNK_TAG;
  for (let i = 0; i < varint.length; i++) buffer[start + 1 + i] = varint[i]!;
  return start;
}

/** Reads a chunk-only DownloadResponse as a view of the received bytes (no copy); anything else via the generated code. */
function readResponse(bytes: Buffer): DownloadResponse {
  if (bytes[0] === CHUNK_TAG) {
    let length = 0;
    let scale = 1;
    for (let at = 1; at < Math.min(bytes.length, 6); at++) {
      const byte = bytes[at]!;
      length += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) {
        if (at + 1 + length === bytes.length) return { payload: { $case: 'chunk', value: bytes.subarray(at + 1) } };
        break;
      }
    }
  }
  return DownloadResponse.decode(bytes);
}

const ZeroCopyClient = makeGenericClientConstructor(
  { download: { ...FileServiceService.download, responseDeserialize: readResponse } },
  'kompart.v1.FileService',
) as unknown as new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>) => FileServiceClient;

const handlers = {
  ...probeHandlers(),
  ...exitHandler(() => {
    for (const server of servers) server.forceShutdown();
  }),

  serveGrpc: async (args: { file: string; host: string; chunkBytes: number; windowBytes?: number; serializer?: Serializer }) => {
    const { size } = await stat(args.file);
    const preframed = args.serializer === 'preframed';
    const definition = preframed
      ? {
          download: {
            ...FileServiceService.download,
            responseSerialize: (value: DownloadResponse | Buffer): Buffer =>
              Buffer.isBuffer(value) ? value : Buffer.from(DownloadResponse.encode(value).finish()),
          },
        }
      : FileServiceService;
    const server = new Server(options(args.windowBytes));
    server.addService(definition, {
      download(call: ServerWritableStream<DownloadRequest, DownloadResponse | Buffer>) {
        void (async () => {
          const handle = await open(args.file, 'r');
          let stopped = false;
          call.on('cancelled', () => (stopped = true));
          try {
            call.write({ payload: { $case: 'header', value: { name: 'file', path: args.file, size, sha256: '', offset: 0 } } });
            for (let position = 0; position < size && !stopped;) {
              const length = Math.min(args.chunkBytes, size - position);
              let message: DownloadResponse | Buffer;
              if (preframed) {
                const buffer = Buffer.allocUnsafe(HEADROOM + length);
                const { bytesRead } = await handle.read(buffer, HEADROOM, length, position);
                const start = writeChunkHeader(buffer, HEADROOM, bytesRead);
                message = buffer.subarray(start, HEADROOM + bytesRead);
                position += bytesRead;
              } else {
                const buffer = Buffer.allocUnsafe(length);
                const { bytesRead } = await handle.read(buffer, 0, length, position);
                message = { payload: { $case: 'chunk', value: buffer.subarray(0, bytesRead) } };
                position += bytesRead;
              }
              if (!call.write(message)) await new Promise<void>((resolve) => call.once('drain', resolve));
            }
            call.end();
          } finally {
            await handle.close();
          }
        })();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${args.host}:0`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    servers.push(server);
    return { port };
  },

  fetchGrpc: async (args: { target: string; dest: string; windowBytes?: number; sink?: Sink }) => {
    const started = performance.now();
    const client = new ZeroCopyClient(args.target, ChannelCredentials.createInsecure(), { ...options(args.windowBytes), 'grpc.use_local_subchannel_pool': 1 });
    try {
      const call = client.download({ sha256: '', path: '', offset: 0, ticket: Buffer.alloc(0), sealedStream: false });
      const sink = args.sink ?? 'stream';
      if (sink === 'stream') {
        const out = createWriteStream(args.dest);
        await new Promise<void>((resolve, reject) => {
          call.on('data', (message: DownloadResponse) => {
            if (message.payload?.$case !== 'chunk') return;
            if (!out.write(message.payload.value)) {
              call.pause();
              out.once('drain', () => call.resume());
            }
          });
          call.on('error', reject);
          call.on('end', () => out.end());
          out.on('error', reject);
          out.on('close', resolve);
        });
        return { ms: performance.now() - started, bytes: out.bytesWritten, sha256: '' };
      }
      const handle = await open(args.dest, 'w');
      const hash = createHash('sha256');
      let position = 0;
      const inFlight: Promise<void>[] = [];
      const write = async (data: Uint8Array, at: number): Promise<void> => {
        const { bytesWritten } = await handle.write(data, 0, data.length, at);
        if (bytesWritten !== data.length) throw new Error('short write');
      };
      try {
        for await (const message of call as AsyncIterable<DownloadResponse>) {
          if (message.payload?.$case !== 'chunk') continue;
          const data = message.payload.value;
          if (sink === 'pipelined-hash') {
            hash.update(data);
            inFlight.push(write(data, position));
            position += data.length;
            if (inFlight.length >= PIPELINE_DEPTH) await inFlight.shift();
            continue;
          }
          let written;
          if (sink === 'serial-hash') {
            written = await handle.write(data, 0, data.length, position);
            hash.update(data);
          } else {
            const writing = handle.write(data, 0, data.length, position);
            hash.update(data);
            written = await writing;
          }
          if (written.bytesWritten !== data.length) throw new Error('short write');
          position += data.length;
        }
        await Promise.all(inFlight);
      } finally {
        await handle.close();
      }
      return { ms: performance.now() - started, bytes: position, sha256: hash.digest('hex') };
    } finally {
      client.close();
    }
  },
};

export type GrpcBareOps = typeof handlers;

serve(handlers);

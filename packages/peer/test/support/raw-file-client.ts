import { ChannelCredentials, Metadata, makeGenericClientConstructor, status, type ServiceError } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { DownloadResponse, type FileHeader } from '@kompart/protocol';
import { FileServiceService } from '@kompart/grpc/testing';
import { type KompartError } from '@kompart/core';
import { fromServiceError } from '@kompart/grpc';

/** What one raw Download call produced: every message the server sent, and how it ended. */
export interface RawOutcome {
  /** gRPC status code (0 when the stream ended normally). */
  readonly code: number;
  readonly details: string;
  /** The kompart reason and params, when the server sent an ErrorInfo. */
  readonly error?: KompartError;
  readonly header?: FileHeader;
  /** Every chunk byte received, in order. */
  readonly data: Buffer;
  /** Responses received, decoded (a header counts as one). */
  readonly messages: number;
}

const identity = (bytes: Buffer): Buffer => bytes;

/** A FileService client that sends the request bytes exactly as given (no serializer). */
const RawFileService = makeGenericClientConstructor(
  {
    download: {
      path: FileServiceService.download.path,
      requestStream: false,
      responseStream: true,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  'RawFileService',
);

export interface RawDownloadOptions {
  /** Deadline of the call (default 10 s). */
  readonly deadlineMs?: number;
  /** Cancels the call once this many messages arrived (0: right after sending). */
  readonly cancelAfter?: number;
}

export interface RawFileClient {
  /** Sends `request` as the encoded DownloadRequest and collects the whole answer. */
  download(request: Uint8Array, options?: RawDownloadOptions): Promise<RawOutcome>;
  close(): void;
}

/**
 * A raw FileService client for `target`. Messages are collected from the 'data' events
 * themselves (not an async iterator, which may drop what is buffered when the call
 * fails), so a byte that leaks before an error is still seen.
 */
export function rawFileClient(target: string): RawFileClient {
  const client = new RawFileService(target, ChannelCredentials.createInsecure(), {
    'grpc-node.flow_control_window': 8 * 1024 * 1024,
    'grpc.max_receive_message_length': 32 * 1024 * 1024,
  });
  return {
    download(request, options = {}) {
      return new Promise((resolve) => {
        const deadline = Date.now() + (options.deadlineMs ?? 10_000);
        const call = (
          client as unknown as { download(request: Buffer, metadata: Metadata, options: { deadline: number }): NodeJS.EventEmitter & { cancel(): void } }
        ).download(Buffer.from(request), new Metadata(), { deadline });
        const chunks: Buffer[] = [];
        let header: FileHeader | undefined;
        let messages = 0;
        let failure: ServiceError | undefined;
        if (options.cancelAfter === 0) call.cancel();
        call.on('data', (bytes: Buffer) => {
          messages += 1;
          if (messages === options.cancelAfter) call.cancel();
          const response = DownloadResponse.decode(bytes);
          if (response.payload?.$case === 'header') header = response.payload.value;
          else if (response.payload?.$case === 'chunk') chunks.push(Buffer.from(response.payload.value));
        });
        call.on('error', (error: ServiceError) => {
          failure = error;
        });
        call.on('status', (final: { code: number; details: string }) => {
          // 'error' precedes 'status'; let any data event queued before it run first.
          setImmediate(() => {
            const error = fromServiceError(failure);
            resolve({
              code: final.code,
              details: final.details,
              ...(error === undefined ? {} : { error }),
              ...(header === undefined ? {} : { header }),
              data: Buffer.concat(chunks),
              messages,
            });
          });
        });
      });
    },
    close: () => client.close(),
  };
}

/** Status codes a FileService answers on purpose; INTERNAL and UNKNOWN are never among them. */
export const DELIBERATE_DOWNLOAD_CODES: ReadonlySet<number> = new Set([
  status.OK,
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.UNAUTHENTICATED,
  status.RESOURCE_EXHAUSTED,
]);

/** DownloadRequest fields as they may travel on the wire, well-formed or not; a field left out or `undefined` is not sent (the fuzzers choose that per field). */
export interface RawRequestFields {
  readonly sha256?: string | Uint8Array | undefined;
  /** A string is sent as UTF-8; bytes exactly as given (invalid UTF-8 included). */
  readonly path?: string | Uint8Array | undefined;
  /** Any 64-bit varint: negative values are sent as int64 (ten bytes). */
  readonly offset?: bigint | number | undefined;
  readonly ticket?: Uint8Array | undefined;
  /** A byte range's length (field 5), any 64-bit varint like the offset. */
  readonly length?: bigint | number | undefined;
  /** Appended after the known fields (unknown fields, garbage). */
  readonly trailer?: Uint8Array | undefined;
}

/** Encodes a DownloadRequest by hand, so that anything a wire can carry can be sent. */
export function encodeDownloadRequest(fields: RawRequestFields): Uint8Array {
  const writer = new BinaryWriter();
  const text = (field: number, value: string | Uint8Array | undefined): void => {
    if (value === undefined) return;
    writer.uint32((field << 3) | 2);
    if (typeof value === 'string') writer.string(value);
    else writer.bytes(value);
  };
  text(1, fields.sha256);
  text(2, fields.path);
  const varint = (field: number, value: bigint | number | undefined): void => {
    if (value === undefined) return;
    const big = BigInt(value);
    writer.uint32(field << 3);
    if (big < 0n) writer.int64(big);
    else writer.uint64(big);
  };
  varint(3, fields.offset);
  text(4, fields.ticket);
  varint(5, fields.length);
  const encoded = writer.finish();
  return fields.trailer === undefined ? encoded : Buffer.concat([encoded, fields.trailer]);
}

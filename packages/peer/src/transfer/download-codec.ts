import { grpcJsService } from '@kompart/grpc';
import { DownloadResponse, FileServiceDefinition } from '@kompart/protocol';
import { idleBuffers, type IdleBuffers } from './idle-buffers.js';

/**
 * A faster codec for Download's chunk messages, byte-for-byte the protobuf encoding.
 *
 * Profiling a 256 MiB transfer showed the holder spending about a third of its CPU in
 * the generic protobuf writer (growing its buffer, then copying the 1 MiB payload twice)
 * and the downloader copying every payload once more on decode. A `DownloadResponse`
 * with only `chunk` set is just `0x12 <varint length> <bytes>`, so:
 *
 * - the FileService reads the file straight into a reused buffer with room for that
 *   framing (see {@link ChunkBufferPool}) and hands it to gRPC as is ({@link EncodedResponse});
 * - the downloader's client recognises that framing and takes the payload as a view of
 *   the received message, without copying. Anything else goes through the generated code.
 *
 * Other clients and servers see ordinary protobuf: nothing about the wire changes.
 */

/** Tag of DownloadResponse.chunk (field 2, length-delimited). */
export const CHUNK_TAG = (2 << 3) | 2;

/**
 * A response already serialised (the framing plus payload of a chunk).
 * @public (returned by ChunkBufferPool.frame; its spec reads the bytes)
 */
export class EncodedResponse {
  constructor(readonly bytes: Buffer) {}
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    length += 1;
  }
  return length;
}

/** Room before the payload in a pooled chunk buffer: the tag plus a varint of up to 4 bytes (lengths below 2^28). */
const FRAME_ROOM = 5;

/**
 * Reusable chunk buffers for one Download, at most `depth` of them. Each holds
 * {@link FRAME_ROOM} bytes of room, then up to `chunkBytes` of payload read straight from
 * the file; {@link ChunkBufferPool.frame} writes the framing right before the payload.
 *
 * Why: a fresh 1 MiB Buffer per chunk is a fresh malloc above glibc's mmap/trim thresholds,
 * so every chunk paid for mapping, zeroing on first touch (page faults) and unmapping
 * pages; with the same code the holder ran markedly faster once glibc kept its memory
 * (MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_). A small pool gives the same without
 * asking anything of the user. A buffer goes back to the pool only when gRPC's write
 * callback says it is done with it. When the call ends, its buffers (those free then and
 * those released later) go to the process's idle buffers of that size (see idleBuffers),
 * up to `depth` of them, which the next Download takes first.
 */
export class ChunkBufferPool {
  readonly #free: Buffer[] = [];
  readonly #idle: IdleBuffers;
  readonly #waiting: ((buffer: Buffer | undefined) => void)[] = [];
  #allocated = 0;
  #closed = false;

  constructor(
    readonly chunkBytes: number,
    readonly depth: number,
  ) {
    if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes >= 2 ** 28) throw new RangeError('chunkBytes must be an integer between 1 and 2^28 - 1');
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError('depth must be a positive integer');
    this.#idle = idleBuffers(FRAME_ROOM + chunkBytes, depth);
  }

  /** Where the payload goes in a pooled buffer. */
  static readonly payloadOffset = FRAME_ROOM;

  /** A free buffer (an idle one, or a new one, while fewer than `depth` are in use), or undefined once closed. */
  acquire(): Promise<Buffer | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    const free = this.#free.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.#allocated < this.depth) {
      this.#allocated += 1;
      return Promise.resolve(this.#idle.take());
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a buffer back (when its write completed); after close it goes to the idle set. */
  release(buffer: Buffer): void {
    if (this.#closed) {
      this.#idle.give(buffer);
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) waiter(buffer);
    else this.#free.push(buffer);
  }

  /** Wakes every waiter with undefined and passes its free buffers to the idle set: the call is over. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const buffer of this.#free.splice(0)) this.#idle.give(buffer);
    for (const waiter of this.#waiting.splice(0)) waiter(undefined);
  }

  /**
   * The encoded `DownloadResponse` for `length` payload bytes already at
   * {@link ChunkBufferPool.payloadOffset} of `buffer`: a view from the framing to the
   * payload's end (same bytes as the generated encoder).
   */
  static frame(buffer: Buffer, length: number): EncodedResponse {
    const framing = 1 + varintLength(length);
    const start = FRAME_ROOM - framing;
    buffer[start] = CHUNK_TAG;
    let value = length;
    let at = start + 1;
    while (value >= 0x80) {
      buffer[at++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    buffer[at] = value;
    return new EncodedResponse(buffer.subarray(start, FRAME_ROOM + length));
  }
}

/** Serialises a response: pre-encoded ones pass through, the rest via the generated code. */
export function serializeDownloadResponse(value: DownloadResponse | EncodedResponse): Buffer {
  if (value instanceof EncodedResponse) return value.bytes;
  return Buffer.from(DownloadResponse.encode(value).finish());
}

/** Deserialises a response; a message that is exactly one chunk yields a view, not a copy. */
export function deserializeDownloadResponse(bytes: Buffer): DownloadResponse {
  if (bytes.length > 1 && bytes[0] === CHUNK_TAG) {
    let length = 0;
    let scale = 1;
    let at = 1;
    while (at < bytes.length && at <= 8) {
      const byte = bytes[at++]!;
      length += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (at + length === bytes.length) return { payload: { $case: 'chunk', value: bytes.subarray(at) } };
        break;
      }
      scale *= 128;
    }
  }
  return DownloadResponse.decode(bytes);
}

/** The FileService definition with the fast chunk codec (same method path and wire format), tolerant of undecodable requests. */
export const fileServiceDefinition = grpcJsService(FileServiceDefinition, {
  download: { responseSerialize: serializeDownloadResponse, responseDeserialize: deserializeDownloadResponse },
});

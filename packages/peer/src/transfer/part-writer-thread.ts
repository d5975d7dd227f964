/**
 * A downloader's thread (PartWriter starts two of this module): writes received bytes
 * into part files, one request after the other, each in write(2) calls of at most
 * WRITE_PIECE_BYTES, or keeps the running SHA-256 of a download in write order (its
 * *digests*, fed by `digest-add`), so the main thread, busy with the network, never
 * hashes a received byte.
 *
 * Runs as a worker thread (see part-writer.ts) and only uses Node's built-in modules, so
 * that it can also run from this file's TypeScript source transpiled on the fly (Jest).
 * The bytes come as views of the downloader's shared receive buffers (no copy); the
 * file descriptor is the downloader's own open part file.
 */
import { createHash, type Hash } from 'node:crypto';
import { readSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Longest single write(2) of downloaded bytes. On the benchmark machine buffered writes of
 * more than 256 KiB cost several times more kernel time per byte, and after the
 * benchmark's memory-heavy suites even 256 KiB pieces slowed down while 64 KiB ones did
 * not (`node bench/dist/experiments/write-size.js`; BENCHMARKS.md, "Tuning constants").
 * 64 KiB is also what a plain `socket.pipe(fs.createWriteStream())` writes. Small pieces
 * cost nothing on this thread: it issues them back to back, without a round trip through
 * the main thread per piece.
 */
export const WRITE_PIECE_BYTES = 64 * 1024;

/**
 * What this thread is asked to do, in order: `write` `data` at `position` of the open
 * file `fd`; `digest-start` a digest over the first `length` bytes of `fd` (a resumed
 * part file's), read here; `digest-add` `data` to a digest; `digest-end` reply with a
 * digest's SHA-256 (hex) and forget it.
 */
export type PartRequest =
  | { readonly kind: 'write'; readonly id: number; readonly fd: number; readonly data: Uint8Array; readonly position: number }
  | { readonly kind: 'digest-start'; readonly id: number; readonly digest: number; readonly fd: number; readonly length: number }
  | { readonly kind: 'digest-end'; readonly id: number; readonly digest: number }
  | { readonly kind: 'digest-add'; readonly id: number; readonly digest: number; readonly data: Uint8Array };

/** The answer to a PartRequest: nothing when done (a digest's hex for `digest-end`), else the system error's code and text. */
export interface PartDone {
  readonly id: number;
  readonly hex?: string;
  readonly error?: { readonly code: string | undefined; readonly message: string };
}

/** `workerData` that makes this module serve PartWrites when it runs as a worker thread. */
export const PART_WRITER_ROLE = 'kompart-part-writer';

/** One write(2) call, as fs.writeSync; returns the bytes written. */
export type WritePiece = (fd: number, data: Uint8Array, offset: number, length: number, position: number) => number;

/** Writes all of `data` at `position`, in pieces of at most WRITE_PIECE_BYTES. */
export function writeInPieces(fd: number, data: Uint8Array, position: number, writePiece: WritePiece = writeSync): void {
  let done = 0;
  while (done < data.length) {
    done += writePiece(fd, data, done, Math.min(WRITE_PIECE_BYTES, data.length - done), position + done);
  }
}

/** Adds the first `length` bytes of `fd` to `hash`, read in 1 MiB pieces. */
function hashPrefix(fd: number, length: number, hash: Hash): void {
  const buffer = Buffer.allocUnsafe(Math.min(length, 1024 * 1024));
  for (let done = 0; done < length;) {
    const read = readSync(fd, buffer, 0, Math.min(buffer.length, length - done), done);
    if (read === 0) throw Object.assign(new Error(`the part file ended at ${done} of ${length} bytes`), { code: 'EIO' });
    hash.update(buffer.subarray(0, read));
    done += read;
  }
}

/** A digest: its hash, or the error that spoiled it (reported by `digest-end`). */
type Digest = { readonly hash: Hash; failure?: Error };

function serve(port: NonNullable<typeof parentPort>): void {
  const digests = new Map<number, Digest>();
  const run = (request: PartRequest): string | undefined => {
    switch (request.kind) {
      case 'write':
        writeInPieces(request.fd, request.data, request.position);
        return undefined;
      case 'digest-add': {
        const digest = digests.get(request.digest);
        if (digest === undefined) throw new Error(`no digest ${request.digest} on this thread`);
        if (digest.failure === undefined) digest.hash.update(request.data);
        return undefined;
      }
      case 'digest-start': {
        const digest: Digest = { hash: createHash('sha256') };
        digests.set(request.digest, digest);
        try {
          hashPrefix(request.fd, request.length, digest.hash);
        } catch (error) {
          digest.failure = error as Error;
        }
        return undefined;
      }
      case 'digest-end': {
        const digest = digests.get(request.digest);
        digests.delete(request.digest);
        if (digest === undefined) throw new Error(`no digest ${request.digest} on this writer thread`);
        if (digest.failure !== undefined) throw digest.failure;
        return digest.hash.digest('hex');
      }
    }
  };
  port.on('message', (request: PartRequest) => {
    let reply: PartDone;
    try {
      const hex = run(request);
      reply = hex === undefined ? { id: request.id } : { id: request.id, hex };
    } catch (error) {
      const failure = error as NodeJS.ErrnoException;
      reply = { id: request.id, error: { code: typeof failure.code === 'string' ? failure.code : undefined, message: String(failure.message ?? failure) } };
    }
    port.postMessage(reply);
  });
}

if (parentPort !== null && workerData === PART_WRITER_ROLE) serve(parentPort);

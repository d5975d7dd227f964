/**
 * The downloader's writer thread: writes received bytes into part files, one request
 * after the other, each in write(2) calls of at most WRITE_PIECE_BYTES.
 *
 * Runs as a worker thread (see part-writer.ts) and only uses Node's built-in modules, so
 * that it can also run from this file's TypeScript source transpiled on the fly (Jest).
 * The bytes come as views of the downloader's shared receive buffers (no copy); the
 * file descriptor is the downloader's own open part file.
 */
import { writeSync } from 'node:fs';
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

/** What this thread is asked to do: write `data` at `position` of the open file `fd`. */
export interface PartWrite {
  readonly id: number;
  readonly fd: number;
  readonly data: Uint8Array;
  readonly position: number;
}

/** The answer to a PartWrite: nothing when written, else the system error's code and text. */
export interface PartWriteDone {
  readonly id: number;
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

function serve(port: NonNullable<typeof parentPort>): void {
  port.on('message', (request: PartWrite) => {
    let reply: PartWriteDone;
    try {
      writeInPieces(request.fd, request.data, request.position);
      reply = { id: request.id };
    } catch (error) {
      const failure = error as NodeJS.ErrnoException;
      reply = { id: request.id, error: { code: typeof failure.code === 'string' ? failure.code : undefined, message: String(failure.message ?? failure) } };
    }
    port.postMessage(reply);
  });
}

if (parentPort !== null && workerData === PART_WRITER_ROLE) serve(parentPort);

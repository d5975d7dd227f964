import { createHash, webcrypto, type Hash } from 'node:crypto';
import { MAX_PIECE_BYTES, MIN_PIECE_BYTES } from '@kompart/protocol';

/**
 * Piece hashes: a file cut into pieces of one fixed size, each with its SHA-256, and a root
 * over them (the SHA-256 of the concatenated 32-byte digests), as registry.proto describes
 * (RegisterFileRequest.piece_size, pieces_root). Downloads from several holders verify
 * each piece against this list as it arrives (swarm-download.ts).
 */

/** Pieces a file is cut into at most, unless that would take pieces above MAX_PIECE_BYTES. */
const TARGET_PIECES = 1024;
/** Bytes of one piece digest. */
export const PIECE_HASH_BYTES = 32;

/** The file's pieces: their size and their SHA-256 digests, concatenated. */
export interface PieceList {
  readonly pieceSize: number;
  readonly hashes: Buffer;
}

/**
 * The piece size for a file of `size` bytes: the smallest power of two from 256 KiB to
 * 4 MiB that cuts it into at most 1024 pieces (256 KiB up to 256 MiB, 1 MiB for 1 GiB,
 * 4 MiB from 4 GiB on, where the count grows past 1024).
 */
export function pieceSizeFor(size: number): number {
  let pieceSize = MIN_PIECE_BYTES;
  while (pieceSize < MAX_PIECE_BYTES && pieceSize * TARGET_PIECES < size) pieceSize *= 2;
  return pieceSize;
}

/** How many pieces a file of `size` bytes has (0 for an empty file). */
export function pieceCount(size: number, pieceSize: number): number {
  return Math.ceil(size / pieceSize);
}

/** The root over a piece list: SHA-256 of the concatenated digests. */
export function piecesRoot(hashes: Uint8Array): Buffer {
  return createHash('sha256').update(hashes).digest();
}

/** True for a piece size the contract allows: a power of two from 256 KiB to 4 MiB. */
export function isValidPieceSize(pieceSize: number): boolean {
  return Number.isInteger(pieceSize) && pieceSize >= MIN_PIECE_BYTES && pieceSize <= MAX_PIECE_BYTES && (pieceSize & (pieceSize - 1)) === 0;
}

/** Computes piece digests from the file's bytes fed in order, in pieces of any length. */
export class PieceHasher {
  readonly #pieceSize: number;
  readonly #digests: Buffer[] = [];
  #current: Hash | undefined;
  #filled = 0;

  constructor(pieceSize: number) {
    this.#pieceSize = pieceSize;
  }

  update(data: Uint8Array): this {
    let at = 0;
    while (at < data.length) {
      this.#current ??= createHash('sha256');
      const take = Math.min(this.#pieceSize - this.#filled, data.length - at);
      this.#current.update(at === 0 && take === data.length ? data : data.subarray(at, at + take));
      this.#filled += take;
      at += take;
      if (this.#filled === this.#pieceSize) this.#close();
    }
    return this;
  }

  /** The piece list of everything fed (the last piece may be short). */
  finish(): PieceList {
    if (this.#current !== undefined) this.#close();
    return { pieceSize: this.#pieceSize, hashes: Buffer.concat(this.#digests) };
  }

  #close(): void {
    this.#digests.push(this.#current!.digest());
    this.#current = undefined;
    this.#filled = 0;
  }
}

/**
 * Piece digests computed on libuv's thread pool (WebCrypto's `subtle.digest`, which copies
 * its input when called), while the caller's thread hashes the same bytes as a whole:
 * `register file` computes two SHA-256 over every byte, the file's and the pieces', and
 * this lets them run side by side instead of one after the other. A piece that arrives
 * whole in one `update` goes to the pool; one cut across updates is hashed here, in order.
 * `update` returns the digests started by the update before it, so that a caller that
 * awaits it keeps at most two updates' worth of copies in flight.
 */
export class PooledPieceHasher {
  readonly #pieceSize: number;
  readonly #digests: Promise<Buffer>[] = [];
  /** A piece cut across updates, hashed here. */
  #partial: Hash | undefined;
  #filled = 0;
  #previous: Promise<unknown> = Promise.resolve();

  constructor(pieceSize: number) {
    this.#pieceSize = pieceSize;
  }

  update(data: Uint8Array): Promise<unknown> {
    const started: Promise<Buffer>[] = [];
    let at = 0;
    while (at < data.length) {
      const take = Math.min(this.#pieceSize - this.#filled, data.length - at);
      const part = data.subarray(at, at + take);
      if (this.#filled === 0 && take === this.#pieceSize) {
        const digest = webcrypto.subtle.digest('SHA-256', part).then((bytes) => Buffer.from(bytes));
        started.push(digest);
        this.#digests.push(digest);
      } else {
        (this.#partial ??= createHash('sha256')).update(part);
        this.#filled += take;
        if (this.#filled === this.#pieceSize) this.#closePartial();
      }
      at += take;
    }
    const wait = this.#previous;
    this.#previous = Promise.all(started);
    return wait;
  }

  /** The piece list of everything fed (the last piece may be short). */
  async finish(): Promise<PieceList> {
    if (this.#partial !== undefined) this.#closePartial();
    return { pieceSize: this.#pieceSize, hashes: Buffer.concat(await Promise.all(this.#digests)) };
  }

  #closePartial(): void {
    this.#digests.push(Promise.resolve(this.#partial!.digest()));
    this.#partial = undefined;
    this.#filled = 0;
  }
}

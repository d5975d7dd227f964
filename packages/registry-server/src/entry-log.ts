/** Where one entry's bytes are in an EntryLog. */
export interface EntrySpan {
  chunk: number;
  offset: number;
  length: number;
}

/** Default size of a chunk. */
const ENTRY_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Bytes of many small entries, appended to large chunks: no object per entry, and entries
 * appended one after another lie one after another, so that a run of them is one copy.
 * Space of entries that are dropped is only counted (`garbage`); the owner rewrites the
 * live entries into a fresh log (`rewrite`) when that is worth it.
 */
export class EntryLog {
  private chunks: Buffer[] = [];
  private used = 0;
  /** Bytes of entries still in use. */
  live = 0;
  /** Bytes of entries dropped since the log was made. */
  garbage = 0;

  constructor(private readonly chunkBytes: number = ENTRY_CHUNK_BYTES) {}

  /** Copies `bytes` in and records where they are in `span`. */
  append(bytes: Uint8Array, span: EntrySpan): void {
    let chunk = this.chunks[this.chunks.length - 1];
    if (chunk === undefined || this.used + bytes.length > chunk.length) {
      chunk = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes.length));
      this.chunks.push(chunk);
      this.used = 0;
    }
    chunk.set(bytes, this.used);
    span.chunk = this.chunks.length - 1;
    span.offset = this.used;
    span.length = bytes.length;
    this.used += bytes.length;
    this.live += bytes.length;
  }

  /** Marks an entry's bytes as no longer used. */
  drop(span: EntrySpan): void {
    this.live -= span.length;
    this.garbage += span.length;
  }

  /** True when dropped entries take more room than live ones (and enough to matter). */
  get wasteful(): boolean {
    return this.garbage > this.chunkBytes && this.garbage > this.live;
  }

  /** A view of an entry's bytes (valid until the log is rewritten). */
  view(span: EntrySpan): Buffer {
    return this.chunks[span.chunk]!.subarray(span.offset, span.offset + span.length);
  }

  /**
   * Views of the entries, in order, with adjacent ones merged into one view each.
   */
  views(spans: readonly EntrySpan[]): Buffer[] {
    const out: Buffer[] = [];
    let chunk = -1;
    let start = 0;
    let end = 0;
    for (const span of spans) {
      if (span.chunk === chunk && span.offset === end) {
        end += span.length;
        continue;
      }
      if (chunk >= 0) out.push(this.chunks[chunk]!.subarray(start, end));
      chunk = span.chunk;
      start = span.offset;
      end = span.offset + span.length;
    }
    if (chunk >= 0) out.push(this.chunks[chunk]!.subarray(start, end));
    return out;
  }
}

import type { SharedFile } from '@kompart/protocol';

/**
 * A protobuf writer for the registry's hand-written encoders. It writes what the
 * generated encoders write (fields in the order given, minimal varints, strings as UTF-8
 * with lone surrogates replaced by U+FFFD, as TextEncoder does) into one buffer sized up
 * front from the `…Size` functions below, which assume ASCII text; non-ASCII text grows
 * the buffer when it is met. Callers leave out proto3 defaults as the generated code does.
 */
export class WireWriter {
  private buffer: Buffer;
  private pos = 0;

  /** Writes into `into` when it holds `size` bytes, else into a new buffer. */
  constructor(size: number, into?: Buffer) {
    this.buffer = into !== undefined && into.length >= size ? into : Buffer.allocUnsafe(size);
  }

  /** A string field: tag, UTF-8 length, UTF-8 bytes; nothing when empty. */
  text(tag: number, text: string): void {
    const length = text.length;
    if (length === 0) return;
    const prefix = varintSize(length);
    this.ensure(1 + prefix + length);
    const buffer = this.buffer;
    buffer[this.pos++] = tag;
    const start = this.pos + prefix;
    let pos = start;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0x7f) {
        this.pos = start;
        this.utf8(text);
        this.lengthBefore(start, prefix);
        return;
      }
      buffer[pos++] = code;
    }
    this.pos = start - prefix;
    this.varint(length);
    this.pos = pos;
  }

  /** A bytes field; nothing when empty. */
  bytes(tag: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.ensure(1 + varintSize(bytes.length) + bytes.length);
    this.buffer[this.pos++] = tag;
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** A varint field of a non-negative safe integer; nothing when 0. */
  uint(tag: number, value: number): void {
    if (value === 0) return;
    this.ensure(1 + varintSize(value));
    this.buffer[this.pos++] = tag;
    this.varint(value);
  }

  /**
   * Starts a message field whose body is `estimate` bytes if its text is ASCII; returns a
   * mark for `end`, which writes the real length once the body is written.
   */
  begin(tag: number, estimate: number): number {
    const prefix = varintSize(estimate);
    this.ensure(1 + prefix);
    this.buffer[this.pos++] = tag;
    const start = this.pos + prefix;
    this.pos = start;
    return start * 8 + prefix;
  }

  end(mark: number): void {
    this.lengthBefore(Math.floor(mark / 8), mark % 8);
  }

  /** A SharedFile message field (written even when every field is empty, as a set message is). */
  sharedFile(tag: number, file: SharedFile): void {
    const mark = this.begin(tag, sharedFileBodySize(file));
    this.text(0x0a, file.peer);
    this.text(0x12, file.path);
    this.text(0x1a, file.name);
    this.text(0x22, file.sha256);
    this.uint(0x28, file.size);
    this.end(mark);
  }

  /** Bytes as they are (already encoded fields). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  finish(): Buffer {
    return this.pos === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.pos);
  }

  /** The buffer written into (the one given, or a new one). */
  get target(): Buffer {
    return this.buffer;
  }

  /** Replaces whatever ASCII was copied at `this.pos` with the UTF-8 of the whole text. */
  private utf8(text: string): void {
    const room = 3 * text.length;
    this.ensure(room);
    this.pos += this.buffer.write(text, this.pos, room, 'utf8');
  }

  /**
   * Writes the length of the bytes from `start` to here in the `prefix` bytes reserved
   * before `start`, moving the bytes when the real length needs another varint size.
   */
  private lengthBefore(start: number, prefix: number): void {
    const length = this.pos - start;
    const size = varintSize(length);
    if (size !== prefix) {
      this.ensure(size - prefix);
      this.buffer.copyWithin(start - prefix + size, start, this.pos);
    }
    this.pos = start - prefix;
    this.varint(length);
    this.pos += length;
  }

  private varint(value: number): void {
    const buffer = this.buffer;
    let pos = this.pos;
    while (value > 0x7fffffff) {
      buffer[pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    while (value > 0x7f) {
      buffer[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buffer[pos++] = value;
    this.pos = pos;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + bytes));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }
}

/** Integers the writer encodes itself: non-negative and exact (0 … 2^53-1). */
export const isWireInteger = (value: number): boolean => Number.isSafeInteger(value) && value >= 0;

/** Bytes of the varint of a non-negative safe integer. */
function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  for (let rest = Math.floor(value / 0x10000000); rest > 0; rest = Math.floor(rest / 0x80)) size++;
  return size;
}

/** Size of a string field if its text is ASCII (0 when empty). */
export const textSize = (text: string): number => (text.length === 0 ? 0 : 1 + varintSize(text.length) + text.length);

/** Size of a bytes field (0 when empty). */
export const bytesSize = (bytes: Uint8Array): number => (bytes.length === 0 ? 0 : 1 + varintSize(bytes.length) + bytes.length);

/** Size of a varint field (0 when the value is 0). */
export const uintSize = (value: number): number => (value === 0 ? 0 : 1 + varintSize(value));

/** SharedFile body size if its text is ASCII. */
function sharedFileBodySize(file: SharedFile): number {
  return textSize(file.peer) + textSize(file.path) + textSize(file.name) + textSize(file.sha256) + uintSize(file.size);
}

/** Size of a SharedFile message field if its text is ASCII. */
export function sharedFileSize(file: SharedFile): number {
  const body = sharedFileBodySize(file);
  return 1 + varintSize(body) + body;
}

import { ListFilesResponse, type SharedFile } from '@kompart/protocol';

/**
 * A hand-written encoder for ListFilesResponse, the one message whose size grows with the
 * index (a 10 000-entry page is over a megabyte). It writes exactly the bytes the generated
 * encoder writes (fields in number order, proto3 defaults left out, minimal varints,
 * strings as UTF-8 with lone surrogates replaced by U+FFFD, as TextEncoder does), in one
 * buffer sized up front, with ASCII text copied by a plain loop rather than through
 * TextEncoder, and without the generated encoder's fork/join per entry.
 *
 * Anything it was not written for (a size that is not a non-negative safe integer) goes
 * to the generated encoder, so the output is always a valid ListFilesResponse.
 *
 * A message made by `withEncodedFiles` carries its entries already encoded (by the store,
 * with this same encoder); they are copied as they are.
 */
export function encodeListFilesResponse(message: ListFilesResponse): Buffer {
  const files = message.files;
  const token = message.nextPageToken;
  const encoded = (message as EncodedListFilesResponse)[ENCODED_FILES];
  if (encoded !== undefined) return concatWithToken(encoded, token);
  // Size if all text is ASCII; non-ASCII text grows the buffer as it is met.
  let estimate = fieldSize(token);
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    if (!isWireSize(file.size)) return Buffer.from(ListFilesResponse.encode(message).finish());
    const body = asciiBodySize(file);
    estimate += 1 + varintSize(body) + body;
  }
  const writer = new PageWriter(estimate);
  for (let i = 0; i < files.length; i++) writer.entry(files[i]!);
  if (token !== '') writer.text(0x12, token);
  return writer.finish();
}

const ENCODED_FILES = Symbol('encoded files');

interface EncodedListFilesResponse extends ListFilesResponse {
  readonly [ENCODED_FILES]?: readonly Uint8Array[];
}

/**
 * Attaches to a response the encoding of its `files` (views whose concatenation is the
 * `files` fields, as RegistryStore's ListPage.encoded), for encodeListFilesResponse to
 * copy. Without them the message is encoded as usual.
 */
export function withEncodedFiles(message: ListFilesResponse, encoded: readonly Uint8Array[] | undefined): ListFilesResponse {
  if (encoded === undefined) return message;
  const attached: EncodedListFilesResponse = { ...message, [ENCODED_FILES]: encoded };
  return attached;
}

function concatWithToken(encoded: readonly Uint8Array[], token: string): Buffer {
  let size = 0;
  for (const view of encoded) size += view.length;
  const writer = new PageWriter(size + fieldSize(token));
  for (const view of encoded) writer.raw(view);
  if (token !== '') writer.text(0x12, token);
  return writer.finish();
}

/** Sizes the fast path handles: what the registry stores (validated 0 … 2^53-1). */
const isWireSize = (size: number): boolean => Number.isSafeInteger(size) && size >= 0;

/** Encoded size of a non-empty string field whose text is ASCII (0 for an empty one). */
const fieldSize = (text: string): number => (text.length === 0 ? 0 : 1 + varintSize(text.length) + text.length);

/** SharedFile body size if its text is ASCII. */
function asciiBodySize(file: SharedFile): number {
  return fieldSize(file.peer) + fieldSize(file.path) + fieldSize(file.name) + fieldSize(file.sha256) + (file.size === 0 ? 0 : 1 + varintSize(file.size));
}

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

class PageWriter {
  private buffer: Buffer;
  private pos = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** One `files` entry (field 1, a SharedFile). */
  entry(file: SharedFile): void {
    const prefix = varintSize(asciiBodySize(file));
    this.ensure(1 + prefix);
    this.buffer[this.pos++] = 0x0a;
    const start = this.pos + prefix;
    this.pos = start;
    this.text(0x0a, file.peer);
    this.text(0x12, file.path);
    this.text(0x1a, file.name);
    this.text(0x22, file.sha256);
    if (file.size !== 0) {
      this.ensure(1 + varintSize(file.size));
      this.buffer[this.pos++] = 0x28;
      this.varint(file.size);
    }
    this.lengthBefore(start, prefix);
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

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  finish(): Buffer {
    return this.pos === this.buffer.length ? this.buffer : this.buffer.subarray(0, this.pos);
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

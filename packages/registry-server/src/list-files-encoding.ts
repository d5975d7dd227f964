import { ListFilesResponse } from '@kompart/protocol';
import { WireWriter, isWireInteger, sharedFileSize, textSize } from './wire-writer.js';

/**
 * A hand-written encoder for ListFilesResponse, the one message whose size grows with the
 * index (a 10 000-entry page is over a megabyte). It writes exactly the bytes the generated
 * encoder writes (see WireWriter), in one buffer sized up front, with ASCII text copied by
 * a plain loop rather than through TextEncoder, and without the generated encoder's
 * fork/join per entry.
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
  if (encoded !== undefined) return concatWithToken(encoded, token, undefined).finish();
  // Size if all text is ASCII; non-ASCII text grows the buffer as it is met.
  let estimate = textSize(token);
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    if (!isWireInteger(file.size)) return Buffer.from(ListFilesResponse.encode(message).finish());
    estimate += sharedFileSize(file);
  }
  const writer = new WireWriter(estimate);
  for (let i = 0; i < files.length; i++) writer.sharedFile(0x0a, files[i]!);
  writer.text(0x12, token);
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

/** Size of a page of pre-encoded entries and its token (if the token is ASCII). */
function concatSize(encoded: readonly Uint8Array[], token: string): number {
  let size = textSize(token);
  for (const view of encoded) size += view.length;
  return size;
}

function concatWithToken(encoded: readonly Uint8Array[], token: string, into: Buffer | undefined): WireWriter {
  const writer = new WireWriter(concatSize(encoded, token), into);
  for (const view of encoded) writer.raw(view);
  writer.text(0x12, token);
  return writer;
}

/** The buffer serializeListFilesResponse assembles pages in, kept from page to page. */
let pageBuffer: Buffer | undefined;

/**
 * ListFiles' responseSerialize: encodeListFilesResponse, except that a page of entries
 * the store had encoded is assembled in one buffer reused from page to page, so that a
 * page costs no megabyte-sized allocation (and the young-generation collections such
 * allocations bring on). The bytes it returns are only valid until its next call: grpc-js
 * copies them into the frame it sends before the serializer returns (serializeMessage in
 * its server-interceptors), and nothing else may call this.
 */
export function serializeListFilesResponse(message: ListFilesResponse): Buffer {
  const encoded = (message as EncodedListFilesResponse)[ENCODED_FILES];
  if (encoded === undefined) return encodeListFilesResponse(message);
  const size = concatSize(encoded, message.nextPageToken);
  // Some room to spare, so that pages of slightly different sizes share one buffer.
  if (pageBuffer === undefined || pageBuffer.length < size) pageBuffer = Buffer.allocUnsafe(Math.ceil(size * 1.25));
  const writer = concatWithToken(encoded, message.nextPageToken, pageBuffer);
  pageBuffer = writer.target;
  return writer.finish();
}

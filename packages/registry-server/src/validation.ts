import {
  DEFAULT_HOLDERS,
  DEFAULT_PAGE_SIZE,
  DEFAULT_PEER_PORT,
  MAX_FILE_REF_LENGTH,
  MAX_FILE_SIZE,
  MAX_HOLDERS,
  MAX_PAGE_SIZE,
  MAX_PATH_BYTES,
  MAX_PIECE_BYTES,
  MIN_PIECE_BYTES,
  Reason,
} from '@kompart/protocol';
import { AddressError, KompartError, invalidArgument, isHashReference, isHexPrefix, isSha256, parseEndpoint, type Endpoint } from '@kompart/core';

/** Parses a peer address (`ip` or `ip:port`, default port 50052) or throws INVALID_ARGUMENT. */
export function peerEndpoint(field: string, value: string): Endpoint {
  try {
    return parseEndpoint(value, DEFAULT_PEER_PORT);
  } catch (error) {
    if (error instanceof AddressError) throw invalidArgument(field, error.message);
    throw error;
  }
}

/** The normalised identity of a peer address (see peerEndpoint). */
export function peerAddress(field: string, value: string): string {
  return peerEndpoint(field, value).id;
}

/**
 * Checks a registered path: absolute, no NUL or other control characters, at most
 * MAX_PATH_BYTES bytes, no empty, `.` or `..` components (so every path names one file
 * one way).
 */
export function registeredPath(value: string, maxBytes: number = MAX_PATH_BYTES): string {
  if (value.length === 0) throw invalidArgument('path', 'empty');
  if (Buffer.byteLength(value, 'utf8') > maxBytes) throw invalidArgument('path', `longer than ${maxBytes} bytes`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalidArgument('path', 'contains a control character');
  if (!value.startsWith('/')) throw invalidArgument('path', 'must be absolute (start with /)');
  if (value.length > 1 && value.endsWith('/')) throw invalidArgument('path', 'must name a file, not a folder');
  const parts = value.slice(1).split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw invalidArgument('path', 'must not contain empty, "." or ".." components');
  }
  return value;
}

/**
 * Checks a certificate fingerprint (RegisterPeerRequest.certificate_sha256): 32 bytes, or
 * none. Returns it as 64 lower-case hex digits, or '' for none.
 */
export function certificateSha256(value: Uint8Array): string {
  if (value.length !== 0 && value.length !== 32) throw invalidArgument('certificate_sha256', `must be 32 bytes or empty, not ${value.length}`);
  return Buffer.from(value).toString('hex');
}

/** Checks a SHA-256 in hex and returns it in lower case. */
export function sha256(value: string): string {
  if (!isSha256(value)) throw invalidArgument('sha256', 'must be 64 hexadecimal digits');
  return value.toLowerCase();
}

/** Checks a declared file size. */
export function fileSize(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_FILE_SIZE) {
    throw invalidArgument('size', `must be an integer from 0 to ${MAX_FILE_SIZE}`);
  }
  return value;
}

/**
 * Checks RegisterFileRequest's piece fields: none (0 and empty, an older client), or a
 * power-of-two piece size from MIN_PIECE_BYTES to MAX_PIECE_BYTES with a 32-byte root.
 * Returns them as stored (the root in lower-case hex), or an empty object for none.
 */
export function pieceFields(pieceSize: number, root: Uint8Array): { pieceSize?: number; piecesRoot?: string } {
  if (pieceSize === 0 && root.length === 0) return {};
  if (!Number.isInteger(pieceSize) || pieceSize < MIN_PIECE_BYTES || pieceSize > MAX_PIECE_BYTES || (pieceSize & (pieceSize - 1)) !== 0) {
    throw invalidArgument('piece_size', `must be 0 or a power of two from ${MIN_PIECE_BYTES} to ${MAX_PIECE_BYTES}`);
  }
  if (root.length !== 32) throw invalidArgument('pieces_root', 'must be 32 bytes (a SHA-256) when piece_size is set');
  return { pieceSize, piecesRoot: Buffer.from(root).toString('hex') };
}

/** Checks LocateHoldersRequest.sha256 (a whole hash or a prefix of 8+ hex digits) and returns it in lower case. */
export function holdersReference(value: string): string {
  if (!isHashReference(value) || value.length > 64) throw invalidArgument('sha256', 'must be 8 to 64 hexadecimal digits');
  return value.toLowerCase();
}

/** How many holders LocateHolders answers. */
export function maxHolders(value: number): number {
  if (value === 0) return DEFAULT_HOLDERS;
  return Math.min(value, MAX_HOLDERS);
}

/** The page size a request really gets. */
export function pageSize(value: number): number {
  if (!Number.isInteger(value) || value < 0) throw invalidArgument('page_size', 'must not be negative');
  if (value === 0) return DEFAULT_PAGE_SIZE;
  return Math.min(value, MAX_PAGE_SIZE);
}

/** Checks a hash-prefix filter and returns it in lower case. */
export function hashPrefixFilter(value: string): string {
  if (value === '') return '';
  if (!isHexPrefix(value)) throw invalidArgument('sha256_prefix', 'must be 1 to 64 hexadecimal digits');
  return value.toLowerCase();
}

/** Checks a free-text filter. */
export function nameFilter(value: string): string {
  if (Buffer.byteLength(value, 'utf8') > MAX_PATH_BYTES) throw invalidArgument('name_contains', 'too long');
  if (value.includes('\u0000')) throw invalidArgument('name_contains', 'contains a NUL byte');
  return value.toLowerCase();
}

/** Checks what follows `holder/` in a LocateFile request. */
export function fileReference(value: string): string {
  if (value.length === 0) throw invalidArgument('file', 'empty');
  if (value.length > MAX_FILE_REF_LENGTH) throw invalidArgument('file', 'too long');
  if (value.includes('\u0000')) throw invalidArgument('file', 'contains a NUL byte');
  return value;
}

const PAGE_TOKEN_PREFIX = 'p1.';

/** Page tokens are opaque to clients: `p1.` + the cursor in base 36. */
export function encodePageToken(cursor: number): string {
  return PAGE_TOKEN_PREFIX + cursor.toString(36);
}

export function decodePageToken(token: string): number {
  if (token === '') return 0;
  const body = token.startsWith(PAGE_TOKEN_PREFIX) ? token.slice(PAGE_TOKEN_PREFIX.length) : '';
  if (!/^[0-9a-z]{1,11}$/.test(body)) throw new KompartError(Reason.INVALID_PAGE_TOKEN, { field: 'page_token' });
  return parseInt(body, 36);
}

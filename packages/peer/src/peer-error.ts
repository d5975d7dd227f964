import { KompartError, errorTexts, peerTexts, render, type Lang, type Text } from '@kompart/protocol';

/**
 * Local failures of a peer: things that go wrong on this machine (a path that does not
 * exist, a disk that is full, a download whose bytes do not hash to what the registry
 * promised) or between this peer and another process (registry unreachable). Failures the
 * registry or a holder report come as {@link KompartError}s instead, with the registry's
 * own reason; {@link describeError} renders either kind.
 */
export const PeerErrorCode = {
  /** `register file`: the path does not exist. Params: path. */
  PathNotFound: 'PATH_NOT_FOUND',
  /** `register file`: the path (or a file under it) cannot be read. Params: path, detail. */
  PathUnreadable: 'PATH_UNREADABLE',
  /** `register file`: the path is neither a regular file nor a directory. Params: path. */
  NotAFile: 'NOT_A_FILE',
  /** The file changed while it was being hashed. Params: path. */
  FileChanged: 'FILE_CHANGED',
  /** A downloaded file did not hash to the expected SHA-256; nothing was kept. Params: file, expected, actual. */
  HashMismatch: 'HASH_MISMATCH',
  /** A download was cancelled; the `.part` file is kept for resuming. Params: file. */
  DownloadCancelled: 'DOWNLOAD_CANCELLED',
  /** The holder's stream broke off; the `.part` file is kept for resuming. Params: file, peer. */
  TransferInterrupted: 'TRANSFER_INTERRUPTED',
  /** The holder sent something that is not a valid download stream. Params: peer, detail. */
  ProtocolViolation: 'PROTOCOL_VIOLATION',
  /** Writing to the downloads folder failed (permissions, I/O error). Params: path, detail. */
  DiskError: 'DISK_ERROR',
  /** The downloads folder's file system is full (ENOSPC, EDQUOT); the part file was deleted. Params: path. */
  DiskFull: 'DISK_FULL',
  /** The registry did not answer. Params: server. */
  RegistryUnreachable: 'REGISTRY_UNREACHABLE',
  /** `disconnect` while this peer has no session (the contract's `Peer não registrado`). */
  NotRegistered: 'NOT_REGISTERED',
  /** `get file` argument is not `<IP>/<file>`. Params: ref. */
  InvalidFileRef: 'INVALID_FILE_REF',
  /** The FileService could not listen on its address. Params: address, detail. */
  ListenFailed: 'LISTEN_FAILED',
  /** The peer was used before start() or after close(). Params: state. */
  NotRunning: 'NOT_RUNNING',
} as const;
export type PeerErrorCode = (typeof PeerErrorCode)[keyof typeof PeerErrorCode];

/** Texts of the local errors, from the message catalogue in @kompart/protocol. */
export const peerErrorTexts: Readonly<Record<PeerErrorCode, Text>> = peerTexts;

/** A local failure of the peer runtime, with the values its message is built from. */
export class PeerError extends Error {
  readonly code: PeerErrorCode;
  readonly params: Readonly<Record<string, string>>;

  constructor(code: PeerErrorCode, params: Readonly<Record<string, string>> = {}, options?: { cause?: unknown }) {
    super(render(peerErrorTexts[code], 'en', params), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PeerError';
    this.code = code;
    this.params = params;
  }

  /** The message in the given language. */
  render(lang: Lang): string {
    return render(peerErrorTexts[this.code], lang, this.params);
  }
}

/**
 * One line for a person, whatever was thrown: KompartErrors and PeerErrors in `lang`,
 * anything else as the catalogue's "unexpected error" with the error's own message.
 * Never includes a stack trace.
 */
export function describeError(error: unknown, lang: Lang): string {
  if (error instanceof KompartError || error instanceof PeerError) return error.render(lang);
  const detail = error instanceof Error ? error.message : String(error);
  return render(errorTexts.unexpected, lang, { detail });
}

/** The `code` of a Node.js system error (`ENOENT`, `ENOSPC`, …), if any. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

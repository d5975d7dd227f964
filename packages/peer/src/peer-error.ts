import { KompartError, errorTexts, render, type Lang, type Text } from '@kompart/protocol';

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

/** Texts of the local errors, Portuguese (default) and English, with `{name}` placeholders. */
export const peerErrorTexts: Readonly<Record<PeerErrorCode, Text>> = {
  PATH_NOT_FOUND: { pt: 'Arquivo ou pasta não encontrado: {path}', en: 'No such file or folder: {path}' },
  PATH_UNREADABLE: { pt: 'Não foi possível ler {path}: {detail}', en: 'Cannot read {path}: {detail}' },
  NOT_A_FILE: { pt: 'Não é um arquivo comum nem uma pasta: {path}', en: 'Not a regular file or folder: {path}' },
  FILE_CHANGED: { pt: 'O arquivo {path} mudou durante a leitura; tente de novo', en: 'File {path} changed while being read; try again' },
  HASH_MISMATCH: {
    pt: 'SHA-256 de {file} não confere (esperado {expected}, recebido {actual}); download descartado',
    en: 'SHA-256 of {file} does not match (expected {expected}, got {actual}); download discarded',
  },
  DOWNLOAD_CANCELLED: {
    pt: 'Download de {file} cancelado; o parcial foi mantido para retomar',
    en: 'Download of {file} cancelled; the partial file was kept for resuming',
  },
  TRANSFER_INTERRUPTED: {
    pt: 'Transferência de {file} interrompida pelo peer {peer}; repita o comando para retomar',
    en: 'Transfer of {file} from peer {peer} was interrupted; repeat the command to resume',
  },
  PROTOCOL_VIOLATION: { pt: 'O peer {peer} enviou dados inválidos: {detail}', en: 'Peer {peer} sent invalid data: {detail}' },
  DISK_ERROR: { pt: 'Erro ao gravar {path}: {detail}', en: 'Cannot write {path}: {detail}' },
  DISK_FULL: { pt: 'Disco cheio: não foi possível gravar {path}', en: 'Disk full: cannot write {path}' },
  REGISTRY_UNREACHABLE: errorTexts.registryUnreachable,
  NOT_REGISTERED: errorTexts.disconnectNotRegistered,
  INVALID_FILE_REF: {
    pt: 'Referência inválida "{ref}": use <IP>/<nome, caminho ou hash>',
    en: 'Invalid reference "{ref}": use <IP>/<name, path or hash>',
  },
  LISTEN_FAILED: { pt: 'Não foi possível escutar em {address}: {detail}', en: 'Cannot listen on {address}: {detail}' },
  NOT_RUNNING: { pt: 'Peer não está em execução ({state})', en: 'Peer is not running ({state})' },
};

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

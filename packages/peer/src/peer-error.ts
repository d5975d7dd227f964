import { KompartError, isKompartError, sharedTexts, type FailureParams, type KompartErrorOptions, type Text } from '@kompart/core';

/**
 * Local failures of a peer, each with its text: things that go wrong on this machine (a
 * path that does not exist, a disk that is full, a download whose bytes do not hash to what
 * the registry promised) or between this peer and another process (registry unreachable).
 * Failures the registry or a holder report keep the registry's own contract reason. Both
 * are KompartErrors; `describeError` (@kompart/core) renders either. Adding a local error
 * is one row here.
 */
export const peerErrorTexts = {
  /** `register file`: the path does not exist. Params: path. */
  PATH_NOT_FOUND: { pt: 'Arquivo ou pasta não encontrado: {path}', en: 'No such file or folder: {path}' },
  /** `register file`: the path (or a file under it) cannot be read. Params: path, detail. */
  PATH_UNREADABLE: { pt: 'Não foi possível ler {path}: {detail}', en: 'Cannot read {path}: {detail}' },
  /** `register file`: the path is neither a regular file nor a directory. Params: path. */
  NOT_A_FILE: { pt: 'Não é um arquivo comum nem uma pasta: {path}', en: 'Not a regular file or folder: {path}' },
  /** The file changed while it was being hashed. Params: path. */
  FILE_CHANGED: { pt: 'O arquivo {path} mudou durante a leitura; tente de novo', en: 'File {path} changed while being read; try again' },
  /** A downloaded file did not hash to the expected SHA-256; nothing was kept. Params: file, expected, actual. */
  HASH_MISMATCH: {
    pt: 'SHA-256 de {file} não confere (esperado {expected}, recebido {actual}); download descartado',
    en: 'SHA-256 of {file} does not match (expected {expected}, got {actual}); download discarded',
  },
  /** A download was cancelled; the `.part` file is kept for resuming. Params: file. */
  DOWNLOAD_CANCELLED: {
    pt: 'Download de {file} cancelado; o parcial foi mantido para retomar',
    en: 'Download of {file} cancelled; the partial file was kept for resuming',
  },
  /** The holder's stream broke off; the `.part` file is kept for resuming. Params: file, peer. */
  TRANSFER_INTERRUPTED: {
    pt: 'Transferência de {file} interrompida pelo peer {peer}; repita o comando para retomar',
    en: 'Transfer of {file} from peer {peer} was interrupted; repeat the command to resume',
  },
  /** Every holder of a swarm download sent pieces that did not verify (or a piece list that did not match); nothing more to fetch from. Params: file, peers. */
  PIECES_REJECTED: {
    pt: 'Nenhum peer enviou {file} corretamente; peers descartados por dados inválidos: {peers}',
    en: 'No peer sent {file} correctly; peers dropped for invalid data: {peers}',
  },
  /** The holder sent something that is not a valid download stream. Params: peer, detail. */
  PROTOCOL_VIOLATION: { pt: 'O peer {peer} enviou dados inválidos: {detail}', en: 'Peer {peer} sent invalid data: {detail}' },
  /** Writing to the downloads folder failed (permissions, I/O error). Params: path, detail. */
  DISK_ERROR: { pt: 'Erro ao gravar {path}: {detail}', en: 'Cannot write {path}: {detail}' },
  /** The downloads folder's file system is full (ENOSPC, EDQUOT); the part file was deleted. Params: path. */
  DISK_FULL: { pt: 'Disco cheio: não foi possível gravar {path}', en: 'Disk full: cannot write {path}' },
  /** The registry did not answer. Params: server. */
  REGISTRY_UNREACHABLE: { pt: 'Servidor {server} inacessível', en: 'Registry {server} unreachable' },
  /** `disconnect` while this peer has no session (the contract's `Peer não registrado`). */
  NOT_REGISTERED: sharedTexts.disconnectNotRegistered,
  /** `get file` argument is not `<IP>/<file>`. Params: ref. */
  INVALID_FILE_REF: {
    pt: 'Referência inválida "{ref}": use <IP>/<nome, caminho ou hash>',
    en: 'Invalid reference "{ref}": use <IP>/<name, path or hash>',
  },
  /** The holder's TLS certificate is not the one it registered; nothing was sent to it. Params: peer. */
  HOLDER_CERTIFICATE_MISMATCH: {
    pt: 'O certificado do peer {peer} não é o que ele registrou; download recusado',
    en: 'Peer {peer} presented a certificate other than the one it registered; download refused',
  },
  /** The holder registered no certificate (it serves in plaintext) and this peer does not allow plaintext transfers. Params: peer. */
  HOLDER_PLAINTEXT: {
    pt: 'O peer {peer} só transfere sem criptografia; use --plaintext-transfers para aceitar',
    en: 'Peer {peer} only transfers unencrypted; use --plaintext-transfers to accept that',
  },
  /** The registry presented a certificate other than the one pinned with --registry-fingerprint; nothing was sent to it. Params: server, expected, presented. */
  REGISTRY_CERTIFICATE_MISMATCH: {
    pt: 'O registro {server} apresentou o certificado {presented}, não o fixado por --registry-fingerprint ({expected}); nada foi enviado',
    en: 'Registry {server} presented certificate {presented}, not the one pinned with --registry-fingerprint ({expected}); nothing was sent',
  },
  /** The registry's certificate is not the one trusted on first use; nothing was sent to it. Params: server, known, presented, file. */
  REGISTRY_CERTIFICATE_CHANGED: {
    pt: 'O certificado do registro {server} mudou (conhecido {known}, apresentado {presented}); nada foi enviado. Se a mudança é esperada, apague a linha de {server} em {file}',
    en: "Registry {server}'s certificate changed (known {known}, presented {presented}); nothing was sent. If the change is expected, delete {server}'s line in {file}",
  },
  /** The known-registries file cannot be read or written. Params: path, detail. */
  KNOWN_REGISTRIES_UNUSABLE: {
    pt: 'Não foi possível usar o arquivo de registros conhecidos {path}: {detail}',
    en: 'Cannot use the known-registries file {path}: {detail}',
  },
  /** The identity folder's file cannot be read, written or parsed. Params: path, detail. */
  IDENTITY_UNUSABLE: {
    pt: 'Não foi possível usar a identidade {path}: {detail}',
    en: 'Cannot use the identity {path}: {detail}',
  },
  /** The peer was used before start() or after close(). Params: state. */
  NOT_RUNNING: { pt: 'Peer não está em execução ({state})', en: 'Peer is not running ({state})' },
} as const satisfies Record<string, Text>;

/** The reason of a peer's local failure. */
export type PeerErrorCode = keyof typeof peerErrorTexts;

/** Every local reason, keyed by itself: `PeerErrorCode.DISK_FULL === 'DISK_FULL'`. */
export const PeerErrorCode = Object.freeze(Object.fromEntries(Object.keys(peerErrorTexts).map((code) => [code, code]))) as { readonly [C in PeerErrorCode]: C };

/** A local failure of the peer runtime: a KompartError with a PeerErrorCode and its text. */
export function peerError(code: PeerErrorCode, params: FailureParams = {}, options: Omit<KompartErrorOptions, 'text'> = {}): KompartError<PeerErrorCode> {
  return new KompartError(code, params, { ...options, text: peerErrorTexts[code] });
}

/** True for a local failure of the peer, of one of `codes` when any are given. */
export function isPeerError(error: unknown, ...codes: PeerErrorCode[]): error is KompartError<PeerErrorCode> {
  if (!isKompartError(error) || !Object.hasOwn(peerErrorTexts, error.reason)) return false;
  return codes.length === 0 || (codes as string[]).includes(error.reason);
}

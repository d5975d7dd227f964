import type { Text } from './catalogue.js';
import { errorTexts } from './errors.js';

/** Texts of the peer's local errors (packages/peer PeerErrorCode), keyed by code. */
export const peerTexts = {
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
} as const satisfies Record<string, Text>;

import type { Text } from './catalogue.js';

/** Lines the registry server logs. */
export const serverTexts = {
  listening: { pt: 'Servidor de registro ouvindo em {address}', en: 'Registry listening on {address}' },
  addressInUse: {
    pt: 'Endereço {address} já está em uso: outro servidor está ouvindo nele',
    en: 'Address {address} is already in use: another server is listening on it',
  },
  addressUnavailable: {
    pt: 'Não foi possível ouvir em {address}: {detail}',
    en: 'Cannot listen on {address}: {detail}',
  },
  peerRegistered: { pt: 'Peer {peer} registrado', en: 'Peer {peer} registered' },
  peerDisconnected: {
    pt: 'Peer {peer} desconectado ({files} arquivos removidos)',
    en: 'Peer {peer} disconnected ({files} files removed)',
  },
  peerStreamClosed: {
    pt: 'Peer {peer} offline: conexão de heartbeat encerrada ({files} arquivos removidos)',
    en: 'Peer {peer} offline: heartbeat connection closed ({files} files removed)',
  },
  peerExpired: {
    pt: 'Peer {peer} expirou: {misses} heartbeats perdidos ({files} arquivos removidos)',
    en: 'Peer {peer} expired: {misses} missed heartbeats ({files} files removed)',
  },
  fileRegistered: {
    pt: 'Arquivo {path} registrado por {peer} ({size} bytes, sha256 {sha256})',
    en: 'File {path} registered by {peer} ({size} bytes, sha256 {sha256})',
  },
  summary: { pt: '{peers} peers online, {files} arquivos', en: '{peers} peers online, {files} files' },
  shuttingDown: {
    pt: 'Encerrando o servidor de registro: avisando {peers} peers',
    en: 'Shutting down the registry: telling {peers} peers',
  },
  stopped: { pt: 'Servidor de registro encerrado', en: 'Registry stopped' },
  internalError: { pt: 'Erro interno em {method}', en: 'Internal error in {method}' },
} as const satisfies Record<string, Text>;

import type { Text } from '@kompart/core';

/** Lines the registry server logs. */
export const serverTexts = {
  listening: { pt: 'Servidor de registro ouvindo em {address}', en: 'Registry listening on {address}' },
  tlsFingerprint: {
    pt: 'TLS com certificado próprio, SHA-256 {fingerprint}; os peers o fixam com --registry-fingerprint {fingerprint} (ou --tls auto: confiança no primeiro uso)',
    en: 'TLS with its own certificate, SHA-256 {fingerprint}; peers pin it with --registry-fingerprint {fingerprint} (or --tls auto: trust on first use)',
  },
  metricsListening: { pt: 'Métricas Prometheus em {url}', en: 'Prometheus metrics at {url}' },
  webListening: { pt: 'Página ao vivo da rede em {url}', en: 'Live view of the overlay at {url}' },
  webHostRefused: {
    pt: 'Recusado: esta página só é servida pelo endereço IP do servidor, por localhost ou por {names} (proteção contra DNS rebinding); pedido feito para {host}',
    en: 'Refused: this page is served only by the server’s IP address, localhost or {names} (a defence against DNS rebinding); the request named {host}',
  },
  storeConnecting: { pt: 'Conectando ao armazenamento {store}…', en: 'Connecting to the store {store}…' },
  storeUnavailable: {
    pt: 'Armazenamento {store} inacessível: as chamadas respondem UNAVAILABLE até ele voltar',
    en: 'Store {store} unreachable: calls answer UNAVAILABLE until it is back',
  },
  storeAvailable: { pt: 'Armazenamento {store} acessível', en: 'Store {store} reachable' },
  peerRegistered: { pt: 'Peer {peer} registrado', en: 'Peer {peer} registered' },
  peerDisconnected: {
    pt: 'Peer {peer} desconectado ({files, plural, =0 {0 arquivos removidos} one {# arquivo removido} other {# arquivos removidos}})',
    en: 'Peer {peer} disconnected ({files, plural, one {# file removed} other {# files removed}})',
  },
  peerStreamClosed: {
    pt: 'Peer {peer} offline: conexão de heartbeat encerrada ({files, plural, =0 {0 arquivos removidos} one {# arquivo removido} other {# arquivos removidos}})',
    en: 'Peer {peer} offline: heartbeat connection closed ({files, plural, one {# file removed} other {# files removed}})',
  },
  peerExpired: {
    pt: 'Peer {peer} expirou: {misses, plural, =0 {0 heartbeats perdidos} one {# heartbeat perdido} other {# heartbeats perdidos}} ({files, plural, =0 {0 arquivos removidos} one {# arquivo removido} other {# arquivos removidos}})',
    en: 'Peer {peer} expired: {misses, plural, one {# missed heartbeat} other {# missed heartbeats}} ({files, plural, one {# file removed} other {# files removed}})',
  },
  fileRegistered: {
    pt: 'Arquivo {path} registrado por {peer} ({size} bytes, sha256 {sha256})',
    en: 'File {path} registered by {peer} ({size} bytes, sha256 {sha256})',
  },
  fileUnregistered: { pt: 'Arquivo {path} removido por {peer}', en: 'File {path} unregistered by {peer}' },
  summary: {
    pt: '{peers, plural, =0 {0 peers online} one {# peer online} other {# peers online}}, {files, plural, =0 {0 arquivos} one {# arquivo} other {# arquivos}}',
    en: '{peers, plural, one {# peer online} other {# peers online}}, {files, plural, one {# file} other {# files}}',
  },
  shuttingDown: {
    pt: 'Encerrando o servidor de registro: {peers, plural, =0 {avisando 0 peers} one {avisando # peer} other {avisando # peers}}',
    en: 'Shutting down the registry: {peers, plural, one {telling # peer} other {telling # peers}}',
  },
  stopped: { pt: 'Servidor de registro encerrado', en: 'Registry stopped' },
} as const satisfies Record<string, Text>;

import type { Text } from '@kompart/core';

/**
 * The texts of the web view (`--web`), sent to the page in the registry's language with
 * the first snapshot. Placeholders (`{peer}`) are filled by the page, as text (never as
 * markup).
 */
export const webTexts = {
  title: { pt: 'kompart — a rede ao vivo', en: 'kompart — the live overlay' },
  registry: { pt: 'Servidor de registro {address}', en: 'Registry {address}' },
  live: { pt: 'ao vivo', en: 'live' },
  reconnecting: { pt: 'reconectando…', en: 'reconnecting…' },
  summary: { pt: '{peers} peers online, {files} arquivos', en: '{peers} peers online, {files} files' },
  peersTitle: { pt: 'Peers online', en: 'Peers online' },
  graphTitle: { pt: 'A rede', en: 'The overlay' },
  address: { pt: 'Endereço', en: 'Address' },
  fileCount: { pt: 'Arquivos', en: 'Files' },
  lastBeat: { pt: 'Último heartbeat', en: 'Last heartbeat' },
  secondsAgo: { pt: 'há {seconds} s', en: '{seconds} s ago' },
  late: { pt: 'atrasado', en: 'late' },
  beatElsewhere: { pt: 'em outra réplica', en: 'on another replica' },
  noPeers: { pt: 'Nenhum peer online', en: 'No peers online' },
  filesTitle: { pt: 'Arquivos', en: 'Files' },
  filter: { pt: 'filtrar por nome, peer ou hash', en: 'filter by name, peer or hash' },
  holder: { pt: 'Peer', en: 'Peer' },
  name: { pt: 'Nome', en: 'Name' },
  size: { pt: 'Tamanho', en: 'Size' },
  sha256: { pt: 'SHA-256', en: 'SHA-256' },
  noFiles: { pt: 'Sem arquivos registrados', en: 'No registered files' },
  moreFiles: { pt: '… e mais {count}', en: '… and {count} more' },
  filesCapped: { pt: 'a página mostra os primeiros {count} arquivos do índice', en: 'the page shows the first {count} files of the index' },
  transfersTitle: { pt: 'Transferências', en: 'Transfers' },
  noTransfers: { pt: 'Nenhuma transferência em andamento', en: 'No transfers in flight' },
  transfer: { pt: '{holder} → {downloader}: {name}', en: '{holder} → {downloader}: {name}' },
  transferDone: { pt: 'concluída', en: 'done' },
  transferFailed: { pt: 'falhou', en: 'failed' },
  feedTitle: { pt: 'Eventos', en: 'Events' },
  peerJoined: { pt: 'Peer {peer} entrou', en: 'Peer {peer} joined' },
  peerLeft: { pt: 'Peer {peer} saiu', en: 'Peer {peer} left' },
  peerExpired: { pt: 'Peer {peer} expirou (heartbeats perdidos)', en: 'Peer {peer} expired (missed heartbeats)' },
  fileRegistered: { pt: 'Arquivo {name} registrado por {peer}', en: 'File {name} registered by {peer}' },
  fileUnregistered: { pt: 'Arquivo {name} saiu do índice ({peer})', en: 'File {name} left the index ({peer})' },
  transferStarted: { pt: '{downloader} baixa {name} de {holder}', en: '{downloader} downloads {name} from {holder}' },
  transferEnded: { pt: '{downloader} terminou {name} ({state})', en: '{downloader} finished {name} ({state})' },
} as const satisfies Record<string, Text>;

import type { Text } from './catalogue.js';

/** Error texts. The first seven are the exact texts of the product contract (DESIGN.md §2). */
export const errorTexts = {
  peerAlreadyRegistered: { pt: 'Peer {peer} já registrado', en: 'Peer {peer} already registered' },
  peerNotRegistered: { pt: 'Peer {peer} não registrado', en: 'Peer {peer} not registered' },
  fileAlreadyRegistered: { pt: 'Arquivo {file} já registrado', en: 'File {file} already registered' },
  noFiles: { pt: 'Sem arquivos registrados', en: 'No registered files' },
  peerOffline: { pt: 'Peer {peer} offline', en: 'Peer {peer} offline' },
  fileUnavailable: { pt: 'arquivo removido ou indisponível', en: 'file removed or unavailable' },
  disconnectNotRegistered: { pt: 'Peer não registrado', en: 'Peer not registered' },

  fileAmbiguous: {
    pt: 'Mais de um arquivo de {peer} corresponde a "{file}": {candidates}',
    en: 'More than one file of {peer} matches "{file}": {candidates}',
  },
  invalidArgument: { pt: 'Pedido inválido: {detail}', en: 'Invalid request: {detail}' },
  sessionInvalid: {
    pt: 'Sessão inválida ou expirada (token ausente ou incorreto)',
    en: 'Invalid or expired session (missing or wrong token)',
  },
  limitExceeded: { pt: 'Limite excedido: {limit}', en: 'Limit exceeded: {limit}' },
  addressMismatch: {
    pt: 'O endereço {peer} não corresponde à origem da conexão ({seen})',
    en: 'Address {peer} does not match the connection source ({seen})',
  },
  invalidPageToken: { pt: 'Token de página inválido', en: 'Invalid page token' },
  shuttingDown: { pt: 'Servidor encerrando', en: 'Server shutting down' },
  internal: { pt: 'Erro interno do servidor', en: 'Internal server error' },
  ticketInvalid: {
    pt: 'Download não autorizado: ticket do servidor de registro inválido ou expirado ({detail})',
    en: 'Download not authorised: invalid or expired registry ticket ({detail})',
  },
  registryUnreachable: {
    pt: 'Servidor {server} inacessível',
    en: 'Registry {server} unreachable',
  },
  peerUnreachable: { pt: 'Peer {peer} inacessível', en: 'Peer {peer} unreachable' },
  unexpected: { pt: 'Erro inesperado: {detail}', en: 'Unexpected error: {detail}' },
} as const satisfies Record<string, Text>;

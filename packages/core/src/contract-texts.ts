import type { Reason } from '@kompart/protocol';
import type { Text } from './messages.js';

/**
 * The texts of the contract's error reasons, which the registry and the peers both speak
 * (a server renders them in its language, a client renders a reason it received in its
 * own). The first seven are the exact texts of the product contract (DESIGN.md §2); each
 * reason has one, and a reason added to the .proto fails to compile until it has one.
 */
export const reasonTexts = {
  PEER_ALREADY_REGISTERED: { pt: 'Peer {peer} já registrado', en: 'Peer {peer} already registered' },
  PEER_NOT_REGISTERED: { pt: 'Peer {peer} não registrado', en: 'Peer {peer} not registered' },
  FILE_ALREADY_REGISTERED: { pt: 'Arquivo {file} já registrado', en: 'File {file} already registered' },
  PEER_OFFLINE: { pt: 'Peer {peer} offline', en: 'Peer {peer} offline' },
  FILE_UNAVAILABLE: { pt: 'arquivo removido ou indisponível', en: 'file removed or unavailable' },
  FILE_AMBIGUOUS: {
    pt: 'Mais de um arquivo de {peer} corresponde a "{file}": {candidates}',
    en: 'More than one file of {peer} matches "{file}": {candidates}',
  },
  INVALID_ARGUMENT: { pt: 'Pedido inválido: {detail}', en: 'Invalid request: {detail}' },
  SESSION_INVALID: {
    pt: 'Sessão inválida ou expirada (token ausente ou incorreto)',
    en: 'Invalid or expired session (missing or wrong token)',
  },
  LIMIT_EXCEEDED: { pt: 'Limite excedido: {limit}', en: 'Limit exceeded: {limit}' },
  ADDRESS_MISMATCH: {
    pt: 'O endereço {peer} não corresponde à origem da conexão ({seen})',
    en: 'Address {peer} does not match the connection source ({seen})',
  },
  INVALID_PAGE_TOKEN: { pt: 'Token de página inválido', en: 'Invalid page token' },
  SHUTTING_DOWN: { pt: 'Servidor encerrando', en: 'Server shutting down' },
  INTERNAL_ERROR: { pt: 'Erro interno do servidor', en: 'Internal server error' },
  TICKET_INVALID: {
    pt: 'Download não autorizado: ticket do servidor de registro inválido ou expirado ({detail})',
    en: 'Download not authorised: invalid or expired registry ticket ({detail})',
  },
  FILE_NOT_REGISTERED: { pt: 'Arquivo {file} não registrado', en: 'File {file} not registered' },
  REGISTRATION_RATE_EXCEEDED: {
    pt: 'Registros demais a partir de {ip}: no máximo {limit} por minuto; tente de novo em instantes',
    en: 'Too many registrations from {ip}: at most {limit} a minute; try again shortly',
  },
  SESSIONS_PER_IP_EXCEEDED: {
    pt: 'Sessões demais a partir de {ip}: no máximo {limit} peers online por endereço IP',
    en: 'Too many sessions from {ip}: at most {limit} peers online per IP address',
  },
  REGISTRY_PEERS_FULL: {
    pt: 'O servidor de registro está cheio: no máximo {limit} peers online',
    en: 'The registry is full: at most {limit} peers online',
  },
  REGISTRY_FILES_FULL: {
    pt: 'O servidor de registro está cheio: no máximo {limit} arquivos registrados',
    en: 'The registry is full: at most {limit} registered files',
  },
  REQUESTER_DOWNLOADS_EXCEEDED: {
    pt: 'Downloads demais de {requester} ao mesmo tempo em {peer}: no máximo {limit}',
    en: 'Too many downloads by {requester} at once from {peer}: at most {limit}',
  },
  DOWNLOAD_IDLE: {
    pt: 'Download encerrado por {peer}: o leitor não recebeu nada por {seconds} s',
    en: 'Download ended by {peer}: the reader took nothing for {seconds} s',
  },
  CONTENT_AMBIGUOUS: {
    pt: 'Mais de um conteúdo corresponde a "{file}": {candidates}',
    en: 'More than one content matches "{file}": {candidates}',
  },
  STORE_UNAVAILABLE: {
    pt: 'O servidor de registro está sem acesso ao seu armazenamento compartilhado; nada foi alterado, tente de novo',
    en: 'The registry cannot reach its shared store; nothing was changed, try again',
  },
} as const satisfies Record<Reason, Text>;

/** Texts both sides use that are not a reason of their own. */
export const sharedTexts = {
  /** `list files` with nothing registered anywhere (DESIGN.md §2): the client's to show. */
  noFiles: { pt: 'Sem arquivos registrados', en: 'No registered files' },
  /** `disconnect` while not registered (DESIGN.md §2): PEER_NOT_REGISTERED without an address. */
  disconnectNotRegistered: { pt: 'Peer não registrado', en: 'Peer not registered' },
  unexpected: { pt: 'Erro inesperado: {detail}', en: 'Unexpected error: {detail}' },
} as const satisfies Record<string, Text>;

import { join, resolve } from 'node:path';
import { DEFAULT_LANG, LANGS, type Text } from '@kompart/core';
import { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES, PEER_DEFAULTS } from '@kompart/peer';
import { DEFAULT_PEER_PORT } from '@kompart/protocol';
import { REGISTRY_DEFAULTS } from '@kompart/registry-server/config';
import {
  commandList,
  endpoint,
  integer,
  language,
  logLevel,
  onOff,
  optionalPath,
  pathList,
  pathOrNull,
  pathOrOff,
  requiredPath,
  storeLocation,
  tlsMode,
  certificateFingerprint,
} from './option-parsers.js';
import { option, type ActionFlag, type DefaultContext, type OptionTable } from './option-table.js';
import { START_PATIENCE_MS } from './peer-shell.js';

const NO_PATHS: readonly string[] = [];

/** Port of `--metrics` when the address has none (the OpenTelemetry Prometheus exporter's). */
const DEFAULT_METRICS_PORT = 9464;
/** Port of `--web` when the address has none. */
const DEFAULT_WEB_PORT = 8080;

/** `$XDG_CACHE_HOME/kompart`, else `~/.cache/kompart`. */
function defaultCacheDir({ env, cwd, home }: DefaultContext): string {
  const base = env['XDG_CACHE_HOME'];
  return base !== undefined && base !== '' ? join(resolve(cwd, base), 'kompart') : join(home, '.cache', 'kompart');
}

/**
 * Every option of the `kompart` program, one row each, keyed by the configuration field
 * it fills (ServerConfig, PeerConfig). A row is the flag, its `KOMPART_*` variable, its
 * parser (with the bounds), its default in each mode it applies to (from the libraries'
 * own defaults) and its help in both languages. From these rows come commander's options,
 * the option part of `kompart --help`, the values read and their types (option-table.ts):
 * adding an option is adding a row. Rows of both modes come first, then the server's,
 * then the peer's, in the order --help lists them.
 */
export const OPTIONS = {
  lang: option({
    flag: '--lang <lang>',
    env: 'KOMPART_LANG',
    parse: language,
    defaults: { server: DEFAULT_LANG, peer: DEFAULT_LANG },
    help: { pt: 'idioma das mensagens; o idioma do sistema (LANG) não conta', en: 'language of the messages; the system locale (LANG) does not count' },
  }),
  logLevel: option({
    flag: '--log-level <level>',
    env: 'KOMPART_LOG_LEVEL',
    parse: logLevel,
    defaults: { server: 'info', peer: 'error' },
    help: { pt: '{levels}; o log do peer vai para a saída de erro', en: '{levels}; a peer logs to standard error' },
  }),
  json: option({
    flag: '--json',
    negatable: true,
    env: 'KOMPART_JSON',
    parse: onOff,
    defaults: { server: false, peer: false },
    help: { pt: 'uma linha JSON por mensagem, para scripts', en: 'one JSON object per line, for scripts' },
  }),
  tlsCert: option({
    flag: '--tls-cert <file>',
    env: 'KOMPART_TLS_CERT',
    parse: optionalPath,
    defaults: { server: undefined, peer: undefined },
    help: { pt: 'certificado deste processo, PEM; com --tls-key', en: "this process's certificate, PEM; with --tls-key" },
  }),
  tlsKey: option({
    flag: '--tls-key <file>',
    env: 'KOMPART_TLS_KEY',
    parse: optionalPath,
    defaults: { server: undefined, peer: undefined },
    help: { pt: 'chave privada do certificado, PEM', en: "the certificate's private key, PEM" },
  }),
  tlsCa: option({
    flag: '--tls-ca <file>',
    env: 'KOMPART_TLS_CA',
    parse: optionalPath,
    defaults: { server: undefined, peer: undefined },
    help: {
      pt: 'CA que o outro lado deve apresentar, PEM; num servidor, exige certificado dos clientes (TLS mútuo)',
      en: 'CA the other side must chain to, PEM; on a server, clients must present a certificate (mutual TLS)',
    },
  }),
  tlsMode: option({
    flag: '--tls <mode>',
    env: 'KOMPART_TLS',
    parse: tlsMode,
    defaults: { server: undefined, peer: undefined },
    help: {
      pt: 'auto: o servidor serve TLS com certificado próprio e mostra seu SHA-256; o peer fala TLS com o registro e confia no certificado no 1º uso (~/.local/state/kompart/known_registries)',
      en: 'auto: the server serves TLS with its own certificate and shows its SHA-256; a peer talks TLS to the registry, trusting its certificate on first use (~/.local/state/kompart/known_registries)',
    },
  }),
  registryFingerprint: option({
    flag: '--registry-fingerprint <fingerprint>',
    env: 'KOMPART_REGISTRY_FINGERPRINT',
    parse: certificateFingerprint,
    defaults: { peer: undefined },
    help: {
      pt: 'TLS com o registro, aceitando só o certificado com este SHA-256 (o que o servidor com --tls auto mostra)',
      en: 'TLS to the registry, accepting only the certificate with this SHA-256 (what a server with --tls auto shows)',
    },
  }),
  metrics: option({
    flag: '--metrics <address>',
    env: 'KOMPART_METRICS',
    parse: endpoint(DEFAULT_METRICS_PORT),
    defaults: { server: undefined, peer: undefined },
    shownDefault: { pt: 'desligado', en: 'off' },
    help: {
      pt: 'serve métricas Prometheus em http://ENDEREÇO/metrics (porta {port} se omitida); qualquer um que alcance o endereço as lê',
      en: 'serve Prometheus metrics at http://ADDRESS/metrics (port {port} when omitted); anyone who reaches the address can read them',
    },
  }),
  heartbeatIntervalMs: option({
    flag: '--heartbeat-interval <ms>',
    env: 'KOMPART_HEARTBEAT_INTERVAL',
    parse: integer({ min: 10 }),
    defaults: { server: REGISTRY_DEFAULTS.heartbeatIntervalMs, peer: undefined },
    help: {
      server: { pt: 'intervalo esperado entre heartbeats', en: 'expected interval between heartbeats' },
      peer: {
        pt: 'intervalo do heartbeat deste peer, em vez do pedido pelo servidor',
        en: "this peer's heartbeat interval, instead of the one the registry asks for",
      },
    },
  }),
  store: option({
    flag: '--store <store>',
    env: 'KOMPART_STORE',
    parse: storeLocation,
    defaults: { server: 'memory' },
    help: {
      pt: 'onde fica o índice: memory (neste processo) ou redis://HOST:PORTA[/DB], compartilhado por várias réplicas',
      en: 'where the index lives: memory (in this process) or redis://HOST:PORT[/DB], shared by several replicas',
    },
  }),
  ticketKey: option({
    flag: '--ticket-key <file>',
    env: 'KOMPART_TICKET_KEY',
    parse: optionalPath,
    defaults: { server: undefined },
    help: {
      pt: 'chave Ed25519 (PEM, PKCS#8) que assina os tickets, em vez da guardada no armazenamento',
      en: 'Ed25519 key (PEM, PKCS#8) that signs the tickets, instead of the one kept in the store',
    },
  }),
  web: option({
    flag: '--web <address>',
    env: 'KOMPART_WEB',
    parse: endpoint(DEFAULT_WEB_PORT),
    defaults: { server: undefined },
    shownDefault: { pt: 'desligado', en: 'off' },
    help: {
      pt: 'serve em http://ENDEREÇO/ uma página ao vivo da rede (porta {port} se omitida), só leitura, sem senha: qualquer um que alcance o endereço a vê',
      en: 'serve a live, read-only page of the overlay at http://ADDRESS/ (port {port} when omitted), with no password: anyone who reaches the address sees it',
    },
  }),
  heartbeatMisses: option({
    flag: '--heartbeat-misses <n>',
    env: 'KOMPART_HEARTBEAT_MISSES',
    parse: integer({ min: 1 }),
    defaults: { server: REGISTRY_DEFAULTS.heartbeatMisses },
    help: { pt: 'heartbeats perdidos seguidos que removem um peer', en: 'missed heartbeats in a row that remove a peer' },
  }),
  maxFilesPerPeer: option({
    flag: '--max-files-per-peer <n>',
    env: 'KOMPART_MAX_FILES_PER_PEER',
    parse: integer({ min: 1 }),
    defaults: { server: REGISTRY_DEFAULTS.maxFilesPerPeer },
    help: { pt: 'arquivos que um peer pode registrar', en: 'files one peer may register' },
  }),
  summaryIntervalMs: option({
    flag: '--summary-interval <ms>',
    env: 'KOMPART_SUMMARY_INTERVAL',
    parse: integer({ min: 0 }),
    defaults: { server: REGISTRY_DEFAULTS.summaryIntervalMs },
    help: { pt: 'período da linha de resumo no log; 0 desliga', en: 'period of the summary log line; 0 turns it off' },
  }),
  trustPeerAddresses: option({
    flag: '--trust-peer-addresses',
    env: 'KOMPART_TRUST_PEER_ADDRESSES',
    parse: onOff,
    defaults: { server: REGISTRY_DEFAULTS.trustPeerAddresses },
    help: { pt: 'aceita endereços de peer diferentes da origem da conexão (NAT)', en: "accept peer addresses that differ from the connection's source (NAT)" },
  }),
  maxRequestsPerSecond: option({
    flag: '--max-requests-per-second <n>',
    env: 'KOMPART_MAX_REQUESTS_PER_SECOND',
    parse: integer({ min: 0 }),
    defaults: { server: REGISTRY_DEFAULTS.maxRequestsPerSecond },
    help: { pt: 'limite de pedidos por segundo de cada peer; 0 desliga', en: 'requests a second each peer may make; 0 turns the limit off' },
  }),
  maxRegistrationsPerMinute: option({
    flag: '--max-registrations-per-minute <n>',
    env: 'KOMPART_MAX_REGISTRATIONS_PER_MINUTE',
    parse: integer({ min: 0 }),
    defaults: { server: REGISTRY_DEFAULTS.maxRegistrationsPerMinute },
    help: {
      pt: 'pedidos RegisterPeer por minuto de cada IP de origem (um /64 em IPv6), aceitos ou não; 0 desliga',
      en: 'RegisterPeer calls a minute from each source IP (a /64 for IPv6), accepted or not; 0 turns the limit off',
    },
  }),
  maxSessionsPerIp: option({
    flag: '--max-sessions-per-ip <n>',
    env: 'KOMPART_MAX_SESSIONS_PER_IP',
    parse: integer({ min: 0 }),
    defaults: { server: REGISTRY_DEFAULTS.maxSessionsPerIp },
    help: { pt: 'peers online abertos de um mesmo IP de origem; 0 desliga', en: 'peers online opened from one source IP; 0 turns the limit off' },
  }),
  maxPeers: option({
    flag: '--max-peers <n>',
    env: 'KOMPART_MAX_PEERS',
    parse: integer({ min: 0 }),
    defaults: { server: REGISTRY_DEFAULTS.maxPeers },
    help: {
      pt: 'peers online no servidor inteiro (todas as réplicas); 0 desliga',
      en: 'peers online in the whole registry (every replica); 0 turns the limit off',
    },
  }),
  maxFiles: option({
    flag: '--max-files <n>',
    env: 'KOMPART_MAX_FILES',
    parse: integer({ min: 0 }),
    defaults: { server: REGISTRY_DEFAULTS.maxFiles },
    help: {
      pt: 'arquivos registrados no servidor inteiro (todas as réplicas), o que limita a memória; 0 desliga',
      en: 'files registered in the whole registry (every replica), which bounds its memory; 0 turns the limit off',
    },
  }),
  ticketTtlMs: option({
    flag: '--ticket-ttl <ms>',
    env: 'KOMPART_TICKET_TTL',
    parse: integer({ min: 1000 }),
    defaults: { server: REGISTRY_DEFAULTS.ticketTtlMs },
    help: { pt: 'validade dos tickets de download', en: 'lifetime of download tickets' },
  }),
  maxMessageBytes: option({
    flag: '--max-message-bytes <n>',
    env: 'KOMPART_MAX_MESSAGE_BYTES',
    parse: integer({ min: 65_536 }),
    defaults: { server: REGISTRY_DEFAULTS.maxMessageBytes },
    help: { pt: 'maior mensagem gRPC aceita', en: 'largest gRPC message accepted' },
  }),
  maxPathBytes: option({
    flag: '--max-path-bytes <n>',
    env: 'KOMPART_MAX_PATH_BYTES',
    parse: integer({ min: 1 }),
    defaults: { server: REGISTRY_DEFAULTS.maxPathBytes },
    help: { pt: 'maior caminho registrável, em bytes', en: 'longest path that may be registered, in bytes' },
  }),
  downloadsDir: option({
    flag: '--downloads <dir>',
    env: 'KOMPART_DOWNLOADS',
    parse: requiredPath,
    defaults: { peer: ({ cwd }: DefaultContext) => resolve(cwd, PEER_DEFAULTS.downloadsDir) },
    shownDefault: () => `./${PEER_DEFAULTS.downloadsDir}`,
    help: { pt: 'onde os downloads são salvos', en: 'where downloads are saved' },
  }),
  share: option({
    flag: '--share <path>',
    env: 'KOMPART_SHARE',
    parse: pathList,
    defaults: { peer: NO_PATHS },
    help: {
      pt: 'ao iniciar, registra o peer e este arquivo ou pasta; repetível, e substitui a lista da variável',
      en: "at start-up, register the peer and this file or folder; repeatable, and replaces the variable's list",
    },
  }),
  commands: option({
    flag: '--do <command>',
    env: 'KOMPART_DO',
    parse: commandList,
    defaults: { peer: NO_PATHS },
    help: {
      pt: 'roda este comando (repetível, na ordem) em vez de ler a entrada padrão, e sai: 0 se todos deram certo, 1 se algum falhou',
      en: 'run this command (repeatable, in order) instead of reading standard input, then leave: 0 when all succeeded, 1 when one failed',
    },
  }),
  registerAtStart: option({
    flag: '--register',
    negatable: true,
    env: 'KOMPART_REGISTER',
    parse: onOff,
    defaults: { peer: false },
    help: {
      pt: `ao iniciar, registra o peer, esperando o servidor até ${START_PATIENCE_MS / 1000} s (--share também)`,
      en: `at start-up, register the peer, waiting up to ${START_PATIENCE_MS / 1000} s for the registry (--share does too)`,
    },
  }),
  menu: option({
    flag: '--menu',
    negatable: true,
    env: 'KOMPART_MENU',
    parse: onOff,
    defaults: { peer: undefined },
    shownDefault: { pt: 'menu num terminal', en: 'menu on a terminal' },
    help: { pt: 'menu interativo ou prompt de comandos', en: 'interactive menu or typed prompt' },
  }),
  cacheDir: option({
    flag: '--cache-dir <dir>',
    negatable: true,
    env: 'KOMPART_CACHE_DIR',
    parse: pathOrOff,
    defaults: { peer: defaultCacheDir },
    shownDefault: { pt: '~/.cache/kompart', en: '~/.cache/kompart' },
    help: {
      pt: 'pasta do cache de hashes ($XDG_CACHE_HOME/kompart quando definida); --no-cache-dir: cache só em memória',
      en: 'folder of the hash cache ($XDG_CACHE_HOME/kompart when set); --no-cache-dir: cache in memory only',
    },
  }),
  identityDir: option({
    flag: '--identity <dir>',
    negatable: true,
    env: 'KOMPART_IDENTITY',
    parse: pathOrNull,
    defaults: { server: undefined, peer: undefined },
    shownDefault: {
      pt: '~/.local/state/kompart/peers/<endereço> ou …/registry/<endereço>',
      en: '~/.local/state/kompart/peers/<address> or …/registry/<address>',
    },
    help: {
      peer: {
        pt: 'identidade para transferências cifradas (chave 0600 e certificado, feitos no 1º início); --no-identity: nova a cada execução',
        en: 'identity for encrypted transfers (key 0600 and certificate, made on first start); --no-identity: new every run',
      },
      server: {
        pt: 'identidade de --tls auto (com --store redis: no armazenamento)',
        en: 'identity for --tls auto (with --store redis: in the store)',
      },
    },
  }),
  plaintextTransfers: option({
    flag: '--plaintext-transfers',
    negatable: true,
    env: 'KOMPART_PLAINTEXT_TRANSFERS',
    parse: onOff,
    defaults: { peer: PEER_DEFAULTS.plaintextTransfers },
    help: {
      pt: 'serve e aceita transferências sem criptografia (capturas em aula): quem está no caminho lê e altera',
      en: 'serve and accept unencrypted transfers (teaching captures): anyone on the path reads and changes them',
    },
  }),
  listen: option({
    flag: '--listen <address>',
    env: 'KOMPART_LISTEN',
    parse: endpoint(DEFAULT_PEER_PORT),
    defaults: { peer: undefined },
    help: {
      pt: 'ouve aqui em vez de <ip do host>, ex. 0.0.0.0:{port} num contêiner; a identidade continua <ip do host>',
      en: 'listen here instead of <host ip>, e.g. 0.0.0.0:{port} in a container; the identity stays <host ip>',
    },
  }),
  keepRunning: option({
    flag: '--keep-running',
    negatable: true,
    env: 'KOMPART_KEEP_RUNNING',
    parse: onOff,
    defaults: { peer: false },
    help: {
      pt: 'continua online depois do fim da entrada padrão, até SIGTERM (contêineres)',
      en: 'stay online after the end of standard input, until SIGTERM (containers)',
    },
  }),
  readyFile: option({
    flag: '--ready-file <file>',
    env: 'KOMPART_READY_FILE',
    parse: optionalPath,
    defaults: { peer: undefined },
    help: {
      pt: 'cria este arquivo quando o trabalho de início (--register, --share) termina e o apaga ao sair (health check de contêineres)',
      en: 'create this file once the start-up work (--register, --share) is done, and delete it on leaving (container health checks)',
    },
  }),
  requireTickets: option({
    flag: '--tickets',
    negatable: true,
    env: 'KOMPART_TICKETS',
    parse: onOff,
    defaults: { peer: PEER_DEFAULTS.requireTickets },
    help: {
      pt: 'serve downloads só com o ticket do servidor de registro: só peers registrados baixam',
      en: "serve downloads only with the registry's ticket: only registered peers download",
    },
  }),
  watchShares: option({
    flag: '--watch',
    negatable: true,
    env: 'KOMPART_WATCH',
    parse: onOff,
    defaults: { peer: PEER_DEFAULTS.watchShares },
    help: {
      pt: 'acompanha os arquivos e pastas registrados: apagados saem do índice, alterados são registrados de novo, novos numa pasta entram',
      en: 'watch the registered files and folders: deleted ones leave the index, changed ones are registered again, new ones in a folder join it',
    },
  }),
  maxDownloadsPerRequester: option({
    flag: '--max-downloads-per-peer <n>',
    env: 'KOMPART_MAX_DOWNLOADS_PER_PEER',
    parse: integer({ min: 1 }),
    defaults: { peer: PEER_DEFAULTS.maxDownloadsPerRequester },
    help: {
      pt: 'downloads que este peer serve ao mesmo tempo a um mesmo peer (de 64 no total)',
      en: 'downloads this peer serves at once to any one peer (of 64 in all)',
    },
  }),
  serveIdleTimeoutMs: option({
    flag: '--serve-idle-timeout <ms>',
    env: 'KOMPART_SERVE_IDLE_TIMEOUT',
    parse: integer({ min: 100 }),
    defaults: { peer: PEER_DEFAULTS.serveIdleTimeoutMs },
    help: {
      pt: 'encerra um download servido cujo leitor não recebe nada por este tempo, liberando a vaga e o arquivo',
      en: 'end a download being served whose reader takes nothing for this long, freeing its slot and file',
    },
  }),
  singleSource: option({
    flag: '--single-source',
    negatable: true,
    env: 'KOMPART_SINGLE_SOURCE',
    parse: onOff,
    defaults: { peer: PEER_DEFAULTS.singleSource },
    help: {
      pt: 'get file baixa só do peer indicado, sem os outros que têm o mesmo conteúdo',
      en: 'get file downloads only from the peer it names, not from the others holding the same content',
    },
  }),
  stallTimeoutMs: option({
    flag: '--stall-timeout <ms>',
    env: 'KOMPART_STALL_TIMEOUT',
    parse: integer({ min: 100 }),
    defaults: { peer: PEER_DEFAULTS.stallTimeoutMs },
    help: {
      pt: 'num download de vários peers, descarta o peer que não envia nada por este tempo',
      en: 'in a download from several peers, drop a peer that sends nothing for this long',
    },
  }),
  chunkBytes: option({
    flag: '--chunk-bytes <n>',
    env: 'KOMPART_CHUNK_BYTES',
    parse: integer({ min: 1, max: MAX_CHUNK_BYTES }),
    defaults: { peer: undefined },
    shownDefault: () => DEFAULT_CHUNK_BYTES,
    help: { pt: 'bytes por pedaço de um download que este peer envia, de {min} a {max}', en: 'bytes per chunk of a download this peer sends, {min} to {max}' },
  }),
} satisfies OptionTable;

/** Flags that are actions, not settings; --help lists them with the options of every mode. */
export const ACTION_FLAGS: readonly ActionFlag[] = [
  { flags: '-h, --help', help: { pt: 'esta ajuda', en: 'this help' } },
  { flags: '-V, --version', help: { pt: 'versão', en: 'version' } },
];

/** How --help shows the `<value>` of a flag (`--downloads PASTA`). */
export const METAVARS: Readonly<Record<string, Text>> = {
  lang: { pt: LANGS.join('|'), en: LANGS.join('|') },
  level: { pt: 'NÍVEL', en: 'LEVEL' },
  file: { pt: 'ARQUIVO', en: 'FILE' },
  dir: { pt: 'PASTA', en: 'DIR' },
  path: { pt: 'CAMINHO', en: 'PATH' },
  address: { pt: 'ENDEREÇO', en: 'ADDRESS' },
  ms: { pt: 'MS', en: 'MS' },
  n: { pt: 'N', en: 'N' },
  store: { pt: 'memory|redis://…', en: 'memory|redis://…' },
  command: { pt: 'COMANDO', en: 'COMMAND' },
  mode: { pt: 'auto', en: 'auto' },
  fingerprint: { pt: 'SHA256', en: 'SHA256' },
};

import type { Text } from '@kompart/core';

/**
 * Lines the `kompart` program prints (the registry's and the peers' error texts are in
 * errors.ts, the server log lines in server.ts). Portuguese is the default language.
 */
export const cliTexts = {
  // ---- usage and help -------------------------------------------------------------
  usage: {
    pt: `Uso:
  kompart <ip do servidor> s                 servidor de registro em <ip do servidor>:{registryPort}
  kompart <ip do servidor> p <ip do host>    peer: servidor em <ip do servidor>:{registryPort},
                                             arquivos servidos em <ip do host>:{peerPort}
Os endereços aceitam porta (127.0.0.1:6000). Veja kompart --help para todas as opções.`,
    en: `Usage:
  kompart <server ip> s                 registry server on <server ip>:{registryPort}
  kompart <server ip> p <host ip>       peer: registry at <server ip>:{registryPort},
                                        files served on <host ip>:{peerPort}
Addresses may carry a port (127.0.0.1:6000). See kompart --help for every option.`,
  },
  help: {
    pt: `kompart: compartilhamento de arquivos peer-to-peer com servidor de registro central

Uso:
  kompart <ip do servidor> s                 servidor de registro em <ip do servidor>:{registryPort}
  kompart <ip do servidor> p <ip do host>    peer: servidor em <ip do servidor>:{registryPort},
                                             arquivos servidos em <ip do host>:{peerPort}
  Os endereços aceitam porta (127.0.0.1:6000). A identidade do peer é <ip do host>
  (ou ip:porta quando a porta é dada).

{options}

Comandos do peer (maiúsculas e espaços extras não importam):
{commands}
Sem terminal, o peer lê um comando por linha e sai no fim da entrada:
  printf 'register peer\\nlist files\\n' | kompart 127.0.0.1 p 127.0.0.2

Códigos de saída: 0 tudo certo; 1 algum comando falhou ou erro ao executar;
2 uso incorreto ou arquivo TLS ilegível; 3 endereço em uso ou indisponível; 130 interrompido duas vezes.`,
    en: `kompart: peer-to-peer file sharing with a central registry server

Usage:
  kompart <server ip> s                 registry server on <server ip>:{registryPort}
  kompart <server ip> p <host ip>       peer: registry at <server ip>:{registryPort},
                                        files served on <host ip>:{peerPort}
  Addresses may carry a port (127.0.0.1:6000). The peer's identity is <host ip>
  (or ip:port when a port is given).

{options}

Peer commands (case and extra spaces do not matter):
{commands}
Without a terminal the peer reads one command per line and exits at the end of input:
  printf 'register peer\\nlist files\\n' | kompart 127.0.0.1 p 127.0.0.2

Exit codes: 0 all went well; 1 a command failed or a run-time error;
2 wrong usage or unreadable TLS file; 3 address in use or unavailable; 130 interrupted twice.`,
  },
  helpOptions: {
    pt: 'Opções (variável de ambiente entre parênteses; a opção vence a variável):',
    en: 'Options (environment variable in parentheses; the option wins over the variable):',
  },
  helpServerOptions: { pt: 'Servidor (s):', en: 'Server (s):' },
  helpPeerOptions: { pt: 'Peer (p):', en: 'Peer (p):' },
  helpDefault: { pt: 'padrão {value}', en: 'default {value}' },
  helpDefaultByMode: { pt: 'padrão {server} no servidor, {peer} no peer', en: 'default {server} for the server, {peer} for a peer' },
  helpOn: { pt: 'ligado', en: 'on' },
  helpOff: { pt: 'desligado', en: 'off' },
  helpSwitchValues: { pt: '=1|0', en: '=1|0' },
  helpListValues: { pt: ', caminhos separados por {delimiter}', en: ', paths separated by {delimiter}' },
  helpCommandLines: { pt: ', um comando por linha', en: ', one command per line' },
  commandList: {
    pt: `  register peer                      registra este peer no servidor e inicia o heartbeat
  register file <caminho>            calcula o SHA-256 e registra o arquivo (uma pasta: todos
                                     os arquivos dentro dela)
  unregister file <caminho>          tira do servidor um arquivo registrado (uma pasta: todos)
  list files [<texto>|<IP>|<hash>]   todos os arquivos dos peers online: IP / nome / hash (tamanho);
                                     só os de nome com <texto>, os do peer <IP> ou os de hash
                                     começando por <hash> (8 ou mais dígitos)
  get file <IP>/<nome ou hash> …     baixa o arquivo direto do peer que o tem e confere o SHA-256
                                     (vários de uma vez, lado a lado; <IP>/<pasta>/: a pasta toda)
  disconnect                         remove este peer e seus arquivos do servidor
  help                               esta lista
  exit                               sai (desconecta antes, se registrado)`,
    en: `  register peer                      registers this peer with the registry, starts the heartbeat
  register file <path>               hashes (SHA-256) and registers the file (a folder: every
                                     file under it)
  unregister file <path>             takes a registered file off the registry (a folder: all of them)
  list files [<text>|<IP>|<hash>]    every file of every online peer: IP / name / hash (size);
                                     only names containing <text>, the files of peer <IP>, or
                                     hashes starting with <hash> (8 or more digits)
  get file <IP>/<name or hash> …     downloads the file straight from its holder, checks the SHA-256
                                     (several at once, side by side; <IP>/<folder>/: a whole folder)
  disconnect                         removes this peer and its files from the registry
  help                               this list
  exit                               leaves (disconnecting first when registered)`,
  },
  menuCommandHint: {
    pt: '  menu                               volta ao menu interativo',
    en: '  menu                               back to the interactive menu',
  },
  version: { pt: 'kompart {version}', en: 'kompart {version}' },

  usageMissingArguments: {
    pt: 'Faltam argumentos: informe o IP do servidor e o modo (s ou p)',
    en: 'Missing arguments: give the server IP and the mode (s or p)',
  },
  usageBadMode: { pt: 'Modo desconhecido "{mode}": use s (servidor) ou p (peer)', en: 'Unknown mode "{mode}": use s (server) or p (peer)' },
  usageServerExtra: { pt: 'O modo servidor não aceita o argumento "{arg}"', en: 'Server mode takes no argument "{arg}"' },
  usagePeerNeedsHost: {
    pt: 'O modo peer precisa do IP do host: kompart <ip do servidor> p <ip do host>',
    en: 'Peer mode needs the host IP: kompart <server ip> p <host ip>',
  },
  usageBadAddress: { pt: 'Endereço inválido "{address}": use ip ou ip:porta', en: 'Invalid address "{address}": use ip or ip:port' },
  usageBadStore: {
    pt: 'Valor inválido para {option}: "{value}" (use memory ou redis://HOST:PORTA[/DB])',
    en: 'Invalid value for {option}: "{value}" (use memory or redis://HOST:PORT[/DB])',
  },
  usageBadTicketKey: {
    pt: 'O arquivo {path} não tem uma chave privada Ed25519 em PEM (PKCS#8): {detail}',
    en: 'The file {path} holds no Ed25519 private key in PEM (PKCS#8): {detail}',
  },
  usageBadReplicaList: {
    pt: 'Lista de servidores inválida "{address}": uma lista de réplicas deve ter só endereços IP, todos IPv4 ou todos IPv6',
    en: 'Invalid registry list "{address}": a list of replicas must be IP addresses only, all IPv4 or all IPv6',
  },
  usageBadNumber: {
    pt: 'Valor inválido para {option}: "{value}" (um número inteiro >= {min})',
    en: 'Invalid value for {option}: "{value}" (an integer >= {min})',
  },
  usageBadRange: {
    pt: 'Valor inválido para {option}: "{value}" (um número inteiro de {min} a {max})',
    en: 'Invalid value for {option}: "{value}" (an integer from {min} to {max})',
  },
  usageEmptyValue: { pt: '{option} não pode ser vazio', en: '{option} cannot be empty' },
  usageBadDo: {
    pt: '{option}: "{command}" não é um comando do peer (veja help)',
    en: '{option}: "{command}" is not a peer command (see help)',
  },
  usageBadLogLevel: { pt: 'Nível de log inválido "{level}": use {levels}', en: 'Invalid log level "{level}": use {levels}' },
  usageBadBoolean: {
    pt: 'Valor inválido em {name}: "{value}" (use 1 ou 0, true ou false)',
    en: 'Invalid value in {name}: "{value}" (use 1 or 0, true or false)',
  },
  usageBadLang: { pt: 'Idioma inválido "{lang}": use pt ou en', en: 'Invalid language "{lang}": use pt or en' },
  usageTlsPair: { pt: '--tls-cert e --tls-key andam juntos', en: '--tls-cert and --tls-key go together' },
  usageBadTlsMode: { pt: 'Valor inválido para {option}: "{value}" (use auto)', en: 'Invalid value for {option}: "{value}" (use auto)' },
  usageBadFingerprint: {
    pt: 'Valor inválido para {option}: "{value}" (o SHA-256 do certificado: 64 dígitos hexadecimais, ":" permitidos)',
    en: 'Invalid value for {option}: "{value}" (the certificate\'s SHA-256: 64 hex digits, ":" allowed)',
  },
  usageTlsAutoWithFiles: {
    pt: '--tls auto e --registry-fingerprint não combinam com --tls-cert, --tls-key ou --tls-ca',
    en: '--tls auto and --registry-fingerprint do not go with --tls-cert, --tls-key or --tls-ca',
  },
  eventRegistryTrusted: {
    pt: 'Registro {server} confiado no primeiro uso: certificado SHA-256 {fingerprint}, guardado em {file}',
    en: 'Registry {server} trusted on first use: certificate SHA-256 {fingerprint}, remembered in {file}',
  },
  tlsUnreadable: { pt: 'Não foi possível ler o arquivo TLS {path}: {detail}', en: 'Cannot read the TLS file {path}: {detail}' },
  usageUnknownOption: { pt: 'Opção desconhecida: {option}', en: 'Unknown option: {option}' },
  usageMissingValue: { pt: 'A opção {option} precisa de um valor', en: 'Option {option} needs a value' },
  usageTooManyArguments: { pt: 'Argumentos demais', en: 'Too many arguments' },
  usageInvalid: { pt: 'Argumentos inválidos: {detail}', en: 'Invalid arguments: {detail}' },

  // ---- server mode ----------------------------------------------------------------
  signalReceived: { pt: 'Sinal {signal} recebido: encerrando', en: 'Signal {signal} received: shutting down' },

  // ---- peer: start, prompt, leaving -------------------------------------------------
  peerReady: {
    pt: 'Peer {peer} pronto: servidor {server}, arquivos servidos em {address}, downloads em {downloads}',
    en: 'Peer {peer} ready: registry {server}, files served on {address}, downloads in {downloads}',
  },
  promptHint: { pt: 'Digite help para ver os comandos.', en: 'Type help to see the commands.' },
  prompt: { pt: 'kompart> ', en: 'kompart> ' },
  unknownCommand: {
    pt: 'Comando desconhecido: "{input}". Digite help para ver os comandos.',
    en: 'Unknown command: "{input}". Type help to see the commands.',
  },
  unknownCommandSuggestion: {
    pt: 'Comando desconhecido: "{input}". Você quis dizer {suggestion}? Digite help para ver os comandos.',
    en: 'Unknown command: "{input}". Did you mean {suggestion}? Type help to see the commands.',
  },
  commandUsage: { pt: 'Uso: {usage}', en: 'Usage: {usage}' },
  usageRegister: { pt: 'register peer | register file <caminho>', en: 'register peer | register file <path>' },
  usageRegisterFile: { pt: 'register file <caminho>', en: 'register file <path>' },
  usageUnregisterFile: { pt: 'unregister file <caminho>', en: 'unregister file <path>' },
  usageListFiles: { pt: 'list files [<parte do nome> | <IP> | <início do hash>]', en: 'list files [<part of the name> | <IP> | <start of the hash>]' },
  usageGetFile: { pt: 'get file <IP>/<nome ou hash>', en: 'get file <IP>/<name or hash>' },
  fileAmbiguousHeading: {
    pt: 'Mais de um arquivo de {peer} corresponde a "{file}":',
    en: 'More than one file of {peer} matches "{file}":',
  },
  interrupted: {
    pt: 'Interrompido: encerrando (Ctrl-C de novo sai na hora)',
    en: 'Interrupted: shutting down (Ctrl-C again quits at once)',
  },
  forcedExit: { pt: 'Saída forçada', en: 'Forced exit' },
  leaveHint: {
    pt: '(Para sair, tecle Ctrl-C de novo, Ctrl-D ou digite exit)',
    en: '(To leave, press Ctrl-C again or Ctrl-D, or type exit)',
  },
  menuLeaveHint: {
    pt: '(Para sair, tecle Ctrl-C de novo ou escolha Sair)',
    en: '(To leave, press Ctrl-C again or choose Exit)',
  },
  keepRunning: {
    pt: 'Fim da entrada: o peer continua online (SIGTERM encerra)',
    en: 'End of input: the peer stays online (SIGTERM stops it)',
  },

  // ---- peer: command results --------------------------------------------------------
  peerRegistered: { pt: 'Peer {peer} registrado', en: 'Peer {peer} registered' },
  registryWait: {
    pt: 'Servidor {server} inacessível; nova tentativa em {seconds} s',
    en: 'Registry {server} unreachable; trying again in {seconds} s',
  },
  hashing: { pt: 'Calculando SHA-256 de {path} ({size})', en: 'Hashing {path} ({size})' },
  fileRegistered: { pt: 'Arquivo {path} registrado ({size}, sha256 {sha256})', en: 'File {path} registered ({size}, sha256 {sha256})' },
  folderScanned: {
    pt: 'Pasta {path}: {files, plural, =0 {0 arquivos} one {# arquivo} other {# arquivos}} ({size})',
    en: 'Folder {path}: {files, plural, one {# file} other {# files}} ({size})',
  },
  folderRegistered: {
    pt: 'Pasta {path}: {registered, plural, =0 {0 arquivos registrados} one {# arquivo registrado} other {# arquivos registrados}}, {existing, plural, =0 {0 já registrados} one {# já registrado} other {# já registrados}}, {failed} com erro, {skipped, plural, =0 {0 ignorados} one {# ignorado} other {# ignorados}}',
    en: 'Folder {path}: {registered, plural, one {# file registered} other {# files registered}}, {existing} already registered, {failed} failed, {skipped} skipped',
  },
  registerCancelled: { pt: 'Registro de {path} cancelado', en: 'Registration of {path} cancelled' },
  listLine: { pt: '{peer} / {name} / {sha256} ({size})', en: '{peer} / {name} / {sha256} ({size})' },
  listLineWithPath: { pt: '{peer} / {name} ({path}) / {sha256} ({size})', en: '{peer} / {name} ({path}) / {sha256} ({size})' },
  downloadStarted: { pt: 'Baixando {name} de {holder} ({size})', en: 'Downloading {name} from {holder} ({size})' },
  downloadResumed: {
    pt: 'Retomando {name} de {holder} a partir de {offset} ({size})',
    en: 'Resuming {name} from {holder} at {offset} ({size})',
  },
  downloadFinished: {
    pt: 'Arquivo {name} salvo em {path} ({size} em {duration}, {rate}, SHA-256 verificado)',
    en: 'File {name} saved as {path} ({size} in {duration}, {rate}, SHA-256 verified)',
  },
  downloadFinishedSwarm: {
    pt: 'Arquivo {name} salvo em {path} ({size} em {duration}, {rate}, de {count} peers: {shares}; cada pedaço e o SHA-256 verificados)',
    en: 'File {name} saved as {path} ({size} in {duration}, {rate}, from {count} peers: {shares}; every piece and the SHA-256 verified)',
  },
  /** One holder's part of a swarm download, in the list of downloadFinishedSwarm. */
  swarmShare: { pt: '{peer} {bytes}', en: '{peer} {bytes}' },
  swarmDroppedBadPiece: { pt: 'Peer {peer} descartado: enviou um pedaço inválido', en: 'Peer {peer} dropped: it sent an invalid piece' },
  swarmDroppedBadList: {
    pt: 'Peer {peer} descartado: sua lista de pedaços não confere com a do servidor de registro',
    en: "Peer {peer} dropped: its piece list does not match the registry's",
  },
  swarmDroppedStalled: { pt: 'Peer {peer} descartado: parou de enviar', en: 'Peer {peer} dropped: it stopped sending' },
  swarmDroppedLeft: { pt: 'Peer {peer} saiu do download; os outros continuaram', en: 'Peer {peer} left the download; the others carried on' },
  folderDownloadStarted: {
    pt: 'Baixando a pasta {name} de {holder}: {files, plural, one {# arquivo} other {# arquivos}} ({size})',
    en: 'Downloading folder {name} from {holder}: {files, plural, one {# file} other {# files}} ({size})',
  },
  folderDownloadFinished: {
    pt: 'Pasta {name} salva em {path}: {files, plural, one {# arquivo} other {# arquivos}} ({size} em {duration}, {rate}, SHA-256 verificado)',
    en: 'Folder {name} saved as {path}: {files, plural, one {# file} other {# files}} ({size} in {duration}, {rate}, SHA-256 verified)',
  },
  folderDownloadPartly: {
    pt: 'Pasta {name} salva em {path} em parte: {files, plural, one {# arquivo} other {# arquivos}}, {failed, plural, one {# com erro} other {# com erro}}',
    en: 'Folder {name} saved as {path} in part: {files, plural, one {# file} other {# files}}, {failed} failed',
  },
  fileUnregistered: {
    pt: 'Arquivo {path} removido do índice ({size}, sha256 {sha256})',
    en: 'File {path} taken off the index ({size}, sha256 {sha256})',
  },
  folderUnregistered: {
    pt: 'Pasta {path}: {files, plural, =0 {nenhum arquivo removido} one {# arquivo removido} other {# arquivos removidos}} do índice',
    en: 'Folder {path}: {files, plural, =0 {no file} one {# file} other {# files}} taken off the index',
  },
  downloadAlreadyPresent: { pt: 'Arquivo {name} já está em {path}', en: 'File {name} is already in {path}' },
  disconnected: {
    pt: 'Peer {peer} desconectado ({files, plural, =0 {0 arquivos removidos} one {# arquivo removido} other {# arquivos removidos}})',
    en: 'Peer {peer} disconnected ({files, plural, one {# file removed} other {# files removed}})',
  },
  disconnectedOffline: {
    pt: 'Peer {peer} desconectado (sem resposta do servidor)',
    en: 'Peer {peer} disconnected (no answer from the registry)',
  },

  // ---- peer: asynchronous messages --------------------------------------------------
  eventPeerJoined: { pt: 'Peer {peer} entrou', en: 'Peer {peer} joined' },
  eventPeerLeft: { pt: 'Peer {peer} saiu', en: 'Peer {peer} left' },
  eventPeerExpired: { pt: 'Peer {peer} expirou (heartbeats perdidos)', en: 'Peer {peer} expired (missed heartbeats)' },
  eventRegistryShuttingDown: { pt: 'O servidor de registro está encerrando', en: 'The registry is shutting down' },
  eventConnectionLost: { pt: 'Conexão com o servidor {server} perdida: {reason}', en: 'Lost the connection to registry {server}: {reason}' },
  eventReconnecting: {
    pt: 'Reconectando ao servidor {server} (tentativa {attempt})',
    en: 'Reconnecting to registry {server} (attempt {attempt})',
  },
  eventResumed: {
    pt: 'Sessão retomada no servidor {server}: nada foi registrado de novo',
    en: 'Session resumed on registry {server}: nothing had to be registered again',
  },
  eventReconnected: {
    pt: 'Reconectado ao servidor {server}: {files, plural, =0 {0 arquivos registrados de novo} one {# arquivo registrado de novo} other {# arquivos registrados de novo}}',
    en: 'Reconnected to registry {server}: {files, plural, one {# file registered again} other {# files registered again}}',
  },
  eventReconnectedPartly: {
    pt: 'Reconectado ao servidor {server}: {files, plural, =0 {0 arquivos registrados de novo} one {# arquivo registrado de novo} other {# arquivos registrados de novo}}, {failed} não',
    en: 'Reconnected to registry {server}: {files, plural, one {# file registered again} other {# files registered again}}, {failed} not',
  },
  eventServed: { pt: 'Arquivo {name} enviado para {client} ({size})', en: 'File {name} sent to {client} ({size})' },
  eventServedPartly: {
    pt: 'Envio de {name} para {client} interrompido ({size} enviados)',
    en: 'Sending {name} to {client} stopped ({size} sent)',
  },
  lostStreamError: { pt: 'erro na conexão', en: 'connection error' },
  lostStreamEnded: { pt: 'conexão encerrada', en: 'connection closed' },
  lostShuttingDown: { pt: 'o servidor está encerrando', en: 'the registry is shutting down' },
  lostRestarted: { pt: 'o servidor reiniciou', en: 'the registry restarted' },
  lostNoAck: { pt: 'o servidor não responde', en: 'the registry does not answer' },
  lostSessionInvalid: { pt: 'o servidor esqueceu esta sessão', en: 'the registry forgot this session' },

  // ---- peer: progress bars --------------------------------------------------------
  progressHashing: { pt: 'SHA-256 {name}', en: 'SHA-256 {name}' },
  progressDownloading: { pt: 'Baixando {name}', en: 'Downloading {name}' },
  progressDownloadingSwarm: { pt: 'Baixando {name} de {holders} peers', en: 'Downloading {name} from {holders} peers' },

  // ---- peer: start-up checks -------------------------------------------------------
  downloadsNotFolder: {
    pt: '--downloads {path}: {found} não é uma pasta',
    en: '--downloads {path}: {found} is not a folder',
  },
  downloadsNotWritable: {
    pt: '--downloads {path}: sem permissão de escrita em {found}',
    en: '--downloads {path}: no permission to write in {found}',
  },
  registryNameNotFound: {
    pt: 'O nome {host} do servidor não foi encontrado (DNS): confira o endereço',
    en: 'The registry name {host} was not found (DNS): check the address',
  },

  // ---- peer: live shares ----------------------------------------------------------
  eventShareAdded: {
    pt: 'Arquivo {path} apareceu numa pasta compartilhada e foi registrado ({size}, sha256 {sha256})',
    en: 'File {path} appeared in a shared folder and was registered ({size}, sha256 {sha256})',
  },
  eventShareUpdated: {
    pt: 'Arquivo {path} mudou e foi registrado de novo ({size}, sha256 {sha256})',
    en: 'File {path} changed and was registered again ({size}, sha256 {sha256})',
  },
  eventShareDeleted: { pt: 'Arquivo {path} apagado: saiu do índice', en: 'File {path} deleted: removed from the index' },
  eventShareNotAFile: {
    pt: 'Arquivo {path} não é mais um arquivo comum: saiu do índice',
    en: 'File {path} is no longer a regular file: removed from the index',
  },
  eventShareUnreadable: { pt: 'Arquivo {path} ilegível: saiu do índice', en: 'File {path} unreadable: removed from the index' },
  eventShareFailed: { pt: 'O índice não acompanhou {path}: {error}', en: 'The index could not follow {path}: {error}' },
  eventWatchError: {
    pt: 'Não é possível acompanhar {path} ({detail}): mudanças nele não chegam ao índice',
    en: 'Cannot watch {path} ({detail}): its changes will not reach the index',
  },

  // ---- peer: inquirer menu ----------------------------------------------------------
  menuQuestion: { pt: 'O que você quer fazer?', en: 'What do you want to do?' },
  menuRegisterPeer: { pt: 'Registrar este peer (register peer)', en: 'Register this peer (register peer)' },
  menuRegisterFile: { pt: 'Registrar um arquivo ou pasta (register file)', en: 'Register a file or folder (register file)' },
  menuUnregisterFile: { pt: 'Tirar um arquivo do índice (unregister file)', en: 'Take a file off the index (unregister file)' },
  menuListFiles: { pt: 'Listar os arquivos (list files)', en: 'List the files (list files)' },
  menuGetFile: { pt: 'Baixar um arquivo (get file)', en: 'Download a file (get file)' },
  menuDisconnect: { pt: 'Desconectar (disconnect)', en: 'Disconnect (disconnect)' },
  menuPrompt: { pt: 'Usar o prompt de comandos', en: 'Use the typed prompt' },
  menuHelp: { pt: 'Ajuda (help)', en: 'Help (help)' },
  menuExit: { pt: 'Sair (exit)', en: 'Exit (exit)' },
  menuKeys: { pt: '↑↓ navegar • ⏎ escolher', en: '↑↓ navigate • ⏎ select' },
  menuPathQuestion: { pt: 'Caminho do arquivo ou pasta:', en: 'Path of the file or folder:' },
  menuPathKeys: { pt: 'Tab completa • ⏎ registra • Esc volta ao menu', en: 'Tab completes • ⏎ registers • Esc back to the menu' },
  menuPickFile: { pt: 'Qual arquivo baixar?', en: 'Which file to download?' },
  menuPickOwnFile: { pt: 'Qual arquivo tirar do índice?', en: 'Which file to take off the index?' },
  menuNoOwnFiles: { pt: 'Este peer não registrou nenhum arquivo.', en: 'This peer has registered no file.' },
  menuBack: { pt: '(voltar)', en: '(back)' },
  menuToPrompt: {
    pt: 'Prompt de comandos: digite menu para voltar ao menu.',
    en: 'Typed prompt: type menu to go back to the menu.',
  },
} as const satisfies Record<string, Text>;

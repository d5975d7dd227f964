import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { CommanderError, Command } from 'commander';
import { REGISTRY_DEFAULTS } from '@kompart/registry-server';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_MISSES, DEFAULT_MAX_FILES_PER_PEER, DEFAULT_PEER_PORT, DEFAULT_REGISTRY_PORT } from '@kompart/protocol';
import { AddressError, DEFAULT_LANG, isLang, parseEndpoint, render, type Endpoint, type Lang } from '@kompart/core';
import { cliTexts } from './texts.js';
import type { TlsFiles } from './tls-files.js';

/** Log levels, most verbose first; `silent` prints nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What every mode shares. */
interface CommonConfig {
  readonly lang: Lang;
  readonly logLevel: LogLevel;
  /** One JSON object per output line instead of text. */
  readonly json: boolean;
  /** TLS certificate, key and CA files (absolute); undefined: plaintext. */
  readonly tls: TlsFiles | undefined;
}

/** `kompart <server ip> s`: run the registry server. */
export interface ServerConfig extends CommonConfig {
  readonly mode: 'server';
  /** Where to listen (`ip`, port 50051 unless given). */
  readonly listen: Endpoint;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMisses: number;
  readonly maxFilesPerPeer: number;
  /** Period of the "N peers online, M files" log line; 0 turns it off. */
  readonly summaryIntervalMs: number;
  /** Accept peer addresses that differ from their connection's source (NAT). */
  readonly trustPeerAddresses: boolean;
  /** Requests a second one peer session may make (0: no limit). */
  readonly maxRequestsPerSecond: number;
  /** Lifetime of the download tickets LocateFile issues, ms. */
  readonly ticketTtlMs: number;
  /** Largest gRPC message, bytes. */
  readonly maxMessageBytes: number;
  /** Longest registered path, bytes. */
  readonly maxPathBytes: number;
}

/** `kompart <server ip> p <host ip>`: run a peer. */
export interface PeerConfig extends CommonConfig {
  readonly mode: 'peer';
  /** The registry to talk to. */
  readonly registry: Endpoint;
  /** This peer's identity and where its FileService listens. */
  readonly host: Endpoint;
  /** Bind the FileService here instead of `host` (`0.0.0.0:50052` in a container). */
  readonly listen: Endpoint | undefined;
  /** Absolute folder where downloads are saved. */
  readonly downloadsDir: string;
  /** Absolute folder of the hash cache; undefined keeps it in memory only. */
  readonly cacheDir: string | undefined;
  /** Paths registered at start-up (after an automatic `register peer`). */
  readonly share: readonly string[];
  /** Run `register peer` at start-up (implied by `share`). */
  readonly registerAtStart: boolean;
  /** Heartbeat interval asked of the registry session; undefined uses the registry's. */
  readonly heartbeatIntervalMs: number | undefined;
  /** true: inquirer menu; false: typed prompt; undefined: menu on a terminal. */
  readonly menu: boolean | undefined;
  /** Serve downloads only with a registry ticket (default); false serves anyone who asks. */
  readonly requireTickets: boolean;
  /** Stay online after the end of standard input (containers); stop with SIGTERM. */
  readonly keepRunning: boolean;
}

export type KompartConfig = ServerConfig | PeerConfig;

/** The outcome of reading the command line and the environment. */
export type ParsedCommandLine =
  | { readonly ok: true; readonly action: 'run'; readonly config: KompartConfig }
  | { readonly ok: true; readonly action: 'help' | 'version'; readonly lang: Lang }
  | { readonly ok: false; readonly lang: Lang; readonly errorMessage: string };

/** Defaults of the settings that have one. */
export const DEFAULTS = {
  lang: DEFAULT_LANG,
  serverLogLevel: 'info' as LogLevel,
  peerLogLevel: 'error' as LogLevel,
  downloads: 'downloads',
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
  heartbeatMisses: DEFAULT_HEARTBEAT_MISSES,
  maxFilesPerPeer: DEFAULT_MAX_FILES_PER_PEER,
  summaryIntervalMs: 60_000,
  maxRequestsPerSecond: REGISTRY_DEFAULTS.maxRequestsPerSecond,
  ticketTtlMs: REGISTRY_DEFAULTS.ticketTtlMs,
  maxMessageBytes: REGISTRY_DEFAULTS.maxMessageBytes,
  maxPathBytes: REGISTRY_DEFAULTS.maxPathBytes,
} as const;

/** Environment variables, one per option (see README). */
export const ENV = {
  lang: 'KOMPART_LANG',
  downloads: 'KOMPART_DOWNLOADS',
  share: 'KOMPART_SHARE',
  register: 'KOMPART_REGISTER',
  heartbeatInterval: 'KOMPART_HEARTBEAT_INTERVAL',
  heartbeatMisses: 'KOMPART_HEARTBEAT_MISSES',
  logLevel: 'KOMPART_LOG_LEVEL',
  json: 'KOMPART_JSON',
  menu: 'KOMPART_MENU',
  cacheDir: 'KOMPART_CACHE_DIR',
  maxFilesPerPeer: 'KOMPART_MAX_FILES_PER_PEER',
  summaryInterval: 'KOMPART_SUMMARY_INTERVAL',
  keepRunning: 'KOMPART_KEEP_RUNNING',
  listen: 'KOMPART_LISTEN',
  tlsCert: 'KOMPART_TLS_CERT',
  tlsKey: 'KOMPART_TLS_KEY',
  tlsCa: 'KOMPART_TLS_CA',
  trustPeerAddresses: 'KOMPART_TRUST_PEER_ADDRESSES',
  maxRequestsPerSecond: 'KOMPART_MAX_REQUESTS_PER_SECOND',
  ticketTtl: 'KOMPART_TICKET_TTL',
  maxMessageBytes: 'KOMPART_MAX_MESSAGE_BYTES',
  maxPathBytes: 'KOMPART_MAX_PATH_BYTES',
  tickets: 'KOMPART_TICKETS',
} as const;

/** Flags as commander hands them over: strings and booleans, not yet validated. */
interface RawFlags {
  help?: boolean;
  version?: boolean;
  lang?: string;
  downloads?: string;
  share?: string[];
  register?: boolean;
  heartbeatInterval?: string;
  heartbeatMisses?: string;
  logLevel?: string;
  json?: boolean;
  menu?: boolean;
  cacheDir?: string | false;
  maxFilesPerPeer?: string;
  summaryInterval?: string;
  keepRunning?: boolean;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  trustPeerAddresses?: boolean;
  maxRequestsPerSecond?: string;
  ticketTtl?: string;
  maxMessageBytes?: string;
  maxPathBytes?: string;
  tickets?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Where relative paths are resolved and the default cache folder is found. */
export interface ConfigContext {
  readonly cwd: string;
  readonly home: string;
}

/** Thrown inside the parser; becomes `{ok: false}` with the message in the chosen language. */
class UsageError extends Error {}

/**
 * Reads the command line (`argv` without `node` and the script) and the environment into
 * one typed, validated configuration: defaults, then `KOMPART_*` variables, then flags.
 * Never prints and never exits: the caller decides.
 */
export function parseArguments(argv: readonly string[], env: Env = process.env, context: ConfigContext = defaultContext()): ParsedCommandLine {
  const { lang, invalid } = pickLang(argv, env);
  const t = (text: (typeof cliTexts)[keyof typeof cliTexts], params?: Record<string, string | number>): string => render(text, lang, params);
  try {
    if (invalid !== undefined) throw new UsageError(t(cliTexts.usageBadLang, { lang: invalid }));
    const program = buildParser();
    try {
      program.parse([...argv], { from: 'user' });
    } catch (error) {
      if (error instanceof CommanderError) throw new UsageError(commanderMessage(error, lang));
      throw error;
    }
    const flags = program.opts<RawFlags>();
    if (flags.help === true) return { ok: true, action: 'help', lang };
    if (flags.version === true) return { ok: true, action: 'version', lang };
    const [server, modeText, host] = program.args;
    if (server === undefined || modeText === undefined) throw new UsageError(t(cliTexts.usageMissingArguments));
    const mode = parseMode(modeText);
    if (mode === undefined) throw new UsageError(t(cliTexts.usageBadMode, { mode: modeText }));

    const common = {
      lang,
      tls: tlsFiles(flags, env, context, lang),
      json: flags.json ?? envFlag(env, ENV.json, lang) ?? false,
      logLevel: logLevel(flags.logLevel ?? env[ENV.logLevel], mode === 'server' ? DEFAULTS.serverLogLevel : DEFAULTS.peerLogLevel, lang),
    };
    const heartbeatText = flags.heartbeatInterval ?? env[ENV.heartbeatInterval];

    if (mode === 'server') {
      if (host !== undefined) throw new UsageError(t(cliTexts.usageServerExtra, { arg: host }));
      return {
        ok: true,
        action: 'run',
        config: {
          mode,
          ...common,
          listen: endpoint(server, DEFAULT_REGISTRY_PORT, lang),
          heartbeatIntervalMs: integer('--heartbeat-interval', heartbeatText, DEFAULTS.heartbeatIntervalMs, 10, lang),
          heartbeatMisses: integer('--heartbeat-misses', flags.heartbeatMisses ?? env[ENV.heartbeatMisses], DEFAULTS.heartbeatMisses, 1, lang),
          maxFilesPerPeer: integer('--max-files-per-peer', flags.maxFilesPerPeer ?? env[ENV.maxFilesPerPeer], DEFAULTS.maxFilesPerPeer, 1, lang),
          summaryIntervalMs: integer('--summary-interval', flags.summaryInterval ?? env[ENV.summaryInterval], DEFAULTS.summaryIntervalMs, 0, lang),
          trustPeerAddresses: flags.trustPeerAddresses ?? envFlag(env, ENV.trustPeerAddresses, lang) ?? false,
          maxRequestsPerSecond: integer('--max-requests-per-second', flags.maxRequestsPerSecond ?? env[ENV.maxRequestsPerSecond], DEFAULTS.maxRequestsPerSecond, 0, lang),
          ticketTtlMs: integer('--ticket-ttl', flags.ticketTtl ?? env[ENV.ticketTtl], DEFAULTS.ticketTtlMs, 1000, lang),
          maxMessageBytes: integer('--max-message-bytes', flags.maxMessageBytes ?? env[ENV.maxMessageBytes], DEFAULTS.maxMessageBytes, 65_536, lang),
          maxPathBytes: integer('--max-path-bytes', flags.maxPathBytes ?? env[ENV.maxPathBytes], DEFAULTS.maxPathBytes, 1, lang),
        },
      };
    }

    if (host === undefined) throw new UsageError(t(cliTexts.usagePeerNeedsHost));
    const share = flags.share !== undefined && flags.share.length > 0 ? flags.share : splitList(env[ENV.share]);
    const listenText = flags.listen ?? env[ENV.listen];
    const cacheFlag = flags.cacheDir;
    const cacheText = cacheFlag === false ? '' : (cacheFlag ?? env[ENV.cacheDir]);
    return {
      ok: true,
      action: 'run',
      config: {
        mode,
        ...common,
        registry: endpoint(server, DEFAULT_REGISTRY_PORT, lang),
        host: endpoint(host, DEFAULT_PEER_PORT, lang),
        listen: listenText === undefined || listenText.trim() === '' ? undefined : endpoint(listenText, DEFAULT_PEER_PORT, lang),
        downloadsDir: resolve(context.cwd, nonEmpty('--downloads', flags.downloads ?? env[ENV.downloads] ?? DEFAULTS.downloads, lang)),
        cacheDir: cacheText === undefined ? defaultCacheDir(env, context) : cacheText === '' ? undefined : resolve(context.cwd, cacheText),
        share: share.map((path) => resolve(context.cwd, path)),
        registerAtStart: share.length > 0 || (flags.register ?? envFlag(env, ENV.register, lang) ?? false),
        heartbeatIntervalMs: heartbeatText === undefined ? undefined : integer('--heartbeat-interval', heartbeatText, DEFAULTS.heartbeatIntervalMs, 10, lang),
        menu: flags.menu ?? envFlag(env, ENV.menu, lang),
        keepRunning: flags.keepRunning ?? envFlag(env, ENV.keepRunning, lang) ?? false,
        requireTickets: flags.tickets ?? envFlag(env, ENV.tickets, lang) ?? true,
      },
    };
  } catch (error) {
    if (error instanceof UsageError) return { ok: false, lang, errorMessage: error.message };
    throw error;
  }
}

function defaultContext(): ConfigContext {
  return { cwd: process.cwd(), home: homedir() };
}

/** The options commander knows. Help and errors are ours (catalogue, both languages). */
function buildParser(): Command {
  const collect = (value: string, previous: string[]): string[] => [...previous, value];
  return new Command('kompart')
    .helpOption(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined })
    .allowExcessArguments(false)
    .argument('[server]')
    .argument('[mode]')
    .argument('[host]')
    .option('-h, --help')
    .option('-V, --version')
    .option('--lang <lang>')
    .option('--downloads <dir>')
    .option('--share <path>', '', collect, [])
    .option('--register')
    .option('--no-register')
    .option('--heartbeat-interval <ms>')
    .option('--heartbeat-misses <n>')
    .option('--log-level <level>')
    .option('--json')
    .option('--no-json')
    .option('--menu')
    .option('--no-menu')
    .option('--cache-dir <dir>')
    .option('--no-cache-dir')
    .option('--max-files-per-peer <n>')
    .option('--summary-interval <ms>')
    .option('--listen <address>')
    .option('--tls-cert <file>')
    .option('--tls-key <file>')
    .option('--tls-ca <file>')
    .option('--trust-peer-addresses')
    .option('--max-requests-per-second <n>')
    .option('--ticket-ttl <ms>')
    .option('--max-message-bytes <n>')
    .option('--max-path-bytes <n>')
    .option('--tickets')
    .option('--no-tickets')
    .option('--keep-running')
    .option('--no-keep-running');
}

/**
 * The language of every message, decided before anything else so that even a usage
 * error is in it: `--lang`, then KOMPART_LANG, then Portuguese. The system locale
 * (LANG, LC_ALL) is deliberately ignored. An unknown value gives the default language
 * and `invalid`, which parseArguments reports.
 */
export function pickLang(argv: readonly string[], env: Env): { lang: Lang; invalid?: string } {
  let chosen: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg === '--lang') chosen = argv[i + 1];
    else if (arg.startsWith('--lang=')) chosen = arg.slice('--lang='.length);
  }
  chosen ??= env[ENV.lang];
  const normalized = chosen?.trim().toLowerCase();
  if (normalized === undefined || normalized === '') return { lang: DEFAULT_LANG };
  if (!isLang(normalized)) return { lang: DEFAULT_LANG, invalid: chosen ?? '' };
  return { lang: normalized };
}

/** TLS files (flags over variables); a certificate and its key go together. */
function tlsFiles(flags: RawFlags, env: Env, context: ConfigContext, lang: Lang): TlsFiles | undefined {
  const pick = (flag: string | undefined, name: string): string | undefined => {
    const value = flag ?? env[name];
    return value === undefined || value.trim() === '' ? undefined : resolve(context.cwd, value);
  };
  const cert = pick(flags.tlsCert, ENV.tlsCert);
  const key = pick(flags.tlsKey, ENV.tlsKey);
  const ca = pick(flags.tlsCa, ENV.tlsCa);
  if ((cert === undefined) !== (key === undefined)) throw new UsageError(render(cliTexts.usageTlsPair, lang));
  if (cert === undefined && ca === undefined) return undefined;
  return { ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }), ...(ca === undefined ? {} : { ca }) };
}

function parseMode(text: string): 'server' | 'peer' | undefined {
  switch (text.toLowerCase()) {
    case 's':
    case 'server':
      return 'server';
    case 'p':
    case 'peer':
      return 'peer';
    default:
      return undefined;
  }
}

function endpoint(text: string, defaultPort: number, lang: Lang): Endpoint {
  try {
    return parseEndpoint(text, defaultPort);
  } catch (error) {
    if (error instanceof AddressError) throw new UsageError(render(cliTexts.usageBadAddress, lang, { address: text }));
    throw error;
  }
}

function integer(option: string, text: string | undefined, fallback: number, min: number, lang: Lang): number {
  if (text === undefined) return fallback;
  const trimmed = text.trim();
  const value = /^[0-9]{1,15}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(render(cliTexts.usageBadNumber, lang, { option, value: text, min }));
  return value;
}

function nonEmpty(option: string, text: string, lang: Lang): string {
  if (text.trim() === '') throw new UsageError(render(cliTexts.usageEmptyValue, lang, { option }));
  return text;
}

function logLevel(text: string | undefined, fallback: LogLevel, lang: Lang): LogLevel {
  if (text === undefined || text.trim() === '') return fallback;
  const level = text.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(render(cliTexts.usageBadLogLevel, lang, { level: text, levels: LOG_LEVELS.join(', ') }));
  }
  return level as LogLevel;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on', 'sim']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off', 'nao', 'não', '']);

/** A boolean environment variable: 1/true/yes/on or 0/false/no/off; unset is undefined. */
function envFlag(env: Env, name: string, lang: Lang): boolean | undefined {
  const text = env[name];
  if (text === undefined) return undefined;
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new UsageError(render(cliTexts.usageBadBoolean, lang, { name, value: text }));
}

/** KOMPART_SHARE: paths separated by the platform's list delimiter (`:` on Linux). */
function splitList(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text.split(delimiter).filter((part) => part.trim() !== '');
}

function defaultCacheDir(env: Env, context: ConfigContext): string {
  const base = env['XDG_CACHE_HOME'];
  return base !== undefined && base !== '' ? join(resolve(context.cwd, base), 'kompart') : join(context.home, '.cache', 'kompart');
}

/** Commander's errors, in our words and language. */
function commanderMessage(error: CommanderError, lang: Lang): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'commander.unknownOption':
      return render(cliTexts.usageUnknownOption, lang, { option: quoted });
    case 'commander.optionMissingArgument':
      return render(cliTexts.usageMissingValue, lang, { option: quoted.split(/[ ,]/).find((part) => part.startsWith('--')) ?? quoted });
    case 'commander.excessArguments':
      return render(cliTexts.usageTooManyArguments, lang);
    default:
      return render(cliTexts.usageInvalid, lang, { detail: error.message.replace(/^error: /, '') });
  }
}

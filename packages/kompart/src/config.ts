import { homedir } from 'node:os';
import { CommanderError, Command } from 'commander';
import { DEFAULT_PEER_PORT, DEFAULT_REGISTRY_PORT } from '@kompart/protocol';
import { DEFAULT_LANG, render, type Endpoint, type Lang } from '@kompart/core';
import { parseAddress, parseReplicaList } from './option-parsers.js';
import { addOptions, longFlag, readOptions, type Env, type OptionValues } from './option-table.js';
import { ACTION_FLAGS, OPTIONS } from './options.js';
import { cliTexts } from './texts.js';
import type { TlsFiles } from './tls-files.js';
import { UsageError } from './usage-error.js';

/** The three TLS rows, which the configuration carries as one `tls` field. */
type TlsField = 'tlsCert' | 'tlsKey' | 'tlsCa';

/** The options of the server, as the option table (options.ts) declares them. */
export type ServerOptions = OptionValues<typeof OPTIONS, 'server'>;
/** The options of a peer, as the option table (options.ts) declares them. */
export type PeerOptions = OptionValues<typeof OPTIONS, 'peer'>;

/** `kompart <server ip> s`: run the registry server. Every other field is a row of options.ts. */
export interface ServerConfig extends Omit<ServerOptions, TlsField> {
  readonly mode: 'server';
  /** Where to listen (`<server ip>`, port 50051 unless given). */
  readonly listen: Endpoint;
  /** TLS certificate, key and CA files (absolute); undefined: plaintext. */
  readonly tls: TlsFiles | undefined;
}

/** `kompart <server ip> p <host ip>`: run a peer. Every other field is a row of options.ts. */
export interface PeerConfig extends Omit<PeerOptions, TlsField> {
  readonly mode: 'peer';
  /** The registry to talk to (`<server ip>`): one address, or the replicas of one registry. */
  readonly registry: readonly Endpoint[];
  /** This peer's identity and where its FileService listens (`<host ip>`). */
  readonly host: Endpoint;
  /** TLS certificate, key and CA files (absolute); undefined: plaintext. */
  readonly tls: TlsFiles | undefined;
}

export type KompartConfig = ServerConfig | PeerConfig;

/** The outcome of reading the command line and the environment. */
export type ParsedCommandLine =
  | { readonly ok: true; readonly action: 'run'; readonly config: KompartConfig }
  | { readonly ok: true; readonly action: 'help' | 'version'; readonly lang: Lang }
  | { readonly ok: false; readonly lang: Lang; readonly errorMessage: string };

/** Where relative paths are resolved and the default cache folder is found. */
export interface ConfigContext {
  readonly cwd: string;
  readonly home: string;
}

/**
 * Reads the command line (`argv` without `node` and the script) and the environment into
 * one typed, validated configuration: defaults, then `KOMPART_*` variables, then flags,
 * each read by its row of the option table. Never prints and never exits: the caller decides.
 */
export function parseArguments(argv: readonly string[], env: Env = process.env, context: ConfigContext = defaultContext()): ParsedCommandLine {
  const { lang, invalid } = pickLang(argv, env);
  try {
    if (invalid !== undefined) throw new UsageError(cliTexts.usageBadLang, { lang: invalid });
    const program = buildParser();
    try {
      program.parse([...argv], { from: 'user' });
    } catch (error) {
      if (error instanceof CommanderError) throw commanderError(error);
      throw error;
    }
    const flags: Readonly<Record<string, unknown>> = program.opts();
    if (flags['help'] === true) return { ok: true, action: 'help', lang };
    if (flags['version'] === true) return { ok: true, action: 'version', lang };
    const [server, modeText, host] = program.args;
    if (server === undefined || modeText === undefined) throw new UsageError(cliTexts.usageMissingArguments);
    const mode = parseMode(modeText);
    if (mode === undefined) throw new UsageError(cliTexts.usageBadMode, { mode: modeText });
    const defaults = { ...context, env };

    if (mode === 'server') {
      if (host !== undefined) throw new UsageError(cliTexts.usageServerExtra, { arg: host });
      const listen = parseAddress(server, DEFAULT_REGISTRY_PORT);
      const { tlsCert, tlsKey, tlsCa, ...options } = readOptions(OPTIONS, mode, flags, env, defaults);
      const tls = tlsFiles(tlsCert, tlsKey, tlsCa);
      if (tls !== undefined && options.tlsMode !== undefined) throw new UsageError(cliTexts.usageTlsAutoWithFiles);
      const config: ServerConfig = { mode, listen, ...options, tls };
      return { ok: true, action: 'run', config };
    }

    if (host === undefined) throw new UsageError(cliTexts.usagePeerNeedsHost);
    const registry = parseReplicaList(server, DEFAULT_REGISTRY_PORT);
    const own = parseAddress(host, DEFAULT_PEER_PORT);
    const { tlsCert, tlsKey, tlsCa, ...options } = readOptions(OPTIONS, mode, flags, env, defaults);
    const tls = tlsFiles(tlsCert, tlsKey, tlsCa);
    if (tls !== undefined && (options.tlsMode !== undefined || options.registryFingerprint !== undefined)) throw new UsageError(cliTexts.usageTlsAutoWithFiles);
    const config: PeerConfig = {
      mode,
      registry,
      host: own,
      ...options,
      tls,
      // Sharing a path needs the peer registered first.
      registerAtStart: options.share.length > 0 || options.registerAtStart,
    };
    return { ok: true, action: 'run', config };
  } catch (error) {
    if (error instanceof UsageError) return { ok: false, lang, errorMessage: render(error.text, lang, error.params) };
    throw error;
  }
}

function defaultContext(): ConfigContext {
  return { cwd: process.cwd(), home: homedir() };
}

/** The options commander knows: the table's rows and the action flags. Help and errors are ours (catalogue, both languages). */
function buildParser(): Command {
  const command = new Command('kompart')
    .helpOption(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined })
    .allowExcessArguments(false)
    .argument('[server]')
    .argument('[mode]')
    .argument('[host]');
  return addOptions(command, OPTIONS, ACTION_FLAGS);
}

/**
 * The language of every message, decided before anything else so that even a usage
 * error is in it: `--lang`, then KOMPART_LANG, then Portuguese, read by the `lang` row's
 * parser. The system locale (LANG, LC_ALL) is deliberately ignored. An unknown value
 * gives the default language and `invalid`, which parseArguments reports.
 */
function pickLang(argv: readonly string[], env: Env): { lang: Lang; invalid?: string } {
  const row = OPTIONS.lang;
  const flag = longFlag(row);
  let chosen: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === undefined || arg === '--') break;
    if (arg === flag) chosen = argv[i + 1];
    else if (arg.startsWith(`${flag}=`)) chosen = arg.slice(flag.length + 1);
  }
  chosen ??= env[row.env];
  if (chosen === undefined || chosen.trim() === '') return { lang: DEFAULT_LANG };
  try {
    return { lang: row.parse.parse(chosen, { option: flag, variable: row.env, cwd: '' }) };
  } catch (error) {
    if (error instanceof UsageError) return { lang: DEFAULT_LANG, invalid: chosen };
    throw error;
  }
}

/** The TLS files; a certificate and its key go together. */
function tlsFiles(cert: string | undefined, key: string | undefined, ca: string | undefined): TlsFiles | undefined {
  if ((cert === undefined) !== (key === undefined)) throw new UsageError(cliTexts.usageTlsPair);
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

/** Commander's errors, in our words. */
function commanderError(error: CommanderError): UsageError {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  switch (error.code) {
    case 'commander.unknownOption':
      return new UsageError(cliTexts.usageUnknownOption, { option: quoted });
    case 'commander.optionMissingArgument':
      return new UsageError(cliTexts.usageMissingValue, { option: quoted.split(/[ ,]/).find((part) => part.startsWith('--')) ?? quoted });
    case 'commander.excessArguments':
      return new UsageError(cliTexts.usageTooManyArguments);
    default:
      return new UsageError(cliTexts.usageInvalid, { detail: error.message.replace(/^error: /, '') });
  }
}

import { delimiter, resolve } from 'node:path';
import { AddressError, LANGS, parseEndpoint, parseEndpointList, isLang, type Endpoint, type Lang, type Params, type Text } from '@kompart/core';
import { replicaTarget } from '@kompart/grpc';
import { LOG_LEVELS, type LogLevel } from './line-logger.js';
import { cliTexts } from './texts.js';
import { UsageError } from './usage-error.js';
import { parseCommand } from './commands.js';

/**
 * A value as it reaches a parser: the text after a flag or of a `KOMPART_*` variable, a
 * switch's `true` (or `false` from its `--no-…` form), or a repeatable flag's list.
 */
export type RawValue = string | boolean | readonly string[];

/** Where a value came from: what its error message names, and where relative paths start. */
export interface ParseContext {
  /** The long flag (`--heartbeat-interval`); number and empty-value errors name it, whatever the source. */
  readonly option: string;
  /** The environment variable (`KOMPART_MENU`); boolean errors name it (a flag cannot be a wrong boolean). */
  readonly variable: string;
  /** Relative paths are resolved against this folder. */
  readonly cwd: string;
}

/**
 * How one option's value is read and checked: the only place its bounds are written and
 * its usage error raised (UsageError with a text of the catalogue). The option table
 * (options.ts) gives each row one of these.
 */
export interface OptionParser<V> {
  /** `value`: the flag takes one (`--downloads <dir>`); `switch`: the flag alone means true. */
  readonly takes: 'value' | 'switch';
  /** The flag may be repeated; commander collects its values into a list. */
  readonly repeatable?: boolean;
  /** A blank value (flag or variable) counts as not given: the default applies. */
  readonly blankIsDefault?: boolean;
  /** Shown after the variable's name in --help (`=1|0`, `, paths separated by :`). */
  readonly variableHint?: Text;
  /** Placeholders the row's help text may use (`{min}`, `{max}`, `{levels}`…). */
  readonly helpParams?: Params;
  /** Reads the value; throws UsageError. */
  parse(raw: RawValue, context: ParseContext): V;
}

/** A whole number >= `min` (and <= `max` when given). */
export function integer(bounds: { readonly min: number; readonly max?: number }): OptionParser<number> {
  const { min, max } = bounds;
  return {
    takes: 'value',
    helpParams: max === undefined ? { min } : { min, max },
    parse(raw, { option }) {
      const text = textOf(raw, option);
      const trimmed = text.trim();
      const value = /^[0-9]{1,15}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
      if (Number.isSafeInteger(value) && value >= min && (max === undefined || value <= max)) return value;
      throw max === undefined
        ? new UsageError(cliTexts.usageBadNumber, { option, value: text, min })
        : new UsageError(cliTexts.usageBadRange, { option, value: text, min, max });
    },
  };
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on', 'sim']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off', 'nao', 'não', '']);

/** On or off: the flag (or its `--no-…` form), or a variable of 1/true/yes/on or 0/false/no/off. */
export const onOff: OptionParser<boolean> = {
  takes: 'switch',
  variableHint: cliTexts.helpSwitchValues,
  parse(raw, { option, variable }) {
    if (typeof raw === 'boolean') return raw;
    const text = textOf(raw, option);
    const word = text.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    throw new UsageError(cliTexts.usageBadBoolean, { name: variable, value: text });
  },
};

/** `ip` or `ip:port` (an address with `defaultPort` when none is given); blank: not given. */
export function endpoint(defaultPort: number): OptionParser<Endpoint> {
  return {
    takes: 'value',
    blankIsDefault: true,
    helpParams: { port: defaultPort },
    parse: (raw, { option }) => parseAddress(textOf(raw, option), defaultPort),
  };
}

/** An address given as an argument or option; a wrong one is a usage error. */
export function parseAddress(text: string, defaultPort: number): Endpoint {
  try {
    return parseEndpoint(text, defaultPort);
  } catch (error) {
    if (error instanceof AddressError) throw new UsageError(cliTexts.usageBadAddress, { address: text });
    throw error;
  }
}

/**
 * `<server ip>` of a peer: one registry, or a comma-separated list of the replicas of one
 * registry, each with an optional port; a list must be IP addresses of one family (what
 * gRPC can dial as one target).
 */
export function parseReplicaList(text: string, defaultPort: number): Endpoint[] {
  let endpoints: Endpoint[];
  try {
    endpoints = parseEndpointList(text, defaultPort);
  } catch (error) {
    if (error instanceof AddressError) throw new UsageError(cliTexts.usageBadAddress, { address: text });
    throw error;
  }
  try {
    replicaTarget(endpoints);
  } catch {
    throw new UsageError(cliTexts.usageBadReplicaList, { address: text });
  }
  return endpoints;
}

/** `--store`: `memory`, or the URL of a Redis (`redis://` or `rediss://`). */
export const storeLocation: OptionParser<string> = {
  takes: 'value',
  parse(raw, { option }) {
    const text = textOf(raw, option).trim();
    if (text.toLowerCase() === 'memory') return 'memory';
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
      throw new UsageError(cliTexts.usageBadStore, { option, value: text });
    }
    return text;
  },
};

/** A path, made absolute against the working folder; it cannot be blank. */
export const requiredPath: OptionParser<string> = {
  takes: 'value',
  parse(raw, { option, cwd }) {
    const text = textOf(raw, option);
    if (text.trim() === '') throw new UsageError(cliTexts.usageEmptyValue, { option });
    return resolve(cwd, text);
  },
};

/** A path, made absolute against the working folder; blank: not given. */
export const optionalPath: OptionParser<string> = {
  takes: 'value',
  blankIsDefault: true,
  parse: (raw, { option, cwd }) => resolve(cwd, textOf(raw, option)),
};

/** A path made absolute, or off (undefined): the `--no-…` form or a blank value. */
export const pathOrOff: OptionParser<string | undefined> = {
  takes: 'value',
  parse(raw, { option, cwd }) {
    if (raw === false) return undefined;
    const text = textOf(raw, option);
    return text.trim() === '' ? undefined : resolve(cwd, text);
  },
};

/** A folder made absolute; `--no-…` gives null (not kept anywhere), absent leaves undefined (the library's default). */
export const pathOrNull: OptionParser<string | null | undefined> = {
  takes: 'value',
  parse(raw, { option, cwd }) {
    if (raw === false) return null;
    const text = textOf(raw, option);
    return text.trim() === '' ? undefined : resolve(cwd, text);
  },
};

/**
 * Paths made absolute: the flag repeated (`--share a --share b`), or a variable of paths
 * separated by the platform's list delimiter (`:` on Linux), blank parts skipped.
 */
export const pathList: OptionParser<readonly string[]> = {
  takes: 'value',
  repeatable: true,
  variableHint: cliTexts.helpListValues,
  helpParams: { delimiter },
  parse(raw, { option, cwd }) {
    if (typeof raw === 'boolean') throw new TypeError(`${option}: the option table gives a list parser a switch`);
    const paths = typeof raw === 'string' ? raw.split(delimiter).filter((part) => part.trim() !== '') : raw;
    return paths.map((path) => resolve(cwd, path));
  },
};

/**
 * Peer commands to run instead of reading standard input (`--do`): repeatable; the
 * variable holds one per line. Each must be a command the prompt would accept.
 */
export const commandList: OptionParser<readonly string[]> = {
  takes: 'value',
  repeatable: true,
  variableHint: cliTexts.helpCommandLines,
  parse(raw, { option }) {
    if (typeof raw === 'boolean') throw new TypeError(`${option}: the option table gives a list parser a switch`);
    const commands = (typeof raw === 'string' ? raw.split('\n') : raw).map((command) => command.trim()).filter((command) => command !== '');
    for (const command of commands) {
      const parsed = parseCommand(command);
      if (!parsed.ok || parsed.command === undefined) throw new UsageError(cliTexts.usageBadDo, { option, command });
    }
    return commands;
  },
};

/** One of LOG_LEVELS, in any case; blank: not given. */
export const logLevel: OptionParser<LogLevel> = {
  takes: 'value',
  blankIsDefault: true,
  helpParams: { levels: LOG_LEVELS.join(', ') },
  parse(raw, { option }) {
    const text = textOf(raw, option);
    const level = LOG_LEVELS.find((candidate) => candidate === text.trim().toLowerCase());
    if (level === undefined) throw new UsageError(cliTexts.usageBadLogLevel, { level: text, levels: LOG_LEVELS.join(', ') });
    return level;
  },
};

/** `--tls`: `auto` (a self-signed certificate, pinned by fingerprint), in any case. */
export const tlsMode: OptionParser<'auto'> = {
  takes: 'value',
  parse(raw, { option }) {
    const text = textOf(raw, option);
    if (text.trim().toLowerCase() !== 'auto') throw new UsageError(cliTexts.usageBadTlsMode, { option, value: text });
    return 'auto';
  },
};

/** A certificate's SHA-256 as the registry prints it: 64 hex digits, colons and spaces allowed. */
export const certificateFingerprint: OptionParser<Buffer> = {
  takes: 'value',
  parse(raw, { option }) {
    const text = textOf(raw, option);
    const hex = text.replace(/[:\s]/g, '');
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new UsageError(cliTexts.usageBadFingerprint, { option, value: text });
    return Buffer.from(hex, 'hex');
  },
};

/** One of LANGS, in any case; blank: not given. */
export const language: OptionParser<Lang> = {
  takes: 'value',
  blankIsDefault: true,
  helpParams: { langs: LANGS.join(', ') },
  parse(raw, { option }) {
    const text = textOf(raw, option);
    const lang = text.trim().toLowerCase();
    if (!isLang(lang)) throw new UsageError(cliTexts.usageBadLang, { lang: text });
    return lang;
  },
};

/** The text of a value option. A switch or list reaching a text parser is a mistake in the table. */
function textOf(raw: RawValue, option: string): string {
  if (typeof raw !== 'string') throw new TypeError(`${option}: the option table gives a text parser a ${typeof raw === 'boolean' ? 'switch' : 'list'}`);
  return raw;
}

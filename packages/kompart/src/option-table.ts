import { Command, Option } from 'commander';
import { render, type Lang, type Text } from '@kompart/core';
import type { OptionParser, RawValue } from './option-parsers.js';
import { cliTexts } from './texts.js';

/**
 * The machinery of the option table (the table itself is options.ts): what a row is, and
 * what is generated from the rows — commander's options, the option part of `--help` in
 * both languages, the values read from flags and `KOMPART_*` variables, and their types.
 */

/** The program's two modes: `kompart <ip> s` and `kompart <ip> p <host>`. */
export type Mode = 'server' | 'peer';
/** Both modes, in the order --help lists their sections. */
export const MODES: readonly Mode[] = ['server', 'peer'];

/** The environment as parseArguments receives it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What a computed default may depend on. */
export interface DefaultContext {
  readonly cwd: string;
  readonly home: string;
  readonly env: Env;
}

/** A default value, or a function of the context for those that depend on it (folders). */
export type Default<V> = V | ((context: DefaultContext) => V);

/** A row's defaults by mode: its keys are the modes the option applies to. */
export type ModeDefaults<V> = { readonly [M in Mode]?: Default<V | undefined> };

/** One option, declared once. */
export interface OptionRow<V, D extends ModeDefaults<V>> {
  /** Commander's spelling: `--heartbeat-interval <ms>` (a value) or `--json` (a switch). */
  readonly flag: `--${string}`;
  /** Also accept `--no-…` (false for a switch, "off" for a value such as `--no-cache-dir`). */
  readonly negatable?: boolean;
  /** The environment variable of the same setting. */
  readonly env: `KOMPART_${string}`;
  /** Reads and checks the value (bounds, paths, addresses): validation happens only there. */
  readonly parse: OptionParser<V>;
  /**
   * Default per mode, from the libraries' own defaults; the keys are the modes the option
   * applies to (in another mode it is accepted and ignored). `undefined`: the library decides.
   */
  readonly defaults: D;
  /** One help text (a line under the options of every mode), or one per mode (a line under each mode). */
  readonly help: Text | { readonly [M in keyof D]: Text };
  /** How --help shows a default that is computed or left to a library (otherwise the default itself). */
  readonly shownDefault?: Text | (() => string | number);
}

/** Any row, as the generators see it. */
export type AnyOptionRow = OptionRow<unknown, ModeDefaults<unknown>>;

/** Rows by the name of the configuration field they fill. */
export type OptionTable = Readonly<Record<string, AnyOptionRow>>;

/** Declares a row, keeping the types of its value and defaults for OptionValues. */
export function option<V, const D extends ModeDefaults<V>>(row: OptionRow<V, D>): OptionRow<V, D> {
  return row;
}

type ParsedValue<R> = R extends { readonly parse: OptionParser<infer V> } ? V : never;
type DefaultValue<X> = X extends (context: DefaultContext) => infer V ? V : X;
type ModeDefault<R extends AnyOptionRow, M extends Mode> = DefaultValue<R['defaults'][M & keyof R['defaults']]>;

/**
 * The values of the rows that apply to mode M, by field name: the parser's type, or the
 * default's (so a row with an `undefined` default gives `T | undefined`).
 */
export type OptionValues<T extends OptionTable, M extends Mode> = {
  readonly [K in keyof T as M extends keyof T[K]['defaults'] ? K : never]: ParsedValue<T[K]> | ModeDefault<T[K], M>;
};

/** A flag that is not an option of a mode: `-h, --help` and `-V, --version`. */
export interface ActionFlag {
  readonly flags: string;
  readonly help: Text;
}

/** The long flag of a row: `--heartbeat-interval`. */
export function longFlag(row: AnyOptionRow): string {
  return row.flag.split(' ')[0] ?? row.flag;
}

/** The modes a row applies to. */
export function modesOf(row: AnyOptionRow): Mode[] {
  return MODES.filter((mode) => mode in row.defaults);
}

/** The key under which commander hands a row's value over (`heartbeatInterval`). */
function attributeOf(row: AnyOptionRow): string {
  return new Option(row.flag).attributeName();
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds every row (and its `--no-…` form) and the action flags to commander. */
export function addOptions(command: Command, table: OptionTable, actions: readonly ActionFlag[]): Command {
  for (const action of actions) command.addOption(new Option(action.flags));
  for (const row of Object.values(table)) {
    const flag = new Option(row.flag);
    if (row.parse.repeatable === true) flag.argParser(collect);
    command.addOption(flag);
    if (row.negatable === true) command.addOption(new Option(`--no-${longFlag(row).slice(2)}`));
  }
  return command;
}

/**
 * The values of the rows that apply to `mode`: the flag, else the variable, else the
 * default; a value given is read by the row's parser. Rows of the other mode are not read at
 * all, so their flags and variables are accepted and ignored.
 */
export function readOptions<T extends OptionTable, M extends Mode>(
  table: T,
  mode: M,
  flags: Readonly<Record<string, unknown>>,
  env: Env,
  context: DefaultContext,
): OptionValues<T, M> {
  const values: Record<string, unknown> = {};
  for (const [field, row] of Object.entries(table)) {
    if (!(mode in row.defaults)) continue;
    const raw = rawFlag(flags[attributeOf(row)], row) ?? env[row.env];
    const blank = typeof raw === 'string' && raw.trim() === '' && row.parse.blankIsDefault === true;
    values[field] =
      raw === undefined || blank ? defaultOf(row, mode, context) : row.parse.parse(raw, { option: longFlag(row), variable: row.env, cwd: context.cwd });
  }
  return values as OptionValues<T, M>;
}

function defaultOf(row: AnyOptionRow, mode: Mode, context: DefaultContext): unknown {
  const value = row.defaults[mode];
  return isComputed(value) ? value(context) : value;
}

/** A default that is a function of the context (no option's value is itself a function). */
function isComputed(value: unknown): value is (context: DefaultContext) => unknown {
  return typeof value === 'function';
}

function rawFlag(value: unknown, row: AnyOptionRow): RawValue | undefined {
  if (value === undefined || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw new TypeError(`${longFlag(row)}: commander handed over ${typeof value}`);
}

/** Column of the descriptions in --help, and the width lines are wrapped at. */
const FLAG_COLUMN = 28;
const HELP_WIDTH = 96;

interface HelpSection {
  readonly title: Text;
  readonly lines: string[];
}

/**
 * The option part of `--help`: the options of every mode (and the action flags), then
 * the server's and the peer's, one entry per row and section: flags, description, and in
 * parentheses the variable and the default.
 */
export function optionsHelp(table: OptionTable, actions: readonly ActionFlag[], lang: Lang, metavars: Readonly<Record<string, Text>>): string {
  const common: HelpSection = { title: cliTexts.helpOptions, lines: [] };
  const byMode: Readonly<Record<Mode, HelpSection>> = {
    server: { title: cliTexts.helpServerOptions, lines: [] },
    peer: { title: cliTexts.helpPeerOptions, lines: [] },
  };
  for (const row of Object.values(table)) {
    const flags = helpFlags(row, lang, metavars);
    if (isText(row.help)) {
      const modes = modesOf(row);
      const section = modes.length === MODES.length ? common : byMode[modes[0] ?? 'server'];
      section.lines.push(helpEntry(flags, helpWords(row, row.help, modes, lang)));
    } else {
      for (const mode of modesOf(row)) {
        const text = (row.help as Partial<Record<Mode, Text>>)[mode];
        if (text !== undefined) byMode[mode].lines.push(helpEntry(flags, helpWords(row, text, [mode], lang)));
      }
    }
  }
  for (const action of actions) common.lines.push(helpEntry(action.flags, render(action.help, lang).split(' ')));
  return [common, byMode.server, byMode.peer]
    .filter((section) => section.lines.length > 0)
    .map((section) => [render(section.title, lang), ...section.lines].join('\n'))
    .join('\n\n');
}

function isText(help: AnyOptionRow['help']): help is Text {
  return 'pt' in help && 'en' in help;
}

/** `--cache-dir PASTA, --no-cache-dir`: the flag with its value localised, and its negation. */
function helpFlags(row: AnyOptionRow, lang: Lang, metavars: Readonly<Record<string, Text>>): string {
  const long = longFlag(row);
  const value = /<([^>]+)>/.exec(row.flag)?.[1];
  const metavar = value === undefined ? undefined : metavars[value];
  const shown = value === undefined ? long : `${long} ${metavar === undefined ? value.toUpperCase() : render(metavar, lang)}`;
  return row.negatable === true ? `${shown}, --no-${long.slice(2)}` : shown;
}

/** The description, then `(VARIABLE[hint]; default …)`, kept on one line when it fits. */
function helpWords(row: AnyOptionRow, help: Text, modes: readonly Mode[], lang: Lang): string[] {
  const params = row.parse.helpParams ?? {};
  const hint = row.parse.variableHint === undefined ? '' : render(row.parse.variableHint, lang, params);
  const shown = shownDefault(row, modes, lang);
  const note = `(${row.env}${hint}${shown === undefined ? '' : `; ${shown}`})`;
  const words = render(help, lang, params).split(' ');
  return note.length <= HELP_WIDTH - FLAG_COLUMN ? [...words, note] : [...words, ...note.split(' ')];
}

/** `padrão 5000`, `padrão info no servidor, error no peer`, or nothing for a default left to a library. */
function shownDefault(row: AnyOptionRow, modes: readonly Mode[], lang: Lang): string | undefined {
  const { shownDefault: shown } = row;
  if (shown !== undefined) return render(cliTexts.helpDefault, lang, { value: typeof shown === 'function' ? shown() : render(shown, lang) });
  const values = modes.map((mode) => showValue(row.defaults[mode], lang));
  if (values.some((value) => value === undefined)) return undefined;
  const [first, second] = values;
  if (first === undefined) return undefined;
  if (second === undefined || second === first) return render(cliTexts.helpDefault, lang, { value: first });
  return render(cliTexts.helpDefaultByMode, lang, { server: first, peer: second });
}

function showValue(value: unknown, lang: Lang): string | undefined {
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  if (typeof value === 'boolean') return render(value ? cliTexts.helpOn : cliTexts.helpOff, lang);
  return undefined;
}

/** `  --flags                   description…`, its words wrapped under the description column. */
function helpEntry(flags: string, words: readonly string[]): string {
  const indent = ' '.repeat(FLAG_COLUMN);
  const head = `  ${flags}`;
  const lines: string[] = [];
  let line = head.padEnd(FLAG_COLUMN);
  if (head.length + 2 > FLAG_COLUMN) {
    lines.push(head);
    line = indent;
  }
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { closest, distance } from 'fastest-levenshtein';

/** What `list files <argument>` narrows the listing to. */
export type ListFilter =
  { readonly kind: 'holder'; readonly value: string } | { readonly kind: 'hash'; readonly value: string } | { readonly kind: 'name'; readonly value: string };

/** A typed prompt command, parsed. */
export type Command =
  | { readonly name: 'register-peer' }
  | { readonly name: 'register-file'; readonly path: string }
  | { readonly name: 'unregister-file'; readonly path: string }
  | { readonly name: 'list-files'; readonly filter?: ListFilter }
  | { readonly name: 'get-file'; readonly refs: readonly string[] }
  | { readonly name: 'disconnect' }
  | { readonly name: 'help' }
  | { readonly name: 'exit' }
  | { readonly name: 'menu' };

export type CommandName = Command['name'];

/** The words that start each command, as the user types them. */
export const COMMAND_WORDS: Readonly<Record<CommandName, string>> = {
  'register-peer': 'register peer',
  'register-file': 'register file',
  'unregister-file': 'unregister file',
  'list-files': 'list files',
  'get-file': 'get file',
  disconnect: 'disconnect',
  help: 'help',
  exit: 'exit',
  menu: 'menu',
};

/** Whose usage a usage error shows: one command, or every command that starts with the word typed alone. */
export type UsageTopic = 'register' | 'register-file' | 'unregister-file' | 'list-files' | 'get-file';

/** The outcome of reading one line. */
export type ParsedLine =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: true; readonly command: undefined } // blank line or comment
  | { readonly ok: false; readonly error: 'unknown'; readonly input: string; readonly suggestion?: string }
  | { readonly ok: false; readonly error: 'usage'; readonly topic: UsageTopic };

const ALIASES: Readonly<Record<string, CommandName>> = { quit: 'exit', '?': 'help' };

/** Hex digits that `list files` takes as the start of a hash rather than a name. */
const MIN_HASH_PREFIX = 8;

/**
 * Reads one line typed at the prompt. Command words are case-insensitive and may be
 * separated by any run of spaces or tabs. Quotes work the same in every argument, as in a
 * shell: `'…'` and `"…"` keep what they hold as it is (spaces included) and are removed.
 *
 * - `register file <path>` / `unregister file <path>`: the rest of the line, trimmed (so
 *   paths may contain spaces), `~/` expanded.
 * - `list files [<argument>]`: an IP address (optionally with its port) lists that
 *   holder's files; 8 or more hex digits, the files whose hash starts with them; anything
 *   else, the files whose name contains it.
 * - `get file <IP>/<name or hash> …`: one or more references; spaces around the `/` after
 *   the IP are tolerated, and a name may contain spaces (a word that does not start with
 *   `<IP>/` belongs to the reference before it). `get file <hash>` (8 to 64 hex digits, no
 *   IP) is a reference of its own: the content, from whoever holds it.
 *
 * Blank lines and `#` comments are nothing. `register`, `unregister`, `list` or `get`
 * alone, or with a missing argument, are usage errors; anything else unknown comes with
 * the closest command, when one is close.
 */
export function parseCommand(line: string, home: string = homedir()): ParsedLine {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return { ok: true, command: undefined };
  const words = text.split(/\s+/);
  const first = words[0]!.toLowerCase();
  const second = words[1]?.toLowerCase();
  const rest = (count: number): string => text.replace(new RegExp(`^(?:\\S+\\s+){${count - 1}}\\S+`), '').trim();

  switch (first) {
    case 'register':
      if (second === undefined) return usage('register');
      if (second === 'peer' && words.length === 2) return command({ name: 'register-peer' });
      if (second === 'file') {
        const path = unquote(rest(2));
        return path === '' ? usage('register-file') : command({ name: 'register-file', path: expandHome(path, home) });
      }
      break;
    case 'unregister':
      if (second === undefined) return usage('unregister-file');
      if (second === 'file') {
        const path = unquote(rest(2));
        return path === '' ? usage('unregister-file') : command({ name: 'unregister-file', path: expandHome(path, home) });
      }
      break;
    case 'list':
      if (second === undefined) return usage('list-files');
      if (second === 'files') {
        const argument = unquote(rest(2));
        return command(argument === '' ? { name: 'list-files' } : { name: 'list-files', filter: listFilter(argument) });
      }
      break;
    case 'get':
      if (second === undefined) return usage('get-file');
      if (second === 'file') {
        const refs = fileRefs(rest(2));
        return refs === undefined ? usage('get-file') : command({ name: 'get-file', refs });
      }
      break;
    default: {
      const name = (Object.keys(COMMAND_WORDS) as CommandName[]).find((key) => COMMAND_WORDS[key] === first) ?? ALIASES[first];
      if (name !== undefined && words.length === 1) {
        if (name === 'disconnect' || name === 'help' || name === 'exit' || name === 'menu') return command({ name });
      }
    }
  }
  const suggestion = suggest(words);
  return suggestion === undefined ? { ok: false, error: 'unknown', input: text } : { ok: false, error: 'unknown', input: text, suggestion };
}

function command(value: Command): ParsedLine {
  return { ok: true, command: value };
}

function usage(topic: UsageTopic): ParsedLine {
  return { ok: false, error: 'usage', topic };
}

/**
 * The command closest to what was typed (its first two words, or the first one for the
 * one-word commands), when it is within a couple of typos (a quarter of its letters, at
 * least two): `lsit files` → `list files`.
 */
function suggest(words: readonly string[]): string | undefined {
  const typed = words.slice(0, 2).join(' ').toLowerCase();
  const candidates = Object.values(COMMAND_WORDS);
  const best = closest(typed, candidates);
  const oneWord = words[0]!.toLowerCase();
  const bestOne = closest(oneWord, candidates);
  const [chosen, against] = distance(oneWord, bestOne) < distance(typed, best) ? [bestOne, oneWord] : [best, typed];
  const allowed = Math.max(2, Math.floor(chosen.length / 4));
  return distance(against, chosen) <= allowed && against !== chosen ? chosen : undefined;
}

/** `list files <argument>`: a holder's address, the start of a hash, or part of a name. */
function listFilter(argument: string): ListFilter {
  if (isHolderAddress(argument)) return { kind: 'holder', value: argument };
  if (new RegExp(`^[0-9a-f]{${MIN_HASH_PREFIX},64}$`, 'i').test(argument)) return { kind: 'hash', value: argument.toLowerCase() };
  return { kind: 'name', value: argument };
}

/** An IP address, optionally with a port from 1 to 65535 (`[v6]:port` for IPv6 with a port). */
function isHolderAddress(text: string): boolean {
  if (isIP(text) !== 0) return true;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  if (v4 !== null) return isIP(v4[1]!) === 4 && isPort(v4[2]!);
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text);
  return v6 !== null && isIP(v6[1]!) === 6 && (v6[2] === undefined || isPort(v6[2]));
}

const isPort = (text: string): boolean => Number(text) >= 1 && Number(text) <= 65_535;

/**
 * The references of `get file`: the first starts the line; each later word that starts
 * with `<IP>/` starts another one; other words belong, after a space, to the reference
 * before them. Undefined when a reference's holder is not an IP address (peers are known
 * by theirs) or it names no file.
 */
function fileRefs(text: string): readonly string[] | undefined {
  const refs: string[] = [];
  // `127.0.0.2 / song.mp3`: the spaces around the first slash are not part of anything.
  const words = splitWords(text.replace(/^(\S+?)\s*\/\s*/, '$1/'));
  for (const [index, word] of words.entries()) {
    const slash = word.text.indexOf('/');
    const startsRef = index === 0 || (!word.quoted && ((slash > 0 && isHolderAddress(word.text.slice(0, slash))) || isBareHash(word.text)));
    if (startsRef) refs.push(word.text);
    else refs[refs.length - 1] += ` ${word.text}`;
  }
  const complete = refs.length > 0 && refs.every((ref) => isBareHash(ref) || (/^[^/\s]+\/./.test(ref) && isHolderAddress(ref.slice(0, ref.indexOf('/')))));
  return complete ? refs : undefined;
}

/** `get file <hash>`: a whole SHA-256 or a prefix of 8+ hex digits, fetched from whoever holds it. */
const isBareHash = (text: string): boolean => /^[0-9a-fA-F]{8,64}$/.test(text);

/** Words split at unquoted spaces, quotes removed; `quoted` when a word began inside quotes. */
function splitWords(text: string): { text: string; quoted: boolean }[] {
  const words: { text: string; quoted: boolean }[] = [];
  let current: { text: string; quoted: boolean } | undefined;
  let quote: string | undefined;
  for (const char of text) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else current!.text += char;
    } else if (/\s/.test(char)) {
      current = undefined;
    } else {
      if (current === undefined) {
        current = { text: '', quoted: char === '"' || char === "'" };
        words.push(current);
      }
      if (char === '"' || char === "'") quote = char;
      else current.text += char;
    }
  }
  return words;
}

/** Quotes removed (what they hold kept as it is); an unmatched quote stays as typed. */
function unquote(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const end = char === '"' || char === "'" ? text.indexOf(char, i + 1) : -1;
    if (end < 0) {
      out += char;
      continue;
    }
    out += text.slice(i + 1, end);
    i = end;
  }
  return out;
}

function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

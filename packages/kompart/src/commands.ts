import { homedir } from 'node:os';

/** A typed prompt command, parsed. */
export type Command =
  | { readonly name: 'register-peer' }
  | { readonly name: 'register-file'; readonly path: string }
  | { readonly name: 'list-files' }
  | { readonly name: 'get-file'; readonly ref: string }
  | { readonly name: 'disconnect' }
  | { readonly name: 'help' }
  | { readonly name: 'exit' }
  | { readonly name: 'menu' };

export type CommandName = Command['name'];

/** The words that start each command, as the user types them. */
export const COMMAND_WORDS: Readonly<Record<CommandName, string>> = {
  'register-peer': 'register peer',
  'register-file': 'register file',
  'list-files': 'list files',
  'get-file': 'get file',
  disconnect: 'disconnect',
  help: 'help',
  exit: 'exit',
  menu: 'menu',
};

/** The outcome of reading one line. */
export type ParsedLine =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: true; readonly command: undefined } // blank line or comment
  | { readonly ok: false; readonly error: 'unknown'; readonly input: string }
  | { readonly ok: false; readonly error: 'usage'; readonly command: 'register-file' | 'get-file' };

const ALIASES: Readonly<Record<string, CommandName>> = { quit: 'exit', '?': 'help' };

/**
 * Reads one line typed at the prompt. Command words are case-insensitive and may be
 * separated by any run of spaces or tabs; the argument of `register file` and `get file`
 * is the rest of the line, trimmed (so paths may contain spaces), with one pair of
 * surrounding quotes removed and a leading `~/` expanded for paths. `get file` also
 * tolerates spaces around the `/` after the IP. Blank lines and `#` comments are nothing.
 */
export function parseCommand(line: string, home: string = homedir()): ParsedLine {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return { ok: true, command: undefined };
  const words = text.split(/\s+/);
  const first = words[0]!.toLowerCase();
  const second = words[1]?.toLowerCase();
  const rest = (count: number): string => unquote(text.replace(new RegExp(`^(?:\\S+\\s+){${count - 1}}\\S+`), '').trim());

  switch (first) {
    case 'register':
      if (second === 'peer' && words.length === 2) return command({ name: 'register-peer' });
      if (second === 'file') {
        const path = rest(2);
        return path === '' ? usage('register-file') : command({ name: 'register-file', path: expandHome(path, home) });
      }
      break;
    case 'list':
      if (second === 'files' && words.length === 2) return command({ name: 'list-files' });
      break;
    case 'get':
      if (second === 'file') {
        const ref = normalizeRef(rest(2));
        return ref === undefined ? usage('get-file') : command({ name: 'get-file', ref });
      }
      break;
    default: {
      const name = (Object.keys(COMMAND_WORDS) as CommandName[]).find((key) => COMMAND_WORDS[key] === first) ?? ALIASES[first];
      if (name !== undefined && words.length === 1 && !first.includes(' ')) {
        if (name === 'disconnect' || name === 'help' || name === 'exit' || name === 'menu') return command({ name });
      }
    }
  }
  return { ok: false, error: 'unknown', input: text };
}

function command(value: Command): ParsedLine {
  return { ok: true, command: value };
}

function usage(name: 'register-file' | 'get-file'): ParsedLine {
  return { ok: false, error: 'usage', command: name };
}

function unquote(text: string): string {
  const match = /^(["'])(.*)\1$/.exec(text);
  return match === null ? text : match[2]!;
}

function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

/** `127.0.0.2 / song.mp3` → `127.0.0.2/song.mp3`; undefined without a holder and a file. */
function normalizeRef(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0) return undefined;
  const holder = text.slice(0, slash).trim();
  const file = text.slice(slash + 1).trimStart();
  if (holder === '' || file === '' || /\s/.test(holder)) return undefined;
  return `${holder}/${file}`;
}

import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { SharedFile } from '@kompart/protocol';

/** What completion needs to know besides the line. */
export interface CompletionContext {
  readonly cwd: string;
  /** Whether the `menu` command exists here. */
  readonly menu: boolean;
  /** Files of the last `list files`, offered after `get file `. */
  readonly files: () => readonly SharedFile[];
  readonly home?: string;
}

const COMMANDS = ['register peer', 'register file ', 'list files', 'get file ', 'disconnect', 'help', 'exit'];
const MAX_CANDIDATES = 200;

/**
 * Tab completion for the typed prompt (a node:readline completer): command words; a path
 * after `register file `; `<IP>/<name>` from the last listing after `get file `.
 * Returns full-line candidates and the whole line as the text they replace.
 */
export function complete(line: string, context: CompletionContext): [string[], string] {
  const lower = line.toLowerCase().replace(/^\s+/, '');
  const fileArg = /^register\s+file\s+(.*)$/i.exec(line.trimStart());
  if (fileArg !== null && lower.startsWith('register')) {
    const prefix = line.slice(0, line.length - fileArg[1]!.length);
    return [pathCandidates(fileArg[1]!, context).map((path) => prefix + path), line];
  }
  const getArg = /^get\s+file\s+(.*)$/i.exec(line.trimStart());
  if (getArg !== null) {
    const prefix = line.slice(0, line.length - getArg[1]!.length);
    const typed = getArg[1]!;
    const refs = new Set<string>();
    for (const file of context.files()) {
      for (const ref of [`${file.peer}/${file.name}`, `${file.peer}/${file.sha256}`]) if (ref.startsWith(typed)) refs.add(ref);
      if (refs.size >= MAX_CANDIDATES) break;
    }
    return [[...refs].sort().map((ref) => prefix + ref), line];
  }
  const words = context.menu ? [...COMMANDS, 'menu'] : COMMANDS;
  const normalized = lower.replace(/\s+/g, ' ');
  return [words.filter((word) => word.startsWith(normalized)), line];
}

/**
 * Entries of the folder a partial path names whose names start with its last part, each
 * as the whole path to type (folders end in `/`); hidden ones only when the part starts
 * with a dot.
 */
export function pathCandidates(typed: string, context: Pick<CompletionContext, 'cwd' | 'home'>): string[] {
  const home = context.home ?? homedir();
  const slash = typed.lastIndexOf('/');
  const dirPart = slash < 0 ? '' : typed.slice(0, slash + 1);
  const namePart = typed.slice(slash + 1);
  const expanded = dirPart.startsWith('~/') ? home + dirPart.slice(1) : dirPart;
  let entries;
  try {
    entries = readdirSync(resolve(context.cwd, expanded === '' ? '.' : expanded), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.name.startsWith(namePart) && (namePart.startsWith('.') || !entry.name.startsWith('.')))
    .slice(0, MAX_CANDIDATES)
    .map((entry) => dirPart + entry.name + (entry.isDirectory() ? '/' : ''))
    .sort();
}

/** The longest text every candidate starts with. */
export function commonPrefix(candidates: readonly string[]): string {
  const [first, ...rest] = candidates;
  if (first === undefined) return '';
  let length = first.length;
  for (const candidate of rest) {
    let same = 0;
    while (same < length && candidate[same] === first[same]) same++;
    length = same;
  }
  return first.slice(0, length);
}

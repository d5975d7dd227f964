/**
 * The real program in a real pseudo-terminal (node-pty): keys go in as a person types
 * them, and what the terminal shows comes back. Escape sequences are removed, so tests
 * look for text; they wait for it, never for a fixed time.
 */
import { spawn, type IPty } from 'node-pty';
import { BIN, WAIT_MS, cleanEnv } from '../../../../test/support/program';

const ESCAPES = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Za-z0-9]|\x1b[=>78]/g;

export const KEY = { enter: '\r', up: '\x1b[A', down: '\x1b[B', tab: '\t', esc: '\x1b', ctrlC: '\x03', ctrlD: '\x04', ctrlU: '\x15', ctrlZ: '\x1a' } as const;

/** The prompt of the shell that `Terminal.inShell` runs the program from. */
export const SHELL_PROMPT = 'shell$ ';

/** `text` quoted for bash. */
const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

export class Terminal {
  /** Everything shown so far, escape sequences removed. */
  text = '';
  /** Everything shown so far, as the program wrote it. */
  raw = '';
  readonly exited: Promise<{ exitCode: number; signal?: number }>;
  readonly #pty: IPty;
  readonly #waiters = new Set<() => void>();
  #done = false;

  /**
   * The program started from an interactive bash in the terminal, as a user starts it: with
   * job control, so Ctrl-Z stops it and `fg` brings it back. The shell stays when the
   * program ends (type `exit` to end it, or close()).
   */
  static inShell(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Terminal {
    const terminal = new Terminal(['--norc', '--noprofile', '-i'], { ...options, command: '/bin/bash', env: { ...options.env, PS1: SHELL_PROMPT } });
    terminal.type(`${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}${KEY.enter}`);
    return terminal;
  }

  constructor(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; command?: string } = {}) {
    const command = options.command === undefined ? [process.execPath, BIN] : [options.command];
    this.#pty = spawn(command[0]!, [...command.slice(1), ...args], {
      name: 'xterm-256color',
      cols: 200,
      rows: 50,
      cwd: options.cwd ?? process.cwd(),
      env: cleanEnv(options.env) as Record<string, string>,
    });
    this.#pty.onData((data) => {
      this.raw += data;
      this.text += data.replace(ESCAPES, '').replace(/\r/g, '');
      for (const waiter of [...this.#waiters]) waiter();
    });
    this.exited = new Promise((resolve) =>
      this.#pty.onExit((exit) => {
        this.#done = true;
        resolve(exit);
      }),
    );
  }

  /** Where the text is now: pass as `from` to look only at what comes later. */
  mark(): number {
    return this.text.length;
  }

  type(keys: string): void {
    this.#pty.write(keys);
  }

  /** Waits until the text from `from` on matches; returns the offset just after the match. */
  waitFor(pattern: string | RegExp, from = 0, timeoutMs = WAIT_MS): Promise<number> {
    const find = (): number | undefined => {
      const rest = this.text.slice(from);
      if (typeof pattern === 'string') {
        const at = rest.indexOf(pattern);
        return at < 0 ? undefined : from + at + pattern.length;
      }
      const match = pattern.exec(rest);
      return match === null ? undefined : from + match.index + match[0].length;
    };
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(`the terminal never showed ${String(pattern)}; it shows:\n${this.text.slice(-3000)}\n(raw end: ${JSON.stringify(this.raw.slice(-1500))})`),
        );
      }, timeoutMs);
      const check = (): void => {
        const at = find();
        if (at === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(at);
      };
      this.#waiters.add(check);
    });
  }

  /** Changes the terminal's size, as a user dragging the window. */
  resize(columns: number, rows = 50): void {
    this.#pty.resize(columns, rows);
  }

  /** Ends the program if it still runs. */
  close(): void {
    if (!this.#done) this.#pty.kill('SIGKILL');
  }
}

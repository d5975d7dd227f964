import { Writable } from 'node:stream';
import { clearLine, createInterface, cursorTo } from 'node:readline';
import { render, type Lang } from '@kompart/core';
import { cliTexts } from './texts.js';
import { complete } from './completion.js';
import type { Output } from './output.js';
import type { PeerShell } from './peer-shell.js';
import type { FrontEndEnd } from './script-input.js';

/** What a front end on a terminal (the typed prompt, the menu) works with. */
export interface TerminalFrontEndOptions {
  readonly shell: PeerShell;
  readonly output: Output;
  readonly lang: Lang;
  readonly input: NodeJS.ReadStream;
  readonly terminal: NodeJS.WriteStream;
  /** Aborts when the user asked to leave; the running command is cancelled through it. */
  readonly stop: AbortSignal;
  /** Called on Ctrl-C (readline sees it as a key in raw mode; inquirer inside a prompt). */
  readonly onInterrupt: () => void;
}

export interface TypedPromptOptions extends TerminalFrontEndOptions {
  /** Shared with later prompts, newest first (readline's order). */
  readonly history: string[];
  readonly menuAvailable: boolean;
  readonly cwd: string;
}

/**
 * The terminal as readline sees it: the real one, except that it can be muted while a
 * command runs, so keys typed ahead are not echoed into the command's output. They are
 * kept, and shown after the next prompt as if typed there.
 */
class MutableTerminal extends Writable {
  muted = false;

  constructor(private readonly target: NodeJS.WriteStream) {
    super({ decodeStrings: false });
    target.on('resize', this.#onResize);
  }

  readonly #onResize = (): void => {
    this.emit('resize');
  };

  get isTTY(): boolean {
    return true;
  }

  get columns(): number {
    return this.target.columns;
  }

  get rows(): number {
    return this.target.rows;
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.muted) this.target.write(chunk as string | Uint8Array);
    callback();
  }

  detach(): void {
    this.target.off('resize', this.#onResize);
  }
}

/**
 * The typed prompt on a terminal (node:readline): history (up/down), tab completion,
 * one command at a time. Asynchronous lines are printed above the prompt and the line
 * being typed is redrawn with its cursor where it was. Ctrl-D leaves like `exit`.
 */
export async function runTypedPrompt(options: TypedPromptOptions): Promise<FrontEndEnd> {
  const { shell, output, terminal, stop } = options;
  const prompt = render(cliTexts.prompt, options.lang);
  const screen = new MutableTerminal(terminal);
  const rl = createInterface({
    input: options.input,
    output: screen,
    terminal: true,
    prompt,
    historySize: 500,
    removeHistoryDuplicates: true,
    history: [...options.history],
    completer: (line: string) => complete(line, { cwd: options.cwd, menu: options.menuAvailable, files: () => shell.lastListing }),
  });
  const queue: string[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  rl.on('line', (line) => {
    // Mute at once: keys that arrived in the same chunk are already typed ahead.
    screen.muted = true;
    queue.push(line);
    wake?.();
  });
  rl.on('close', () => {
    closed = true;
    wake?.();
  });
  rl.on('SIGINT', options.onInterrupt);
  const onStop = (): void => rl.close();
  stop.addEventListener('abort', onStop, { once: true });

  /** True while the prompt is on screen waiting for a line. */
  let waiting = false;
  const pop = output.push({
    write(line) {
      if (!waiting) {
        output.writeLine(line);
        return;
      }
      clearLine(terminal, 0);
      cursorTo(terminal, 0);
      output.writeLine(line);
      rl.prompt(true);
    },
  });
  const nextLine = async (): Promise<string | undefined> => {
    for (;;) {
      const line = queue.shift();
      if (line !== undefined) return line;
      if (closed) return undefined;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  };

  try {
    for (;;) {
      if (queue.length === 0 && !closed) {
        screen.muted = false;
        waiting = true;
        rl.prompt(true);
      }
      const line = await nextLine();
      if (stop.aborted) return 'stopped';
      if (line === undefined) return 'eof';
      if (!waiting) {
        // Typed ahead while the previous command ran: show it after a prompt now.
        clearLine(terminal, 0);
        cursorTo(terminal, 0);
        output.writeRaw(`${prompt}${line}\n`);
      }
      waiting = false;
      screen.muted = true;
      const outcome = await shell.executeLine(line, stop);
      if (stop.aborted) return 'stopped';
      if (outcome === 'exit') return 'exit';
      if (outcome === 'menu') return 'menu';
    }
  } finally {
    if (waiting) {
      // Leave a clean line for what is printed next (the goodbye, the disconnect).
      clearLine(terminal, 0);
      cursorTo(terminal, 0);
    }
    waiting = false;
    pop();
    stop.removeEventListener('abort', onStop);
    options.history.splice(0, options.history.length, ...(rl as unknown as { history: string[] }).history);
    rl.close();
    screen.muted = false;
    screen.detach();
  }
}

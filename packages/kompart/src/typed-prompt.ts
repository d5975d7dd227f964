import { Writable } from 'node:stream';
import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import { render, type Lang } from '@kompart/core';
import { cliTexts } from './texts.js';
import { complete } from './completion.js';
import type { ForegroundCommands } from './foreground.js';
import type { Output } from './output.js';
import type { PeerShell } from './peer-shell.js';
import { parseCommand } from './commands.js';
import type { FrontEndEnd } from './script-input.js';
import type { Outcome } from './peer-shell.js';

/** What a front end on a terminal (the typed prompt, the menu) works with. */
export interface TerminalFrontEndOptions {
  readonly shell: PeerShell;
  readonly output: Output;
  readonly lang: Lang;
  readonly input: NodeJS.ReadStream;
  readonly terminal: NodeJS.WriteStream;
  /** Aborts when the peer stops (a signal, the end); the running command is cancelled through it. */
  readonly stop: AbortSignal;
  /** Where commands run: Ctrl-C cancels the ones running. */
  readonly foreground: ForegroundCommands;
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

/** readline's Interface with the method Node's REPL uses to drop the line being typed. */
type LineInterface = Interface & { clearLine(): void; readonly line: string };

/**
 * The typed prompt on a terminal (node:readline): history (up/down), tab completion,
 * one command at a time. Asynchronous lines are printed above the prompt and the line
 * being typed is redrawn with its cursor where it was.
 *
 * Keys follow Node's REPL: Ctrl-C clears the line being typed, or cancels the command
 * running; at an empty prompt it says how to leave, and a second Ctrl-C in a row, Ctrl-D
 * or `exit` leaves. After Ctrl-Z and `fg` the prompt and the line come back as they were
 * (readline pauses its input when the process continues; it is resumed here).
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
  }) as LineInterface;
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
  /** True while the prompt is on screen waiting for a line. */
  let waiting = false;
  /** The last key was a Ctrl-C at an empty prompt: another one leaves. */
  let warned = false;
  let leave = false;
  rl.on('SIGINT', () => {
    if (!waiting) {
      options.foreground.interrupt();
      return;
    }
    if (rl.line !== '') {
      rl.clearLine();
      rl.prompt(true);
      return;
    }
    if (warned) {
      leave = true;
      wake?.();
      return;
    }
    warned = true;
    output.print('info', render(cliTexts.leaveHint, options.lang), { event: 'interrupt' });
  });
  const onKey = (_text: string | undefined, key: { ctrl?: boolean; name?: string } | undefined): void => {
    if (key?.ctrl !== true || key.name !== 'c') warned = false;
  };
  options.input.on('keypress', onKey);
  rl.on('SIGCONT', () => rl.resume());
  const onStop = (): void => rl.close();
  stop.addEventListener('abort', onStop, { once: true });

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
  /** Commands running side by side (downloads, listings…), by the line that started them. */
  const running = new Map<Promise<Outcome | undefined>, string>();
  /** The next line typed, or why there is none now: all commands done, or the input closed. */
  const next = async (): Promise<{ line: string } | 'idle' | 'closed'> => {
    for (;;) {
      const line = queue.shift();
      if (line !== undefined) return { line };
      if (closed || leave) return 'closed';
      if (running.size === 0 && !waiting) return 'idle';
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  };
  /** The outcome of a command that asks to leave the prompt (`exit`, `menu`), once every command is done. */
  let ending: Outcome | undefined;
  const settleAll = async (): Promise<void> => {
    await Promise.all(running.keys());
  };

  try {
    for (;;) {
      if (queue.length === 0 && !closed && running.size === 0) {
        screen.muted = false;
        waiting = true;
        rl.prompt(true);
      }
      const typed = await next();
      if (stop.aborted) return 'stopped';
      if (typed === 'idle') continue;
      if (typed === 'closed') {
        // Ctrl-D or the end of input: leave once what runs is done (Ctrl-C cancels it).
        await settleAll();
        if (stop.aborted) return 'stopped';
        return leave ? 'exit' : 'eof';
      }
      const { line } = typed;
      if (!waiting) {
        // Typed while commands run: show it above their bars, then run it.
        output.print('info', `${prompt}${line}`, { event: 'typed' });
      }
      waiting = false;
      screen.muted = true;
      // Commands that change the session, and a line already running, wait for the others.
      if (isExclusive(line) || [...running.values()].includes(line.trim())) await settleAll();
      if (stop.aborted) return 'stopped';
      const job = options.foreground.run((signal) => shell.executeLine(line, signal));
      running.set(job, line.trim());
      void job.then((outcome) => {
        running.delete(job);
        if (outcome === 'exit' || outcome === 'menu') ending = outcome;
        wake?.();
      });
      if (isExclusive(line)) await job;
      if (stop.aborted) return 'stopped';
      if (ending !== undefined) {
        await settleAll();
        return ending === 'exit' ? 'exit' : 'menu';
      }
    }
  } finally {
    if (waiting) {
      // Leave a clean line for what is printed next (the goodbye, the disconnect).
      clearLine(terminal, 0);
      cursorTo(terminal, 0);
    }
    waiting = false;
    pop();
    options.input.off('keypress', onKey);
    stop.removeEventListener('abort', onStop);
    options.history.splice(0, options.history.length, ...(rl as unknown as { history: string[] }).history);
    rl.close();
    screen.muted = false;
    screen.detach();
  }
}

/**
 * Whether a line must run alone: `register peer`, `disconnect`, `exit` and `menu` change
 * the session or leave, so they wait for the commands running and the next ones wait for
 * them. Everything else (downloads, listings, registering files, errors) runs at once.
 */
function isExclusive(line: string): boolean {
  const parsed = parseCommand(line);
  if (!parsed.ok || parsed.command === undefined) return false;
  const { name } = parsed.command;
  return name === 'register-peer' || name === 'disconnect' || name === 'exit' || name === 'menu';
}

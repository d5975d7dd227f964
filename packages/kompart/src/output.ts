/** Kinds of output lines (the `type` of a --json line). */
export type LineKind = 'info' | 'result' | 'error' | 'event' | 'file' | 'progress';

/** Where a finished line goes while something owns the screen (a prompt, a progress bar). */
export interface Surface {
  /** Shows one line (no trailing newline). */
  write(line: string): void;
}

export interface OutputOptions {
  /** Writes raw text to the terminal or pipe (stdout). */
  readonly write: (chunk: string) => void;
  /** One JSON object per line: `{"type": kind, …data, "message": text}`. */
  readonly json: boolean;
}

/**
 * Everything a peer prints goes through here, one line at a time, so that asynchronous
 * messages never break a line being typed or a progress bar: whoever owns the screen
 * pushes a Surface that knows how to put a line above itself (readline: clear, print,
 * redraw the prompt; cli-progress: log above the bar; inquirer: hold the line and redraw).
 */
export class Output {
  readonly json: boolean;
  readonly #write: (chunk: string) => void;
  readonly #surfaces: Surface[] = [];

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.#write = options.write;
  }

  /** Prints one line: `text` as it is, or as JSON with `data`. */
  print(kind: LineKind, text: string, data: Readonly<Record<string, unknown>> = {}): void {
    const line = this.json ? JSON.stringify({ type: kind, ...data, message: text }, jsonValue) : text;
    const surface = this.#surfaces[this.#surfaces.length - 1];
    if (surface === undefined) this.writeLine(line);
    else surface.write(line);
  }

  /** Writes a line straight to the stream, past every surface (surfaces use it). */
  writeLine(line: string): void {
    this.#write(`${line}\n`);
  }

  /** Writes raw text (prompt redraws, help blocks). */
  writeRaw(text: string): void {
    this.#write(text);
  }

  /** Routes lines to `surface` until the returned function is called. */
  push(surface: Surface): () => void {
    this.#surfaces.push(surface);
    return () => {
      const index = this.#surfaces.lastIndexOf(surface);
      if (index >= 0) this.#surfaces.splice(index, 1);
    };
  }
}

function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

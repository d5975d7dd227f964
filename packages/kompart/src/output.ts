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
  /**
   * Where error lines go instead (stderr when standard output is not a terminal, so that
   * a script's results and its errors can be told apart); `write` when undefined.
   */
  readonly writeError?: ((chunk: string) => void) | undefined;
  /** One JSON object per line: `{"type": kind, …data, "message": text}`. */
  readonly json: boolean;
  /** Paints a line of some kind (colours on a terminal); lines of other kinds stay as they are. */
  readonly paint?: Partial<Record<LineKind, (text: string) => string>>;
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
  readonly #writeError: ((chunk: string) => void) | undefined;
  readonly #paint: Partial<Record<LineKind, (text: string) => string>>;
  readonly #surfaces: Surface[] = [];

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.#write = options.write;
    this.#writeError = options.writeError;
    this.#paint = options.paint ?? {};
  }

  /** Prints one line: `text` as it is (painted by its kind), or as JSON with `data`. */
  print(kind: LineKind, text: string, data: Readonly<Record<string, unknown>> = {}): void {
    if (this.json) {
      this.#show(JSON.stringify({ type: kind, ...data, message: text }, jsonValue));
      return;
    }
    if (kind === 'error' && this.#writeError !== undefined) {
      this.#writeError(`${text}\n`);
      return;
    }
    const paint = this.#paint[kind];
    this.#show(paint === undefined ? text : paint(text));
  }

  #show(line: string): void {
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

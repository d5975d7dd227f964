/**
 * The commands running in the foreground of a terminal, which Ctrl-C cancels (Node's REPL
 * does the same): each gets a signal that aborts on Ctrl-C or when the peer stops, so a
 * download keeps its `.part` and the peer carries on.
 */
export class ForegroundCommands {
  readonly #stop: AbortSignal;
  readonly #running = new Set<AbortController>();

  constructor(stop: AbortSignal) {
    this.#stop = stop;
  }

  /** True while at least one command runs. */
  get busy(): boolean {
    return this.#running.size > 0;
  }

  /** Runs `command` with a signal of its own (aborted by interrupt() or by the stop signal). */
  async run<T>(command: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    this.#running.add(controller);
    try {
      return await command(AbortSignal.any([this.#stop, controller.signal]));
    } finally {
      this.#running.delete(controller);
    }
  }

  /** Cancels every running command; false when none was running. */
  interrupt(): boolean {
    if (this.#running.size === 0) return false;
    for (const controller of this.#running) controller.abort(new Error('interrupted by Ctrl-C'));
    return true;
  }
}

/**
 * Runs async tasks with at most `limit` in flight. `add` resolves as soon as the task has
 * started and there is room for another one (so a producer paces itself); `drain` waits
 * for everything started. Tasks must handle their own errors: a rejection here is a bug
 * and is rethrown by drain().
 */
export class TaskPool {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { error: unknown } | undefined;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    this.#limit = limit;
  }

  async add(task: () => Promise<void>): Promise<void> {
    const running: Promise<void> = task()
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
  }

  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.race(this.#running);
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}

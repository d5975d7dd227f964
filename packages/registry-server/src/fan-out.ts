/** Streams written to in one turn of the event loop, at most (BENCHMARKS.md, "Tuning constants"). */
const FAN_OUT_SLICE = 500;

/**
 * Writes each broadcast to every target it names, `slice` targets per turn of the event
 * loop, the broadcasts one after the other in the order they came. Telling one event to
 * every heartbeat stream costs about 30 µs a stream in grpc-js: written in one go, an event
 * held a replica of 5,000 streams for 150 ms and one of 30,000 for about a second, during
 * which no beat was recorded, no sweep ran and no other call was answered. In slices, that
 * work takes its turn with everything else; a broadcast to no more than `slice` targets
 * while nothing is queued is written at once, as before.
 *
 * The caller passes the targets as they are when the event happens (a stream opened later
 * does not hear of it); `write` must cope with a target that has gone away meanwhile.
 */
export class FanOut<Target, Message> {
  readonly #pending: { readonly targets: readonly Target[]; readonly message: Message }[] = [];
  /** How many targets of the first pending broadcast have been written. */
  #written = 0;
  #scheduled = false;

  constructor(
    private readonly write: (target: Target, message: Message) => void,
    /** Told the number of targets of each broadcast once it has been written to all of them. */
    private readonly done: (targets: number) => void = () => undefined,
    private readonly slice = FAN_OUT_SLICE,
  ) {}

  /** Broadcasts waiting for their turn, the one being written included. */
  get queued(): number {
    return this.#pending.length;
  }

  broadcast(targets: readonly Target[], message: Message): void {
    if (targets.length === 0) return;
    this.#pending.push({ targets, message });
    if (!this.#scheduled) this.#pump();
  }

  #pump = (): void => {
    this.#scheduled = false;
    let budget = this.slice;
    while (budget > 0 && this.#pending.length > 0) {
      const head = this.#pending[0]!;
      const end = Math.min(head.targets.length, this.#written + budget);
      for (let i = this.#written; i < end; i++) this.write(head.targets[i]!, head.message);
      budget -= end - this.#written;
      if (end < head.targets.length) {
        this.#written = end;
      } else {
        this.#pending.shift();
        this.#written = 0;
        this.done(head.targets.length);
      }
    }
    if (this.#pending.length > 0) {
      this.#scheduled = true;
      setImmediate(this.#pump);
    }
  };
}

/** Streams written to in one turn of the event loop, at most (BENCHMARKS.md, "Tuning constants"). */
const FAN_OUT_SLICE = 500;

/**
 * Writes each broadcast to every target it names, at most `slice` messages per turn of the
 * event loop. Telling one event to every heartbeat stream costs about 20-30 µs a stream in
 * grpc-js: written in one go, an event held a replica of 5,000 streams for 150 ms and one
 * of 30,000 for about a second, during which no beat was recorded, no sweep ran and no
 * other call was answered. In slices, that work takes its turn with everything else.
 *
 * Each target has an outbox: what was broadcast to it and not yet written, in the order it
 * came. A target's turn writes its outbox in one `write`. A target that takes up to
 * `perMessage(target)` of them in one message (HeartbeatResponse.events) counts one message
 * per that many; others count one per broadcast, and when the turn's budget runs out
 * within an outbox, the rest of it stays first in line for the next turn. So a burst (500
 * peers crashing at once) costs a batching stream one message instead of 500, and costs
 * the others no more than it did, in turns no longer than before. Targets take their turns
 * in the order they first had something waiting. A broadcast while nothing was written in
 * this turn yet is written at once (when it fits in a slice); one that follows in the same
 * turn waits for the next, and goes out with whatever else comes meanwhile.
 *
 * The caller passes the targets as they are when the event happens (a stream opened later
 * does not hear of it); `write` must cope with a target that has gone away meanwhile.
 */
export class FanOut<Target, Message> {
  /** Messages waiting for each target; the Map's order is the order of the turns. */
  readonly #outbox = new Map<Target, Message[]>();
  #scheduled = false;

  constructor(
    private readonly write: (target: Target, messages: readonly Message[]) => void,
    /** Told how many messages (one per target and broadcast) each turn wrote. */
    private readonly done: (messages: number) => void = () => undefined,
    private readonly slice = FAN_OUT_SLICE,
    /** How many waiting messages a target takes in one message it is sent (1: each its own). */
    private readonly perMessage: (target: Target) => number = () => 1,
  ) {}

  /** Targets with something waiting to be written. */
  get queued(): number {
    return this.#outbox.size;
  }

  broadcast(targets: readonly Target[], message: Message): void {
    if (targets.length === 0) return;
    const outbox = this.#outbox;
    for (const target of targets) {
      const waiting = outbox.get(target);
      if (waiting === undefined) outbox.set(target, [message]);
      else waiting.push(message);
    }
    if (!this.#scheduled) this.#pump();
  }

  #pump = (): void => {
    let budget = this.slice;
    let messages = 0;
    for (const [target, waiting] of this.#outbox) {
      if (budget <= 0) break;
      const per = Math.max(1, this.perMessage(target));
      const sends = Math.ceil(waiting.length / per);
      if (sends <= budget) {
        this.#outbox.delete(target);
        budget -= sends;
        messages += waiting.length;
        this.write(target, waiting);
      } else {
        // The rest stays where it is in the Map: first in line for the next turn.
        const part = waiting.splice(0, budget * per);
        budget = 0;
        messages += part.length;
        this.write(target, part);
      }
    }
    if (messages > 0) this.done(messages);
    // Whatever comes before the next turn waits for it.
    this.#scheduled = true;
    setImmediate(this.#next);
  };

  #next = (): void => {
    this.#scheduled = false;
    if (this.#outbox.size > 0) this.#pump();
  };
}

import { sleepOn, type Clock, type TimerHandle } from '../clock.js';

interface FakeTimer extends TimerHandle {
  due: number;
  readonly delay: number;
  readonly repeat: boolean;
  readonly callback: () => void;
  readonly order: number;
  active: boolean;
}

/** Lets promise continuations and I/O callbacks queued so far run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A Clock that moves only when told to. `advance(ms)` runs every timer that falls due in
 * order of due time (and of creation at equal times), letting promise continuations run
 * after each one, so that async work a timer starts is done before the next timer fires.
 */
export class FakeClock implements Clock {
  #now: number;
  #order = 0;
  readonly #timers = new Set<FakeTimer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, false);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.#add(callback, ms, true);
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    this.#remove(timer);
  }

  clearInterval(timer: TimerHandle | undefined): void {
    this.#remove(timer);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Timers still pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running what falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.due > target) break;
      this.#now = Math.max(this.#now, next.due);
      if (next.repeat) next.due += Math.max(1, next.delay);
      else this.#remove(next);
      next.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }

  /** Moves time to the next timer and runs it (and any due at the same time); false when none is pending. */
  async next(): Promise<boolean> {
    const next = this.#earliest();
    if (next === undefined) return false;
    await this.advance(Math.max(0, next.due - this.#now));
    return true;
  }

  #earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.#timers) {
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.order < best.order)) best = timer;
    }
    return best;
  }

  #add(callback: () => void, ms: number, repeat: boolean): FakeTimer {
    const delay = Math.max(0, ms);
    const timers = this.#timers;
    const now = (): number => this.#now;
    const timer: FakeTimer = {
      due: this.#now + delay,
      delay,
      repeat,
      callback,
      order: this.#order++,
      active: true,
      refresh() {
        timer.due = now() + delay;
        if (!timer.active) {
          timer.active = true;
          timers.add(timer);
        }
        return timer;
      },
      unref() {
        return timer;
      },
    };
    timers.add(timer);
    return timer;
  }

  #remove(timer: TimerHandle | undefined): void {
    const fake = timer as FakeTimer | undefined;
    if (fake === undefined || !this.#timers.has(fake)) return;
    fake.active = false;
    this.#timers.delete(fake);
  }
}

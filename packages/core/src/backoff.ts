/** Exponential backoff between reconnect attempts. */
export interface BackoffOptions {
  /** Delay before the first attempt, in ms. */
  readonly initialMs: number;
  /** Largest delay, in ms. */
  readonly maxMs: number;
  /** Growth per attempt (2 doubles the delay). */
  readonly factor: number;
  /** Random spread, 0 to 1: each delay is drawn from ±jitter around its nominal value. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.2 };

/** The delay before attempt `attempt` (1-based). `random` returns [0, 1). */
export function backoffDelay(options: BackoffOptions, attempt: number, random: () => number = Math.random): number {
  const nominal = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt - 1));
  const spread = nominal * options.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(options.maxMs, nominal + spread)));
}

/** Checks a backoff configuration; throws RangeError for contradictions. */
export function validateBackoff(options: BackoffOptions): BackoffOptions {
  const { initialMs, maxMs, factor, jitter } = options;
  if (!(initialMs >= 0) || !(maxMs >= initialMs)) throw new RangeError('backoff: need 0 <= initialMs <= maxMs');
  if (!(factor >= 1)) throw new RangeError('backoff: factor must be >= 1');
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError('backoff: jitter must be between 0 and 1');
  return options;
}

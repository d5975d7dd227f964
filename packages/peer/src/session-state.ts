/** Where a registry session stands. */
export type SessionState = 'idle' | 'registering' | 'online' | 'reconnecting' | 'closed';

/**
 * The session's lifecycle, every allowed move in one table:
 *
 *     idle ──register──▶ registering ──granted──▶ online ──lost──▶ reconnecting
 *       ▲                    │ refused              │ disconnect       │ recovered ──▶ online
 *       └────────────────────┴──────────────────────┴──────────────────┘ disconnect
 *     any ──close──▶ closed (final)
 */
const MOVES: Readonly<Record<SessionState, readonly SessionState[]>> = {
  idle: ['registering', 'closed'],
  registering: ['online', 'idle', 'closed'],
  online: ['reconnecting', 'idle', 'closed'],
  reconnecting: ['online', 'idle', 'closed'],
  closed: [],
};

/** The session state as an explicit state machine: a move the table does not allow is a bug and throws. */
export class SessionStateMachine {
  #state: SessionState = 'idle';

  get state(): SessionState {
    return this.#state;
  }

  /** True when the state is one of `states`. */
  is(...states: SessionState[]): boolean {
    return states.includes(this.#state);
  }

  /** Moves to `next`; throws when the table does not allow it. */
  move(next: SessionState): void {
    if (!MOVES[this.#state].includes(next)) throw new Error(`registry session: no move from ${this.#state} to ${next}`);
    this.#state = next;
  }
}

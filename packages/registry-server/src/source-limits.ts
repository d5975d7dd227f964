import { isIP } from 'node:net';
import { KompartError, systemClock, type Clock } from '@kompart/core';
import { Reason } from '@kompart/protocol';
import { RateLimiter } from './rate-limiter.js';

/** Settings of SourceLimits; 0 turns a limit off. */
export interface SourceLimitSettings {
  /** RegisterPeer calls one source may make a minute (a bucket of this size, refilled over a minute). */
  readonly registrationsPerMinute: number;
  /** Sessions opened from one source that may be online at once. */
  readonly sessionsPerSource: number;
  readonly clock?: Clock;
}

/** A session counted against its source while RegisterPeer runs; bound to its token once opened. */
export interface SessionReservation {
  /** The session was opened: it counts until its token's peer-left or peer-expired. */
  bind(token: string): void;
  /** It was not: the reservation is given back. */
  release(): void;
}

/**
 * The limits a registry replica keeps per source of RegisterPeer calls (issue 20 item 3),
 * so that one host cannot fill the registry with identities: calls a minute and sessions
 * online. A source is the connection's IP, or its /64 for IPv6 (one host is given a whole
 * /64). Kept in this replica's memory, per replica: behind a load balancer spreading one
 * source over N replicas it may get up to N times the limits (documented in SECURITY.md);
 * the index-wide limits (total peers and files) are the store's and hold over every replica.
 */
export class SourceLimits {
  readonly #registrations: RateLimiter;
  readonly #perMinute: number;
  readonly #maxSessions: number;
  /** Sessions online (and reserved) per source. */
  readonly #sessions = new Map<string, number>();
  /** The source of every session this replica opened, by token. */
  readonly #sources = new Map<string, string>();

  constructor(settings: SourceLimitSettings) {
    this.#perMinute = settings.registrationsPerMinute;
    this.#maxSessions = settings.sessionsPerSource;
    this.#registrations = new RateLimiter(this.#perMinute / 60, Math.max(1, this.#perMinute), settings.clock ?? systemClock);
  }

  /** Counts one RegisterPeer call of `ip`; REGISTRATION_RATE_EXCEEDED beyond the rate. */
  admitRegistration(ip: string): void {
    if (this.#perMinute > 0 && !this.#registrations.take(sourceKey(ip))) {
      throw new KompartError(Reason.REGISTRATION_RATE_EXCEEDED, { ip, limit: String(this.#perMinute) });
    }
  }

  /** Reserves a session for `ip`; SESSIONS_PER_IP_EXCEEDED when it has as many as it may. */
  reserveSession(ip: string): SessionReservation {
    const key = sourceKey(ip);
    const held = this.#sessions.get(key) ?? 0;
    if (this.#maxSessions > 0 && held >= this.#maxSessions) {
      throw new KompartError(Reason.SESSIONS_PER_IP_EXCEEDED, { ip, limit: String(this.#maxSessions) });
    }
    this.#sessions.set(key, held + 1);
    let settled = false;
    return {
      bind: (token) => {
        if (settled) return;
        settled = true;
        this.#sources.set(token, key);
      },
      release: () => {
        if (settled) return;
        settled = true;
        this.#decrement(key);
      },
    };
  }

  /** A session ended (on any replica): its source may open another. */
  sessionEnded(token: string): void {
    const key = this.#sources.get(token);
    if (key === undefined) return;
    this.#sources.delete(token);
    this.#decrement(key);
  }

  /** Sessions counted against `ip` now (for tests and metrics). */
  sessionsOf(ip: string): number {
    return this.#sessions.get(sourceKey(ip)) ?? 0;
  }

  #decrement(key: string): void {
    const left = (this.#sessions.get(key) ?? 1) - 1;
    if (left <= 0) this.#sessions.delete(key);
    else this.#sessions.set(key, left);
  }
}

/** The key a source is counted under: an IPv4 address, or the /64 of an IPv6 one. */
export function sourceKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

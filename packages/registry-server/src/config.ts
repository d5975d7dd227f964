import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_MISSES, DEFAULT_MAX_FILES_PER_PEER, MAX_MESSAGE_BYTES, MAX_PATH_BYTES } from '@kompart/protocol';
import { DEFAULT_LANG, silentLogger, type Clock, type Lang, type Logger } from '@kompart/core';
import type { TlsMaterial } from '@kompart/grpc';
import type { RegistryStore } from './store.js';

/** Everything the registry server can be told. */
export interface RegistryServerConfig {
  /** Where to listen: `ip` (port 50051) or `ip:port`; port 0 picks a free one. */
  readonly address: string;
  /** Language of error messages and log lines. */
  readonly lang: Lang;
  /** Expected interval between a peer's beats, ms. */
  readonly heartbeatIntervalMs: number;
  /** Consecutive missed beats that remove a peer. */
  readonly heartbeatMisses: number;
  /** Files one peer may register (RESOURCE_EXHAUSTED beyond). */
  readonly maxFilesPerPeer: number;
  /** Period of the "N peers online, M files" info line; 0 turns it off. */
  readonly summaryIntervalMs: number;
  /** How long a graceful shutdown waits for calls in flight before cutting them, ms. */
  readonly shutdownGraceMs: number;
  /** Requests a second one peer session may make on average (0: no limit). */
  readonly maxRequestsPerSecond: number;
  /** Burst allowance of the per-peer rate limit. */
  readonly requestBurst: number;
  /**
   * RegisterPeer calls one source IP (an IPv6 /64) may make a minute, successful or not
   * (0: no limit); REGISTRATION_RATE_EXCEEDED beyond. Over every replica of a shared store.
   */
  readonly maxRegistrationsPerMinute: number;
  /** Sessions opened from one source IP that may be online at once (0: no limit); over every replica of a shared store. */
  readonly maxSessionsPerIp: number;
  /** Online peers of the whole registry (0: no limit); over every replica of a shared store. */
  readonly maxPeers: number;
  /** Files of the whole registry (0: no limit); over every replica of a shared store. */
  readonly maxFiles: number;
  /**
   * Skip the check that a peer registers the address its connection comes from (for NAT
   * and containers whose source address is rewritten).
   */
  readonly trustPeerAddresses: boolean;
  /** Largest gRPC message accepted or sent, bytes (RESOURCE_EXHAUSTED beyond). */
  readonly maxMessageBytes: number;
  /** Longest registered path, UTF-8 bytes (INVALID_ARGUMENT beyond). */
  readonly maxPathBytes: number;
  /**
   * How long a download ticket issued by LocateFile stays valid, ms. The same ticket may be
   * returned again during the first half of this time (see TicketIssuer).
   */
  readonly ticketTtlMs: number;
  /** TLS (mutual when it has a CA); plaintext when undefined. */
  readonly tls: TlsMaterial | undefined;
  /**
   * `--tls auto`: TLS with a self-signed certificate, which peers pin by its SHA-256 (see
   * RunningRegistry.tlsFingerprint). Kept in `identityDir` (made on first start, key 0600),
   * or, without one, in the store's cluster identity, so every replica presents the same
   * certificate. Not together with `tls`.
   */
  readonly autoTls: { readonly identityDir?: string | undefined } | undefined;
  /**
   * The Ed25519 private key (PEM, PKCS#8) that signs download tickets. Undefined: the one
   * the store keeps (made by the first replica), so that every replica's tickets are valid
   * at every holder. Replicas given a key must all be given the same one.
   */
  readonly ticketKey: string | undefined;
  /** Where to serve Prometheus `/metrics` (`host:port`; port 0 picks one); undefined: nowhere. */
  readonly metricsAddress: string | undefined;
  /** Where to serve the live web view of the overlay (`host:port`; port 0 picks one); undefined: nowhere. */
  readonly webAddress: string | undefined;
}

/** Dependencies, injected with defaults. */
export interface RegistryServerDeps {
  readonly logger?: Logger;
  readonly store?: RegistryStore;
  /** Time of presence, events, rate limits and tickets (default: the system clock). */
  readonly clock?: Clock;
}

export const REGISTRY_DEFAULTS: Omit<RegistryServerConfig, 'address'> = {
  lang: DEFAULT_LANG,
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
  heartbeatMisses: DEFAULT_HEARTBEAT_MISSES,
  maxFilesPerPeer: DEFAULT_MAX_FILES_PER_PEER,
  summaryIntervalMs: 60_000,
  shutdownGraceMs: 2000,
  maxRequestsPerSecond: 2000,
  requestBurst: 5000,
  maxRegistrationsPerMinute: 120,
  maxSessionsPerIp: 256,
  maxPeers: 100_000,
  maxFiles: 2_000_000,
  trustPeerAddresses: false,
  ticketTtlMs: 60_000,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxPathBytes: MAX_PATH_BYTES,
  tls: undefined,
  autoTls: undefined,
  ticketKey: undefined,
  metricsAddress: undefined,
  webAddress: undefined,
};

export type RegistryServerOptions = Partial<RegistryServerConfig> & Pick<RegistryServerConfig, 'address'> & RegistryServerDeps;

/** Applies defaults once and rejects impossible settings. */
export function withDefaults(options: RegistryServerOptions): RegistryServerConfig & { logger: Logger } {
  const config = { ...REGISTRY_DEFAULTS, ...dropUndefined(options), address: options.address, logger: options.logger ?? silentLogger };
  const positive = (name: string, value: number, min: number): void => {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min} (got ${value})`);
  };
  positive('heartbeatIntervalMs', config.heartbeatIntervalMs, 10);
  positive('heartbeatMisses', config.heartbeatMisses, 1);
  positive('maxFilesPerPeer', config.maxFilesPerPeer, 1);
  positive('summaryIntervalMs', config.summaryIntervalMs, 0);
  positive('shutdownGraceMs', config.shutdownGraceMs, 0);
  positive('maxRequestsPerSecond', config.maxRequestsPerSecond, 0);
  positive('requestBurst', config.requestBurst, 1);
  positive('maxRegistrationsPerMinute', config.maxRegistrationsPerMinute, 0);
  positive('maxSessionsPerIp', config.maxSessionsPerIp, 0);
  positive('maxPeers', config.maxPeers, 0);
  positive('maxFiles', config.maxFiles, 0);
  positive('ticketTtlMs', config.ticketTtlMs, 1);
  positive('maxMessageBytes', config.maxMessageBytes, 64 * 1024);
  positive('maxPathBytes', config.maxPathBytes, 1);
  return config;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

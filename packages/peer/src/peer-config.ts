import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_PEER_PORT, DEFAULT_REGISTRY_PORT, REGISTRY_SERVICE_NAME } from '@kompart/protocol';
import type { ChannelOptions } from '@grpc/grpc-js';
import {
  DEFAULT_BACKOFF,
  DEFAULT_LANG,
  endpointAt,
  parseEndpoint,
  parseEndpointList,
  validateBackoff,
  type BackoffOptions,
  type Endpoint,
  type Lang,
} from '@kompart/core';
import { replicaTarget, type TlsMaterial } from '@kompart/grpc';
import type { RegistryTrust } from './registry-trust.js';
import { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_DOWNLOADS_PER_REQUESTER, DEFAULT_SERVE_IDLE_TIMEOUT_MS, MAX_CHUNK_BYTES } from './transfer/file-service.js';

/** Everything a peer can be told. Only `registry` and `address` are required. */
export interface PeerConfig {
  /**
   * The registry, `host[:port]` (default port 50051), or a comma-separated list of the
   * replicas of one registry (`10.0.0.1,10.0.0.2`), or those addresses already parsed.
   * Unary calls spread over the replicas; the heartbeat stays on one and moves to another
   * when its replica goes away.
   */
  readonly registry: string | Endpoint | readonly Endpoint[];
  /**
   * This peer's identity and FileService address, `host[:port]` (default port 50052).
   * Port `0` binds any free port; the identity then carries the bound port
   * (`127.0.0.2:0` → `127.0.0.2:41234`), handy in tests. A parsed Endpoint is taken as it is.
   */
  readonly address: string | Endpoint;
  /** Bind the FileService here instead of `address` (`0.0.0.0:50052` in a container). */
  readonly listen?: string | Endpoint | undefined;
  /** Where downloads go; created on first use. Default: `./downloads` (absolute from the cwd at creation). */
  readonly downloadsDir?: string;
  /**
   * Folder of the hash cache (`hash-cache.json`). Default `~/.cache/kompart`;
   * `null` keeps the cache in memory only.
   */
  readonly cacheDir?: string | null;
  /** Beat this often (ms) instead of the interval the registry asks for. */
  readonly heartbeatIntervalMs?: number;
  /** Reconnect backoff (defaults: 500 ms doubling up to 30 s, ±20 % jitter). */
  readonly backoff?: Partial<BackoffOptions>;
  /** Deadline of registry calls, ms (default 10 000). */
  readonly callTimeoutMs?: number;
  /** Bytes per Download chunk this peer sends (default DEFAULT_CHUNK_BYTES, 64 KiB; at most 1 MiB). */
  readonly chunkBytes?: number;
  /** Language of the error messages this peer's FileService sends (default `pt`). */
  readonly lang?: Lang;
  /** How long close() lets downloads being served finish, ms (default 2000). */
  readonly shutdownGraceMs?: number;
  /** A download whose holder sends nothing for this long (ms) stops as interrupted, keeping its part file (default 60 000). */
  readonly transferIdleTimeoutMs?: number;
  /** Downloads this peer serves at once to one requester (default 8 of its 64 slots). */
  readonly maxDownloadsPerRequester?: number;
  /** A download this peer serves whose reader takes nothing for this long (ms) ends, freeing its slot and file (default 30 000). */
  readonly serveIdleTimeoutMs?: number;
  /**
   * `get file` fetches only from the holder it names, as before swarm downloads (default
   * false: it also fetches pieces from every other online holder of the same content).
   */
  readonly singleSource?: boolean;
  /** A swarm download drops a holder whose request brings nothing for this long, ms (default 10 000). */
  readonly stallTimeoutMs?: number;
  /** Holders a swarm download fetches from at once, at most (default 8, the most). */
  readonly maxHolders?: number;
  /**
   * Serve a download only with a valid ticket from the registry (default true): only
   * peers registered with the same registry can download. See file_service.proto.
   */
  readonly requireTickets?: boolean;
  /** TLS for the FileService and for calls to the registry and to other peers (mutual with a CA). */
  readonly tls?: TlsMaterial;
  /**
   * The registry serves TLS with a self-signed certificate (`--tls auto` there): accept only
   * the certificate with this SHA-256 (`fingerprint`, `--registry-fingerprint`), or trust
   * the first one each registry address presents and remember it in `knownFile` (`--tls
   * auto`; default `$XDG_STATE_HOME/kompart/known_registries`). See registry-trust.ts.
   * Replaces `tls` for the registry link only.
   */
  readonly registryTrust?: { readonly fingerprint: Buffer } | { readonly knownFile?: string };
  /**
   * Folder of this peer's own identity (`identity.pem`: a private key and a self-signed
   * certificate, made on first start, mode 0600) for encrypted, pinned transfers. Default:
   * `$XDG_STATE_HOME/kompart/peers/<address>` (`~/.local/state/…`); `null`: a fresh
   * identity for this run only, kept in memory. Unused with `tls` (a CA's certificates
   * then serve instead).
   */
  readonly identityDir?: string | null;
  /**
   * Serve downloads in plaintext and register no certificate; download in plaintext from
   * holders that registered none (default false: such holders are refused). Holders with a
   * certificate are still reached over pinned TLS.
   */
  readonly plaintextTransfers?: boolean;
  /**
   * Encrypted downloads move their bytes on sealed streams, both as holder (offering them)
   * and as downloader (asking for them); false keeps every byte in gRPC chunks over TLS
   * (default true; file_service.proto, SealedStream).
   */
  readonly sealedStreams?: boolean;
  /**
   * Watch the registered files and folders (default true): a registered file deleted leaves
   * the index, one changed is hashed again and its entry updated, a new file in a registered
   * folder is registered. Off: only the FileService's check before serving notices, and
   * fixes the index then.
   */
  readonly watchShares?: boolean;
  /** A changed path is looked at once nothing happened to it for this long, ms (default 1000). */
  readonly watchQuietMs?: number;
  /** Serve Prometheus `/metrics` here (`host:port`, port 0: any free one); default: nowhere. */
  readonly metricsAddress?: string;
  /**
   * Least time between two progress reports of this peer's downloads to the registry, on
   * its Heartbeat stream (default 1000 ms; starts and ends are reported at once).
   */
  readonly transferReportMs?: number;
}

/** PeerConfig with every default applied and every value checked. */
export interface ResolvedPeerConfig {
  /** The grpc-js target of the registry (its replicas), see replicaTarget. */
  readonly registryTarget: string;
  /** Channel options of that target (round_robin over several replicas). */
  readonly registryChannelOptions: ChannelOptions;
  /** Registry as the user gave it, for messages (`127.0.0.1`, `10.0.0.1,10.0.0.2`). */
  readonly registryId: string;
  /** Host of this peer's address. */
  readonly host: string;
  /** Port of this peer's address (0: pick one at start). */
  readonly port: number;
  /** Where the FileService binds, `host:port` (port 0: any). */
  readonly bindTarget: string;
  /** Whether the bind address is the identity address (its bound port then names the peer). */
  readonly bindIsIdentity: boolean;
  readonly downloadsDir: string;
  readonly cacheDir: string | undefined;
  readonly heartbeatIntervalMs: number | undefined;
  readonly backoff: BackoffOptions;
  readonly callTimeoutMs: number;
  readonly chunkBytes: number;
  readonly lang: Lang;
  readonly shutdownGraceMs: number;
  readonly transferIdleTimeoutMs: number;
  readonly maxDownloadsPerRequester: number;
  readonly serveIdleTimeoutMs: number;
  readonly singleSource: boolean;
  readonly stallTimeoutMs: number;
  readonly maxHolders: number;
  readonly requireTickets: boolean;
  readonly tls: TlsMaterial | undefined;
  readonly registryTrust: RegistryTrust | undefined;
  /** Undefined: an identity kept in memory for this run. */
  readonly identityDir: string | undefined;
  readonly plaintextTransfers: boolean;
  readonly sealedStreams: boolean;
  readonly watchShares: boolean;
  readonly watchQuietMs: number;
  readonly metricsAddress: string | undefined;
  readonly transferReportMs: number;
}

/** The default cache folder: `~/.cache/kompart`. */
function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'kompart');
}

/** The default identity folder of a peer at `host:port`: `$XDG_STATE_HOME/kompart/peers/<host>[_<port>]`. */
function defaultIdentityDir(host: string, port: number): string {
  const name = (port === DEFAULT_PEER_PORT ? host : `${host}_${port}`).replace(/[^0-9A-Za-z._-]/g, '_');
  return join(stateHome(), 'kompart', 'peers', name);
}

/** Where kompart keeps state (identities, known registries): `$XDG_STATE_HOME`, or `~/.local/state`. */
export function stateHome(): string {
  const state = process.env['XDG_STATE_HOME'];
  return state !== undefined && state !== '' ? state : join(homedir(), '.local', 'state');
}

/** The defaults of the settings that have one (the program's option table shows and uses these). */
export const PEER_DEFAULTS = {
  /** Relative to the working folder. */
  downloadsDir: 'downloads',
  backoff: DEFAULT_BACKOFF,
  callTimeoutMs: 10_000,
  lang: DEFAULT_LANG,
  shutdownGraceMs: 2000,
  transferIdleTimeoutMs: 60_000,
  maxDownloadsPerRequester: DEFAULT_MAX_DOWNLOADS_PER_REQUESTER,
  serveIdleTimeoutMs: DEFAULT_SERVE_IDLE_TIMEOUT_MS,
  singleSource: false,
  stallTimeoutMs: 10_000,
  maxHolders: 8,
  requireTickets: true,
  plaintextTransfers: false,
  sealedStreams: true,
  watchShares: true,
  watchQuietMs: 1000,
  transferReportMs: 1000,
} as const;

/** Applies defaults and checks values once; throws AddressError or RangeError. */
export function resolvePeerConfig(config: PeerConfig, cwd: string = process.cwd()): ResolvedPeerConfig {
  const registries =
    typeof config.registry === 'string'
      ? parseEndpointList(config.registry, DEFAULT_REGISTRY_PORT)
      : 'host' in config.registry
        ? [config.registry]
        : config.registry;
  // Reads also go to another replica when one does not answer; writes are never sent twice.
  const registry = replicaTarget(registries, { service: REGISTRY_SERVICE_NAME, methods: ['ListFiles', 'LocateFile'] });
  const own = bindable(config.address);
  const listen = config.listen === undefined ? own : bindable(config.listen);
  if (config.listen !== undefined && own.port === 0) throw new RangeError('address needs a real port when listen is given');
  const backoff = validateBackoff({ ...PEER_DEFAULTS.backoff, ...config.backoff });
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    const chosen = value ?? fallback;
    if (!Number.isFinite(chosen) || chosen <= 0) throw new RangeError(`${name} must be a positive number`);
    return chosen;
  };
  const chunkBytes = positive('chunkBytes', config.chunkBytes, DEFAULT_CHUNK_BYTES);
  if (!Number.isInteger(chunkBytes) || chunkBytes > MAX_CHUNK_BYTES) throw new RangeError(`chunkBytes must be an integer of at most ${MAX_CHUNK_BYTES}`);
  const heartbeatIntervalMs = config.heartbeatIntervalMs === undefined ? undefined : positive('heartbeatIntervalMs', config.heartbeatIntervalMs, 0);
  return {
    registryTarget: registry.target,
    registryChannelOptions: registry.options,
    registryId: registries.map((endpoint) => endpoint.id).join(','),
    host: own.host,
    port: own.port,
    bindTarget: listen.target,
    bindIsIdentity: config.listen === undefined,
    downloadsDir: resolve(cwd, config.downloadsDir ?? PEER_DEFAULTS.downloadsDir),
    cacheDir: config.cacheDir === null ? undefined : resolve(cwd, config.cacheDir ?? defaultCacheDir()),
    heartbeatIntervalMs,
    backoff,
    callTimeoutMs: positive('callTimeoutMs', config.callTimeoutMs, PEER_DEFAULTS.callTimeoutMs),
    chunkBytes,
    lang: config.lang ?? PEER_DEFAULTS.lang,
    shutdownGraceMs: config.shutdownGraceMs ?? PEER_DEFAULTS.shutdownGraceMs,
    transferIdleTimeoutMs: positive('transferIdleTimeoutMs', config.transferIdleTimeoutMs, PEER_DEFAULTS.transferIdleTimeoutMs),
    maxDownloadsPerRequester: positive('maxDownloadsPerRequester', config.maxDownloadsPerRequester, PEER_DEFAULTS.maxDownloadsPerRequester),
    serveIdleTimeoutMs: positive('serveIdleTimeoutMs', config.serveIdleTimeoutMs, PEER_DEFAULTS.serveIdleTimeoutMs),
    singleSource: config.singleSource ?? PEER_DEFAULTS.singleSource,
    stallTimeoutMs: positive('stallTimeoutMs', config.stallTimeoutMs, PEER_DEFAULTS.stallTimeoutMs),
    maxHolders: Math.min(PEER_DEFAULTS.maxHolders, Math.floor(positive('maxHolders', config.maxHolders, PEER_DEFAULTS.maxHolders))),
    requireTickets: config.requireTickets ?? PEER_DEFAULTS.requireTickets,
    tls: config.tls,
    registryTrust:
      config.registryTrust === undefined
        ? undefined
        : 'fingerprint' in config.registryTrust
          ? { fingerprint: config.registryTrust.fingerprint }
          : { knownFile: resolve(cwd, config.registryTrust.knownFile ?? join(stateHome(), 'kompart', 'known_registries')) },
    identityDir: config.identityDir === null ? undefined : resolve(cwd, config.identityDir ?? defaultIdentityDir(own.host, own.port)),
    plaintextTransfers: config.plaintextTransfers ?? PEER_DEFAULTS.plaintextTransfers,
    sealedStreams: config.sealedStreams ?? PEER_DEFAULTS.sealedStreams,
    watchShares: config.watchShares ?? PEER_DEFAULTS.watchShares,
    watchQuietMs: positive('watchQuietMs', config.watchQuietMs, PEER_DEFAULTS.watchQuietMs),
    metricsAddress: config.metricsAddress,
    transferReportMs: positive('transferReportMs', config.transferReportMs, PEER_DEFAULTS.transferReportMs),
  };
}

/** A peer address to bind: parsed with port 0 allowed ("any free port"), or taken as given. */
function bindable(input: string | Endpoint): Endpoint {
  return typeof input === 'string' ? parseEndpoint(input, DEFAULT_PEER_PORT, { allowPortZero: true }) : input;
}

/** The identity of a peer on `host` bound to `port`: `host`, or `host:port` off the default port. */
export function identityFor(host: string, port: number): string {
  return endpointAt(host, port, DEFAULT_PEER_PORT).id;
}

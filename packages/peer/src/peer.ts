import { promises as fsp, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Reason, type HolderLocation, type SharedFile } from '@kompart/protocol';
import { KompartError, isHashReference, parseFileRef, quoteInput, silentLogger, systemClock, type Clock, type Logger } from '@kompart/core';
import { ClientCertificates, createMetricsRegistry, startMetricsEndpoint, type HttpEndpoint, type SelfSignedIdentity } from '@kompart/grpc';
import type { Registry } from 'prom-client';
import { createDownloader, type DownloadResult, type Downloader, type PartFileSystem } from './transfer/download-file.js';
import { createFileService, startFileServer, type FileServer } from './transfer/file-service.js';
import { SealedStreamListener } from './transfer/sealed-stream.js';
import { holderStream, swarmHolder, swarmWindowBytes, type HolderConnectionOptions } from './transfer/holder-calls.js';
import { createHashCache, type HashCache } from './hash-cache.js';
import type { ProgressCallback } from './hash-file.js';
import { LiveShares } from './live-shares.js';
import { hashLocalFile, scanPath, SharedFiles, type HashedLocalFile, type LocalFile, type SkippedEntry } from './local-library.js';
import { identityFor, resolvePeerConfig, type PeerConfig, type ResolvedPeerConfig } from './peer-config.js';
import { PeerErrorCode, isPeerError, peerError } from './peer-error.js';
import { registryCertificateCheck } from './registry-trust.js';
import { PeerEventEmitter, type PeerEvent } from './peer-events.js';
import { loadIdentity } from './peer-identity.js';
import { peerMetrics } from './peer-metrics.js';
import { TransferReporter } from './transfer-reporter.js';
import { RegistrySession, type SessionInfo, type SessionState } from './registry-session.js';
import { defaultWatch, type WatchFunction } from './share-watcher.js';
import { TaskPool } from './task-pool.js';

/** RegisterFile (or UnregisterFile) calls in flight at once while registering (or unregistering) a folder. */
const REGISTER_CONCURRENCY = 16;
/** How often a change of a shared file that did not reach the index is sent again, ms (also at once when the session is back). */
const SHARE_RETRY_MS = 5000;

/** Dependencies a peer can be given instead of its defaults. */
export interface PeerDeps {
  /** Where the peer logs (default: nowhere). Libraries never print. */
  readonly logger?: Logger;
  /** Heartbeat timers, reconnect pauses and ticket checks (default: the system clock). */
  readonly clock?: Clock;
  /** Random source for backoff jitter (default Math.random). */
  readonly random?: () => number;
  /** Hash cache (default: `hash-cache.json` in the configured cache folder). */
  readonly hashCache?: HashCache;
  /** How downloads write their part files (default: the real file system). */
  readonly partFileSystem?: PartFileSystem;
  /** Folder relative paths are resolved against (default process.cwd()). */
  readonly cwd?: string;
  /** How registered files and folders are watched when `watchShares` is on (default: @parcel/watcher for folders, fs.watch for single files). */
  readonly watch?: WatchFunction;
}

/** Progress of `registerPath`: bytes hashed so far over all files (cached files count at once). */
export interface RegisterProgress {
  readonly bytes: number;
  readonly total: number;
  /** The file being hashed. */
  readonly path: string;
  /** 0-based index of that file, and the number of files. */
  readonly fileIndex: number;
  readonly fileCount: number;
}

export interface RegisterPathOptions {
  readonly onProgress?: (progress: RegisterProgress) => void;
  /** Stops hashing; files registered so far stay registered. Rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** One file registered by `registerPath`. */
export interface RegisteredFile {
  readonly path: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
  /** True when the hash came from the hash cache. */
  readonly cached: boolean;
}

/** Summary of `registerPath`. */
export interface RegisterPathResult {
  /** The absolute real path that was named. */
  readonly root: string;
  readonly kind: 'file' | 'directory';
  /** Newly registered files. */
  readonly registered: RegisteredFile[];
  /** Files this peer had already registered (directories only; a single file throws FILE_ALREADY_REGISTERED). */
  readonly alreadyRegistered: string[];
  /** Files of a directory that could not be hashed or registered (a single file throws instead). */
  readonly failed: { readonly path: string; readonly error: unknown }[];
  /** Entries of a directory that are not regular files (symbolic links are never followed). */
  readonly skipped: SkippedEntry[];
  /** Bytes of all regular files found, and bytes actually read for hashing (cache misses). */
  readonly totalBytes: number;
  readonly hashedBytes: number;
}

/** One file `unregisterPath` took out of the index, as it was registered. */
export interface UnregisteredFile {
  readonly path: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

/** Summary of `unregisterPath`. */
export interface UnregisterPathResult {
  /** The registered path that was named (absolute, as registered). */
  readonly root: string;
  /** `file`: one registered file; `directory`: a folder (registered as one, or holding registered files). */
  readonly kind: 'file' | 'directory';
  /** The files that left the index, in path order (none for a registered folder that had no files left). */
  readonly removed: UnregisteredFile[];
}

/** Filters of `listFiles` (all optional, combined with AND). */
export interface ListFilesFilter {
  /** Base name contains this text (case-insensitive). */
  readonly nameContains?: string;
  /** SHA-256 starts with these hex digits. */
  readonly sha256Prefix?: string;
  /** Only this holder's files. */
  readonly holder?: string;
  /** Entries per registry call (default: the registry's, 1000). */
  readonly pageSize?: number;
}

export interface GetFileOptions {
  /** Bytes present so far (resumed bytes included) out of the file size. */
  readonly onProgress?: ProgressCallback;
  /** Cancels the transfer; the `.part` file is kept so the next `getFile` resumes. */
  readonly signal?: AbortSignal;
  /**
   * Told which file the registry located, before the transfer begins (the
   * `download-started` event says the same to every listener; this is for the caller,
   * which may run several downloads at once).
   */
  readonly onLocated?: (file: SharedFile) => void;
  /** Folders under the downloads folder to save into (see DownloadOptions.folder). */
  readonly folder?: readonly string[];
  /** Told how many holders are sending, whenever that changes (swarm downloads only). */
  readonly onSending?: (holders: number) => void;
}

/** `getFile`'s result: the download plus where it came from. */
export interface GetFileResult extends DownloadResult {
  /** The file as the registry located it. */
  readonly file: SharedFile;
}

/** What `disconnect` did. */
export interface DisconnectResult {
  /** Files that left the index, when the registry said. */
  readonly removedFiles: number | undefined;
}

/**
 * A kompart peer: local library + FileService + registry session + downloader, driven by
 * a thin CLI or by tests. Create with {@link createPeer}, then `await peer.start()`.
 */
export interface Peer {
  /** This peer's identity (`127.0.0.2`, or `127.0.0.2:6000` off the default port). Known after start(). */
  readonly id: string;
  /** The FileService address actually bound, `host:port`. Known after start(). */
  readonly fileServiceTarget: string;
  /** Where Prometheus `/metrics` is served (`host:port`), when metricsAddress was given. Known after start(). */
  readonly metricsTarget: string | undefined;
  /** Where downloads go. */
  readonly downloadsDir: string;
  /** Registry events, connection changes, downloads served and fetched. */
  readonly events: PeerEventEmitter;
  /** `idle` (not registered), `registering`, `online`, `reconnecting` or `closed`. */
  readonly state: SessionState;
  /** The registry session, when online. */
  readonly session: SessionInfo | undefined;

  /** Starts the FileService. Throws KompartError ADDRESS_IN_USE or LISTEN_FAILED when the address cannot be bound. */
  start(): Promise<void>;
  /** `register peer`: RegisterPeer and heartbeat. Registry errors come as KompartErrors (`Peer <IP> já registrado`). */
  registerPeer(): Promise<SessionInfo>;
  /**
   * `register file <path>`: hashes (streaming SHA-256, with the hash cache) and registers a
   * file, or every regular file under a directory. Before `registerPeer`: KompartError
   * PEER_NOT_REGISTERED (`Peer <IP> não registrado`); missing/unreadable path: a peer error (PATH_NOT_FOUND, …).
   */
  registerPath(path: string, options?: RegisterPathOptions): Promise<RegisterPathResult>;
  /**
   * `unregister file <path>`: takes a registered file, or every registered file under a
   * folder, out of the index (UnregisterFile) and out of what the FileService serves; a
   * registered folder is no longer watched, and a file or folder inside a registered folder
   * stays out when it changes or appears again (until registered again by hand). The path
   * is resolved as `register file` resolves it (relative to the working folder, symbolic
   * links in it followed when it still exists). A path this peer has not registered:
   * KompartError FILE_NOT_REGISTERED (`Arquivo <path> não registrado`), nothing changes.
   * Before `registerPeer`: PEER_NOT_REGISTERED; while reconnecting: REGISTRY_UNREACHABLE.
   * Emits `share-removed` (cause `by-hand`) for each file.
   */
  unregisterPath(path: string): Promise<UnregisterPathResult>;
  /** `list files`: every page, in registration order. Empty array: nothing registered anywhere. */
  listFiles(filter?: ListFilesFilter): Promise<SharedFile[]>;
  /** `list files`, one entry at a time, fetching pages as needed. */
  iterateFiles(filter?: ListFilesFilter): AsyncGenerator<SharedFile>;
  /**
   * `get file <holder>/<name|path|hash|prefix>`: locate at the registry, download straight
   * from the holder, verify, and place in the downloads folder (see createDownloader).
   * Unless `singleSource` is configured, the other online holders of the same content
   * (LocateHolders) that registered the same piece list send pieces too (downloadSwarm);
   * with no other such holder it is the holder alone, as before. `get file <hash>` (a
   * whole hash or a unique prefix of 8+ hex digits, no holder) fetches from every holder.
   */
  getFile(ref: string, options?: GetFileOptions): Promise<GetFileResult>;
  /** `disconnect`: ends the session. Not registered: NOT_REGISTERED (`Peer não registrado`). */
  disconnect(): Promise<DisconnectResult>;
  /** The files this peer registered (what its FileService serves). */
  sharedFiles(): LocalFile[];
  /** All events from now on, as an async iterator (ends when `signal` aborts). */
  watch(signal?: AbortSignal): AsyncGenerator<PeerEvent>;
  /**
   * Cancels downloads in progress (keeping their `.part` files), disconnects when
   * registered, lets downloads being served finish for `shutdownGraceMs`, stops the
   * FileService. Idempotent.
   */
  close(): Promise<void>;
}

/** Creates a peer (nothing is bound or dialled until start()/registerPeer()). */
export function createPeer(config: PeerConfig, deps: PeerDeps = {}): Peer {
  const resolved = resolvePeerConfig(config, deps.cwd);
  return new KompartPeer(resolved, deps);
}

/** createPeer + start. */
export async function startPeer(config: PeerConfig, deps: PeerDeps = {}): Promise<Peer> {
  const peer = createPeer(config, deps);
  await peer.start();
  return peer;
}

type Lifecycle = 'created' | 'starting' | 'running' | 'closing' | 'closed';

class KompartPeer implements Peer {
  readonly events: PeerEventEmitter;
  readonly #config: ResolvedPeerConfig;
  readonly #deps: PeerDeps;
  readonly #logger: Logger;
  readonly #files = new SharedFiles();
  readonly #cache: HashCache;
  readonly #session: RegistrySession;
  readonly #shares: LiveShares;
  readonly #downloader: Downloader;
  readonly #reporter: TransferReporter;
  /** The metrics registry and its endpoint, with metricsAddress. */
  readonly #metrics: { readonly register: Registry; readonly received: (bytes: number) => void } | undefined;
  #metricsEndpoint: HttpEndpoint | undefined;
  /** Downloads in progress: how to cancel each, and when it has finished cleaning up. */
  readonly #downloads = new Map<AbortController, Promise<void>>();
  #server: FileServer | undefined;
  /** Where this peer offers sealed streams (encrypted transfers only). */
  #sealed: SealedStreamListener | undefined;
  /** This peer's own identity for pinned TLS (none with CA material, `tls`); loaded by start(). */
  #identity: SelfSignedIdentity | undefined;
  readonly #clients = new ClientCertificates();
  #id: string;
  #lifecycle: Lifecycle = 'created';
  #closing: Promise<void> | undefined;

  constructor(config: ResolvedPeerConfig, deps: PeerDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#logger = deps.logger ?? silentLogger;
    this.events = new PeerEventEmitter(this.#logger);
    this.#id = config.port === 0 ? `${config.host}:0` : identityFor(config.host, config.port);
    const cache = deps.hashCache ?? createHashCache({ ...(config.cacheDir === undefined ? {} : { dir: config.cacheDir }), logger: this.#logger });
    if (config.metricsAddress === undefined) {
      this.#cache = cache;
    } else {
      const register = createMetricsRegistry();
      const counted = peerMetrics(register, this.events, cache);
      this.#cache = counted.cache;
      this.#metrics = { register, received: counted.received };
    }
    this.#session = new RegistrySession({
      target: config.registryTarget,
      channelOptions: config.registryChannelOptions,
      tls: config.tls,
      registryCertificate:
        config.registryTrust === undefined
          ? undefined
          : registryCertificateCheck(config.registryTrust, (server, fingerprint, file) =>
              this.events.emit({ type: 'registry-trusted', server, fingerprint, file }),
            ),
      server: config.registryId,
      self: () => this.#id,
      certificate: () => (this.#config.plaintextTransfers ? undefined : this.#identity?.fingerprint),
      ...(config.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: config.heartbeatIntervalMs }),
      backoff: config.backoff,
      callTimeoutMs: config.callTimeoutMs,
      filesToRestore: () => this.#files.all(),
      events: this.events,
      logger: this.#logger,
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
      ...(deps.random === undefined ? {} : { random: deps.random }),
    });
    this.#shares = new LiveShares({
      files: this.#files,
      cache: this.#cache,
      index: { register: (file) => this.#session.registerFile(file), unregister: (path) => this.#session.unregisterFile(path) },
      events: this.events,
      quietMs: config.watchQuietMs,
      retryMs: SHARE_RETRY_MS,
      watch: config.watchShares ? (deps.watch ?? defaultWatch) : undefined,
      ignore: (path) => this.#isOwnPartFile(path),
      logger: this.#logger,
      ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    });
    this.#reporter = new TransferReporter({
      send: (reports) => this.#session.reportTransfers(reports),
      clock: deps.clock ?? systemClock,
      intervalMs: config.transferReportMs,
    });
    this.#downloader = createDownloader({
      downloadsDir: config.downloadsDir,
      hashCache: this.#cache,
      logger: this.#logger,
      ...(deps.partFileSystem === undefined ? {} : { fs: deps.partFileSystem }),
    });
  }

  get id(): string {
    return this.#id;
  }

  get fileServiceTarget(): string {
    return this.#server?.target ?? this.#config.bindTarget;
  }

  get metricsTarget(): string | undefined {
    return this.#metricsEndpoint?.target;
  }

  get downloadsDir(): string {
    return this.#config.downloadsDir;
  }

  get state(): SessionState {
    return this.#session.state;
  }

  get session(): SessionInfo | undefined {
    return this.#session.info;
  }

  async start(): Promise<void> {
    if (this.#lifecycle !== 'created') throw peerError(PeerErrorCode.NOT_RUNNING, { state: this.#lifecycle });
    this.#lifecycle = 'starting';
    if (this.#config.tls === undefined) {
      try {
        this.#identity = await loadIdentity(this.#config.identityDir, identityFor(this.#config.host, this.#config.port));
      } catch (error) {
        this.#lifecycle = 'closed';
        throw error;
      }
    }
    const pinned = this.#identity !== undefined && !this.#config.plaintextTransfers ? { ...this.#identity, clients: this.#clients } : undefined;
    const service = createFileService({
      files: this.#files,
      self: () => this.#id,
      lang: this.#config.lang,
      logger: this.#logger,
      chunkBytes: this.#config.chunkBytes,
      maxDownloadsPerRequester: this.#config.maxDownloadsPerRequester,
      idleTimeoutMs: this.#config.serveIdleTimeoutMs,
      ...(this.#deps.clock === undefined ? {} : { clock: this.#deps.clock }),
      ...(this.#config.requireTickets ? { ticketKey: () => this.#session.ticketPublicKey } : {}),
      ...(pinned === undefined ? {} : { clientCertificate: (peer: string) => this.#clients.fingerprintOf(peer) }),
      onServed: (served) => this.events.emit({ type: 'served', ...served }),
      onRehashed: (path, identity, sha256) => {
        this.#files.updateIdentity(path, identity);
        this.#cache.store(path, identity, sha256);
      },
      // Found gone or changed when asked for it: the index follows, as if the watcher had seen it.
      onStale: (file) => this.#shares.nudge(file.path),
      sealed: () => this.#sealed,
    });
    try {
      this.#server = await startFileServer(this.#config.bindTarget, service, this.#config.tls, this.#metrics?.register, pinned);
      if (this.#metrics !== undefined && this.#config.metricsAddress !== undefined) {
        this.#metricsEndpoint = await startMetricsEndpoint(this.#config.metricsAddress, this.#metrics.register).catch((error: unknown) => {
          this.#server?.kill();
          throw error;
        });
      }
    } catch (error) {
      this.#lifecycle = 'closed';
      throw error;
    }
    // Encrypted transfers offer sealed streams: the bytes outside gRPC, keyed by the call
    // (file_service.proto), on a free port of the FileService's address. Without one
    // (that port cannot be had), downloads from this peer go in chunks, as to older peers.
    if ((pinned !== undefined || this.#config.tls !== undefined) && this.#config.sealedStreams) {
      const host = new URL(`http://${this.#server.target}`).hostname;
      this.#sealed = await SealedStreamListener.start(host, this.#deps.clock ?? systemClock).catch((error: unknown) => {
        this.#logger.warn({ host, error: String(error) }, 'no sealed streams: downloads from this peer go in gRPC chunks');
        return undefined;
      });
    }
    if (this.#config.port === 0) {
      this.#id = identityFor(this.#config.host, this.#config.bindIsIdentity ? this.#server.port : this.#config.port);
    }
    this.#lifecycle = 'running';
    this.#logger.info({ peer: this.#id, fileService: this.#server.target }, 'peer started');
  }

  registerPeer(): Promise<SessionInfo> {
    this.#assertRunning();
    return this.#session.register();
  }

  async registerPath(path: string, options: RegisterPathOptions = {}): Promise<RegisterPathResult> {
    this.#assertRunning();
    this.#assertCanRegister();
    const scan = await scanPath(path, this.#deps.cwd);
    const single = scan.kind === 'file';
    // Watched from now on: what changes or appears while the files are hashed is seen.
    const wasRoot = this.#shares.isRoot(scan.root);
    const watching = this.#shares.watchRoot(scan.root, scan.kind);
    // Hashing runs file after file (the disk is the limit); RegisterFile calls overlap
    // with it, up to REGISTER_CONCURRENCY in flight, so registering many small or cached
    // files is not one round trip each. Outcomes are kept in scan order.
    const outcomes: (
      { kind: 'registered'; file: RegisteredFile } | { kind: 'already'; path: string } | { kind: 'failed'; path: string; error: unknown } | undefined
    )[] = [];
    const pool = new TaskPool(REGISTER_CONCURRENCY);
    let fatal: { error: unknown } | undefined;
    let done = 0;
    let hashedBytes = 0;
    const register = async (local: HashedLocalFile, index: number): Promise<void> => {
      try {
        await this.#session.registerFile(local);
      } catch (error) {
        const perFile =
          error instanceof KompartError &&
          (error.reason === Reason.FILE_ALREADY_REGISTERED || error.reason === Reason.INVALID_ARGUMENT || error.reason === Reason.LIMIT_EXCEEDED);
        if (single || !perFile) fatal ??= { error };
        else
          outcomes[index] =
            error.reason === Reason.FILE_ALREADY_REGISTERED ? { kind: 'already', path: local.path } : { kind: 'failed', path: local.path, error };
        return;
      }
      this.#files.add(local);
      outcomes[index] = { kind: 'registered', file: { path: local.path, name: local.name, sha256: local.sha256, size: local.size, cached: local.cached } };
    };
    try {
      for (const [index, found] of scan.files.entries()) {
        if (fatal !== undefined) break;
        options.signal?.throwIfAborted();
        const progress = options.onProgress;
        let local: HashedLocalFile;
        try {
          local = await hashLocalFile(found.path, this.#cache, {
            ...(options.signal === undefined ? {} : { signal: options.signal }),
            ...(progress === undefined
              ? {}
              : {
                  onProgress: (bytes: number) =>
                    progress({ bytes: done + bytes, total: scan.totalBytes, path: found.path, fileIndex: index, fileCount: scan.files.length }),
                }),
          });
        } catch (error) {
          if (single || !isPeerError(error)) throw error;
          outcomes[index] = { kind: 'failed', path: found.path, error };
          done += found.size;
          continue;
        }
        done += found.size;
        if (!local.cached) hashedBytes += local.size;
        await pool.add(() => register(local, index));
      }
    } catch (error) {
      fatal = { error };
    } finally {
      await pool.drain();
      await this.#cache.flush();
      await watching;
    }
    if (fatal !== undefined) {
      // Nothing of it is shared: it is not watched either.
      if (!wasRoot && this.#files.under(scan.root).length === 0) this.#shares.unwatchRoot(scan.root);
      throw fatal.error;
    }
    const registered: RegisteredFile[] = [];
    const alreadyRegistered: string[] = [];
    const failed: { path: string; error: unknown }[] = [];
    for (const outcome of outcomes) {
      if (outcome?.kind === 'registered') registered.push(outcome.file);
      else if (outcome?.kind === 'already') alreadyRegistered.push(outcome.path);
      else if (outcome?.kind === 'failed') failed.push({ path: outcome.path, error: outcome.error });
    }
    return { root: scan.root, kind: scan.kind, registered, alreadyRegistered, failed, skipped: scan.skipped, totalBytes: scan.totalBytes, hashedBytes };
  }

  async unregisterPath(path: string): Promise<UnregisterPathResult> {
    this.#assertRunning();
    this.#assertCanRegister();
    const root = await this.#registeredPath(path);
    const kind = this.#files.get(root) === undefined ? 'directory' : 'file';
    const files = this.#files.under(root);
    // First the rules, so that the watcher does not bring any of them back meanwhile.
    this.#shares.forget(root);
    const removed: UnregisteredFile[] = [];
    const pool = new TaskPool(REGISTER_CONCURRENCY);
    let fatal: { error: unknown } | undefined;
    const unregister = (path: string): Promise<void> =>
      this.#shares.withPath(path, async () => {
        const file = this.#files.get(path);
        if (file === undefined || fatal !== undefined) return; // gone meanwhile (the watcher saw it deleted), or given up
        this.#shares.changing(path);
        try {
          await this.#session.unregisterFile(path);
        } catch (error) {
          // Not in the index (any more): out of it, as asked.
          if (!(error instanceof KompartError && error.reason === Reason.FILE_NOT_REGISTERED)) {
            fatal ??= { error };
            return;
          }
        }
        this.#files.delete(path);
        const { name, sha256, size } = file;
        removed.push({ path, name, sha256, size });
        this.events.emit({ type: 'share-removed', path, name, sha256, size, cause: 'by-hand' });
      });
    for (const file of files) {
      if (fatal !== undefined) break;
      await pool.add(() => unregister(file.path));
    }
    await pool.drain();
    if (fatal !== undefined) throw fatal.error;
    removed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { root, kind, removed };
  }

  async listFiles(filter: ListFilesFilter = {}): Promise<SharedFile[]> {
    const files: SharedFile[] = [];
    for await (const file of this.iterateFiles(filter)) files.push(file);
    return files;
  }

  async *iterateFiles(filter: ListFilesFilter = {}): AsyncGenerator<SharedFile> {
    this.#assertRunning();
    let pageToken = '';
    do {
      const page = await this.#session.listPage({
        pageSize: filter.pageSize ?? 0,
        pageToken,
        nameContains: filter.nameContains ?? '',
        sha256Prefix: filter.sha256Prefix ?? '',
        holder: filter.holder ?? '',
      });
      yield* page.files;
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
  }

  async getFile(ref: string, options: GetFileOptions = {}): Promise<GetFileResult> {
    this.#assertRunning();
    const plan = await this.#planDownload(ref);
    const file = plan.file;
    this.#assertRunning(); // close() may have started while the registry answered
    const controller = new AbortController();
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const abort = (): void => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    this.#downloads.set(controller, settled);
    options.onLocated?.(file);
    this.events.emit({ type: 'download-started', holder: file.peer, name: file.name, sha256: file.sha256, size: file.size });
    const transfer = this.#reporter.started({ holder: file.peer, name: file.name, sha256: file.sha256, size: file.size });
    let present: number | undefined;
    const onProgress = (bytes: number, total: number): void => {
      // The first report is what a resumed .part already held: not received now.
      if (present !== undefined && bytes > present) this.#metrics?.received(bytes - present);
      present = bytes;
      this.#reporter.progress(transfer, bytes);
      options.onProgress?.(bytes, total);
    };
    let outcome: 'done' | 'failed' = 'failed';
    try {
      const connection = this.#holderConnection();
      const source = holderStream({ ...file, address: plan.address, certificateSha256: plan.certificateSha256 }, plan.ticket, connection);
      const target = { name: file.name, sha256: file.sha256, size: file.size, holder: file.peer };
      const common = {
        signal: controller.signal,
        onProgress,
        ...(options.folder === undefined ? {} : { folder: options.folder }),
      };
      const result =
        plan.swarm === undefined
          ? await this.#downloader.download(target, source, common)
          : await this.#downloader.downloadSwarm(
              { ...target, pieceSize: plan.swarm.pieceSize, piecesRoot: plan.swarm.root },
              this.#swarmHolders(file.sha256, plan.swarm.holders, connection),
              source,
              {
                ...common,
                stallTimeoutMs: this.#config.stallTimeoutMs,
                ...(options.onSending === undefined ? {} : { onSending: options.onSending }),
              },
            );
      this.events.emit({
        type: 'download-finished',
        holder: file.peer,
        name: file.name,
        path: result.path,
        sha256: result.sha256,
        size: result.size,
        status: result.status,
      });
      outcome = 'done';
      return { ...result, file };
    } catch (error) {
      this.events.emit({ type: 'download-failed', holder: file.peer, name: file.name, error });
      throw error;
    } finally {
      this.#reporter.ended(transfer, outcome);
      options.signal?.removeEventListener('abort', abort);
      this.#downloads.delete(controller);
      settle();
    }
  }

  /**
   * Where `get file` fetches from: the file and its (first) holder, and, for a swarm, the
   * holders that registered the same piece list as that holder (or, without its fields,
   * the largest group of holders agreeing on one). Fewer than two such holders: the first
   * holder alone (no swarm).
   */
  async #planDownload(ref: string): Promise<{
    file: SharedFile;
    address: string;
    ticket: Uint8Array;
    /** The first holder's certificate fingerprint (empty: it registered none). */
    certificateSha256: Uint8Array;
    swarm?: { pieceSize: number; root: Uint8Array; holders: HolderLocation[] };
  }> {
    const parsed = parseFileRef(ref);
    const bare = ref.trim();
    let first: { file: SharedFile; address: string; ticket: Uint8Array; certificateSha256: Uint8Array };
    let holders: HolderLocation[] = [];
    if (parsed !== undefined) {
      const located = await this.#session.locate(parsed.holder, parsed.file);
      if (located.file === undefined) throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: parsed.holder, file: quoteInput(parsed.file) });
      first = { file: located.file, address: located.address, ticket: located.ticket, certificateSha256: located.holderCertificateSha256 };
      if (!this.#config.singleSource) {
        // An older registry (UNIMPLEMENTED) or nobody else: the holder alone.
        holders = await this.#session
          .locateHolders(located.file.sha256, this.#config.maxHolders)
          .then((answer) => answer.holders)
          .catch((error: unknown) => {
            this.#logger.debug({ error: String(error) }, 'no other holders');
            return [];
          });
      }
    } else if (isHashReference(bare) && bare.length <= 64) {
      const all = (await this.#session.locateHolders(bare, this.#config.maxHolders)).holders;
      // No holder named: plaintext-only holders are left out unless plaintext is allowed.
      holders = all.filter((holder) => this.#reachable(holder));
      if (holders.length === 0 && all[0]?.file !== undefined) throw peerError(PeerErrorCode.HOLDER_PLAINTEXT, { peer: all[0].file.peer });
      const head = holders[0];
      if (head?.file === undefined) throw new KompartError(Reason.FILE_UNAVAILABLE, { peer: '', file: quoteInput(bare) });
      first = { file: head.file, address: head.address, ticket: head.ticket, certificateSha256: head.holderCertificateSha256 };
      if (this.#config.singleSource) holders = [];
    } else {
      throw peerError(PeerErrorCode.INVALID_FILE_REF, { ref });
    }
    const named = first.file.peer;
    const rooted = holders.filter((h) => h.file !== undefined && h.pieceSize > 0 && h.piecesRoot.length === 32 && this.#reachable(h));
    const keyOf = (h: HolderLocation): string => `${h.pieceSize}:${Buffer.from(h.piecesRoot).toString('hex')}`;
    const own = rooted.find((h) => h.file!.peer === named);
    let key = own === undefined ? undefined : keyOf(own);
    if (key === undefined) {
      const sizes = new Map<string, number>();
      for (const h of rooted) sizes.set(keyOf(h), (sizes.get(keyOf(h)) ?? 0) + 1);
      key = [...sizes].sort((a, b) => b[1] - a[1])[0]?.[0];
    }
    const group = rooted.filter((h) => keyOf(h) === key && h.file!.sha256 === first.file.sha256);
    // The named holder first (its ticket from LocateFile when LocateHolders did not list it).
    const ordered = own === undefined ? group : [own, ...group.filter((h) => h !== own)];
    if (own === undefined && group.length > 0 && parsed !== undefined) {
      ordered.unshift({
        file: first.file,
        address: first.address,
        ticket: Buffer.from(first.ticket),
        pieceSize: group[0]!.pieceSize,
        piecesRoot: group[0]!.piecesRoot,
        holderCertificateSha256: Buffer.from(first.certificateSha256),
      });
    }
    const swarmHolders = ordered.slice(0, this.#config.maxHolders);
    if (swarmHolders.length < 2) return first;
    return { ...first, swarm: { pieceSize: swarmHolders[0]!.pieceSize, root: swarmHolders[0]!.piecesRoot, holders: swarmHolders } };
  }

  /** Whether a transfer from this holder is allowed: TLS to it (`--tls-*` or pinned), or plaintext by consent. */
  #reachable(holder: HolderLocation): boolean {
    return this.#config.tls !== undefined || this.#config.plaintextTransfers || (holder.holderCertificateSha256.length > 0 && this.#identity !== undefined);
  }

  /** The swarm's holders, with tickets renewed together (one LocateHolders) when a holder finds one expired. */
  #swarmHolders(sha256: string, locations: readonly HolderLocation[], connection: HolderConnectionOptions) {
    const tickets = new Map(locations.map((location) => [location.file!.peer, location.ticket]));
    let renewing: Promise<void> | undefined;
    const renew = (): Promise<void> =>
      (renewing ??= this.#session
        .locateHolders(sha256, this.#config.maxHolders)
        .then((answer) => {
          for (const holder of answer.holders) if (holder.file !== undefined) tickets.set(holder.file.peer, holder.ticket);
        })
        .finally(() => {
          setTimeout(() => (renewing = undefined), 1000).unref();
        }));
    const shared = { ...connection, windowBytes: swarmWindowBytes(locations.length) };
    return locations.map((location) => swarmHolder(location, () => tickets.get(location.file!.peer) ?? location.ticket, renew, shared));
  }

  #holderConnection(): HolderConnectionOptions {
    return {
      tls: this.#config.tls,
      identity: this.#identity,
      plaintextTransfers: this.#config.plaintextTransfers,
      sealedStreams: this.#config.sealedStreams,
      idleTimeoutMs: this.#config.transferIdleTimeoutMs,
      callTimeoutMs: this.#config.callTimeoutMs,
    };
  }

  async disconnect(): Promise<DisconnectResult> {
    this.#assertRunning();
    const result = await this.#session.disconnect();
    this.#files.clear();
    await Promise.all(this.#shares.clear());
    return result;
  }

  sharedFiles(): LocalFile[] {
    return this.#files.all();
  }

  watch(signal?: AbortSignal): AsyncGenerator<PeerEvent> {
    return this.events.stream(signal);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#lifecycle = 'closing';
    for (const controller of this.#downloads.keys()) controller.abort(peerError(PeerErrorCode.NOT_RUNNING, { state: 'closing' }));
    await Promise.all(this.#downloads.values());
    await this.#shares.close();
    await this.#session.close().catch((error: unknown) => this.#logger.warn({ error: String(error) }, 'session close failed'));
    this.#reporter.stop();
    await this.#server?.close(this.#config.shutdownGraceMs);
    await this.#sealed?.close();
    await this.#metricsEndpoint?.close();
    await this.#cache.flush();
    this.#lifecycle = 'closed';
  }

  /**
   * The registered path (a file, a folder root, or a folder holding registered files) that
   * `input` names: absolute against the working folder as given, else with its symbolic
   * links resolved (those of its folder when the file itself is gone). FILE_NOT_REGISTERED
   * when it names nothing registered.
   */
  async #registeredPath(input: string): Promise<string> {
    const named = resolve(this.#deps.cwd ?? process.cwd(), input);
    const candidates = [named];
    const real = await fsp.realpath(named).catch(() => undefined);
    if (real !== undefined) candidates.push(real);
    else {
      const folder = await fsp.realpath(dirname(named)).catch(() => undefined);
      if (folder !== undefined) candidates.push(join(folder, basename(named)));
    }
    const found = candidates.find((path) => this.#shares.isRoot(path) || this.#files.under(path).length > 0);
    if (found === undefined) throw new KompartError(Reason.FILE_NOT_REGISTERED, { peer: this.#id, file: quoteInput(named) });
    return found;
  }

  /** A partial download of this peer (`<downloads>/….part`): never registered when it appears in a shared folder. */
  #isOwnPartFile(path: string): boolean {
    if (!path.endsWith('.part')) return false;
    const folder = dirname(path);
    if (folder === this.#config.downloadsDir) return true;
    try {
      return folder === realpathSync(this.#config.downloadsDir);
    } catch {
      return false;
    }
  }

  /**
   * How to reach a holder: TLS from the CA material when there is some; else pinned to the
   * certificate it registered; a holder that registered none only with plaintext allowed
   * (HOLDER_PLAINTEXT otherwise).
   */
  #assertRunning(): void {
    if (this.#lifecycle !== 'running') throw peerError(PeerErrorCode.NOT_RUNNING, { state: this.#lifecycle });
  }

  /** register file needs a session; the text is the registry's own (`Peer <IP> não registrado`). */
  #assertCanRegister(): void {
    const state = this.#session.state;
    if (state === 'online') return;
    if (state === 'reconnecting') throw peerError(PeerErrorCode.REGISTRY_UNREACHABLE, { server: this.#config.registryId });
    throw new KompartError(Reason.PEER_NOT_REGISTERED, { peer: this.#id });
  }
}

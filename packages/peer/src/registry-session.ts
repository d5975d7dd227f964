import type { KeyObject } from 'node:crypto';
import { connectivityState, Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  EventType,
  KompartError,
  MAX_MESSAGE_BYTES,
  Reason,
  RegistryClient,
  fromServiceError,
  isServiceError,
  channelCredentials,
  silentLogger,
  ticketPublicKey,
  tokenMetadata,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type ListFilesRequest,
  type ListFilesResponse,
  type LocateFileResponse,
  type Logger,
  type RegisterFileResponse,
  type RegisterPeerResponse,
  type SharedFile,
  type TlsMaterial,
} from '@kompart/protocol';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { PeerError, PeerErrorCode } from './peer-error.js';
import type { ConnectionLostReason, PeerEventEmitter } from './peer-events.js';
import { TaskPool } from './task-pool.js';

/** RegisterFile calls in flight at once while restoring the files after a reconnect. */
const RESTORE_CONCURRENCY = 32;

/** Where a session stands. */
export type SessionState = 'idle' | 'registering' | 'online' | 'reconnecting' | 'closed';

/** A file to (re-)register: path, hash and size. */
export interface FileRegistration {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** What RegisterPeer granted. */
export interface SessionInfo {
  /** This peer's normalised address, as the registry knows it. */
  readonly peer: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMisses: number;
  readonly registryInstance: string;
  /** The registry's key for download tickets; undefined when the registry sent none. */
  readonly ticketPublicKey: KeyObject | undefined;
}

export interface RegistrySessionOptions {
  /** Registry address to dial, `host:port`. */
  readonly target: string;
  /** TLS material; plaintext when undefined. */
  readonly tls?: TlsMaterial | undefined;
  /** Registry address for messages (`Servidor 127.0.0.1 inacessível`). */
  readonly server: string;
  /** This peer's identity (RegisterPeer address). */
  readonly self: () => string;
  /** Beat this often instead of what the registry asks for. */
  readonly heartbeatIntervalMs?: number;
  readonly backoff: BackoffOptions;
  /** Deadline of unary calls, ms. */
  readonly callTimeoutMs: number;
  /** The files to register again after a reconnect. */
  readonly filesToRestore: () => readonly FileRegistration[];
  readonly events: PeerEventEmitter;
  readonly logger?: Logger;
  readonly clock?: () => number;
  readonly random?: () => number;
}

interface ActiveSession {
  readonly info: SessionInfo;
  readonly token: string;
  readonly generation: number;
  stream?: ClientDuplexStream<HeartbeatRequest, HeartbeatResponse>;
  timer?: NodeJS.Timeout;
  sequence: number;
  lastAckAt: number;
  readonly sentAt: Map<number, number>;
}

/**
 * The peer's session with the registry: RegisterPeer, the Heartbeat stream (a beat every
 * interval, acks and pushed events surfaced on `events`), and recovery: when the stream
 * breaks or ends, the registry announces its shutdown, its instance changes, acks stop
 * coming for `misses + 2` intervals or a call says the session is invalid, the session
 * is dropped and a reconnect loop registers again (exponential backoff) and re-registers
 * every file, reporting each step as an event. Unary calls map failures at one place:
 * the registry's KompartErrors as they are, transport failures to REGISTRY_UNREACHABLE.
 */
export class RegistrySession {
  readonly #options: RegistrySessionOptions;
  readonly #logger: Logger;
  readonly #clock: () => number;
  #client: RegistryClient;
  #state: SessionState = 'idle';
  #session: ActiveSession | undefined;
  #generation = 0;
  #reconnect: AbortController | undefined;
  #reconnectLoop: Promise<void> | undefined;

  constructor(options: RegistrySessionOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? Date.now;
    this.#client = this.#newClient();
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The current session, when online. */
  get info(): SessionInfo | undefined {
    return this.#state === 'online' ? this.#session?.info : undefined;
  }

  /**
   * RegisterPeer and open the heartbeat. Throws PEER_ALREADY_REGISTERED (locally, with
   * this peer's address) when a session is already open or being recovered.
   */
  async register(): Promise<SessionInfo> {
    this.#assertNotClosed();
    if (this.#state !== 'idle') throw new KompartError(Reason.PeerAlreadyRegistered, { peer: this.#options.self() });
    this.#state = 'registering';
    this.#replaceFailedChannel();
    try {
      const response = await this.#registerPeer();
      // close() ran meanwhile: no heartbeat is opened, so the registry lets the session expire.
      if (this.#state !== 'registering') throw new PeerError(PeerErrorCode.NotRunning, { state: this.#state });
      return this.#adopt(response).info;
    } catch (error) {
      if (this.#state === 'registering') this.#state = 'idle';
      throw error;
    }
  }

  /** RegisterFile with this session's token. */
  async registerFile(file: FileRegistration): Promise<SharedFile> {
    const session = this.#requireOnline();
    const response = await this.#authorised<RegisterFileResponse>(session, (metadata, options, done) =>
      this.#client.registerFile({ peer: session.info.peer, path: file.path, sha256: file.sha256, size: file.size }, metadata, options, done),
    );
    if (response.file === undefined) throw new PeerError(PeerErrorCode.RegistryUnreachable, { server: this.#options.server });
    return response.file;
  }

  /** One ListFiles page. */
  async listPage(request: Omit<ListFilesRequest, 'peer'>): Promise<ListFilesResponse> {
    const session = this.#requireOnline();
    return this.#authorised<ListFilesResponse>(session, (metadata, options, done) => this.#client.listFiles({ ...request, peer: session.info.peer }, metadata, options, done));
  }

  /** LocateFile: where `holder`'s `file` can be downloaded. */
  async locate(holder: string, file: string): Promise<LocateFileResponse> {
    const session = this.#requireOnline();
    return this.#authorised<LocateFileResponse>(session, (metadata, options, done) => this.#client.locateFile({ peer: session.info.peer, holder, file }, metadata, options, done));
  }

  /**
   * Ends the session: Disconnect at the registry, then the heartbeat stream and timers.
   * While recovering from a loss, just stops the recovery (the registry already dropped
   * the peer). Throws PeerError NOT_REGISTERED (`Peer não registrado`) without a session.
   * A registry that cannot be reached does not make it fail: the closed stream removes
   * the peer anyway. `removedFiles` is undefined when the registry did not say.
   */
  async disconnect(): Promise<{ removedFiles: number | undefined }> {
    this.#assertNotClosed();
    if (this.#state === 'reconnecting') {
      this.#stopReconnecting();
      this.#state = 'idle';
      await this.#reconnectLoop?.catch(() => undefined);
      return { removedFiles: undefined };
    }
    const session = this.#session;
    if (this.#state !== 'online' || session === undefined) throw new PeerError(PeerErrorCode.NotRegistered);
    this.#state = 'idle';
    this.#stopBeating(session);
    let removedFiles: number | undefined;
    try {
      const response = await this.#unary<{ removedFiles: number }>((options, done) =>
        this.#client.disconnect({ peer: session.info.peer }, tokenMetadata(session.token), options, done),
      );
      removedFiles = response.removedFiles;
    } catch (error) {
      this.#logger.warn({ error: String(error) }, 'Disconnect failed; closing the heartbeat stream instead');
    }
    this.#endStream(session);
    this.#session = undefined;
    return { removedFiles };
  }

  /** Ends everything (disconnecting first when online) and closes the channel. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'online' || this.#state === 'reconnecting') await this.disconnect().catch(() => undefined);
    this.#stopReconnecting();
    if (this.#session !== undefined) {
      this.#stopBeating(this.#session);
      this.#endStream(this.#session);
      this.#session = undefined;
    }
    this.#state = 'closed';
    this.#client.close();
  }

  #newClient(): RegistryClient {
    return new RegistryClient(this.#options.target, channelCredentials(this.#options.tls), {
      // A channel of our own: grpc-js otherwise shares subchannels per target across
      // clients, and a fresh client would inherit the backoff of a registry that died.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.initial_reconnect_backoff_ms': Math.max(100, this.#options.backoff.initialMs),
      'grpc.max_reconnect_backoff_ms': Math.max(100, this.#options.backoff.maxMs),
    });
  }

  /** A channel left in TRANSIENT_FAILURE by a registry that went away would fail the next
   * call at once, even with a registry back: start over with a new one. */
  #replaceFailedChannel(): void {
    const state = this.#client.getChannel().getConnectivityState(false);
    if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) {
      this.#client.close();
      this.#client = this.#newClient();
    }
  }

  #assertNotClosed(): void {
    if (this.#state === 'closed') throw new PeerError(PeerErrorCode.NotRunning, { state: 'closed' });
  }

  #requireOnline(): ActiveSession {
    this.#assertNotClosed();
    if (this.#state === 'online' && this.#session !== undefined) return this.#session;
    if (this.#state === 'reconnecting') throw new PeerError(PeerErrorCode.RegistryUnreachable, { server: this.#options.server });
    throw new KompartError(Reason.PeerNotRegistered, { peer: this.#options.self() });
  }

  #registerPeer(): Promise<RegisterPeerResponse> {
    return this.#unary((options, done) => this.#client.registerPeer({ address: this.#options.self() }, new Metadata(), options, done));
  }

  /** A unary call with this session's token; a session the registry no longer knows triggers recovery. */
  async #authorised<T>(
    session: ActiveSession,
    invoke: (metadata: Metadata, options: { deadline: number }, done: (error: ServiceError | null, value: T) => void) => void,
  ): Promise<T> {
    try {
      return await this.#unary<T>((options, done) => invoke(tokenMetadata(session.token), options, done));
    } catch (error) {
      if (error instanceof KompartError && (error.reason === Reason.SessionInvalid || error.reason === Reason.PeerNotRegistered)) {
        this.#lost(session, 'session-invalid', error.message);
      }
      throw error;
    }
  }

  #unary<T>(invoke: (options: { deadline: number }, done: (error: ServiceError | null, value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      invoke({ deadline: Date.now() + this.#options.callTimeoutMs }, (error, value) => {
        if (error !== null) {
          reject(this.#mapError(error));
          return;
        }
        resolve(value);
      });
    });
  }

  #mapError(error: unknown): Error {
    const known = fromServiceError(error);
    if (known !== undefined) return known;
    const detail = isServiceError(error) ? `${status[error.code] ?? error.code}: ${error.details}` : String(error);
    this.#logger.debug({ detail }, 'registry call failed');
    return new PeerError(PeerErrorCode.RegistryUnreachable, { server: this.#options.server }, { cause: error });
  }

  #adopt(response: RegisterPeerResponse): ActiveSession {
    const info: SessionInfo = {
      peer: response.peer,
      heartbeatIntervalMs: response.heartbeatIntervalMs,
      heartbeatMisses: response.heartbeatMisses,
      registryInstance: response.registryInstance,
      ticketPublicKey: readTicketKey(response.ticketPublicKey),
    };
    const session: ActiveSession = {
      info,
      token: response.sessionToken,
      generation: ++this.#generation,
      sequence: 0,
      lastAckAt: this.#clock(),
      sentAt: new Map(),
    };
    this.#session = session;
    this.#state = 'online';
    this.#openStream(session);
    return session;
  }

  #intervalOf(session: ActiveSession): number {
    const asked = session.info.heartbeatIntervalMs > 0 ? session.info.heartbeatIntervalMs : 5000;
    return this.#options.heartbeatIntervalMs ?? asked;
  }

  #openStream(session: ActiveSession): void {
    const stream = this.#client.heartbeat(tokenMetadata(session.token));
    session.stream = stream;
    stream.on('data', (message: HeartbeatResponse) => this.#onMessage(session, message));
    stream.on('error', (error: Error) => this.#lost(session, 'stream-error', isServiceError(error) ? error.details : error.message));
    stream.on('end', () => this.#lost(session, 'stream-ended'));
    const interval = this.#intervalOf(session);
    const misses = Math.max(1, session.info.heartbeatMisses || 2);
    const beat = (): void => {
      if (this.#session !== session || this.#state !== 'online') return;
      // The registry decides expiry; this only catches a registry that stopped answering
      // (hung, half-open connection, or one that already dropped us), with a margin.
      if (this.#clock() - session.lastAckAt > interval * (misses + 2)) {
        this.#lost(session, 'no-ack');
        return;
      }
      session.sequence += 1;
      session.sentAt.set(session.sequence, this.#clock());
      if (session.sentAt.size > 64) session.sentAt.delete(session.sentAt.keys().next().value!);
      stream.write({ sequence: session.sequence });
    };
    session.timer = setInterval(beat, interval);
    beat();
  }

  #onMessage(session: ActiveSession, message: HeartbeatResponse): void {
    if (this.#session !== session) return;
    const kind = message.kind;
    if (kind === undefined) return;
    if (kind.$case === 'ack') {
      const ack = kind.value;
      session.lastAckAt = this.#clock();
      if (ack.registryInstance !== '' && session.info.registryInstance !== '' && ack.registryInstance !== session.info.registryInstance) {
        this.#lost(session, 'registry-restarted');
        return;
      }
      const sent = session.sentAt.get(ack.sequence);
      session.sentAt.delete(ack.sequence);
      this.#options.events.emit({ type: 'heartbeat', sequence: ack.sequence, rttMs: sent === undefined ? 0 : this.#clock() - sent });
      return;
    }
    const event = kind.value;
    const { peer, timeMs } = event;
    switch (event.type) {
      case EventType.EVENT_TYPE_PEER_JOINED:
        this.#options.events.emit({ type: 'peer-joined', peer, fileCount: event.fileCount, timeMs });
        return;
      case EventType.EVENT_TYPE_PEER_LEFT:
        this.#options.events.emit({ type: 'peer-left', peer, timeMs });
        return;
      case EventType.EVENT_TYPE_PEER_EXPIRED:
        this.#options.events.emit({ type: 'peer-expired', peer, timeMs });
        return;
      case EventType.EVENT_TYPE_REGISTRY_SHUTTING_DOWN:
        this.#options.events.emit({ type: 'registry-shutting-down', timeMs });
        this.#lost(session, 'registry-shutting-down');
        return;
      default:
        this.#logger.debug({ type: event.type }, 'unknown registry event ignored');
    }
  }

  #stopBeating(session: ActiveSession): void {
    if (session.timer !== undefined) clearInterval(session.timer);
    session.timer = undefined;
  }

  #endStream(session: ActiveSession): void {
    const stream = session.stream;
    if (stream === undefined) return;
    session.stream = undefined;
    stream.removeAllListeners('data');
    stream.removeAllListeners('end');
    stream.removeAllListeners('error');
    stream.on('error', () => undefined); // late errors of a stream we are done with
    stream.end();
    stream.cancel();
  }

  /** Drops the current session (once) and starts the reconnect loop. */
  #lost(session: ActiveSession, reason: ConnectionLostReason, detail?: string): void {
    if (this.#session !== session || this.#state !== 'online') return;
    this.#logger.warn({ reason, detail }, 'registry session lost');
    this.#stopBeating(session);
    this.#endStream(session);
    this.#session = undefined;
    this.#state = 'reconnecting';
    this.#options.events.emit(detail === undefined ? { type: 'connection-lost', reason } : { type: 'connection-lost', reason, detail });
    const controller = new AbortController();
    this.#reconnect = controller;
    this.#reconnectLoop = this.#recover(controller.signal, session).catch((error: unknown) => {
      this.#logger.error({ error: String(error) }, 'reconnect loop failed');
    });
  }

  #stopReconnecting(): void {
    this.#reconnect?.abort();
    this.#reconnect = undefined;
  }

  async #recover(signal: AbortSignal, old: ActiveSession): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      const delayMs = backoffDelay(this.#options.backoff, attempt, this.#options.random);
      this.#options.events.emit({ type: 'reconnecting', attempt, delayMs });
      if (!(await sleep(delayMs, signal))) return;
      this.#client.close();
      this.#client = this.#newClient();
      let response: RegisterPeerResponse;
      try {
        response = await this.#registerPeer();
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof KompartError && error.reason === Reason.PeerAlreadyRegistered) {
          // The registry still holds our previous session (it has not noticed the loss): end it.
          await this.#unary((options, done) => this.#client.disconnect({ peer: old.info.peer }, tokenMetadata(old.token), options, done)).catch(() => undefined);
        }
        this.#options.events.emit({ type: 'reconnect-failed', attempt, detail: error instanceof Error ? error.message : String(error) });
        continue;
      }
      if (signal.aborted) {
        // disconnect() or close() ran meanwhile: give the new session back.
        await this.#unary((options, done) => this.#client.disconnect({ peer: response.peer }, tokenMetadata(response.sessionToken), options, done)).catch(
          () => undefined,
        );
        return;
      }
      this.#reconnect = undefined;
      const session = this.#adopt(response);
      let files = 0;
      let failedFiles = 0;
      // Many RegisterFile calls in flight: restoring a large library is not one round trip per file.
      const pool = new TaskPool(RESTORE_CONCURRENCY);
      for (const file of this.#options.filesToRestore()) {
        if (this.#session !== session) break; // lost again: a new loop took over
        await pool.add(async () => {
          if (this.#session !== session) return;
          try {
            await this.registerFile(file);
            files += 1;
          } catch (error) {
            if (this.#session !== session) return;
            if (error instanceof KompartError && error.reason === Reason.FileAlreadyRegistered) {
              files += 1;
            } else {
              failedFiles += 1;
              this.#logger.warn({ path: file.path, error: String(error) }, 'file not registered again');
            }
          }
        });
      }
      await pool.drain();
      if (this.#session !== session) return;
      this.#options.events.emit({ type: 'reconnected', peer: session.info.peer, attempt, files, failedFiles, registryInstance: session.info.registryInstance });
      return;
    }
  }
}

/** Waits `ms`; resolves false when `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The ticket key of a RegisterPeer answer (none from registries that do not sign tickets). */
function readTicketKey(der: Uint8Array): KeyObject | undefined {
  if (der.length === 0) return undefined;
  try {
    return ticketPublicKey(der);
  } catch {
    return undefined;
  }
}

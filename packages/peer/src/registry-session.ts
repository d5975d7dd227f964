import type { KeyObject } from 'node:crypto';
import type { ChannelOptions } from '@grpc/grpc-js';
import {
  KompartError,
  backoffDelay,
  silentLogger,
  systemClock,
  ticketPublicKey,
  type BackoffOptions,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@kompart/core';
import type { ServerCertificateCheck, TlsMaterial } from '@kompart/grpc';
import {
  Reason,
  type ListFilesRequest,
  type ListFilesResponse,
  type LocateFileResponse,
  type LocateHoldersResponse,
  type RegisterPeerResponse,
  type SharedFile,
  type TransferReport,
} from '@kompart/protocol';
import { HeartbeatStream } from './heartbeat-stream.js';
import { PeerErrorCode, peerError } from './peer-error.js';
import type { ConnectionLostReason, PeerEventEmitter } from './peer-events.js';
import { RegistryCalls } from './registry-calls.js';
import { SessionStateMachine, type SessionState } from './session-state.js';
import { TaskPool } from './task-pool.js';
import { piecesRoot, type PieceList } from './transfer/piece-hashes.js';

export type { SessionState } from './session-state.js';

/** RegisterFile calls in flight at once while restoring the files after a reconnect. */
const RESTORE_CONCURRENCY = 32;

/** A file to (re-)register: path, hash and size, and its piece hashes when known. */
export interface FileRegistration {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly pieces?: PieceList | undefined;
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
  /** Registry address to dial: `host:port`, or a grpc-js target of several replicas. */
  readonly target: string;
  /** Channel options of that target (round_robin over several replicas). */
  readonly channelOptions?: ChannelOptions | undefined;
  /** TLS material; plaintext when undefined. */
  readonly tls?: TlsMaterial | undefined;
  /** TLS to a registry with a self-signed certificate, checked by this (see RegistryCalls); replaces `tls`. */
  readonly registryCertificate?: ServerCertificateCheck | undefined;
  /** Registry address for messages (`Servidor 127.0.0.1 inacessível`). */
  readonly server: string;
  /** This peer's identity (RegisterPeer address). */
  readonly self: () => string;
  /** SHA-256 of the certificate its FileService presents (RegisterPeer certificate_sha256); none: plaintext. */
  readonly certificate?: (() => Uint8Array | undefined) | undefined;
  /** Beat this often instead of what the registry asks for. */
  readonly heartbeatIntervalMs?: number | undefined;
  readonly backoff: BackoffOptions;
  /** Deadline of unary calls, ms. */
  readonly callTimeoutMs: number;
  /** The files to register again after a reconnect. */
  readonly filesToRestore: () => readonly FileRegistration[];
  readonly events: PeerEventEmitter;
  readonly logger?: Logger | undefined;
  /** Heartbeat timers, ack timeouts and reconnect pauses (default: the system clock). */
  readonly clock?: Clock | undefined;
  /** Random source of the backoff jitter (default Math.random). */
  readonly random?: (() => number) | undefined;
}

/** Losses after which the session may still be alive at the registry, to be resumed rather than registered again. */
const RESUMABLE: ReadonlySet<ConnectionLostReason> = new Set(['stream-error', 'stream-ended', 'registry-shutting-down', 'no-ack']);

/** How a loss is remembered by the reconnect loop. */
interface Loss {
  readonly session: ActiveSession;
  readonly reason: ConnectionLostReason;
}

/** An open session: what the registry granted, and its heartbeat. */
interface ActiveSession {
  readonly info: SessionInfo;
  readonly token: string;
  heartbeat: HeartbeatStream | undefined;
}

/**
 * The peer's session with the registry, made of three parts of one reason each:
 * RegistryCalls (the calls, their deadlines and metadata, one error mapper), a
 * HeartbeatStream per session (beats, acks, pushed events, noticing a loss) and the
 * session state machine (session-state.ts) with its reconnect loop here.
 *
 * When the heartbeat reports a loss, or a call says the session is invalid, the session is
 * dropped (`connection-lost`) and the reconnect loop registers again after a backoff
 * (`reconnecting`, `reconnect-failed`), then registers every file again (`reconnected`).
 */
export class RegistrySession {
  readonly #options: RegistrySessionOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #machine = new SessionStateMachine();
  #calls: RegistryCalls;
  #session: ActiveSession | undefined;
  /**
   * While a lost session is being resumed: its token still opens calls (the unary calls may
   * reach a replica that is up while the heartbeat finds one), until the registry says no.
   */
  #resuming: ActiveSession | undefined;
  #reconnect: AbortController | undefined;
  #reconnectLoop: Promise<void> | undefined;
  /**
   * Heartbeat streams opened so far, whatever their session: each stream's attempt (see
   * HeartbeatStreamOptions.attempt), only ever growing, across every try to resume.
   */
  #streamAttempts = 0;

  constructor(options: RegistrySessionOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#calls = this.#newCalls();
  }

  get state(): SessionState {
    return this.#machine.state;
  }

  /** The current session, when online. */
  get info(): SessionInfo | undefined {
    return this.#machine.is('online') ? this.#session?.info : undefined;
  }

  /**
   * The registry's ticket key: the online session's, or the one of a session being resumed
   * (the registry's key does not change because one of its replicas went away, so this peer
   * goes on serving the downloads its tickets allow).
   */
  get ticketPublicKey(): KeyObject | undefined {
    return this.info?.ticketPublicKey ?? (this.#machine.is('reconnecting') ? this.#resuming?.info.ticketPublicKey : undefined);
  }

  /**
   * RegisterPeer and open the heartbeat. Throws PEER_ALREADY_REGISTERED (locally, with
   * this peer's address) when a session is already open or being recovered.
   */
  async register(): Promise<SessionInfo> {
    this.#assertNotClosed();
    if (!this.#machine.is('idle')) throw new KompartError(Reason.PEER_ALREADY_REGISTERED, { peer: this.#options.self() });
    this.#machine.move('registering');
    // A channel left failing by a registry that went away would fail this call at once.
    if (this.#calls.failed) this.#startOver();
    try {
      const response = await this.#calls.registerPeer(this.#options.self(), this.#options.certificate?.());
      // close() ran meanwhile: no heartbeat is opened, so the registry lets the session expire.
      if (!this.#machine.is('registering')) throw peerError(PeerErrorCode.NOT_RUNNING, { state: this.#machine.state });
      return this.#adopt(response).info;
    } catch (error) {
      if (this.#machine.is('registering')) this.#machine.move('idle');
      throw error;
    }
  }

  /** RegisterFile with this session's token. */
  registerFile(file: FileRegistration): Promise<SharedFile> {
    return this.#authorised((session) =>
      this.#calls.registerFile(session.token, {
        peer: session.info.peer,
        path: file.path,
        sha256: file.sha256,
        size: file.size,
        pieceSize: file.pieces?.pieceSize ?? 0,
        piecesRoot: file.pieces === undefined ? Buffer.alloc(0) : piecesRoot(file.pieces.hashes),
      }),
    );
  }

  /** UnregisterFile with this session's token: the entry registered under exactly `path`. */
  unregisterFile(path: string): Promise<SharedFile> {
    return this.#authorised((session) => this.#calls.unregisterFile(session.token, { peer: session.info.peer, path }));
  }

  /** One ListFiles page. */
  listPage(request: Omit<ListFilesRequest, 'peer'>): Promise<ListFilesResponse> {
    return this.#authorised((session) => this.#calls.listPage(session.token, { ...request, peer: session.info.peer }));
  }

  /** LocateFile: where `holder`'s `file` can be downloaded. */
  locate(holder: string, file: string): Promise<LocateFileResponse> {
    return this.#authorised((session) => this.#calls.locate(session.token, { peer: session.info.peer, holder, file }));
  }

  /** LocateHolders: every other online holder of a content (a hash or 8+ hex prefix), at most `maxHolders`. */
  locateHolders(sha256: string, maxHolders: number): Promise<LocateHoldersResponse> {
    return this.#authorised((session) => this.#calls.locateHolders(session.token, { peer: session.info.peer, sha256, maxHolders }));
  }

  /**
   * Ends the session: Disconnect at the registry, then the heartbeat stream. While
   * recovering from a loss, stops the recovery and ends the session at the registry if it
   * still has it (a replica went away, the others kept it). Throws NOT_REGISTERED (`Peer não registrado`) without a session. A registry that
   * cannot be reached does not make it fail: the closed stream removes the peer anyway.
   * `removedFiles` is undefined when the registry did not say.
   */
  async disconnect(): Promise<{ removedFiles: number | undefined }> {
    this.#assertNotClosed();
    if (this.#machine.is('reconnecting')) {
      this.#machine.move('idle');
      await this.#stopReconnecting();
      // A session being resumed may still be alive on another replica: end it there.
      const resuming = this.#resuming;
      this.#resuming = undefined;
      if (resuming === undefined) return { removedFiles: undefined };
      const answer = await this.#calls.disconnect(resuming.token, resuming.info.peer).catch(() => undefined);
      return { removedFiles: answer?.removedFiles };
    }
    const session = this.#session;
    if (!this.#machine.is('online') || session === undefined) throw peerError(PeerErrorCode.NOT_REGISTERED);
    this.#machine.move('idle');
    let removedFiles: number | undefined;
    try {
      removedFiles = (await this.#calls.disconnect(session.token, session.info.peer)).removedFiles;
    } catch (error) {
      this.#logger.warn({ error: String(error) }, 'Disconnect failed; closing the heartbeat stream instead');
    }
    this.#end(session);
    return { removedFiles };
  }

  /** Ends everything (disconnecting first when online) and closes the channel. Idempotent. */
  async close(): Promise<void> {
    if (this.#machine.is('closed')) return;
    if (this.#machine.is('online', 'reconnecting')) await this.disconnect().catch(() => undefined);
    this.#machine.move('closed');
    await this.#stopReconnecting();
    if (this.#session !== undefined) this.#end(this.#session);
    this.#calls.close();
  }

  #newCalls(): RegistryCalls {
    const { target, channelOptions, tls, registryCertificate, server, callTimeoutMs, backoff } = this.#options;
    return new RegistryCalls({ target, channelOptions, tls, registryCertificate, server, callTimeoutMs, backoff, logger: this.#logger });
  }

  /**
   * A new channel: the old one may carry the backoff of a registry that went away. Calls in
   * flight on the old one finish there (it closes after them).
   */
  #startOver(): void {
    this.#calls.retire();
    this.#calls = this.#newCalls();
  }

  #assertNotClosed(): void {
    if (this.#machine.is('closed')) throw peerError(PeerErrorCode.NOT_RUNNING, { state: 'closed' });
  }

  /** A call with this session's token; a session the registry no longer knows starts recovery. */
  async #authorised<T>(invoke: (session: ActiveSession) => Promise<T>): Promise<T> {
    this.#assertNotClosed();
    if (this.#machine.is('reconnecting')) {
      const resuming = this.#resuming;
      if (resuming === undefined) throw peerError(PeerErrorCode.REGISTRY_UNREACHABLE, { server: this.#options.server });
      try {
        return await invoke(resuming);
      } catch (error) {
        if (error instanceof KompartError && (error.reason === Reason.SESSION_INVALID || error.reason === Reason.PEER_NOT_REGISTERED))
          this.#resuming = undefined;
        throw error;
      }
    }
    const session = this.#session;
    if (!this.#machine.is('online') || session === undefined) throw new KompartError(Reason.PEER_NOT_REGISTERED, { peer: this.#options.self() });
    try {
      return await invoke(session);
    } catch (error) {
      if (error instanceof KompartError && (error.reason === Reason.SESSION_INVALID || error.reason === Reason.PEER_NOT_REGISTERED)) {
        this.#lost(session, 'session-invalid', error.message);
      }
      throw error;
    }
  }

  /** Sends download reports on the current session's Heartbeat stream; dropped while there is none. */
  reportTransfers(transfers: TransferReport[]): void {
    if (this.#machine.is('online')) this.#session?.heartbeat?.report(transfers);
  }

  /** Takes a RegisterPeer answer as the session: online, heartbeat open. */
  #adopt(response: RegisterPeerResponse): ActiveSession {
    const info: SessionInfo = {
      peer: response.peer,
      heartbeatIntervalMs: response.heartbeatIntervalMs,
      heartbeatMisses: response.heartbeatMisses,
      registryInstance: response.registryInstance,
      ticketPublicKey: readTicketKey(response.ticketPublicKey),
    };
    const session: ActiveSession = { info, token: response.sessionToken, heartbeat: undefined };
    this.#session = session;
    this.#machine.move('online');
    session.heartbeat = this.#openHeartbeat(session);
    return session;
  }

  /** A heartbeat stream for `session`; its losses count only while `session` is the current one. */
  #openHeartbeat(session: ActiveSession): HeartbeatStream {
    const { info } = session;
    this.#streamAttempts += 1;
    return new HeartbeatStream({
      calls: this.#calls,
      token: session.token,
      attempt: this.#streamAttempts,
      intervalMs: this.#intervalOf(info),
      registryInstance: info.registryInstance,
      clock: this.#clock,
      events: this.#options.events,
      logger: this.#logger,
      onLost: (reason, detail) => this.#lost(session, reason, detail),
    });
  }

  #intervalOf(info: SessionInfo): number {
    return this.#options.heartbeatIntervalMs ?? (info.heartbeatIntervalMs > 0 ? info.heartbeatIntervalMs : 5000);
  }

  /**
   * Tries to carry a lost session on with its token: opens a heartbeat stream (on whichever
   * replica the channel picks) and waits for its first ack. `resumed` when the registry still
   * has the session; `gone` when it answers that no such session exists; throws when the
   * registry cannot be reached.
   */
  async #resume(old: ActiveSession, signal: AbortSignal): Promise<'resumed' | 'gone'> {
    const session: ActiveSession = { info: old.info, token: old.token, heartbeat: undefined };
    const heartbeat = this.#openHeartbeat(session);
    session.heartbeat = heartbeat;
    let timer: TimerHandle | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = this.#clock.setTimeout(
        () => reject(peerError(PeerErrorCode.REGISTRY_UNREACHABLE, { server: this.#options.server })),
        this.#options.callTimeoutMs,
      );
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an aborted wait rejects with the signal's reason as given (what fetch does), whatever the caller aborted with
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([heartbeat.established, timeout]);
    } catch (error) {
      heartbeat.stop();
      if (error instanceof KompartError && (error.reason === Reason.SESSION_INVALID || error.reason === Reason.PEER_NOT_REGISTERED)) return 'gone';
      throw error;
    } finally {
      this.#clock.clearTimeout(timer);
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) {
      heartbeat.stop();
      return 'gone';
    }
    this.#session = session;
    this.#resuming = undefined;
    this.#reconnect = undefined;
    this.#machine.move('online');
    return 'resumed';
  }

  /** Stops a session's heartbeat and forgets it. */
  #end(session: ActiveSession): void {
    session.heartbeat?.stop();
    if (this.#session === session) this.#session = undefined;
  }

  /** Drops the current session (once) and starts the reconnect loop. */
  #lost(session: ActiveSession, reason: ConnectionLostReason, detail?: string): void {
    if (this.#session !== session || !this.#machine.is('online')) return;
    this.#logger.warn({ reason, detail }, 'registry session lost');
    this.#end(session);
    this.#machine.move('reconnecting');
    this.#resuming = RESUMABLE.has(reason) ? session : undefined;
    this.#options.events.emit(detail === undefined ? { type: 'connection-lost', reason } : { type: 'connection-lost', reason, detail });
    const controller = new AbortController();
    this.#reconnect = controller;
    this.#reconnectLoop = this.#recover(controller.signal, { session, reason }).catch((error: unknown) => {
      this.#logger.error({ error: String(error) }, 'reconnect loop failed');
    });
  }

  async #stopReconnecting(): Promise<void> {
    this.#reconnect?.abort();
    this.#reconnect = undefined;
    await this.#reconnectLoop;
  }

  /**
   * The reconnect loop: pause (the one backoff), then resume the session where it may still
   * be alive (the stream broke or ended, the replica shut down or stopped answering:
   * another replica, or the same one back, may still have it), else register again and
   * restore the files; until it works or is stopped. A session is given up only when a
   * registry says it is gone: the peer cannot tell how long the registry was away, and the
   * registry does not count such time against a session (see the presence rule in the
   * README). While resuming, the pauses are at most one heartbeat interval: the peer comes
   * back at the pace it beats, within its session's grace, however long the outage lasted.
   */
  async #recover(signal: AbortSignal, loss: Loss): Promise<void> {
    const old = loss.session;
    const { info } = old;
    let mayResume = RESUMABLE.has(loss.reason);
    const resumeBackoff = { ...this.#options.backoff, maxMs: Math.min(this.#options.backoff.maxMs, this.#intervalOf(info)) };
    // A resume is tried at once (another replica is most likely up); pauses follow the backoff.
    const pauses = mayResume ? 1 : 0;
    for (let attempt = 1; !signal.aborted; attempt++) {
      const backoff = mayResume ? resumeBackoff : this.#options.backoff;
      const delayMs = attempt <= pauses ? 0 : backoffDelay(backoff, attempt - pauses, this.#options.random);
      this.#options.events.emit({ type: 'reconnecting', attempt, delayMs });
      try {
        if (delayMs > 0) await this.#clock.sleep(delayMs, signal);
      } catch {
        return;
      }
      this.#startOver();
      if (mayResume) {
        try {
          if ((await this.#resume(old, signal)) === 'resumed') {
            this.#options.events.emit({ type: 'resumed', peer: info.peer, attempt });
            return;
          }
          mayResume = false; // the registry no longer has it: register again, now
          this.#resuming = undefined;
        } catch (error) {
          if (signal.aborted) return;
          this.#options.events.emit({ type: 'reconnect-failed', attempt, detail: error instanceof Error ? error.message : String(error) });
          continue;
        }
        if (signal.aborted) return;
      }
      let response: RegisterPeerResponse;
      try {
        response = await this.#calls.registerPeer(this.#options.self(), this.#options.certificate?.());
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof KompartError && error.reason === Reason.PEER_ALREADY_REGISTERED) {
          // The registry still holds our previous session (it has not noticed the loss): end it.
          await this.#calls.disconnect(old.token, old.info.peer).catch(() => undefined);
        }
        this.#options.events.emit({ type: 'reconnect-failed', attempt, detail: error instanceof Error ? error.message : String(error) });
        continue;
      }
      this.#resuming = undefined;
      if (signal.aborted) {
        // disconnect() or close() ran meanwhile: give the new session back.
        await this.#calls.disconnect(response.sessionToken, response.peer).catch(() => undefined);
        return;
      }
      this.#reconnect = undefined;
      const session = this.#adopt(response);
      const { files, failedFiles } = await this.#restoreFiles(session);
      if (this.#session !== session) return;
      this.#options.events.emit({ type: 'reconnected', peer: session.info.peer, attempt, files, failedFiles, registryInstance: session.info.registryInstance });
      return;
    }
  }

  /** Registers every file again, many calls in flight (a large library is not one round trip per file). */
  async #restoreFiles(session: ActiveSession): Promise<{ files: number; failedFiles: number }> {
    let files = 0;
    let failedFiles = 0;
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
          if (error instanceof KompartError && error.reason === Reason.FILE_ALREADY_REGISTERED) {
            files += 1;
          } else {
            failedFiles += 1;
            this.#logger.warn({ path: file.path, error: String(error) }, 'file not registered again');
          }
        }
      });
    }
    await pool.drain();
    return { files, failedFiles };
  }
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

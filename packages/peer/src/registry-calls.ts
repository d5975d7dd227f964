import { connectivityState, type ChannelOptions } from '@grpc/grpc-js';
import { KompartError, type BackoffOptions, type Logger } from '@kompart/core';
import {
  CallMetadata,
  ClientError,
  Status,
  bearer,
  createServiceClient,
  openChannel,
  type Channel,
  type KompartClient,
  type ServerCertificateCheck,
  type TlsMaterial,
} from '@kompart/grpc';
import {
  AUTHORIZATION_METADATA_KEY,
  EVENT_BATCHES_METADATA_KEY,
  STREAM_ATTEMPT_METADATA_KEY,
  MAX_MESSAGE_BYTES,
  RegistryDefinition,
  type DisconnectResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type ListFilesRequest,
  type ListFilesResponse,
  type LocateFileRequest,
  type LocateFileResponse,
  type LocateHoldersRequest,
  type LocateHoldersResponse,
  type RegisterFileRequest,
  type RegisterPeerResponse,
  type SharedFile,
  type UnregisterFileRequest,
} from '@kompart/protocol';
import { PeerErrorCode, peerError } from './peer-error.js';

export interface RegistryCallsOptions {
  /** Registry address to dial: `host:port`, or a grpc-js target of several replicas. */
  readonly target: string;
  /** Channel options of that target (round_robin over several replicas). */
  readonly channelOptions?: ChannelOptions | undefined;
  /** TLS material; plaintext when undefined. */
  readonly tls?: TlsMaterial | undefined;
  /**
   * TLS to a registry with a self-signed certificate, accepted when this check says so
   * (registryCertificateCheck: pinned or trusted on first use); replaces `tls`.
   */
  readonly registryCertificate?: ServerCertificateCheck | undefined;
  /** Registry address for messages (`Servidor 127.0.0.1 inacessível`). */
  readonly server: string;
  /** Deadline of every unary call, ms. */
  readonly callTimeoutMs: number;
  /** The reconnect backoff; the channel's own connection backoff follows it. */
  readonly backoff: BackoffOptions;
  readonly logger: Logger;
}

/**
 * The peer's calls to the registry, one method per RPC, each with its deadline and the
 * session token in metadata. One error mapper: what the registry answered comes as its
 * KompartError; anything else (no connection, deadline, a foreign server) becomes
 * REGISTRY_UNREACHABLE with the registry's address. Each `RegistryCalls` owns one channel;
 * a new one is made to start over (see RegistrySession).
 */
export class RegistryCalls {
  readonly #options: RegistryCallsOptions;
  readonly #channel: Channel;
  readonly #client: KompartClient<typeof RegistryDefinition>;

  constructor(options: RegistryCallsOptions) {
    this.#options = options;
    const check = options.registryCertificate;
    const security =
      check === undefined
        ? options.tls
        : (server: string, fingerprint: Buffer): Error | undefined => {
            const refusal = check(server, fingerprint);
            this.#refusal = refusal;
            return refusal;
          };
    this.#channel = openChannel(options.target, security, {
      ...options.channelOptions,
      // A channel of our own: grpc-js otherwise shares subchannels per target across
      // clients, and a fresh client would inherit the backoff of a registry that died.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.initial_reconnect_backoff_ms': Math.max(100, options.backoff.initialMs),
      'grpc.max_reconnect_backoff_ms': Math.max(100, options.backoff.maxMs),
    });
    this.#client = createServiceClient(RegistryDefinition, this.#channel, { deadlineMs: options.callTimeoutMs });
  }

  /** Opens a session for `address`, whose FileService presents the certificate with SHA-256 `certificateSha256` (none: empty). */
  registerPeer(address: string, certificateSha256: Uint8Array = Buffer.alloc(0)): Promise<RegisterPeerResponse> {
    return this.#call(() => this.#client.registerPeer({ address, certificateSha256: Buffer.from(certificateSha256) }));
  }

  async registerFile(token: string, request: RegisterFileRequest): Promise<SharedFile> {
    const response = await this.#call(() => this.#client.registerFile(request, { metadata: authorised(token) }));
    if (response.file === undefined) throw this.#unreachable(new Error('RegisterFile answered without a file'));
    return response.file;
  }

  async unregisterFile(token: string, request: UnregisterFileRequest): Promise<SharedFile> {
    const response = await this.#call(() => this.#client.unregisterFile(request, { metadata: authorised(token) }));
    if (response.file === undefined) throw this.#unreachable(new Error('UnregisterFile answered without a file'));
    return response.file;
  }

  listPage(token: string, request: ListFilesRequest): Promise<ListFilesResponse> {
    return this.#call(() => this.#client.listFiles(request, { metadata: authorised(token) }));
  }

  locate(token: string, request: LocateFileRequest): Promise<LocateFileResponse> {
    return this.#call(() => this.#client.locateFile(request, { metadata: authorised(token) }));
  }

  locateHolders(token: string, request: LocateHoldersRequest): Promise<LocateHoldersResponse> {
    return this.#call(() => this.#client.locateHolders(request, { metadata: authorised(token) }));
  }

  disconnect(token: string, peer: string): Promise<DisconnectResponse> {
    return this.#call(() => this.#client.disconnect({ peer }, { metadata: authorised(token) }));
  }

  /**
   * Opens the Heartbeat stream: `beats` go up, the registry's messages come back; ends with
   * `signal`. `attempt` counts the streams opened for the session, 1 for the first. The
   * stream takes several events in one message (HeartbeatResponse.events).
   */
  heartbeat(token: string, attempt: number, beats: AsyncIterable<HeartbeatRequest>, signal: AbortSignal): AsyncIterable<HeartbeatResponse> {
    const metadata = authorised(token).set(STREAM_ATTEMPT_METADATA_KEY, String(attempt)).set(EVENT_BATCHES_METADATA_KEY, '1');
    return this.#client.heartbeat(beats, { metadata, signal });
  }

  /** True while the channel is in TRANSIENT_FAILURE or shut down: a call would fail at once. */
  get failed(): boolean {
    const state = this.#channel.getConnectivityState(false);
    return state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN;
  }

  /** Closes the channel now: calls still in flight fail, hedges of reads included. */
  close(): void {
    this.#channel.close();
  }

  /**
   * Closes the channel once the unary calls in flight on it have settled (at the latest at
   * their deadline): a read hedged to another replica a second after it started must still
   * find the channel open. Heartbeat streams are ended by their own signal.
   */
  retire(): void {
    this.#retired = true;
    if (this.#inFlight === 0) this.close();
  }

  #inFlight = 0;
  #retired = false;
  /** Why the last connection was refused by registryCertificate (cleared by the next one accepted). */
  #refusal: Error | undefined;

  async #call<T>(invoke: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await invoke();
    } catch (error) {
      throw this.mapError(error);
    } finally {
      this.#inFlight--;
      if (this.#retired && this.#inFlight === 0) this.close();
    }
  }

  /** The error a failed call or stream surfaces as (see the class comment). */
  mapError(error: unknown): Error {
    if (error instanceof KompartError) return error;
    // A registry whose certificate was refused is not "unreachable": say what was wrong.
    if (this.#refusal instanceof KompartError && error instanceof ClientError && error.code === Status.UNAVAILABLE) return this.#refusal;
    return this.#unreachable(error);
  }

  #unreachable(error: unknown): KompartError<PeerErrorCode> {
    const detail = error instanceof ClientError ? `${Status[error.code]}: ${error.details}` : String(error);
    this.#options.logger.debug({ detail }, 'registry call failed');
    return peerError(PeerErrorCode.REGISTRY_UNREACHABLE, { server: this.#options.server }, { cause: error });
  }
}

/** Call metadata with the session token. */
function authorised(token: string): CallMetadata {
  return CallMetadata({ [AUTHORIZATION_METADATA_KEY]: bearer(token) });
}

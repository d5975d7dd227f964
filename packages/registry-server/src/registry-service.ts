import { createPublicKey, type KeyObject } from 'node:crypto';
import type { ServerDuplexStream, ServerUnaryCall } from '@grpc/grpc-js';
import { KompartError, systemClock, type Clock, type Lang, type Logger } from '@kompart/core';
import { createServerBoundary, isMalformed, readEventBatches, readStreamAttempt, readToken, type ServiceHandlers } from '@kompart/grpc';
import {
  EventType,
  Reason,
  type DisconnectRequest,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type ListFilesRequest,
  type LocateFileRequest,
  type LocateHoldersRequest,
  type RegisterFileRequest,
  type RegisterPeerRequest,
  type UnregisterFileRequest,
  type RegistryDefinition,
  type RegistryEvent,
  type SharedFile,
} from '@kompart/protocol';
import type { DirectoryEvent, PeerDirectory } from './peer-directory.js';
import type { FileRecord, ListedFile, PeerRecord } from './store.js';
import type { RateLimiter } from './rate-limiter.js';
import { withEncodedFiles } from './list-files-encoding.js';
import { FanOut } from './fan-out.js';
import { ListingCache } from './listing-cache.js';
import { checkSourceAddress, sourceIp } from './source-address.js';
import { TicketIssuer } from './ticket-issuer.js';
import { checkedTransfers, type Transfer } from './transfer-reports.js';
import * as validate from './validation.js';

export interface RegistryServiceOptions {
  readonly directory: PeerDirectory;
  readonly lang: Lang;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMisses: number;
  /** Random id of this registry process (see RegisterPeerResponse.registry_instance). */
  readonly instance: string;
  /** Per-session request rate limit (RESOURCE_EXHAUSTED beyond it). */
  readonly limiter: RateLimiter;
  /** Whether RegisterPeer must come from the registered address (see source-address.ts). */
  readonly checkPeerAddress: boolean;
  /**
   * The Ed25519 private key that signs download tickets, and their lifetime (a ticket may be
   * handed out again during the first half of it, see TicketIssuer).
   */
  readonly ticketKey: KeyObject;
  readonly ticketTtlMs: number;
  /** Longest registered path, UTF-8 bytes. */
  readonly maxPathBytes: number;
  /** Time of events, acks and tickets (default: the system clock). */
  readonly clock?: Clock;
  /** Told what the service does that the metrics and the web view show (see ServiceObserver). */
  readonly observer?: ServiceObserver;
}

/**
 * What the service tells its observers (the metrics, the web view) as it happens, on this
 * replica: each method is optional and called synchronously; none may throw.
 */
export interface ServiceObserver {
  /** A beat of `peer` arrived on this replica, at `at` (ms since the epoch). */
  beat?(peer: string, at: number): void;
  /** The downloads a peer reported on its Heartbeat stream, checked (see TransferReport). */
  transfers?(transfers: readonly Transfer[]): void;
  /** `messages` events were pushed on this replica's Heartbeat streams (one per event and stream, batched or not). */
  fannedOut?(messages: number): void;
  /** LocateFile handed out a download ticket. */
  ticketIssued?(): void;
  /** A call to `method` was refused with `reason` (the ErrorInfo reason: a limit, a bad request, …). */
  refused?(method: string, reason: string): void;
}

type HeartbeatCall = ServerDuplexStream<HeartbeatRequest, HeartbeatResponse>;

/**
 * Events in one HeartbeatResponse.events message at most: about 30 KB with IPv4 addresses,
 * 0.5 MB with the longest ones, under any client's message limit whatever piles up (100,000
 * peers leaving at once).
 */
const MAX_EVENTS_PER_MESSAGE = 1000;

/** A Heartbeat stream open on this replica. */
interface OpenStream {
  readonly session: PeerRecord;
  readonly call: HeartbeatCall;
  /** Opened with `kompart-event-batches: 1`: takes several events in one message. */
  readonly batches: boolean;
}

/** An event as every stream gets it: the message object too, so that it is encoded once (see encodeHeartbeatResponse). */
interface Outgoing {
  readonly event: RegistryEvent;
  readonly message: HeartbeatResponse;
}

/** The Registry service: validates, calls the directory, maps results and errors. */
export interface RegistryService {
  readonly implementation: ServiceHandlers<typeof RegistryDefinition>;
  /** Pushes REGISTRY_SHUTTING_DOWN on every stream and ends them; later calls get UNAVAILABLE. */
  shutdown(): number;
  /**
   * Goes away as a crashed process would (RunningRegistry.kill): tells nobody, and the
   * streams that close from now on leave their sessions in the store, to be resumed on
   * another replica or to expire.
   */
  abandon(): void;
  /**
   * The store is reachable again: beats of this replica's streams that were lost meanwhile
   * are made up for at once, one for every open stream.
   */
  storeBack(): void;
  /** Heartbeat streams open on this replica. */
  readonly streamsOpen: number;
  /** Of them, those opened with `kompart-event-batches: 1`. */
  readonly streamsBatching: number;
}

export function createRegistryService(options: RegistryServiceOptions): RegistryService {
  const { directory, lang, logger, instance } = options;
  const observer = options.observer ?? {};
  const clock = options.clock ?? systemClock;
  const ticketPublicKey = createPublicKey(options.ticketKey).export({ format: 'der', type: 'spki' });
  const tickets = new TicketIssuer(options.ticketKey, options.ticketTtlMs, instance, clock);
  const streams = new Map<string, OpenStream>();
  const listing = new ListingCache();
  let closing = false;
  /**
   * Heartbeat streams opened so far: with this replica's own id (the store's origin; not
   * `instance`, which every replica of a cluster shares), each stream's id in the store.
   */
  let streamCount = 0;
  const boundary = createServerBoundary({
    lang,
    logger,
    refuse: () => (closing ? new KompartError(Reason.SHUTTING_DOWN) : undefined),
    refused: (method, reason) => observer.refused?.(method, reason),
  });
  const { unary, fail } = boundary;

  const session = async (peer: string, call: ServerUnaryCall<unknown, unknown>, anonymous = false): Promise<PeerRecord> => {
    const record = await directory.authenticate(validate.peerAddress('peer', peer), readToken(call.metadata), { anonymous });
    if (!options.limiter.take(record.token)) {
      throw new KompartError(Reason.LIMIT_EXCEEDED, { peer: record.id, limit: 'requests per second' });
    }
    return record;
  };

  const send = (call: HeartbeatCall, message: HeartbeatResponse): void => {
    if (!call.cancelled && !call.writableEnded) call.write(message);
  };

  /**
   * What waited for a stream: in `events` messages of at most MAX_EVENTS_PER_MESSAGE to a
   * stream that takes them (a lone event still as an `event`), else one message each.
   */
  const sendWaiting = (stream: OpenStream, waiting: readonly Outgoing[]): void => {
    if (!stream.batches) {
      for (const out of waiting) send(stream.call, out.message);
      return;
    }
    for (let from = 0; from < waiting.length; from += MAX_EVENTS_PER_MESSAGE) {
      const part = waiting.slice(from, from + MAX_EVENTS_PER_MESSAGE);
      if (part.length === 1) send(stream.call, part[0]!.message);
      else send(stream.call, { kind: { $case: 'events', value: { events: part.map((out) => out.event) } } });
    }
  };
  const fanOut = new FanOut<OpenStream, Outgoing>(
    sendWaiting,
    (messages) => observer.fannedOut?.(messages),
    undefined,
    (stream) => (stream.batches ? MAX_EVENTS_PER_MESSAGE : 1),
  );
  /** To every stream open now but `except`'s, a slice at a time (see FanOut). */
  const broadcast = (event: RegistryEvent, except?: string): void => {
    const targets: OpenStream[] = [];
    for (const [peer, stream] of streams) if (peer !== except) targets.push(stream);
    fanOut.broadcast(targets, { event, message: { kind: { $case: 'event', value: event } } });
  };

  /** Ends this replica's stream of a session that is gone (disconnect, closed stream, expiry). */
  const endStream = (peer: string, token: string): void => {
    const stream = streams.get(peer);
    if (stream === undefined || stream.session.token !== token) return;
    streams.delete(peer);
    if (!stream.call.writableEnded) stream.call.end();
  };

  directory.on('event', (event: DirectoryEvent) => {
    const timeMs = event.at;
    switch (event.type) {
      case 'peer-joined':
        broadcast({ type: EventType.EVENT_TYPE_PEER_JOINED, peer: event.peer, timeMs, fileCount: 0 }, event.peer);
        break;
      case 'peer-left':
        options.limiter.forget(event.token);
        listing.forgetPeer(event.peer);
        endStream(event.peer, event.token);
        broadcast({ type: EventType.EVENT_TYPE_PEER_LEFT, peer: event.peer, timeMs, fileCount: 0 }, event.peer);
        break;
      case 'peer-expired':
        options.limiter.forget(event.token);
        listing.forgetPeer(event.peer);
        endStream(event.peer, event.token);
        broadcast({ type: EventType.EVENT_TYPE_PEER_EXPIRED, peer: event.peer, timeMs, fileCount: 0 }, event.peer);
        break;
      case 'file-unregistered':
        listing.forgetFile(event.file.seq);
        break;
      case 'file-registered':
        break;
    }
  });

  const implementation: ServiceHandlers<typeof RegistryDefinition> = {
    registerPeer: unary('RegisterPeer', async (request: RegisterPeerRequest, call) => {
      // Counted first, before any work: a flood of bad requests is a flood too.
      const source = sourceIp(call.getPeer());
      await directory.admitRegistration(source);
      const address = validate.peerEndpoint('address', request.address);
      const certificate = validate.certificateSha256(request.certificateSha256);
      if (options.checkPeerAddress) await checkSourceAddress(address, call.getPeer());
      const record = await directory.registerPeer(address, certificate, source);
      return {
        peer: record.id,
        sessionToken: record.token,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        heartbeatMisses: options.heartbeatMisses,
        registryInstance: instance,
        ticketPublicKey,
      };
    }),

    registerFile: unary('RegisterFile', async (request: RegisterFileRequest, call) => {
      const owner = await session(request.peer, call);
      const file = await directory.registerFile(owner, {
        path: validate.registeredPath(request.path, options.maxPathBytes),
        sha256: validate.sha256(request.sha256),
        size: validate.fileSize(request.size),
        ...validate.pieceFields(request.pieceSize ?? 0, request.piecesRoot ?? new Uint8Array()),
      });
      return { file: toSharedFile(file) };
    }),

    unregisterFile: unary('UnregisterFile', async (request: UnregisterFileRequest, call) => {
      const owner = await session(request.peer, call);
      const file = await directory.unregisterFile(owner, validate.registeredPath(request.path, options.maxPathBytes));
      return { file: toSharedFile(file) };
    }),

    listFiles: unary('ListFiles', async (request: ListFilesRequest, call) => {
      await session(request.peer, call);
      const limit = validate.pageSize(request.pageSize);
      const filter = {
        nameContains: validate.nameFilter(request.nameContains),
        sha256Prefix: validate.hashPrefixFilter(request.sha256Prefix),
        holder: request.holder === '' ? '' : validate.peerAddress('holder', request.holder),
      };
      const page = await directory.list(validate.decodePageToken(request.pageToken), limit, filter);
      // The stored records themselves, not copies: a record has every SharedFile field
      // (and the encoders read nothing else), and the page is only encoded, never kept.
      // The entries' bytes come from this replica's listing cache.
      return withEncodedFiles(
        { files: page.files as ListedFile[], nextPageToken: page.next === undefined ? '' : validate.encodePageToken(page.next) },
        listing.views(page.files),
      );
    }),

    locateFile: unary('LocateFile', async (request: LocateFileRequest, call) => {
      const requester = await session(request.peer, call);
      const holder = validate.peerAddress('holder', request.holder);
      const { file, holder: online } = await directory.locate(holder, validate.fileReference(request.file));
      const ticket = tickets.issue(requester.id, file, requester.certificate);
      observer.ticketIssued?.();
      return { file: toSharedFile(file), address: online.target, ticket, holderCertificateSha256: Buffer.from(online.certificate ?? '', 'hex') };
    }),

    locateHolders: unary('LocateHolders', async (request: LocateHoldersRequest, call) => {
      const requester = await session(request.peer, call);
      const found = await directory.locateHolders(requester.id, validate.holdersReference(request.sha256), validate.maxHolders(request.maxHolders));
      return {
        holders: found.map(({ file, holder }) => ({
          file: toSharedFile(file),
          address: holder.target,
          ticket: tickets.issue(requester.id, file, requester.certificate),
          pieceSize: file.pieceSize ?? 0,
          piecesRoot: file.piecesRoot === undefined ? Buffer.alloc(0) : Buffer.from(file.piecesRoot, 'hex'),
          holderCertificateSha256: Buffer.from(holder.certificate ?? '', 'hex'),
        })),
      };
    }),

    disconnect: unary('Disconnect', async (request: DisconnectRequest, call) => {
      const owner = await session(request.peer, call, true);
      return { removedFiles: await directory.disconnect(owner) };
    }),

    heartbeat: (call: HeartbeatCall) => {
      void openHeartbeat(call).catch((error: unknown) => {
        if (!call.cancelled && !call.writableEnded) call.emit('error', fail('Heartbeat', error));
      });
    },
  };

  /**
   * A Heartbeat stream: the session is found by its token on any replica (so a peer whose
   * replica went away opens its stream again on another one and carries on), every beat
   * moves its deadline and is answered, and the stream ends when the session does. A
   * stream that the peer ends or breaks ends the session at once (offline), unless the
   * peer has opened another one since, here or on another replica (a replica cut off from
   * the network hears of the old stream's end only when it is plugged back); one that this
   * replica ends because it shuts down does not (the peer resumes elsewhere, or expires).
   * An open that arrives after a newer stream of the session (a lower attempt: the network
   * delivered it late) is refused and ends nothing.
   */
  async function openHeartbeat(call: HeartbeatCall): Promise<void> {
    const token = readToken(call.metadata);
    const stream = `${directory.store.origin}/${++streamCount}`;
    const owner = closing || token === undefined ? undefined : await directory.claimSession(token, stream, readStreamAttempt(call.metadata));
    if (call.cancelled) return;
    if (closing || owner === undefined) {
      call.emit('error', fail('Heartbeat', new KompartError(closing ? Reason.SHUTTING_DOWN : Reason.SESSION_INVALID)));
      return;
    }
    const previous = streams.get(owner.id);
    streams.set(owner.id, { session: owner, call, batches: readEventBatches(call.metadata) });
    if (previous !== undefined && !previous.call.writableEnded) previous.call.end();
    directory.beat(owner);

    let closed = false;
    const onClosed = (): void => {
      if (closed) return;
      closed = true;
      if (streams.get(owner.id)?.call !== call) return;
      streams.delete(owner.id);
      if (!call.writableEnded) call.end();
      if (!closing)
        void directory.streamClosed(owner, stream).catch((error: unknown) => logger.warn({ err: error, peer: owner.id }, 'closed stream not recorded'));
    };
    call.on('data', (beat: HeartbeatRequest) => {
      if (closed || isMalformed(beat)) return;
      if (beat.transfers.length > 0 && observer.transfers !== undefined) {
        const transfers = checkedTransfers(owner.id, beat.transfers);
        if (transfers.length > 0) observer.transfers(transfers);
      }
      // Sequence 0 with transfers: a report only, not a beat (see HeartbeatRequest).
      if (beat.sequence === 0 && beat.transfers.length > 0) return;
      directory.beat(owner);
      const now = clock.now();
      observer.beat?.(owner.id, now);
      send(call, { kind: { $case: 'ack', value: { sequence: beat.sequence, serverTimeMs: now, registryInstance: instance } } });
    });
    call.on('end', onClosed);
    call.on('cancelled', onClosed);
    call.on('error', onClosed);
    call.on('close', onClosed);
  }

  return {
    implementation,
    get streamsOpen() {
      return streams.size;
    },
    get streamsBatching() {
      let batching = 0;
      for (const stream of streams.values()) if (stream.batches) batching++;
      return batching;
    },
    storeBack() {
      for (const { session } of streams.values()) directory.beat(session);
    },
    abandon() {
      closing = true;
      streams.clear();
    },
    shutdown() {
      closing = true;
      const open = [...streams.values()];
      streams.clear();
      const event: RegistryEvent = { type: EventType.EVENT_TYPE_REGISTRY_SHUTTING_DOWN, peer: '', timeMs: clock.now(), fileCount: 0 };
      for (const { call } of open) {
        send(call, { kind: { $case: 'event', value: event } });
        if (!call.writableEnded) call.end();
      }
      return open.length;
    },
  };
}

function toSharedFile(file: FileRecord): SharedFile {
  return { peer: file.peer, path: file.path, name: file.name, sha256: file.sha256, size: file.size };
}

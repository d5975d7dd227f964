import { generateKeyPairSync } from 'node:crypto';
import { Server, ServerCredentials, status, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  DEFAULT_PEER_PORT,
  EventType,
  MAX_MESSAGE_BYTES,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type ListFilesRequest,
  type ListFilesResponse,
  type LocateFileRequest,
  type LocateFileResponse,
  type RegisterFileRequest,
  type RegisterFileResponse,
  type RegisterPeerRequest,
  type RegisterPeerResponse,
  SharedFile,
  type RegistryDefinition,
} from '@kompart/protocol';
import { RegistryService } from '@kompart/grpc/testing';
import { issueTicket, parseEndpoint } from '@kompart/core';
import { readToken, type ServiceHandlers } from '@kompart/grpc';
import { exitHandler, serve } from '../lib/ipc.js';
import { fileHash, fileName, filePath, fileSize, peerAddress } from '../lib/fixtures.js';
import { probeHandlers, usage } from '../lib/probe.js';
import type { PopulateArgs, Population } from './kompart-registry-child.js';

/**
 * The baseline: a bare grpc-js server with the same generated service definition, the same
 * message-size and keepalive options and the same messages as the kompart registry, whose
 * handlers do the least that answers each call (no validation, no sessions, no indexes).
 * What kompart costs on top of it is its own work; what both cost is gRPC's. It keeps
 * grpc-js's defaults otherwise, as the kompart registry does, but answers with the
 * generated encoders (the kompart registry has hand-written ones for its frequent
 * responses).
 */

const SERVER_OPTIONS = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
};

let server: Server | undefined;
let listing: SharedFile[] = [];
let heartbeatIntervalMs = 5000;
const streams = new Map<string, ServerDuplexStream<HeartbeatRequest, HeartbeatResponse>>();
const LOCATED_HASH = fileHash(0, 0);

/**
 * What the registry's LocateFile and RegisterPeer carry besides the file: a download ticket
 * (signed claims) and the key to check it. The bare server sends one ticket made at start
 * (same size as the registry's), so its messages weigh the same without the signing.
 */
const TICKET_KEYS = generateKeyPairSync('ed25519');
const TICKET_PUBLIC_KEY = TICKET_KEYS.publicKey.export({ format: 'der', type: 'spki' });
const TICKET = issueTicket(TICKET_KEYS.privateKey, {
  holder: peerAddress(0),
  requester: peerAddress(1),
  sha256: LOCATED_HASH,
  path: filePath(0, 0),
  expiresMs: Date.now() + 60_000,
  registryInstance: '0123456789abcdef',
  requesterCertificateSha256: Buffer.alloc(0),
});

const unimplemented = (_call: unknown, callback: sendUnaryData<never>): void => callback({ code: status.UNIMPLEMENTED, details: 'bare' });

/** Only what the benchmarks call: UnregisterFile and LocateHolders are left out, and grpc-js answers UNIMPLEMENTED for them. */
const implementation: Omit<ServiceHandlers<typeof RegistryDefinition>, 'unregisterFile' | 'locateHolders'> = {
  registerPeer(call: ServerUnaryCall<RegisterPeerRequest, RegisterPeerResponse>, callback) {
    const peer = call.request.address;
    callback(null, { peer, sessionToken: peer, heartbeatIntervalMs, heartbeatMisses: 2, registryInstance: 'bare', ticketPublicKey: TICKET_PUBLIC_KEY });
  },
  registerFile(call: ServerUnaryCall<RegisterFileRequest, RegisterFileResponse>, callback) {
    const { peer, path, sha256, size } = call.request;
    callback(null, { file: { peer, path, name: path.slice(path.lastIndexOf('/') + 1), sha256, size } });
  },
  listFiles(call: ServerUnaryCall<ListFilesRequest, ListFilesResponse>, callback) {
    const start = call.request.pageToken === '' ? 0 : Number(call.request.pageToken);
    const end = Math.min(listing.length, start + (call.request.pageSize || 1000));
    callback(null, { files: listing.slice(start, end), nextPageToken: end < listing.length ? String(end) : '' });
  },
  locateFile(call: ServerUnaryCall<LocateFileRequest, LocateFileResponse>, callback) {
    const { holder, file } = call.request;
    callback(null, {
      file: { peer: holder, path: `/srv/kompart/share/0/${file}`, name: file, sha256: LOCATED_HASH, size: 4096 },
      address: `${holder}:${DEFAULT_PEER_PORT}`,
      holderCertificateSha256: Buffer.alloc(0),
      ticket: TICKET,
    });
  },
  disconnect: unimplemented,
  heartbeat(call: ServerDuplexStream<HeartbeatRequest, HeartbeatResponse>) {
    const peer = readToken(call.metadata) ?? '';
    streams.set(peer, call);
    let closed = false;
    const onClosed = (): void => {
      if (closed) return;
      closed = true;
      if (streams.get(peer) === call) streams.delete(peer);
      const event: HeartbeatResponse = { kind: { $case: 'event', value: { type: EventType.EVENT_TYPE_PEER_LEFT, peer, timeMs: Date.now(), fileCount: 0 } } };
      for (const other of streams.values()) if (!other.cancelled && !other.writableEnded) other.write(event);
    };
    call.on('data', (beat: HeartbeatRequest) => {
      if (!call.cancelled && !call.writableEnded) {
        call.write({ kind: { $case: 'ack', value: { sequence: beat.sequence, serverTimeMs: Date.now(), registryInstance: 'bare' } } });
      }
    });
    call.on('end', onClosed);
    call.on('cancelled', onClosed);
    call.on('error', onClosed);
    call.on('close', onClosed);
  },
};

const handlers = {
  ...probeHandlers(),
  ...exitHandler(() => server?.forceShutdown()),

  start: async (args: { heartbeatIntervalMs: number; address?: string }) => {
    heartbeatIntervalMs = args.heartbeatIntervalMs;
    const bare = new Server(SERVER_OPTIONS);
    bare.addService(RegistryService, implementation);
    const port = await new Promise<number>((resolve, reject) =>
      bare.bindAsync(args.address ?? '127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    server = bare;
    return { target: `127.0.0.1:${port}`, pid: process.pid };
  },

  /** Builds the same million entries the kompart registry holds, as ready-made messages. */
  populate: (args: PopulateArgs): Population => {
    const started = performance.now();
    listing = [];
    const sessions: { peer: string; token: string }[] = [];
    for (let p = 0; p < args.peers; p++) {
      const peer = parseEndpoint(peerAddress(p, args.group), DEFAULT_PEER_PORT).id;
      sessions.push({ peer, token: peer });
      for (let f = 0; f < args.filesPerPeer; f++) {
        // Through the codec, so the strings are the flat decoded kind an RPC leaves; one
        // peer string shared by all of a peer's entries, as in the registry.
        const entry = SharedFile.decode(
          SharedFile.encode({ peer, path: filePath(p, f), name: fileName(f), sha256: fileHash(p, f), size: fileSize(p, f) }).finish(),
        );
        entry.peer = peer;
        listing.push(entry);
      }
    }
    const ms = performance.now() - started;
    (globalThis as { gc?: () => void }).gc?.();
    const memory = usage();
    return { ms, peers: args.peers, files: listing.length, sessions, rss: memory.rss, heapUsed: memory.heapUsed };
  },
};

export type BareRegistryOps = typeof handlers;

serve(handlers);

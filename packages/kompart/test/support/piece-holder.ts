/**
 * A holder written for the tests: registered at the registry like a peer, with one file
 * whose bytes it keeps in memory, and a FileService that serves GetPieces and byte ranges
 * the way a test asks: truthfully, with wrong bytes in some pieces (a hostile holder),
 * holding a range back until the test lets it go, or stopping after some bytes. It
 * registers the true piece list by default, or another piece size, or none (an older
 * client). Every range it was asked for is kept in `served`, in the order the requests
 * came, so a test can tell which pieces a downloader fetched again.
 */
import { createHash } from 'node:crypto';
import { credentials, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { DownloadRequest, DownloadResponse, GetPiecesRequest, GetPiecesResponse, RegisterPeerResponse } from '@kompart/protocol';
import { FileServiceService, RegistryClient } from '@kompart/grpc/testing';
import { ClientCertificates, createSelfSignedIdentity, startGrpcServer, tokenMetadata } from '@kompart/grpc';

const CHUNK = 64 * 1024;
const sha = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** The piece size kompart registers: the smallest power of two from 256 KiB to 4 MiB giving at most 1024 pieces. */
function kompartPieceSize(size: number): number {
  let pieceSize = 256 * 1024;
  while (pieceSize < 4 * 1024 * 1024 && Math.ceil(size / pieceSize) > 1024) pieceSize *= 2;
  return pieceSize;
}

/** The piece list of `data` (each piece's SHA-256, concatenated) and its root, written here from the proto's definition. */
function pieceList(data: Buffer, pieceSize: number): { hashes: Buffer; root: Buffer } {
  const hashes: Buffer[] = [];
  for (let at = 0; at < data.length; at += pieceSize) hashes.push(sha(data.subarray(at, Math.min(at + pieceSize, data.length))));
  const all = Buffer.concat(hashes);
  return { hashes: all, root: sha(all) };
}

export interface ServedRange {
  readonly offset: number;
  readonly length: number;
  /** Bytes of content written so far. */
  sent: number;
  /** Whether every byte of the range was written and the stream ended. */
  complete: boolean;
}

export interface PieceHolderBehaviour {
  /** Pieces (of the registered piece size) served with one byte flipped. */
  corrupt?: (piece: number) => boolean;
  /** Resolves when the range starting at `offset` may be sent; undefined: at once. */
  hold?: (offset: number) => Promise<void> | undefined;
  /** Bytes written per request before it sends nothing more (the stream stays open). */
  stallAfter?: number;
  /** Piece size to register (a valid power of two); 'none': no piece fields at all. */
  pieceSize?: number | 'none';
  /** GetPieces answers the list with one byte of its first hash flipped (the registered root stays true). */
  lieAboutPieces?: boolean;
}

export interface PieceHolder {
  /** The holder's identity (`host:port`). */
  readonly id: string;
  readonly pieceSize: number;
  /** Every Download request, in arrival order. */
  readonly served: ServedRange[];
  /** Changes what later requests get (a held or stalled holder starts serving fully). */
  behave(next: PieceHolderBehaviour): void;
  /** Resolves when a first request was sent in full. */
  readonly firstComplete: Promise<ServedRange>;
  /** Resolves when `count` requests have sent their `stallAfter` bytes. */
  stalledRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startPieceHolder(
  registryTarget: string,
  host: string,
  file: { readonly path: string; readonly data: Buffer },
  initial: PieceHolderBehaviour = {},
): Promise<PieceHolder> {
  let behaviour = initial;
  const { data } = file;
  const sha256 = createHash('sha256').update(data).digest('hex');
  const name = file.path.slice(file.path.lastIndexOf('/') + 1);
  const pieceSize = typeof initial.pieceSize === 'number' ? initial.pieceSize : kompartPieceSize(data.length);
  const list = { pieceSize, ...pieceList(data, pieceSize) };
  const served: ServedRange[] = [];
  let stalled = 0;
  const stallWaiters: { count: number; resolve: () => void }[] = [];
  const markStalled = (): void => {
    stalled++;
    for (const waiter of [...stallWaiters]) {
      if (stalled >= waiter.count) {
        stallWaiters.splice(stallWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  let markComplete: (range: ServedRange) => void = () => undefined;
  const firstComplete = new Promise<ServedRange>((resolve) => (markComplete = resolve));
  const open = new Set<ServerWritableStream<DownloadRequest, DownloadResponse>>();
  const implementation = {
    getPieces(_call: ServerUnaryCall<GetPiecesRequest, GetPiecesResponse>, callback: sendUnaryData<GetPiecesResponse>) {
      const hashes = Buffer.from(list.hashes);
      if (behaviour.lieAboutPieces === true) hashes[0] = hashes[0]! ^ 0xff;
      callback(null, { sha256, size: data.length, pieceSize: list.pieceSize, hashes });
    },
    download(call: ServerWritableStream<DownloadRequest, DownloadResponse>) {
      open.add(call);
      let gone = false;
      call.on('close', () => open.delete(call));
      call.on('cancelled', () => (gone = true));
      const offset = Number(call.request.offset);
      const length = Number(call.request.length ?? 0) || data.length - offset;
      const range: ServedRange = { offset, length, sent: 0, complete: false };
      served.push(range);
      const rules = behaviour;
      const write = (message: DownloadResponse): Promise<void> =>
        new Promise((resolve) => {
          if (call.write(message)) resolve();
          else call.once('drain', () => resolve());
        });
      void (async () => {
        await rules.hold?.(offset);
        if (gone) return;
        await write({ payload: { $case: 'header', value: { name, path: file.path, size: data.length, sha256, offset, length } } });
        for (let at = offset; at < offset + length && !gone; at += CHUNK) {
          if (rules.stallAfter !== undefined && range.sent >= rules.stallAfter) {
            markStalled();
            return; // stays open, sends nothing more
          }
          const chunk = Buffer.from(data.subarray(at, Math.min(at + CHUNK, offset + length)));
          if (rules.corrupt?.(Math.floor(at / pieceSize)) === true) chunk[0] = chunk[0]! ^ 0xff;
          await write({ payload: { $case: 'chunk', value: chunk } });
          range.sent += chunk.length;
        }
        if (gone) return;
        range.complete = true;
        call.end();
        markComplete(range);
      })();
    },
  };
  // TLS with a self-signed certificate, registered like a real peer's: downloaders reach
  // this holder the default way (pinned, encrypted).
  const identity = await createSelfSignedIdentity(host);
  const server = await startGrpcServer({
    address: `${host}:0`,
    services: [{ name: 'kompart.v1.FileService', definition: FileServiceService, implementation }],
    identity: { cert: identity.cert, key: identity.key, clients: new ClientCertificates() },
  });
  const id = server.target;
  const registry = new RegistryClient(registryTarget, credentials.createInsecure());
  const session = await new Promise<RegisterPeerResponse>((resolve, reject) =>
    registry.registerPeer({ address: id, certificateSha256: identity.fingerprint }, (error, response) => (error === null ? resolve(response) : reject(error))),
  );
  const token = tokenMetadata(session.sessionToken);
  const stream = registry.heartbeat(token);
  stream.on('error', () => undefined);
  stream.on('data', () => undefined);
  let sequence = 0;
  const beat = (): void => void stream.write({ sequence: ++sequence, transfers: [] });
  beat();
  const timer = setInterval(beat, Math.max(20, session.heartbeatIntervalMs / 2));
  const pieces = initial.pieceSize === 'none' ? {} : { pieceSize: list.pieceSize, piecesRoot: list.root };
  await new Promise<void>((resolve, reject) =>
    registry.registerFile({ peer: id, path: file.path, sha256, size: data.length, ...pieces }, token, (error) => (error === null ? resolve() : reject(error))),
  );
  return {
    id,
    pieceSize: list.pieceSize,
    served,
    firstComplete,
    behave(next) {
      behaviour = next;
    },
    stalledRequests(count) {
      return stalled >= count ? Promise.resolve() : new Promise((resolve) => stallWaiters.push({ count, resolve }));
    },
    async close() {
      clearInterval(timer);
      for (const call of open) call.destroy();
      stream.end();
      stream.cancel();
      registry.close();
      server.kill();
      await Promise.resolve();
    },
  };
}

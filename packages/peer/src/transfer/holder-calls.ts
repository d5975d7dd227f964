import type { TlsMaterial } from '@kompart/grpc';
import { GetPiecesRequest, GetPiecesResponse, Reason, type HolderLocation } from '@kompart/protocol';
import { KompartError } from '@kompart/core';
import type { DownloadMessage, DownloadSource } from './download-file.js';
import { FLOW_CONTROL_WINDOW_BYTES } from './file-service.js';
import { grpcDownloadSource, holderUnary, type GrpcDownloadSourceOptions } from './grpc-download-source.js';
import { PeerErrorCode, peerError } from '../peer-error.js';
import type { PieceList } from './piece-hashes.js';
import type { SwarmHolder } from './swarm-download.js';

/**
 * Every connection this peer makes to another peer's FileService starts here: the
 * single-source download stream, and a swarm holder's ranges and piece list. (Peer
 * identities and TLS settings for those connections are decided in this one place.)
 */
export interface HolderConnectionOptions {
  /** `--tls-*` material: TLS checked against its CA, for every holder. */
  readonly tls: TlsMaterial | undefined;
  /** This peer's own certificate and key, presented to holders that pin (see transferSecurity). */
  readonly identity: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  /** Plaintext to a holder that registered no certificate is allowed (`--plaintext-transfers`). */
  readonly plaintextTransfers: boolean;
  /** Ask TLS holders for sealed streams (PeerConfig.sealedStreams). */
  readonly sealedStreams: boolean;
  /** A single-source stream that brings nothing for this long is interrupted (ms). */
  readonly idleTimeoutMs: number;
  /** Deadline of GetPieces, ms. */
  readonly callTimeoutMs: number;
  /** HTTP/2 window of each download connection (GrpcDownloadSourceOptions.windowBytes; default when absent). */
  readonly windowBytes?: number | undefined;
}

/** Where one holder's file is, as LocateFile or LocateHolders said. */
export interface HolderFile {
  readonly peer: string;
  readonly address: string;
  readonly sha256: string;
  readonly path: string;
  readonly name: string;
  /** The holder's registered certificate fingerprint (empty: it registered none). */
  readonly certificateSha256: Uint8Array;
}

const GET_PIECES_PATH = '/kompart.v1.FileService/GetPieces';

/** Smallest HTTP/2 window of a swarm holder's connection: far above a LAN's bandwidth-delay product. */
const MIN_SWARM_WINDOW_BYTES = 1024 * 1024;

/**
 * The HTTP/2 window of each holder's connection in a swarm download from `holders`: one
 * single-source window (FLOW_CONTROL_WINDOW_BYTES) shared among them, at least
 * MIN_SWARM_WINDOW_BYTES each, so that the bytes holders may send ahead stay about the
 * same however many there are (with the receive budget, what keeps a swarm's memory flat).
 */
export function swarmWindowBytes(holders: number): number {
  return Math.max(MIN_SWARM_WINDOW_BYTES, Math.floor(FLOW_CONTROL_WINDOW_BYTES / Math.max(1, holders)));
}

/**
 * How to reach a holder: with `--tls-*`, TLS against that CA; else, when the holder
 * registered a certificate and this peer has an identity, TLS pinned to that certificate
 * with this peer's own as the client's; else plaintext, only by consent
 * (`--plaintext-transfers`; HOLDER_PLAINTEXT otherwise, before anything is sent).
 */
function transferSecurity(file: HolderFile, options: HolderConnectionOptions): Pick<GrpcDownloadSourceOptions, 'tls' | 'pinned'> {
  if (options.tls !== undefined) return { tls: options.tls };
  if (file.certificateSha256.length > 0 && options.identity !== undefined) {
    return { pinned: { fingerprint: Buffer.from(file.certificateSha256), client: options.identity } };
  }
  if (!options.plaintextTransfers) throw peerError(PeerErrorCode.HOLDER_PLAINTEXT, { peer: file.peer });
  return {};
}

/** The single-source download stream of one file from one holder. */
export function holderStream(file: HolderFile, ticket: Uint8Array, options: HolderConnectionOptions): DownloadSource {
  return grpcDownloadSource({
    ...transferSecurity(file, options),
    address: file.address,
    holder: file.peer,
    sha256: file.sha256,
    path: file.path,
    name: file.name,
    ticket,
    idleTimeoutMs: options.idleTimeoutMs,
    windowBytes: options.windowBytes,
    sealedStreams: options.sealedStreams,
  });
}

/**
 * A swarm holder: byte ranges through the same lean stream as single-source downloads, the
 * piece list through GetPieces. `ticket()` gives the current ticket; when a holder refuses
 * one as expired (tickets live a minute, a download may take longer), `renew()` asks the
 * registry for fresh ones and the request is made once more.
 */
export function swarmHolder(location: HolderLocation, ticket: () => Uint8Array, renew: () => Promise<void>, options: HolderConnectionOptions): SwarmHolder {
  const file = location.file!;
  const held: HolderFile = {
    peer: file.peer,
    address: location.address,
    sha256: file.sha256,
    path: file.path,
    name: file.name,
    certificateSha256: location.holderCertificateSha256,
  };
  const withTicket = async <T>(call: (ticket: Uint8Array) => Promise<T>): Promise<T> => {
    try {
      return await call(ticket());
    } catch (error) {
      if (!(error instanceof KompartError && error.reason === Reason.TICKET_INVALID)) throw error;
      await renew();
      return call(ticket());
    }
  };
  return {
    peer: file.peer,
    source: {
      async *open(offset: number, signal: AbortSignal, length?: number): AsyncGenerator<DownloadMessage> {
        let first: DownloadMessage | undefined;
        let stream: AsyncIterator<DownloadMessage> | undefined;
        // Only the opening is retried with a fresh ticket: the holder checks it before the header.
        await withTicket(async (current) => {
          // Swarm ranges stay in gRPC chunks: several sealed streams at once leave more
          // decrypted garbage between collections than the swarm's memory bound allows
          // (BENCHMARKS.md, "Sealed streams"), and a swarm is limited by its links.
          stream = holderStream(held, current, { ...options, sealedStreams: false })
            .open(offset, signal, length)
            [Symbol.asyncIterator]();
          const opened = await stream.next();
          first = opened.done === true ? undefined : opened.value;
        });
        if (first === undefined || stream === undefined) return;
        try {
          yield first;
          for (;;) {
            const next = await stream.next();
            if (next.done === true) return;
            yield next.value;
          }
        } finally {
          await stream.return?.();
        }
      },
    },
    pieces: (signal) =>
      withTicket(async (current) => {
        const request = GetPiecesRequest.encode({ sha256: file.sha256, path: file.path, ticket: Buffer.from(current) }).finish();
        const target = { ...transferSecurity(held, options), address: held.address, holder: held.peer, name: held.name, idleTimeoutMs: options.callTimeoutMs };
        const list = GetPiecesResponse.decode(await holderUnary(target, GET_PIECES_PATH, request, signal, options.callTimeoutMs));
        return { pieceSize: list.pieceSize, hashes: Buffer.from(list.hashes) } satisfies PieceList;
      }),
  };
}

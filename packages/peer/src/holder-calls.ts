import { createServiceClient, openChannel, type TlsMaterial } from '@kompart/grpc';
import { FileServiceDefinition, MAX_MESSAGE_BYTES, Reason, type HolderLocation } from '@kompart/protocol';
import { KompartError } from '@kompart/core';
import type { DownloadMessage, DownloadSource } from './download-file.js';
import { grpcDownloadSource } from './grpc-download-source.js';
import type { PieceList } from './piece-hashes.js';
import type { SwarmHolder } from './swarm-download.js';

/**
 * Every connection this peer makes to another peer's FileService starts here: the
 * single-source download stream, and a swarm holder's ranges and piece list. (Peer
 * identities and TLS settings for those connections are decided in this one place.)
 */
export interface HolderConnectionOptions {
  readonly tls: TlsMaterial | undefined;
  /** A single-source stream that brings nothing for this long is interrupted (ms). */
  readonly idleTimeoutMs: number;
  /** Deadline of GetPieces, ms. */
  readonly callTimeoutMs: number;
}

/** Where one holder's file is, as LocateFile or LocateHolders said. */
export interface HolderFile {
  readonly peer: string;
  readonly address: string;
  readonly sha256: string;
  readonly path: string;
  readonly name: string;
}

/** The single-source download stream of one file from one holder. */
export function holderStream(file: HolderFile, ticket: Uint8Array, options: HolderConnectionOptions): DownloadSource {
  return grpcDownloadSource({
    address: file.address,
    holder: file.peer,
    sha256: file.sha256,
    path: file.path,
    name: file.name,
    ticket,
    tls: options.tls,
    idleTimeoutMs: options.idleTimeoutMs,
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
  const held: HolderFile = { peer: file.peer, address: location.address, sha256: file.sha256, path: file.path, name: file.name };
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
          stream = holderStream(held, current, { ...options, idleTimeoutMs: options.idleTimeoutMs })
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
        const channel = openChannel(location.address, options.tls, {
          'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
          'grpc.use_local_subchannel_pool': 1,
        });
        try {
          const client = createServiceClient(FileServiceDefinition, channel, { deadlineMs: options.callTimeoutMs });
          const list = await client.getPieces({ sha256: file.sha256, path: file.path, ticket: Buffer.from(current) }, { signal });
          return { pieceSize: list.pieceSize, hashes: Buffer.from(list.hashes) } satisfies PieceList;
        } finally {
          channel.close();
        }
      }),
  };
}

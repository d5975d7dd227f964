import { status } from '@grpc/grpc-js';
import { KompartError, Reason, channelCredentials, fromServiceError, isServiceError, type DownloadResponse, type TlsMaterial } from '@kompart/protocol';
import { FastFileServiceClient } from './download-codec.js';
import type { DownloadMessage, DownloadSource } from './download-file.js';
import { TRANSFER_CHANNEL_OPTIONS } from './file-service.js';
import { PeerError, PeerErrorCode } from './peer-error.js';

export interface GrpcDownloadSourceOptions {
  /** The holder's FileService address, `host:port`. */
  readonly address: string;
  /** The holder's identity, for messages (`Peer 127.0.0.2 offline`). */
  readonly holder: string;
  /** The file's hash; sent as the request's `sha256`. */
  readonly sha256: string;
  /** The registered path; sent as the request's `path` too, so both must name the same file. */
  readonly path?: string;
  /** Name for messages. */
  readonly name: string;
  /** TLS material; plaintext when undefined. */
  readonly tls?: TlsMaterial | undefined;
  /** The registry's download ticket for this file (LocateFileResponse.ticket). */
  readonly ticket?: Uint8Array;
  /** A stream that brings nothing for this long (ms) is abandoned as interrupted (default 60 000). */
  readonly idleTimeoutMs?: number;
}

/** Default of GrpcDownloadSourceOptions.idleTimeoutMs. */
export const DEFAULT_TRANSFER_IDLE_TIMEOUT_MS = 60_000;

/**
 * A DownloadSource over the holder's FileService. Each `open` dials a fresh channel with
 * the large flow-control window (TRANSFER_CHANNEL_OPTIONS) and closes it when the stream
 * ends or the consumer stops. Errors become:
 * - the holder's KompartError (FILE_UNAVAILABLE → `arquivo removido ou indisponível`, …);
 * - PEER_OFFLINE when the holder cannot be reached before anything arrived;
 * - DOWNLOAD_CANCELLED when `signal` aborted; TRANSFER_INTERRUPTED for a stream cut midway.
 */
export function grpcDownloadSource(options: GrpcDownloadSourceOptions): DownloadSource {
  return {
    async *open(offset: number, signal: AbortSignal): AsyncGenerator<DownloadMessage> {
      const client = new FastFileServiceClient(options.address, channelCredentials(options.tls), {
        ...TRANSFER_CHANNEL_OPTIONS,
        'grpc.use_local_subchannel_pool': 1,
        // Notice a holder whose machine vanished (no RST) within about 40 s.
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
      });
      const call = client.download({ sha256: options.sha256, path: options.path ?? '', offset, ticket: Buffer.from(options.ticket ?? []) });
      const cancel = (): void => call.cancel();
      signal.addEventListener('abort', cancel, { once: true });
      let received = false;
      let stalled = false;
      const idleMs = options.idleTimeoutMs ?? DEFAULT_TRANSFER_IDLE_TIMEOUT_MS;
      const onIdle = (): void => {
        stalled = true;
        call.cancel();
      };
      // Runs only while we wait for the holder: paused while the consumer writes to disk.
      let idle = setTimeout(onIdle, idleMs);
      try {
        for await (const response of call as AsyncIterable<DownloadResponse>) {
          clearTimeout(idle);
          received = true;
          const payload = response.payload;
          if (payload?.$case === 'header') {
            const { sha256, size, offset: start } = payload.value;
            yield { type: 'header', sha256, size, offset: start };
          } else if (payload?.$case === 'chunk') {
            yield { type: 'chunk', data: payload.value };
          }
          idle = setTimeout(onIdle, idleMs);
        }
      } catch (error) {
        if (stalled) {
          throw new PeerError(PeerErrorCode.TransferInterrupted, { file: options.name, peer: options.holder }, { cause: error });
        }
        if (signal.aborted) throw new PeerError(PeerErrorCode.DownloadCancelled, { file: options.name }, { cause: error });
        const known = fromServiceError(error);
        if (known !== undefined) throw known;
        if (!received && isServiceError(error) && (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED)) {
          throw new KompartError(Reason.PeerOffline, { peer: options.holder }, { cause: error });
        }
        throw new PeerError(PeerErrorCode.TransferInterrupted, { file: options.name, peer: options.holder }, { cause: error });
      } finally {
        clearTimeout(idle);
        signal.removeEventListener('abort', cancel);
        call.cancel();
        client.close();
      }
    },
  };
}

import { credentials } from '@grpc/grpc-js';
import { type DownloadRequest, type DownloadResponse, type FileHeader } from '@kompart/protocol';
import { FileServiceClient } from '@kompart/grpc/testing';
import { type KompartError } from '@kompart/core';
import { fromServiceError } from '@kompart/grpc';

/** What one Download call produced: the header, the bytes, or the error. */
export interface DownloadOutcome {
  readonly header?: FileHeader;
  readonly data: Buffer;
  readonly error?: KompartError;
  readonly code?: number;
}

/** Calls Download on `target` with a plain generated client and collects everything. */
export async function callDownload(target: string, request: Partial<DownloadRequest>): Promise<DownloadOutcome> {
  const client = new FileServiceClient(target, credentials.createInsecure(), { 'grpc-node.flow_control_window': 8 * 1024 * 1024 });
  const chunks: Buffer[] = [];
  let header: FileHeader | undefined;
  try {
    const call = client.download({ sha256: '', path: '', offset: 0, ticket: Buffer.alloc(0), sealedStream: false, ...request });
    for await (const message of call as AsyncIterable<DownloadResponse>) {
      if (message.payload?.$case === 'header') header = message.payload.value;
      else if (message.payload?.$case === 'chunk') chunks.push(message.payload.value);
    }
    return { ...(header === undefined ? {} : { header }), data: Buffer.concat(chunks) };
  } catch (error) {
    const known = fromServiceError(error);
    return {
      ...(header === undefined ? {} : { header }),
      data: Buffer.concat(chunks),
      ...(known === undefined ? {} : { error: known }),
      code: (error as { code?: number }).code ?? -1,
    };
  } finally {
    client.close();
  }
}

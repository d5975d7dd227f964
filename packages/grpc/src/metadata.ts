import { Metadata } from '@grpc/grpc-js';
import { AUTHORIZATION_METADATA_KEY, EVENT_BATCHES_METADATA_KEY, STREAM_ATTEMPT_METADATA_KEY } from '@kompart/protocol';

/** The `authorization` value of a session token. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** grpc-js Metadata carrying a session token as `authorization: Bearer <token>`. */
export function tokenMetadata(token: string, options?: { waitForReady?: boolean }): Metadata {
  const metadata = new Metadata(options?.waitForReady ? { waitForReady: true } : undefined);
  metadata.set(AUTHORIZATION_METADATA_KEY, bearer(token));
  return metadata;
}

/** The token of a call's metadata, or undefined when there is none. */
export function readToken(metadata: Metadata): string | undefined {
  const value = metadata.get(AUTHORIZATION_METADATA_KEY)[0];
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match?.[1];
}

/** A Heartbeat stream's attempt from its metadata (a positive integer), or 0 when it has none. */
export function readStreamAttempt(metadata: Metadata): number {
  const value = metadata.get(STREAM_ATTEMPT_METADATA_KEY)[0];
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,14}$/.test(value)) return 0;
  return Number(value);
}

/** Whether a Heartbeat stream was opened with `kompart-event-batches: 1` (it takes HeartbeatResponse.events). */
export function readEventBatches(metadata: Metadata): boolean {
  return metadata.get(EVENT_BATCHES_METADATA_KEY)[0] === '1';
}

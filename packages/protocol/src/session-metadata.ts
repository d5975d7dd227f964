import { Metadata } from '@grpc/grpc-js';
import { AUTHORIZATION_METADATA_KEY } from './limits.js';

/** Metadata carrying a session token as `authorization: Bearer <token>`. */
export function tokenMetadata(token: string, options?: { waitForReady?: boolean }): Metadata {
  const metadata = new Metadata(options?.waitForReady ? { waitForReady: true } : undefined);
  metadata.set(AUTHORIZATION_METADATA_KEY, `Bearer ${token}`);
  return metadata;
}

/** The token of a call's metadata, or undefined when there is none. */
export function readToken(metadata: Metadata): string | undefined {
  const value = metadata.get(AUTHORIZATION_METADATA_KEY)[0];
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match?.[1];
}

import { createSelfSignedIdentity, IdentityFolderError, loadOrCreateIdentity, type SelfSignedIdentity } from '@kompart/grpc';
import { PeerErrorCode, peerError } from './peer-error.js';

/**
 * This peer's identity for pinned transfers: the one kept in `dir` (made there on first
 * start), or a fresh one for this run when `dir` is undefined. A folder that cannot be used
 * is IDENTITY_UNUSABLE, with its path and why.
 */
export async function loadIdentity(dir: string | undefined, name: string): Promise<SelfSignedIdentity> {
  if (dir === undefined) return createSelfSignedIdentity(`kompart peer ${name}`);
  try {
    return await loadOrCreateIdentity(dir, `kompart peer ${name}`);
  } catch (error) {
    if (error instanceof IdentityFolderError) throw peerError(PeerErrorCode.IDENTITY_UNUSABLE, { path: error.path, detail: error.detail }, { cause: error });
    throw error;
  }
}

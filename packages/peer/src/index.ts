/**
 * @kompart/peer: the peer runtime as a library. A thin CLI creates one peer and maps its
 * commands onto it:
 *
 * ```ts
 * const peer = await startPeer({ registry: '127.0.0.1', address: '127.0.0.2', downloadsDir });
 * peer.events.onAny((event) => print(formatEvent(event)));
 * await peer.registerPeer();                                   // register peer
 * await peer.registerPath('/music', { onProgress });           // register file <path> (then watched)
 * await peer.unregisterPath('/music/old.mp3');                 // unregister file <path>
 * const files = await peer.listFiles();                        // list files
 * await peer.getFile('127.0.0.3/song.mp3', { onProgress });     // get file <IP>/<name|hash>
 * await peer.disconnect();                                     // disconnect
 * await peer.close();                                          // exit
 * ```
 *
 * Every failure is a KompartError: what the registry or a holder answered (its contract
 * reason) or a local one (a PeerErrorCode); `describeError(error, lang)` from
 * @kompart/core renders either in pt or en.
 */
export {
  createPeer,
  startPeer,
  type Peer,
  type PeerDeps,
  type RegisterPathOptions,
  type RegisterPathResult,
  type RegisterProgress,
  type RegisteredFile,
  type ListFilesFilter,
  type GetFileOptions,
  type GetFileResult,
  type DisconnectResult,
  type UnregisterPathResult,
  type UnregisteredFile,
} from './peer.js';
export { PEER_DEFAULTS, stateHome, type PeerConfig, type ResolvedPeerConfig } from './peer-config.js';
export type { PeerEvent, PeerEvents, PeerEventType, ConnectionLostReason, ShareRemovedCause, PeerEventEmitter } from './peer-events.js';
export type { WatchFunction, WatchListener, WatchHandle } from './share-watcher.js';
export { PeerErrorCode, isPeerError, peerError } from './peer-error.js';
export type { SessionInfo, SessionState } from './registry-session.js';
export { DEFAULT_CHUNK_BYTES, MAX_CHUNK_BYTES } from './transfer/file-service.js';

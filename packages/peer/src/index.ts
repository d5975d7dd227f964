/**
 * @kompart/peer: the peer runtime as a library. A thin CLI creates one peer and maps its
 * commands onto it:
 *
 * ```ts
 * const peer = await startPeer({ registry: '127.0.0.1', address: '127.0.0.2', downloadsDir });
 * peer.events.onAny((event) => print(formatEvent(event)));
 * await peer.registerPeer();                                   // register peer
 * await peer.registerPath('/music', { onProgress });           // register file <path>
 * const files = await peer.listFiles();                        // list files
 * await peer.getFile('127.0.0.3/song.mp3', { onProgress });     // get file <IP>/<name|hash>
 * await peer.disconnect();                                     // disconnect
 * await peer.close();                                          // exit
 * ```
 *
 * Failures are KompartErrors (what the registry or a holder answered, with its reason)
 * or PeerErrors (local); `describeError(error, lang)` renders either in pt or en.
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
} from './peer.js';
export { resolvePeerConfig, defaultCacheDir, type PeerConfig, type ResolvedPeerConfig } from './peer-config.js';
export { PeerEventEmitter, type PeerEvent, type PeerEvents, type PeerEventType, type ConnectionLostReason } from './peer-events.js';
export { PeerError, PeerErrorCode, peerErrorTexts, describeError } from './peer-error.js';
export type { SessionInfo, SessionState } from './registry-session.js';
export {
  createDownloader,
  nodePartFileSystem,
  type Downloader,
  type DownloaderDeps,
  type DownloadMessage,
  type DownloadOptions,
  type DownloadResult,
  type DownloadSource,
  type DownloadTarget,
  type PartFileSystem,
} from './download-file.js';
export { WRITE_PIECE_BYTES } from './part-writer-thread.js';
export { grpcDownloadSource, DEFAULT_TRANSFER_IDLE_TIMEOUT_MS, type GrpcDownloadSourceOptions } from './grpc-download-source.js';
export { SharedFiles, scanPath, hashLocalFile, type LocalFile, type ScanResult, type ScannedFile, type SkippedEntry, type HashedLocalFile } from './local-library.js';
export type { ProgressCallback } from './hash-file.js';
export type { BackoffOptions } from './backoff.js';
export { DEFAULT_BACKOFF } from './backoff.js';
export { createHashCache, HASH_CACHE_FILE_NAME, type HashCache } from './hash-cache.js';
export { hashFile, HASH_BUFFER_BYTES } from './hash-file.js';
export { safeFileName } from './safe-file-name.js';
export { createFileService, startFileServer, allocatorKeepsFreedMemory, defaultChunkBytes, DEFAULT_CHUNK_BYTES, TUNED_CHUNK_BYTES, MAX_CHUNK_BYTES, TRANSFER_CHANNEL_OPTIONS, type FileServer, type ServedDownload } from './file-service.js';
export { KompartError, Reason } from '@kompart/protocol';

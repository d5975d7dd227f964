import { Counter, type Registry } from 'prom-client';
import type { HashCache } from './hash-cache.js';
import type { PeerEventEmitter } from './peer-events.js';

/**
 * A peer's own metrics (beside the gRPC server metrics of its FileService and Node's process
 * metrics), counted from its events: bytes and files served and downloaded, downloads by
 * outcome, and hash cache hits. Returns the hash cache to use (counting its hits and
 * misses) and the counter of bytes received, which the downloads add to as they go.
 */
export function peerMetrics(register: Registry, events: PeerEventEmitter, cache: HashCache): { cache: HashCache; received: (bytes: number) => void } {
  const registers = [register];
  const servedBytes = new Counter({ name: 'kompart_peer_served_bytes_total', help: 'Bytes this peer sent to downloading peers.', registers });
  const servedFiles = new Counter({
    name: 'kompart_peer_served_files_total',
    help: 'Downloads this peer served, by whether the file was sent to its end (complete) or the transfer stopped before.',
    labelNames: ['complete'],
    registers,
  });
  const downloadedBytes = new Counter({ name: 'kompart_peer_downloaded_bytes_total', help: 'Bytes this peer received from holders.', registers });
  const downloadedFiles = new Counter({ name: 'kompart_peer_downloaded_files_total', help: 'Files this peer downloaded, verified and saved.', registers });
  const downloads = new Counter({
    name: 'kompart_peer_downloads_total',
    help: 'get file downloads, by outcome: downloaded, already-present (the same content was already there), failed.',
    labelNames: ['outcome'],
    registers,
  });
  const lookups = new Counter({
    name: 'kompart_peer_hash_cache_lookups_total',
    help: 'Hash cache lookups, by result: hit (the hash was reused, the file not read) or miss.',
    labelNames: ['result'],
    registers,
  });
  for (const outcome of ['downloaded', 'already-present', 'failed']) downloads.inc({ outcome }, 0);
  for (const result of ['hit', 'miss']) lookups.inc({ result }, 0);
  for (const complete of ['true', 'false']) servedFiles.inc({ complete }, 0);
  events.on('served', (event) => {
    servedBytes.inc(event.bytes);
    servedFiles.inc({ complete: String(event.complete) });
  });
  events.on('download-finished', (event) => {
    downloads.inc({ outcome: event.status });
    if (event.status === 'downloaded') downloadedFiles.inc();
  });
  events.on('download-failed', () => downloads.inc({ outcome: 'failed' }));
  return {
    cache: {
      async lookup(path, identity) {
        const sha256 = await cache.lookup(path, identity);
        lookups.inc({ result: sha256 === undefined ? 'miss' : 'hit' });
        return sha256;
      },
      store: (path, identity, sha256) => cache.store(path, identity, sha256),
      flush: () => cache.flush(),
    },
    received: (bytes) => downloadedBytes.inc(bytes),
  };
}

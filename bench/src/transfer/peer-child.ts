import { performance } from 'node:perf_hooks';
import { startPeer, type Peer } from '@kompart/peer';
import { exitHandler, serve } from '../lib/ipc.js';
import { probeHandlers } from '../lib/probe.js';

/** A kompart peer (the real library: FileService, downloader, hash cache) in its own process. */

let peer: Peer | undefined;

const running = (): Peer => {
  if (peer === undefined) throw new Error('peer not started');
  return peer;
};

const handlers = {
  ...probeHandlers(),
  ...exitHandler(async () => {
    await peer?.close();
  }),

  /**
   * `chunkBytes` unset: KOMPART_CHUNK_BYTES as the launcher exports it (asLaunched), else the
   * library's default. Plaintext transfers unless `encrypted` (then a fresh identity in
   * memory, pinned TLS as `kompart` does by default); always single-source, since several
   * holders of the benchmark's file are online at once. `sealedStreams: false` keeps an
   * encrypted download's bytes in gRPC chunks over TLS (PeerConfig.sealedStreams).
   */
  start: async (args: {
    registry: string;
    address: string;
    downloadsDir: string;
    cacheDir: string | null;
    chunkBytes?: number;
    encrypted?: boolean;
    sealedStreams?: boolean;
  }) => {
    const fromEnv = process.env['KOMPART_CHUNK_BYTES'];
    const chunkBytes = args.chunkBytes ?? (fromEnv === undefined ? undefined : Number(fromEnv));
    peer = await startPeer({
      registry: args.registry,
      address: args.address,
      downloadsDir: args.downloadsDir,
      cacheDir: args.cacheDir,
      shutdownGraceMs: 500,
      identityDir: null,
      plaintextTransfers: args.encrypted !== true,
      singleSource: true,
      // `sealedStreams: false`: encrypted bytes in gRPC chunks over TLS, as before sealed streams.
      sealedStreams: args.sealedStreams !== false,
      ...(chunkBytes === undefined ? {} : { chunkBytes }),
    });
    return { id: peer.id, target: peer.fileServiceTarget };
  },

  registerPeer: async () => {
    await running().registerPeer();
  },

  /** `register file <path>`: hashing (or the hash cache) plus the RegisterFile call. */
  registerPath: async (args: { path: string }) => {
    const started = performance.now();
    const result = await running().registerPath(args.path);
    const ms = performance.now() - started;
    const file = result.registered[0];
    if (file === undefined) throw new Error(`nothing registered for ${args.path}`);
    return { ms, sha256: file.sha256, name: file.name, size: file.size, cached: file.cached, hashedBytes: result.hashedBytes };
  },

  /** `get file <holder>/<name>`: LocateFile, download, verify, rename. */
  getFile: async (args: { ref: string }) => {
    const started = performance.now();
    const result = await running().getFile(args.ref);
    return { ms: performance.now() - started, path: result.path, size: result.size, status: result.status, transferred: result.transferred };
  },
};

export type PeerOps = typeof handlers;

serve(handlers);

import { startRegistryServer, type RegistryServerOptions, type RunningRegistry } from '@kompart/registry-server';
import { createPeer, type Peer, type PeerConfig } from '../../src/index';
import { makeTempDir, type TempDir } from './temp-dir';

/** Heartbeat settings for tests: fast beats and reconnects, yet 600 ms of tolerance before
 * expiry, so a busy 2-core machine running registry and peers in one process stays green. */
export const TEST_HEARTBEAT_MS = 200;
const TEST_HEARTBEAT_MISSES = 3;

/** For tests that are not about presence: beats slow enough that a machine busy with other
 * work never expires a peer or trips its ack watchdog mid-test (the peer would reconnect
 * and its calls fail as REGISTRY_UNREACHABLE meanwhile). */
export const CALM_PRESENCE = { heartbeatIntervalMs: 5000, heartbeatMisses: 2 } as const;

/** A registry plus peers, each peer with its own downloads and cache folders. */
export interface TestNetwork {
  registry: RunningRegistry;
  readonly dir: TempDir;
  /** Starts a peer on `host` (port 0) talking to the registry. */
  addPeer(host: string, config?: Partial<PeerConfig>): Promise<Peer>;
  /** Starts a registry on the same port as before (after kill or close). */
  restartRegistry(): Promise<RunningRegistry>;
  close(): Promise<void>;
}

export interface NetworkOptions {
  readonly registryHost?: string;
  /** Registry heartbeat settings (default TEST_HEARTBEAT_MS, TEST_HEARTBEAT_MISSES). */
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatMisses?: number;
  /** Other registry settings (limits); the registry's defaults otherwise. */
  readonly registry?: Partial<RegistryServerOptions>;
}

export async function startNetwork(options: NetworkOptions = {}): Promise<TestNetwork> {
  const host = options.registryHost ?? '127.0.0.1';
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? TEST_HEARTBEAT_MS;
  const heartbeatMisses = options.heartbeatMisses ?? TEST_HEARTBEAT_MISSES;
  const dir = makeTempDir();
  const peers: Peer[] = [];
  const start = (address: string): Promise<RunningRegistry> =>
    startRegistryServer({ ...options.registry, address, heartbeatIntervalMs, heartbeatMisses, lang: 'pt', shutdownGraceMs: 200, summaryIntervalMs: 0 });
  let registry = await start(`${host}:0`);
  const network: TestNetwork = {
    get registry() {
      return registry;
    },
    set registry(value: RunningRegistry) {
      registry = value;
    },
    dir,
    async addPeer(peerHost, config = {}) {
      const name = `${peerHost}-${peers.length}`;
      const peer = createPeer({
        registry: registry.target,
        address: `${peerHost}:0`,
        downloadsDir: dir.join(name, 'downloads'),
        cacheDir: dir.join(name, 'cache'),
        identityDir: dir.join(name, 'identity'),
        backoff: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0 },
        callTimeoutMs: 3000,
        shutdownGraceMs: 200,
        ...config,
      });
      peers.push(peer);
      await peer.start();
      return peer;
    },
    async restartRegistry() {
      registry = await start(registry.target);
      return registry;
    },
    async close() {
      await Promise.all(peers.map((peer) => peer.close()));
      await registry.close().catch(() => undefined);
      dir.remove();
    },
  };
  return network;
}

import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseEndpoint, render, silentLogger, systemClock } from '@kompart/core';
import {
  createMetricsRegistry,
  createSelfSignedIdentity,
  grpcServerMetrics,
  loadOrCreateIdentity,
  parseIdentity,
  startGrpcServer,
  startMetricsEndpoint,
  type HttpEndpoint,
  type SelfSignedIdentity,
} from '@kompart/grpc';
import { DEFAULT_REGISTRY_PORT, REGISTRY_SERVICE_NAME } from '@kompart/protocol';
import { withDefaults, type RegistryServerOptions } from './config.js';
import { createMemoryStore } from './memory-store.js';
import { PeerDirectory, type DirectoryEvent } from './peer-directory.js';
import type { ClusterIdentity } from './store.js';
import { RateLimiter } from './rate-limiter.js';
import { OverlayView } from './overlay-view.js';
import { registryMetrics } from './registry-metrics.js';
import { createRegistryService, type ServiceObserver } from './registry-service.js';
import { serverTexts } from './server-texts.js';
import { registryServiceDefinition } from './service-definition.js';
import { startWebView } from './web-view.js';

/** A running registry server. */
export interface RunningRegistry {
  /** The `host:port` actually bound (the real port when 0 was asked). */
  readonly target: string;
  readonly port: number;
  /** The random id of this process, sent to peers so they notice restarts. */
  readonly instance: string;
  /** With autoTls: the SHA-256 of the certificate it presents, hex (what peers pin). */
  readonly tlsFingerprint: string | undefined;
  readonly directory: PeerDirectory;
  /** The Prometheus endpoint (`/metrics`), when metricsAddress was given. */
  readonly metrics: HttpEndpoint | undefined;
  /** The live web view, when webAddress was given. */
  readonly web: HttpEndpoint | undefined;
  /** Graceful stop: tells every peer (REGISTRY_SHUTTING_DOWN), ends streams, drains calls. */
  close(): Promise<void>;
  /** Abrupt stop, as a crash would be (for fault tests). */
  kill(): void;
}

/** Starts the registry: Registry service, server reflection and the gRPC health service. */
export async function startRegistryServer(options: RegistryServerOptions): Promise<RunningRegistry> {
  const config = withDefaults(options);
  const { logger, lang } = config;
  const endpoint = parseEndpoint(config.address, DEFAULT_REGISTRY_PORT, { allowPortZero: true });
  const clock = options.clock ?? systemClock;
  const store = options.store ?? createMemoryStore({ clock });
  const inStore = config.autoTls !== undefined && config.autoTls.identityDir === undefined;
  const identity = await store.identity(() => freshIdentity(inStore));
  const { instance } = identity;
  const autoTls = config.autoTls === undefined ? undefined : await autoTlsIdentity(config.autoTls.identityDir, identity);
  const tls = autoTls ?? config.tls;
  const ticketKey = config.ticketKey ?? identity.ticketKey;
  const directory = new PeerDirectory({
    clock,
    store,
    logger,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatMisses: config.heartbeatMisses,
    maxFilesPerPeer: config.maxFilesPerPeer,
    maxPeers: config.maxPeers,
    maxFiles: config.maxFiles,
    maxRegistrationsPerMinute: config.maxRegistrationsPerMinute,
    maxSessionsPerSource: config.maxSessionsPerIp,
  });
  await directory.start();
  const observers: ServiceObserver[] = [];
  const metricsRegister = config.metricsAddress === undefined ? undefined : createMetricsRegistry();
  const service = createRegistryService({
    observer: fanOut(observers),
    directory,
    lang,
    logger,
    instance,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatMisses: config.heartbeatMisses,
    limiter: new RateLimiter(config.maxRequestsPerSecond, config.requestBurst, clock),
    checkPeerAddress: !config.trustPeerAddresses,
    ticketKey: createPrivateKey(ticketKey),
    ticketTtlMs: config.ticketTtlMs,
    maxPathBytes: config.maxPathBytes,
    clock,
  });
  const view = config.webAddress === undefined ? undefined : new OverlayView({ directory, clock });
  if (view !== undefined) {
    observers.push({ beat: (peer, at) => view.beat(peer, at), transfers: (transfers) => view.transfers(transfers) });
    await view.start();
  }
  if (metricsRegister !== undefined) {
    observers.push(
      registryMetrics({
        register: metricsRegister,
        directory,
        registry: instance,
        streamsOpen: () => service.streamsOpen,
        streamsBatching: () => service.streamsBatching,
      }),
    );
  }

  const server = await startGrpcServer({
    interceptors: metricsRegister === undefined ? [] : [grpcServerMetrics(metricsRegister)],
    address: endpoint.target,
    tls,
    services: [{ name: REGISTRY_SERVICE_NAME, definition: registryServiceDefinition, implementation: service.implementation }],
    options: {
      'grpc.max_receive_message_length': config.maxMessageBytes,
      'grpc.max_send_message_length': config.maxMessageBytes,
      // Close connections whose peer stopped answering at the transport level.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      // Channelz stays on although nothing reads it: grpc-js 1.14 tracks open sessions for
      // forceShutdown only in its channelz session handler, so without channelz a forced
      // stop (shutdown grace over, or kill) would leave connections open.
    },
  }).catch(async (error: unknown) => {
    view?.stop();
    await directory.close();
    await store.close();
    throw error;
  });
  const { target, port } = server;
  let metrics: HttpEndpoint | undefined;
  let web: HttpEndpoint | undefined;
  try {
    if (metricsRegister !== undefined && config.metricsAddress !== undefined) metrics = await startMetricsEndpoint(config.metricsAddress, metricsRegister);
    if (view !== undefined && config.webAddress !== undefined) {
      web = await startWebView({
        address: config.webAddress,
        view,
        lang,
        logger,
        registry: target,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        heartbeatMisses: config.heartbeatMisses,
        expiryMs: directory.expiryMs,
      });
    }
  } catch (error) {
    server.kill();
    await metrics?.close();
    view?.stop();
    await directory.close();
    await store.close();
    throw error;
  }
  logger.info({ address: target, instance, store: store.name }, render(serverTexts.listening, lang, { address: target }));
  const tlsFingerprint = autoTls?.fingerprint.toString('hex');
  if (tlsFingerprint !== undefined)
    logger.info({ event: 'tls', fingerprint: tlsFingerprint }, render(serverTexts.tlsFingerprint, lang, { fingerprint: tlsFingerprint }));
  if (web !== undefined) logger.info({ event: 'web', address: web.target }, render(serverTexts.webListening, lang, { url: `http://${web.target}/` }));
  if (metrics !== undefined)
    logger.info({ event: 'metrics', address: metrics.target }, render(serverTexts.metricsListening, lang, { url: `http://${metrics.target}/metrics` }));
  // Health follows the store: NOT_SERVING while it cannot be reached (every call fails then).
  store.onAvailability((available) => {
    if (stopped !== undefined) return;
    if (available) {
      server.serving();
      service.storeBack();
      logger.info({ event: 'store-available', store: store.name }, render(serverTexts.storeAvailable, lang, { store: store.name }));
    } else {
      server.notServing();
      logger.warn({ event: 'store-unavailable', store: store.name }, render(serverTexts.storeUnavailable, lang, { store: store.name }));
    }
  });

  // Log lines are built only for a logger that prints them (every registration is one).
  // Each replica logs what it did itself (its own registrations, the expiries it swept).
  if (logger !== silentLogger) directory.on('event', (event: DirectoryEvent) => event.local && logEvent(event));
  function logEvent(event: DirectoryEvent): void {
    switch (event.type) {
      case 'peer-joined':
        logger.info({ event: event.type, peer: event.peer }, render(serverTexts.peerRegistered, lang, { peer: event.peer }));
        return;
      case 'peer-left': {
        const text = event.cause === 'disconnect' ? serverTexts.peerDisconnected : serverTexts.peerStreamClosed;
        logger.info(
          { event: event.type, peer: event.peer, files: event.files, cause: event.cause },
          render(text, lang, { peer: event.peer, files: event.files }),
        );
        return;
      }
      case 'peer-expired':
        logger.info(
          { event: event.type, peer: event.peer, files: event.files },
          render(serverTexts.peerExpired, lang, { peer: event.peer, files: event.files, misses: config.heartbeatMisses }),
        );
        return;
      case 'file-registered':
        logger.info({ event: event.type, ...event.file }, render(serverTexts.fileRegistered, lang, { ...event.file }));
        return;
      case 'file-unregistered': {
        const { peer, path, name, sha256, size } = event.file;
        logger.info({ event: event.type, peer, path, name, sha256, size }, render(serverTexts.fileUnregistered, lang, { peer, path }));
        return;
      }
    }
  }

  const summary =
    config.summaryIntervalMs > 0
      ? setInterval(() => {
          void directory.counts().then((counts) => logger.info({ event: 'summary', ...counts }, render(serverTexts.summary, lang, counts)));
        }, config.summaryIntervalMs)
      : undefined;
  summary?.unref();

  let stopped: Promise<void> | undefined;
  const stopTimers = async (): Promise<void> => {
    if (summary !== undefined) clearInterval(summary);
    await metrics?.close();
    await web?.close();
    view?.stop();
    await directory.close();
    await store.close();
  };

  return {
    target,
    port,
    instance,
    tlsFingerprint,
    directory,
    metrics,
    web,
    close() {
      stopped ??= (async () => {
        server.notServing();
        const { peers } = await directory.counts();
        logger.info({ event: 'shutdown', peers }, render(serverTexts.shuttingDown, lang, { peers }));
        service.shutdown();
        await stopTimers();
        await server.close(config.shutdownGraceMs);
        logger.info({ event: 'stopped' }, render(serverTexts.stopped, lang));
      })();
      return stopped;
    },
    kill() {
      // A crash records nothing: the streams grpc-js closes now must not end their
      // sessions (they did when their close reached the store before it was closed).
      service.abandon();
      void stopTimers();
      server.kill();
    },
  };
}

/** One observer that tells each of `observers` (which may grow until the server starts). */
function fanOut(observers: readonly ServiceObserver[]): ServiceObserver {
  return {
    beat: (peer, at) => observers.forEach((observer) => observer.beat?.(peer, at)),
    transfers: (transfers) => observers.forEach((observer) => observer.transfers?.(transfers)),
    fannedOut: (messages) => observers.forEach((observer) => observer.fannedOut?.(messages)),
    ticketIssued: () => observers.forEach((observer) => observer.ticketIssued?.()),
    refused: (method, reason) => observers.forEach((observer) => observer.refused?.(method, reason)),
  };
}

/** A new registry identity: a random instance id, an Ed25519 ticket key and, when asked, a self-signed TLS identity. */
async function freshIdentity(withTls: boolean): Promise<ClusterIdentity> {
  const tls = withTls ? await createSelfSignedIdentity('kompart registry') : undefined;
  return {
    instance: randomBytes(8).toString('hex'),
    ticketKey: generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ...(tls === undefined ? {} : { tlsIdentity: Buffer.concat([tls.key, tls.cert]).toString() }),
  };
}

/** The `--tls auto` identity: from its folder, or the store's cluster identity. */
async function autoTlsIdentity(identityDir: string | undefined, cluster: ClusterIdentity): Promise<SelfSignedIdentity> {
  if (identityDir !== undefined) return await loadOrCreateIdentity(identityDir, 'kompart registry');
  if (cluster.tlsIdentity === undefined) throw new Error('the store returned no TLS identity');
  return parseIdentity('store', Buffer.from(cluster.tlsIdentity));
}

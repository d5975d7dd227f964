import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Server } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { loadSync } from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import {
  DEFAULT_REGISTRY_PORT,
  REGISTRY_SERVICE_NAME,
  loadDescriptorPackageDefinition,
  repairMapEntries,
  serverCredentials,
  parseEndpoint,
  render,
  serverTexts,
  silentLogger,
} from '@kompart/protocol';
import { withDefaults, type RegistryServerOptions } from './config.js';
import { createMemoryStore } from './memory-store.js';
import { PeerDirectory, type DirectoryEvent } from './peer-directory.js';
import { RateLimiter } from './rate-limiter.js';
import { createRegistryService } from './registry-service.js';
import { registryServiceDefinition } from './service-definition.js';

/** A running registry server. */
export interface RunningRegistry {
  /** The `host:port` actually bound (the real port when 0 was asked). */
  readonly target: string;
  readonly port: number;
  /** The random id of this process, sent to peers so they notice restarts. */
  readonly instance: string;
  readonly directory: PeerDirectory;
  /** Graceful stop: tells every peer (REGISTRY_SHUTTING_DOWN), ends streams, drains calls. */
  close(): Promise<void>;
  /** Abrupt stop, as a crash would be (for fault tests). */
  kill(): void;
}

/** Why the server could not start; the message is in the configured language. */
const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

export class ListenError extends Error {
  constructor(
    message: string,
    readonly address: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'ListenError';
  }
}

/** Starts the registry: Registry service, server reflection and the gRPC health service. */
export async function startRegistryServer(options: RegistryServerOptions): Promise<RunningRegistry> {
  const config = withDefaults(options);
  const { logger, lang } = config;
  const endpoint = parseEndpoint(config.address, DEFAULT_REGISTRY_PORT, { allowPortZero: true });
  const instance = randomBytes(8).toString('hex');
  const directory = new PeerDirectory({
    store: options.store ?? createMemoryStore(),
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatMisses: config.heartbeatMisses,
    maxFilesPerPeer: config.maxFilesPerPeer,
  });
  const service = createRegistryService({
    directory,
    lang,
    logger,
    instance,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatMisses: config.heartbeatMisses,
    limiter: new RateLimiter(config.maxRequestsPerSecond, config.requestBurst),
    checkPeerAddress: !config.trustPeerAddresses,
    ticketKeys: generateKeyPairSync('ed25519'),
    ticketTtlMs: config.ticketTtlMs,
    maxPathBytes: config.maxPathBytes,
  });

  const server = new Server({
    'grpc.max_receive_message_length': config.maxMessageBytes,
    'grpc.max_send_message_length': config.maxMessageBytes,
    // Close connections whose peer stopped answering at the transport level.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    // Channelz stays on although nothing reads it: grpc-js 1.14 tracks open sessions for
    // forceShutdown only in its channelz session handler, so without channelz a forced
    // stop (shutdown grace over, or kill) would leave connections open.
  });
  server.addService(registryServiceDefinition, service.implementation);
  const health = new HealthImplementation({ '': 'SERVING', [REGISTRY_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  // Reflection describes what this server really serves: the Registry and the health
  // service (FileService is in the same descriptor set but only peers serve it).
  const described = repairMapEntries({ ...loadDescriptorPackageDefinition(), ...loadSync(healthProtoPath, { keepCase: true }) });
  new ReflectionService(described, { services: [REGISTRY_SERVICE_NAME, HEALTH_SERVICE_NAME] }).addToServer(server);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(endpoint.target, serverCredentials(config.tls), (error, bound) => {
      if (error === null) {
        resolve(bound);
        return;
      }
      const inUse = /EADDRINUSE|address already in use/i.test(error.message);
      const message = inUse
        ? render(serverTexts.addressInUse, lang, { address: endpoint.target })
        : render(serverTexts.addressUnavailable, lang, { address: endpoint.target, detail: error.message });
      reject(new ListenError(message, endpoint.target, { cause: error }));
    });
  });
  const target = endpoint.target.replace(/:\d+$/, `:${port}`);
  logger.info({ address: target, instance }, render(serverTexts.listening, lang, { address: target }));

  // Log lines are built only for a logger that prints them (every registration is one).
  if (logger !== silentLogger) directory.on('event', (event: DirectoryEvent) => logEvent(event));
  function logEvent(event: DirectoryEvent): void {
    switch (event.type) {
      case 'peer-registered':
        logger.info({ event: event.type, peer: event.peer }, render(serverTexts.peerRegistered, lang, { peer: event.peer }));
        return;
      case 'peer-left': {
        const text = event.cause === 'disconnect' ? serverTexts.peerDisconnected : serverTexts.peerStreamClosed;
        logger.info({ event: event.type, peer: event.peer, files: event.files, cause: event.cause }, render(text, lang, { peer: event.peer, files: event.files }));
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
  const stopTimers = (): void => {
    if (summary !== undefined) clearInterval(summary);
    directory.close();
  };

  return {
    target,
    port,
    instance,
    directory,
    close() {
      stopped ??= (async () => {
        health.setStatus('', 'NOT_SERVING');
        health.setStatus(REGISTRY_SERVICE_NAME, 'NOT_SERVING');
        const { peers } = await directory.counts();
        logger.info({ event: 'shutdown', peers }, render(serverTexts.shuttingDown, lang, { peers }));
        await service.shutdown();
        stopTimers();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, config.shutdownGraceMs);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
        logger.info({ event: 'stopped' }, render(serverTexts.stopped, lang));
      })();
      return stopped;
    },
    kill() {
      stopTimers();
      server.forceShutdown();
    },
  };
}

import { Server, type ChannelOptions, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { KompartError } from '@kompart/core';
import { serverCredentials, type TlsMaterial } from './credentials.js';
import { grpcTexts } from './grpc-texts.js';
import { addReflection } from './reflection.js';

/** Local reasons of startGrpcServer's failures (exit code 3 in the program). */
export const ListenFailure = {
  /** Another server listens on the address. Params: address. */
  AddressInUse: 'ADDRESS_IN_USE',
  /** Any other bind failure (an address that is not local, a name that does not resolve). Params: address, detail. */
  ListenFailed: 'LISTEN_FAILED',
} as const;
export type ListenFailure = (typeof ListenFailure)[keyof typeof ListenFailure];

/** One service a server offers. */
export interface HostedService {
  /** Fully qualified name (`kompart.v1.Registry`): what reflection lists and health reports. */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  /** `host:port` to bind (port 0: any free one). */
  readonly address: string;
  readonly services: readonly HostedService[];
  /** TLS (mutual when it has a CA); plaintext when undefined. */
  readonly tls?: TlsMaterial | undefined;
  /** grpc-js server options (message limits, keepalive, flow control). */
  readonly options?: ChannelOptions;
}

/** A running server. */
export interface GrpcServer {
  /** The `host:port` actually bound (the real port when 0 was asked). */
  readonly target: string;
  readonly port: number;
  /** Reports every service NOT_SERVING on the health service (the first step of a shutdown, or a dependency away). */
  notServing(): void;
  /** Reports every service SERVING again. */
  serving(): void;
  /** Stops accepting calls, lets the ones in flight finish for up to `graceMs`, then cuts them. Idempotent. */
  close(graceMs: number): Promise<void>;
  /** Cuts every connection at once, as a crash would. */
  kill(): void;
}

/**
 * Starts a grpc-js server with `services`, the standard health service (SERVING for each
 * service and for `""`) and server reflection describing exactly those services, so that
 * grpcurl-style clients can list, describe and call them. The one way kompart starts a
 * server: the registry and every peer's FileService.
 *
 * A bind failure rejects with a KompartError ADDRESS_IN_USE or LISTEN_FAILED whose text is
 * grpcTexts'.
 */
export async function startGrpcServer(config: GrpcServerOptions): Promise<GrpcServer> {
  const server = new Server(config.options);
  const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(config.services.map((service) => [service.name, 'SERVING'])) });
  for (const service of config.services) server.addService(service.definition, service.implementation);
  health.addToServer(server);
  addReflection(
    server,
    config.services.map((service) => service.name),
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(config.address, serverCredentials(config.tls), (error, bound) => {
      if (error === null) {
        resolve(bound);
        return;
      }
      const inUse = /EADDRINUSE|address already in use/i.test(error.message);
      reject(
        inUse
          ? new KompartError(ListenFailure.AddressInUse, { address: config.address }, { text: grpcTexts.addressInUse, cause: error })
          : new KompartError(ListenFailure.ListenFailed, { address: config.address, detail: error.message }, { text: grpcTexts.listenFailed, cause: error }),
      );
    });
  });
  const target = config.address.replace(/:\d+$/, `:${port}`);
  let closing: Promise<void> | undefined;
  const setStatus = (status: 'SERVING' | 'NOT_SERVING'): void => {
    health.setStatus('', status);
    for (const service of config.services) health.setStatus(service.name, status);
  };
  const notServing = (): void => setStatus('NOT_SERVING');
  return {
    target,
    port,
    notServing,
    serving: () => setStatus('SERVING'),
    close(graceMs) {
      notServing();
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
    kill() {
      server.forceShutdown();
    },
  };
}

import { Server, type ChannelOptions, type ServerInterceptor, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { KompartError } from '@kompart/core';
import { serverCredentials, type TlsMaterial } from './credentials.js';
import { grpcTexts } from './grpc-texts.js';
import { listenPinned, type PinnedServerIdentity } from './pinned-tls.js';
import { addReflection } from './reflection.js';

/** Local reasons of startGrpcServer's failures (exit code 3 in the program). */
export const ListenFailure = {
  /** Another server listens on the address. Params: address. */
  AddressInUse: 'ADDRESS_IN_USE',
  /** The address is not one of this computer's (EADDRNOTAVAIL). Params: address, host. */
  AddressNotAvailable: 'ADDRESS_NOT_AVAILABLE',
  /** The host name does not resolve. Params: address, host. */
  NameNotResolved: 'NAME_NOT_RESOLVED',
  /** A port below 1024 without the privilege (EACCES). Params: address. */
  PermissionDenied: 'LISTEN_PERMISSION_DENIED',
  /** Any other bind failure. Params: address, detail (the system's error code when there is one). */
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
  /**
   * TLS with a self-signed identity instead (when `tls` is undefined): TLS 1.3, a client
   * certificate required, whose fingerprint each call finds in `identity.clients`.
   */
  readonly identity?: PinnedServerIdentity | undefined;
  /** grpc-js server options (message limits, keepalive, flow control). */
  readonly options?: ChannelOptions;
  /** grpc-js server interceptors, outermost first (grpcServerMetrics). */
  readonly interceptors?: readonly ServerInterceptor[];
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
  const server = new Server({ ...config.options, interceptors: [...(config.interceptors ?? [])] });
  const health = new HealthImplementation({ '': 'SERVING', ...Object.fromEntries(config.services.map((service) => [service.name, 'SERVING'])) });
  for (const service of config.services) server.addService(service.definition, service.implementation);
  health.addToServer(server);
  addReflection(
    server,
    config.services.map((service) => service.name),
  );
  let pinned: Awaited<ReturnType<typeof listenPinned>> | undefined;
  const port =
    config.identity !== undefined && config.tls === undefined
      ? await listenPinned(server, config.identity, hostOf(config.address), portOf(config.address)).then(
          (listening) => {
            pinned = listening;
            return listening.port;
          },
          (error: Error) => {
            throw listenFailure(config.address, error);
          },
        )
      : await new Promise<number>((resolve, reject) => {
          server.bindAsync(config.address, serverCredentials(config.tls), (error, bound) => {
            if (error === null) {
              resolve(bound);
              return;
            }
            reject(listenFailure(config.address, error));
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
      pinned?.tls.close();
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          for (const socket of pinned?.sockets ?? []) socket.destroy();
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
      pinned?.tls.close();
      for (const socket of pinned?.sockets ?? []) socket.destroy();
      server.forceShutdown();
    },
  };
}

/** The host of `host:port` (brackets of an IPv6 address removed). */
function hostOf(address: string): string {
  return address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}

function portOf(address: string): number {
  return Number(/:(\d+)$/.exec(address)?.[1] ?? 0);
}

/**
 * The failure of binding `address`, from what grpc-js reported (a message that wraps the
 * system's: `No address added out of total 1 resolved errors: [listen EADDRNOTAVAIL: …]`)
 * or Node's own listen error (`listen EADDRINUSE: address already in use …`).
 */
export function listenFailure(address: string, error: Error): KompartError<ListenFailure> {
  const host = hostOf(address);
  const code = /\b(E[A-Z]{3,})\b/.exec(error.message)?.[1];
  const options = (text: (typeof grpcTexts)[keyof typeof grpcTexts]) => ({ text, cause: error });
  if (code === 'EADDRINUSE' || /address already in use/i.test(error.message)) {
    return new KompartError(ListenFailure.AddressInUse, { address }, options(grpcTexts.addressInUse));
  }
  if (code === 'EADDRNOTAVAIL') return new KompartError(ListenFailure.AddressNotAvailable, { address, host }, options(grpcTexts.addressNotAvailable));
  if (code === 'EACCES') return new KompartError(ListenFailure.PermissionDenied, { address }, options(grpcTexts.listenPermissionDenied));
  if (/name resolution failed|ENOTFOUND|EAI_AGAIN/i.test(error.message)) {
    return new KompartError(ListenFailure.NameNotResolved, { address, host }, options(grpcTexts.nameNotResolved));
  }
  return new KompartError(ListenFailure.ListenFailed, { address, detail: code ?? error.message }, options(grpcTexts.listenFailed));
}

import { isIP } from 'node:net';
import type { ChannelOptions } from '@grpc/grpc-js';
import type { Endpoint } from '@kompart/core';
import {
  ClientError,
  createChannel,
  createClientFactory,
  type CallOptions,
  type Channel,
  type Client,
  type ClientMiddleware,
  type CompatServiceDefinition,
  type Metadata,
} from 'nice-grpc';
import { deadlineMiddleware, type DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import { channelCredentials, type TlsMaterial } from './credentials.js';
import { pinnedServerCredentials, type ServerCertificateCheck } from './pinned-channel.js';
import type { ServiceDef } from './service-definition.js';
import { STATUS_DETAILS_KEY, errorFromStatusDetails } from './status.js';

export { ClientError, Status, Metadata as CallMetadata, type Channel, type Client } from 'nice-grpc';

/**
 * The client side's one error mapper: a call whose status details carry a kompart ErrorInfo
 * rejects with that KompartError (the server's reason, rendered in the client's language
 * later); every other failure (transport, deadline, a foreign server) stays the ClientError
 * nice-grpc raised, status code included.
 */
const kompartErrorMiddleware: ClientMiddleware = async function* kompartErrors(call, options) {
  let trailer: Metadata | undefined;
  const onTrailer = (metadata: Metadata): void => {
    trailer = metadata;
    options.onTrailer?.(metadata);
  };
  try {
    return yield* call.next(call.request, { ...options, onTrailer });
  } catch (error) {
    if (error instanceof ClientError) {
      const details = trailer?.get(STATUS_DETAILS_KEY);
      const known = errorFromStatusDetails(details instanceof Uint8Array ? details : undefined, error);
      if (known !== undefined) throw known;
    }
    throw error;
  }
};

/** A promise-based client with kompart's errors and a default deadline (ms) on every call. */
export type KompartClient<D extends CompatServiceDefinition> = Client<D, DeadlineOptions>;

/**
 * The grpc-js target and channel options that reach any of `endpoints`, the replicas of one
 * service: one address as it is (the first that answers is used, pick_first); several IP
 * addresses of one family as one `ipv4:`/`ipv6:` target with round_robin, so that calls
 * spread over the replicas that are up and a dead one drops out of the rotation; `retry`'s
 * methods are hedged over the replicas (see below). A list of
 * host names or of mixed families cannot be one target: RangeError.
 */
export function replicaTarget(
  endpoints: readonly Endpoint[],
  retry: RetriedMethods = { service: '', methods: [] },
): { readonly target: string; readonly options: ChannelOptions } {
  const [first] = endpoints;
  if (first === undefined) throw new RangeError('no address to dial');
  if (endpoints.length === 1) return { target: first.target, options: {} };
  const families = new Set(endpoints.map((endpoint) => isIP(endpoint.host)));
  const family = families.size === 1 ? [...families][0] : 0;
  if (family !== 4 && family !== 6) throw new RangeError('a list of replicas must be IP addresses of one family (all IPv4 or all IPv6)');
  const methodConfig =
    retry.methods.length === 0
      ? []
      : [
          {
            name: retry.methods.map((method) => ({ service: retry.service, method })),
            // A replica that died a moment ago, or whose cable is cut (its connection still
            // looks open), may still be in the rotation: when it answers UNAVAILABLE, or has
            // not answered within a second, the same request also goes to the next one.
            hedgingPolicy: { maxAttempts: 3, hedgingDelay: '1s', nonFatalStatusCodes: ['UNAVAILABLE'] },
          },
        ];
  return {
    target: `ipv${family}:${endpoints.map((endpoint) => endpoint.target).join(',')}`,
    options: { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }], methodConfig }) },
  };
}

/** Methods safe to send to several replicas (they change nothing), see replicaTarget. */
export interface RetriedMethods {
  /** Fully qualified service name. */
  readonly service: string;
  readonly methods: readonly string[];
}

/**
 * Opens a channel to `target` (`host:port`, or a grpc-js target such as `ipv4:a:p,b:q`):
 * plaintext, TLS with `tls` material, or TLS to a self-signed server that `check` accepts
 * by fingerprint (pinnedServerCredentials).
 */
export function openChannel(target: string, security: TlsMaterial | ServerCertificateCheck | undefined, options: ChannelOptions = {}): Channel {
  return createChannel(target, typeof security === 'function' ? pinnedServerCredentials(security) : channelCredentials(security), options);
}

/**
 * A nice-grpc client of `definition` over `channel`: async calls, AbortSignal cancellation,
 * `deadlineMs` for every unary call unless the call says otherwise, and kompart's errors
 * (kompartErrorMiddleware). Streaming calls get no default deadline.
 */
export function createServiceClient<D extends ServiceDef & CompatServiceDefinition>(
  definition: D,
  channel: Channel,
  defaults: { readonly deadlineMs?: number } = {},
): KompartClient<D> {
  const factory = createClientFactory().use(kompartErrorMiddleware).use(deadlineMiddleware);
  const perMethod: Record<string, CallOptions & DeadlineOptions> = {};
  if (defaults.deadlineMs !== undefined) {
    for (const [key, method] of Object.entries(definition.methods)) {
      if (!method.requestStream && !method.responseStream) perMethod[key] = { deadline: defaults.deadlineMs };
    }
  }
  return factory.create(definition, channel, perMethod);
}

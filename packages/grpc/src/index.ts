/**
 * @kompart/grpc: where kompart meets gRPC, and the only package besides the programs that
 * imports grpc-js. Status codes are chosen here from the error reason (REASON_CODES), with
 * the ErrorInfo in the status details; one server boundary maps handler results and errors
 * (cancellation → CANCELLED, anything unexpected → INTERNAL, logged once); one helper starts
 * every server with reflection, health, TLS and graceful shutdown; clients are nice-grpc's,
 * with kompart's errors and deadlines. It also starts kompart's HTTP endpoints (Prometheus
 * `/metrics`, the registry's web view) with the same bind errors, and holds the gRPC server
 * metrics (an interceptor, under the conventional `grpc_server_*` names).
 */
export {
  createServiceClient,
  openChannel,
  replicaTarget,
  type RetriedMethods,
  ClientError,
  Status,
  CallMetadata,
  type Channel,
  type Client,
  type KompartClient,
} from './client.js';
export { channelCredentials, type TlsMaterial } from './credentials.js';
export { type ServerCertificateCheck } from './pinned-channel.js';
export { grpcTexts } from './grpc-texts.js';
export { caCheckedTlsOptions, CertificateMismatchError, ClientCertificates, connectPinned, type PinnedServerIdentity } from './pinned-tls.js';
export { createSelfSignedIdentity, IdentityFolderError, loadOrCreateIdentity, parseIdentity, type SelfSignedIdentity } from './self-signed-identity.js';
export { createMetricsRegistry, startHttpEndpoint, startMetricsEndpoint, type HttpEndpoint } from './http-endpoint.js';
export { bearer, readEventBatches, readStreamAttempt, readToken, tokenMetadata } from './metadata.js';
export { createServerBoundary, type ServerBoundary, type ServerBoundaryOptions } from './server-boundary.js';
export { grpcServerMetrics } from './server-metrics.js';
export { ListenFailure, startGrpcServer, type GrpcServer, type GrpcServerOptions, type HostedService } from './server.js';
export {
  grpcJsService,
  isMalformed,
  type GrpcJsClient,
  type GrpcJsClientConstructor,
  type GrpcJsServiceOf,
  type HandlerOf,
  type MalformedRequest,
  type MessageType,
  type MethodDef,
  type RequestOf,
  type ResponseOf,
  type SerializerOverrides,
  type ServiceDef,
  type ServiceHandlers,
} from './service-definition.js';
export { fromServiceError, isServiceError } from './status.js';

/**
 * @kompart/protocol: the wire contract. Messages and service definitions generated from
 * protos/ by ts-proto (generic definitions: this package loads no gRPC library), the
 * descriptor set served by reflection, the limits, and the error reasons derived from
 * the proto's ErrorReason. It imports nothing else of kompart.
 */
export * from './gen/kompart/v1/registry.js';
export {
  DownloadRequest,
  DownloadResponse,
  DownloadTicket,
  FileHeader,
  GetPiecesRequest,
  GetPiecesResponse,
  TicketClaims,
  FileServiceDefinition,
} from './gen/kompart/v1/file_service.js';
export { Status as RpcStatus } from './gen/google/rpc/status.js';
export { ErrorInfo } from './gen/google/rpc/error_details.js';
export * from './descriptors.js';
export * from './heartbeat-events.js';
export * from './limits.js';
export * from './reasons.js';

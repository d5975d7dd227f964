/** @kompart/protocol: the wire contract and what registry and peers share. */
export * from './gen/kompart/v1/registry.js';
export {
  DownloadRequest,
  DownloadResponse,
  DownloadTicket,
  FileHeader,
  TicketClaims,
  FileServiceService,
  type FileServiceServer,
  FileServiceClient,
} from './gen/kompart/v1/file_service.js';
export * from './address.js';
export * from './descriptors.js';
export * from './errors.js';
export * from './file-ref.js';
export * from './hash.js';
export * from './limits.js';
export * from './messages/index.js';
export * from './session-metadata.js';
export * from './logger.js';
export * from './malformed-requests.js';
export * from './tls.js';
export * from './download-ticket.js';

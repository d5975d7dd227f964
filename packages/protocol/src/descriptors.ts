import { join } from 'node:path';

/**
 * The FileDescriptorSet of protos/ (with comments), written by `npm run generate`
 * (`buf build`). Server reflection serves it, so grpcurl-style clients can list and
 * describe every service and message without a copy of the .proto files.
 */
export const DESCRIPTOR_SET_PATH = join(__dirname, '..', 'descriptors', 'kompart.binpb');

/** The service names of the contract, fully qualified. */
export const REGISTRY_SERVICE_NAME = 'kompart.v1.Registry';
export const FILE_SERVICE_NAME = 'kompart.v1.FileService';

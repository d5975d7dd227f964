import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFileDescriptorSetFromBuffer, type PackageDefinition } from '@grpc/proto-loader';

/**
 * The FileDescriptorSet of protos/ (with comments), written by `npm run generate`
 * (`buf build`). Server reflection serves it, so grpcurl-style clients can list and
 * describe every service and message without a copy of the .proto files.
 */
export const DESCRIPTOR_SET_PATH = join(__dirname, '..', 'descriptors', 'kompart.binpb');

/** The service names of the contract, fully qualified. */
export const REGISTRY_SERVICE_NAME = 'kompart.v1.Registry';
export const FILE_SERVICE_NAME = 'kompart.v1.FileService';

/** Loads the descriptor set as a proto-loader package definition (for @grpc/reflection). */
export function loadDescriptorPackageDefinition(): PackageDefinition {
  return loadFileDescriptorSetFromBuffer(readFileSync(DESCRIPTOR_SET_PATH), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
}

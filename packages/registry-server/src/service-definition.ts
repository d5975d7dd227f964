import { grpcJsService } from '@kompart/grpc';
import { RegistryDefinition } from '@kompart/protocol';
import { serializeListFilesResponse } from './list-files-encoding.js';
import { encodeHeartbeatResponse, encodeLocateFileResponse, encodeRegisterFileResponse } from './response-encoding.js';

/**
 * The Registry service definition the server registers: the generated one (tolerant of
 * undecodable requests, see grpcJsService), with hand-written encoders for the responses
 * sent most (ListFiles pages, RegisterFile, LocateFile, heartbeat acks). Each writes
 * exactly the generated encoder's bytes (their specs compare the two), so clients see no
 * difference.
 */
export const registryServiceDefinition = grpcJsService(RegistryDefinition, {
  listFiles: { responseSerialize: serializeListFilesResponse },
  registerFile: { responseSerialize: encodeRegisterFileResponse },
  locateFile: { responseSerialize: encodeLocateFileResponse },
  heartbeat: { responseSerialize: encodeHeartbeatResponse },
});

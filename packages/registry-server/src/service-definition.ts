import { RegistryService, tolerantService } from '@kompart/protocol';
import { serializeListFilesResponse } from './list-files-encoding.js';
import { encodeHeartbeatResponse, encodeLocateFileResponse, encodeRegisterFileResponse } from './response-encoding.js';

/**
 * The Registry service definition the server registers: the generated one, tolerant of
 * undecodable requests (see tolerantService), with hand-written encoders for the
 * responses sent most (ListFiles pages, RegisterFile, LocateFile, heartbeat acks). Each
 * writes exactly the generated encoder's bytes (their specs compare the two), so clients
 * see no difference.
 */
export const registryServiceDefinition: typeof RegistryService = (() => {
  const tolerant = tolerantService(RegistryService);
  return {
    ...tolerant,
    listFiles: { ...tolerant.listFiles, responseSerialize: serializeListFilesResponse },
    registerFile: { ...tolerant.registerFile, responseSerialize: encodeRegisterFileResponse },
    locateFile: { ...tolerant.locateFile, responseSerialize: encodeLocateFileResponse },
    heartbeat: { ...tolerant.heartbeat, responseSerialize: encodeHeartbeatResponse },
  };
})();

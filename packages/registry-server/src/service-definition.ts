import { RegistryService, tolerantService } from '@kompart/protocol';
import { encodeListFilesResponse } from './list-files-encoding.js';

/**
 * The Registry service definition the server registers: the generated one, tolerant of
 * undecodable requests (see tolerantService), with hand-written encoders where the
 * generated ones cost the most. Each writes exactly the generated encoder's bytes (their
 * specs compare the two), so clients see no difference.
 */
export const registryServiceDefinition: typeof RegistryService = (() => {
  const tolerant = tolerantService(RegistryService);
  return {
    ...tolerant,
    listFiles: { ...tolerant.listFiles, responseSerialize: encodeListFilesResponse },
  };
})();

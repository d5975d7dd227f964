import type { Text } from '@kompart/core';

/** Lines the gRPC glue speaks: why a server could not start, and the internal-error log line. */
export const grpcTexts = {
  addressInUse: {
    pt: 'Endereço {address} já está em uso: outro servidor está ouvindo nele',
    en: 'Address {address} is already in use: another server is listening on it',
  },
  listenFailed: {
    pt: 'Não foi possível ouvir em {address}: {detail}',
    en: 'Cannot listen on {address}: {detail}',
  },
  internalError: { pt: 'Erro interno em {method}', en: 'Internal error in {method}' },
} as const satisfies Record<string, Text>;

import type { Text } from '@kompart/core';

/** Lines the gRPC glue speaks: why a server could not start, and the internal-error log line. */
export const grpcTexts = {
  addressInUse: {
    pt: 'Endereço {address} já está em uso: outro servidor está ouvindo nele',
    en: 'Address {address} is already in use: another server is listening on it',
  },
  addressNotAvailable: {
    pt: 'Não foi possível ouvir em {address}: {host} não é um endereço deste computador',
    en: 'Cannot listen on {address}: {host} is not an address of this computer',
  },
  nameNotResolved: {
    pt: 'Não foi possível ouvir em {address}: o nome {host} não foi encontrado',
    en: 'Cannot listen on {address}: the name {host} was not found',
  },
  listenPermissionDenied: {
    pt: 'Não foi possível ouvir em {address}: sem permissão (portas abaixo de 1024 exigem privilégio)',
    en: 'Cannot listen on {address}: permission denied (ports below 1024 need privileges)',
  },
  listenFailed: {
    pt: 'Não foi possível ouvir em {address}: {detail}',
    en: 'Cannot listen on {address}: {detail}',
  },
  internalError: { pt: 'Erro interno em {method}', en: 'Internal error in {method}' },
} as const satisfies Record<string, Text>;

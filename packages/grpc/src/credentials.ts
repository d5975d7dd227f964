import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';

/**
 * TLS material of one kompart process. The same three settings serve both of a peer's
 * roles (FileService server, client of the registry and of other peers):
 * - `cert` + `key`: this process's certificate, presented as a server and, when the other
 *   side asks for one, as a client;
 * - `ca`: the roots that certificates of the other side must chain to. On a server, a CA
 *   turns on mutual TLS (clients must present a certificate signed by it).
 */
export interface TlsMaterial {
  readonly cert?: Buffer | undefined;
  readonly key?: Buffer | undefined;
  readonly ca?: Buffer | undefined;
}

/** Credentials for a server: plaintext without TLS; TLS with a certificate; mutual TLS with a CA too. */
export function serverCredentials(tls: TlsMaterial | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  if (tls.cert === undefined || tls.key === undefined) throw new Error('a TLS server needs --tls-cert and --tls-key');
  return ServerCredentials.createSsl(tls.ca ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.ca !== undefined);
}

/** Credentials for a client: plaintext without TLS; otherwise TLS trusting `ca` (or the system roots). */
export function channelCredentials(tls: TlsMaterial | undefined): ChannelCredentials {
  if (tls === undefined) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

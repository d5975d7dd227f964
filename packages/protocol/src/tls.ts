import { readFileSync } from 'node:fs';
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
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
}

/** Paths as given on the command line (`--tls-cert`, `--tls-key`, `--tls-ca`). */
export interface TlsFiles {
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
}

/** Reads the files; undefined when none is set. Throws when only one of cert/key is set. */
export function loadTls(files: TlsFiles): TlsMaterial | undefined {
  if (files.cert === undefined && files.key === undefined && files.ca === undefined) return undefined;
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new Error('--tls-cert and --tls-key go together');
  }
  const read = (path: string | undefined): Buffer | undefined => (path === undefined ? undefined : readFileSync(path));
  return { cert: read(files.cert), key: read(files.key), ca: read(files.ca) };
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

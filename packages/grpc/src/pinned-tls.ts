import {
  checkServerIdentity,
  connect as tlsConnect,
  createServer as createTlsServer,
  type PeerCertificate,
  type Server as TlsServer,
  type TLSSocket,
} from 'node:tls';
import { ServerCredentials, type Server } from '@grpc/grpc-js';
import { certificateFingerprint } from './self-signed-identity.js';

/**
 * What a server with a self-signed identity presents, and where it records who connected.
 * Clients must present a certificate too (any: there is no CA), and whoever serves a call
 * looks its fingerprint up by the call's peer address (`call.getPeer()`).
 */
export interface PinnedServerIdentity {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clients: ClientCertificates;
}

/**
 * The client certificate fingerprint of every open connection of a pinned server, by the
 * connection's remote `address:port` (what grpc-js's `getPeer()` answers for a call on it).
 * An entry lives exactly as long as its connection.
 */
export class ClientCertificates {
  readonly #byPeer = new Map<string, Buffer>();

  /** The fingerprint of the client certificate on the connection of a call whose `getPeer()` is `peer`. */
  fingerprintOf(peer: string): Buffer | undefined {
    return this.#byPeer.get(peer);
  }

  /** @internal */
  add(peer: string, fingerprint: Buffer): void {
    this.#byPeer.set(peer, fingerprint);
  }

  /** @internal */
  remove(peer: string): void {
    this.#byPeer.delete(peer);
  }
}

/** Server TLS for a self-signed identity: TLS 1.3 only, HTTP/2 only, a client certificate required but not chain-checked. */
function pinnedTlsOptions(identity: { readonly cert: Buffer; readonly key: Buffer }) {
  return {
    cert: identity.cert,
    key: identity.key,
    minVersion: 'TLSv1.3',
    ALPNProtocols: ['h2'],
    requestCert: true,
    // Self-signed on both sides: whoever verifies does it by fingerprint, not by CA.
    rejectUnauthorized: false,
  } as const;
}

function peerOf(socket: TLSSocket): string {
  return `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`;
}

/**
 * Listens with `identity` and hands each TLS connection, once it presented a certificate,
 * to the grpc-js `server` (as a connection already decrypted). A connection without a
 * client certificate is closed before any HTTP/2 byte. Resolves with the listening TLS server.
 */
export async function listenPinned(
  server: Server,
  identity: PinnedServerIdentity,
  host: string,
  port: number,
): Promise<{ tls: TlsServer; port: number; sockets: Set<TLSSocket> }> {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const sockets = new Set<TLSSocket>();
  const tls = createTlsServer(pinnedTlsOptions(identity), (socket) => {
    const raw = socket.getPeerCertificate().raw as Buffer | undefined;
    if (raw === undefined || socket.alpnProtocol !== 'h2') {
      socket.destroy();
      return;
    }
    const peer = peerOf(socket);
    identity.clients.add(peer, certificateFingerprint(raw));
    sockets.add(socket);
    socket.once('close', () => {
      identity.clients.remove(peer);
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    injector.injectConnection(socket);
  });
  tls.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    tls.once('error', reject);
    tls.listen({ host, port }, () => {
      tls.off('error', reject);
      resolve();
    });
  });
  const address = tls.address();
  return { tls, port: typeof address === 'object' && address !== null ? address.port : port, sockets };
}

/** The SNI name every kompart client sends: an IP address is not a valid one (RFC 6066), and no server looks at it. */
const KOMPART_SERVERNAME = 'kompart';

/** Raised (as the connection's error) when the server's certificate is not the pinned one. */
export class CertificateMismatchError extends Error {
  readonly code = 'ERR_KOMPART_CERTIFICATE_MISMATCH';
  constructor(
    readonly expected: Buffer,
    readonly presented: Buffer | undefined,
  ) {
    super(`the server presented a certificate with fingerprint ${presented?.toString('hex') ?? 'none'}, not the pinned ${expected.toString('hex')}`);
    this.name = 'CertificateMismatchError';
  }
}

/**
 * Opens a TLS 1.3 connection to `host:port` that accepts only a server certificate whose
 * fingerprint is `fingerprint` (pinning: no CA, no host name check), presenting `client`
 * as this side's certificate. Resolves once the handshake is done and the certificate is
 * the pinned one, so nothing is ever written to a server that fails the check (it rejects
 * with a CertificateMismatchError, the socket destroyed); hand the socket to
 * `http2.connect(…, { createConnection })` then. `signal` aborts the attempt.
 */
export function connectPinned(
  host: string,
  port: number,
  client: { readonly cert: Buffer; readonly key: Buffer },
  fingerprint: Buffer,
  signal?: AbortSignal,
): Promise<TLSSocket> {
  const socket = tlsConnect({
    host,
    port,
    servername: KOMPART_SERVERNAME,
    cert: client.cert,
    key: client.key,
    minVersion: 'TLSv1.3',
    ALPNProtocols: ['h2'],
    // No CA to check against: the fingerprint below is the whole check.
    rejectUnauthorized: false,
  });
  return new Promise<TLSSocket>((resolve, reject) => {
    const abort = (): void => {
      socket.destroy();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const settle = (error?: Error): void => {
      signal?.removeEventListener('abort', abort);
      socket.off('error', settle);
      if (error === undefined) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(error);
    };
    if (signal?.aborted) {
      abort();
      return;
    }
    signal?.addEventListener('abort', abort, { once: true });
    socket.once('error', settle);
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw as Buffer | undefined;
      const presented = raw === undefined ? undefined : certificateFingerprint(raw);
      settle(presented !== undefined && presented.equals(fingerprint) ? undefined : new CertificateMismatchError(fingerprint, presented));
    });
  });
}

/**
 * Connection options for TLS checked against a CA (`--tls-ca`) with a fixed SNI name: the
 * server's certificate must still be valid for `host`, the address dialled.
 */
export function caCheckedTlsOptions(host: string) {
  return {
    servername: KOMPART_SERVERNAME,
    checkServerIdentity: (_servername: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
  };
}

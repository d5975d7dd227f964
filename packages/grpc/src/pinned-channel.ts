import { connect as tlsConnect } from 'node:tls';
import type { Socket } from 'node:net';
import { CallCredentials, ChannelCredentials } from '@grpc/grpc-js';
import { certificateFingerprint } from './self-signed-identity.js';

/**
 * Decides whether the certificate a server presented is the right one: `server` is the
 * `address:port` the connection reached, `fingerprint` the SHA-256 of the certificate's
 * DER. Returns the refusal (the connection is closed before any HTTP/2 byte) or undefined.
 */
export type ServerCertificateCheck = (server: string, fingerprint: Buffer) => Error | undefined;

/** The SNI name kompart clients send instead of an IP address (see pinned-tls.ts). */
const SERVERNAME = 'kompart';

/**
 * Channel credentials for a server with a self-signed certificate (the registry's `--tls
 * auto`), checked by fingerprint and nothing else: no CA, no host name. grpc-js's own
 * TLS credentials cannot do that (Node calls checkServerIdentity only after the chain
 * verified), so this connector does the handshake itself and runs `check` before grpc-js
 * writes anything, session token included, on the connection. Every connection of the
 * channel is checked, to whichever replica of a list it goes.
 */
class PinnedServerCredentials extends ChannelCredentials {
  constructor(
    private readonly check: ServerCertificateCheck,
    private readonly callCredentials: CallCredentials = CallCredentials.createEmpty(),
  ) {
    super();
  }

  override compose(callCredentials: CallCredentials): ChannelCredentials {
    return new PinnedServerCredentials(this.check, this.callCredentials.compose(callCredentials));
  }

  _isSecure(): boolean {
    return true;
  }

  _equals(other: ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector() {
    const { check, callCredentials } = this;
    return {
      connect: (socket: Socket) =>
        new Promise<{ socket: Socket; secure: boolean }>((resolve, reject) => {
          const server = `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`;
          const secured = tlsConnect({ socket, servername: SERVERNAME, ALPNProtocols: ['h2'], rejectUnauthorized: false, minVersion: 'TLSv1.2' }, () => {
            const raw = secured.getPeerCertificate().raw as Buffer | undefined;
            const refusal = raw === undefined ? new Error(`${server} presented no certificate`) : check(server, certificateFingerprint(raw));
            if (refusal !== undefined) {
              secured.destroy();
              reject(refusal);
              return;
            }
            resolve({ socket: secured, secure: true });
          });
          secured.once('error', reject);
        }),
      waitForReady: () => Promise.resolve(),
      getCallCredentials: () => callCredentials,
      destroy: () => undefined,
    };
  }
}

/** Credentials that accept a server's self-signed certificate when `check` does (see PinnedServerCredentials). */
export function pinnedServerCredentials(check: ServerCertificateCheck): ChannelCredentials {
  return new PinnedServerCredentials(check);
}

/**
 * The client sockets (net.connect, as gRPC and HTTP/2 clients make them) opened while a test
 * file runs, for the one case where closing the client does not close its socket.
 *
 * @grpc/grpc-js 1.14.7 leaks the TCP connection of a client whose TLS handshake the server
 * rejects after the client finished it (TLS 1.3 with a client certificate required but not
 * sent): in Http2SubchannelConnector.connect (node_modules/@grpc/grpc-js/src/transport.ts,
 * line 870) `return this.createSession(...)` is not awaited inside the `try`, so when the
 * session fails the `catch` that destroys the TCP and TLS sockets never runs, and
 * `client.close()` does not know that socket. It stays open (CLOSE-WAIT, unref'd) until the
 * process exits. Tests that provoke that rejection destroy what is left with this.
 */
import * as diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

export interface ClientSockets {
  /** Destroys the sockets opened since `trackClientSockets()` that are still open; returns how many. */
  destroyOpen(): number;
  /** Stops tracking. */
  stop(): void;
}

export function trackClientSockets(): ClientSockets {
  let sockets: Socket[] = [];
  const listener = (message: unknown): void => {
    sockets.push((message as { socket: Socket }).socket);
  };
  diagnostics.subscribe('net.client.socket', listener);
  return {
    destroyOpen() {
      const open = sockets.filter((socket) => !socket.destroyed);
      for (const socket of open) socket.destroy();
      sockets = [];
      return open.length;
    },
    stop() {
      diagnostics.unsubscribe('net.client.socket', listener);
      sockets = [];
    },
  };
}

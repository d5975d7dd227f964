import { connect, constants, type ClientHttp2Session } from 'node:http2';

/**
 * A lean gRPC unary caller straight on node:http2, for load generation only: it frames the
 * already-encoded request, sends it with precomputed headers and reads `grpc-status`,
 * without the channel, resolver, balancer and interceptor layers of a grpc-js client. On a
 * two-core machine a grpc-js client spends about as much CPU per call as the server does,
 * so it cannot load a server to saturation; this one spends much less.
 */

export interface H2Result {
  /** grpc-status (0 = OK), or -1 for a transport failure. */
  readonly code: number;
  readonly message: string;
}

export interface H2Caller {
  call(path: string, message: Uint8Array, authorization: string | undefined, done: (result: H2Result) => void): void;
  close(): void;
}

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_SCHEME, HTTP2_HEADER_AUTHORITY, HTTP2_HEADER_CONTENT_TYPE, HTTP2_HEADER_TE } = constants;

export async function createH2Caller(target: string, connections: number): Promise<H2Caller> {
  const sessions: ClientHttp2Session[] = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<ClientHttp2Session>((resolve, reject) => {
          const session = connect(`http://${target}`);
          session.once('connect', () => resolve(session));
          session.once('error', reject);
        }),
    ),
  );
  let next = 0;
  return {
    call(path, message, authorization, done) {
      const session = sessions[next++ % sessions.length]!;
      const frame = Buffer.allocUnsafe(5 + message.length);
      frame[0] = 0;
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      const headers: Record<string, string> = {
        [HTTP2_HEADER_METHOD]: 'POST',
        [HTTP2_HEADER_PATH]: path,
        [HTTP2_HEADER_SCHEME]: 'http',
        [HTTP2_HEADER_AUTHORITY]: target,
        [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [HTTP2_HEADER_TE]: 'trailers',
      };
      if (authorization !== undefined) headers.authorization = authorization;
      const stream = session.request(headers, { endStream: false });
      let result: H2Result | undefined;
      const take = (fields: Record<string, unknown>): void => {
        const status = fields['grpc-status'];
        if (status !== undefined && result === undefined) result = { code: Number(status), message: String(fields['grpc-message'] ?? '') };
      };
      stream.on('response', take);
      stream.on('trailers', take);
      stream.on('data', () => {});
      stream.on('error', () => {});
      stream.on('close', () => done(result ?? { code: -1, message: `stream closed (rst ${stream.rstCode})` }));
      stream.end(frame);
    },
    close() {
      for (const session of sessions) session.close();
    },
  };
}

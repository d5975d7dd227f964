import { createReadStream, createWriteStream } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer, type Server } from 'node:net';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { createSelfSignedIdentity } from '@kompart/grpc';
import { exitHandler, serve } from '../lib/ipc.js';
import { probeHandlers } from '../lib/probe.js';

/**
 * The baselines: the least Node code that moves a file. `serveTcp` pipes the file into each
 * connection; `fetchTcp` pipes a connection into a file (no hashing, no framing); `serveHttp`
 * is Node's http with `pipe`, for curl, and `serveHttps` the same over TLS 1.3 with a
 * self-signed ECDSA P-256 certificate (the kind of key a kompart peer makes). The senders read `readBytes` at a time (1 MiB for
 * the headline baselines, as a user tuning a copy would; the stream default, 64 KiB, for
 * the old baseline kept as an extra row); the receiver writes what each read brought.
 */

const servers: Server[] = [];

const listen = (server: Server, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });

/** A request handler that pipes `file` into every response, `readBytes` at a time. */
async function pipeFile(file: string, readBytes = 64 * 1024): Promise<(request: IncomingMessage, response: ServerResponse) => void> {
  const { size } = await stat(file);
  return (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    createReadStream(file, { highWaterMark: readBytes }).pipe(response);
  };
}

const handlers = {
  ...probeHandlers(),
  ...exitHandler(() => {
    for (const server of servers) server.close();
  }),

  serveTcp: async (args: { file: string; host: string; readBytes?: number }) => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      createReadStream(args.file, { highWaterMark: args.readBytes ?? 64 * 1024 }).pipe(socket);
    });
    servers.push(server);
    return { port: await listen(server, args.host) };
  },

  serveHttp: async (args: { file: string; host: string; readBytes?: number }) => {
    const server = createHttpServer(await pipeFile(args.file, args.readBytes));
    servers.push(server as unknown as Server);
    return { port: await listen(server as unknown as Server, args.host) };
  },

  serveHttps: async (args: { file: string; host: string; readBytes?: number }) => {
    const identity = await createSelfSignedIdentity('bench');
    const server = createHttpsServer({ cert: identity.cert, key: identity.key, minVersion: 'TLSv1.3' }, await pipeFile(args.file, args.readBytes));
    servers.push(server as unknown as Server);
    return { port: await listen(server as unknown as Server, args.host) };
  },

  /** Connects, writes everything received to `dest`; resolves when the file is closed. */
  fetchTcp: (args: { host: string; port: number; dest: string }) =>
    new Promise<{ ms: number; bytes: number }>((resolve, reject) => {
      const started = performance.now();
      const socket = connect(args.port, args.host);
      const out = createWriteStream(args.dest);
      socket.once('error', reject);
      out.once('error', reject);
      out.once('close', () => resolve({ ms: performance.now() - started, bytes: out.bytesWritten }));
      socket.pipe(out);
    }),
};

export type TcpOps = typeof handlers;

serve(handlers);

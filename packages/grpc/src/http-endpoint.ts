import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { listenFailure } from './server.js';

/** A running HTTP endpoint (the metrics of a process, the registry's web view). */
export interface HttpEndpoint {
  /** The `host:port` actually bound (the real port when 0 was asked). */
  readonly target: string;
  readonly port: number;
  /** Stops listening and closes every connection (server-sent event streams included). Idempotent. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (port 0: any free one) with `handler`; a bind failure rejects with
 * the same KompartErrors as startGrpcServer (ADDRESS_IN_USE, LISTEN_FAILED, …).
 */
export async function startHttpEndpoint(address: string, handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<HttpEndpoint> {
  const match = /^(.*):(\d+)$/.exec(address);
  if (match === null) throw new RangeError(`not host:port: ${address}`);
  const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
  const server: Server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: Error) => reject(listenFailure(address, error)));
    server.listen({ host, port: Number(match[2]) }, () => resolve());
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : Number(match[2]);
  let closing: Promise<void> | undefined;
  return {
    target: address.replace(/:\d+$/, `:${port}`),
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** A metrics registry of one process: Node's process metrics (CPU, memory, event loop, handles), and what its parts add. */
export function createMetricsRegistry(): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register });
  return register;
}

/**
 * Serves `register` at `GET /metrics` in the Prometheus text format (and `/` says where it
 * is); anything else is 404, any other method 405.
 */
export function startMetricsEndpoint(address: string, register: Registry): Promise<HttpEndpoint> {
  return startHttpEndpoint(address, (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('/metrics\n');
      return;
    }
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    register.metrics().then(
      (text) => response.writeHead(200, { 'content-type': register.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${String(error)}\n`),
    );
  });
}

import { connect as connectTcp } from 'node:net';
import { connect, type ClientHttp2Session } from 'node:http2';

/** What a raw unary call ended with: grpc-status (-1 for a transport failure) and grpc-message. */
export interface RawUnaryResult {
  readonly code: number;
  readonly message: string;
}

/**
 * A gRPC unary caller straight on node:http2 whose connection leaves from `localAddress`
 * (a loopback address of its own), as a hostile host would call: grpc-js cannot choose the
 * source address of its connections, and on loopback every grpc-js client comes from
 * 127.0.0.1. It frames an already-encoded request and reads grpc-status, nothing more.
 */
export class RawUnaryCaller {
  private constructor(
    private readonly session: ClientHttp2Session,
    private readonly authority: string,
  ) {}

  static async open(target: string, localAddress: string): Promise<RawUnaryCaller> {
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon);
    const port = Number(target.slice(colon + 1));
    const session = connect(`http://${target}`, { createConnection: () => connectTcp({ host, port, localAddress }) });
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
    session.on('error', () => undefined);
    return new RawUnaryCaller(session, target);
  }

  call(path: string, message: Uint8Array): Promise<RawUnaryResult> {
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    const stream = this.session.request({
      ':method': 'POST',
      ':path': path,
      ':scheme': 'http',
      ':authority': this.authority,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    return new Promise((resolve) => {
      let result: RawUnaryResult | undefined;
      const take = (fields: Record<string, unknown>): void => {
        if (fields['grpc-status'] !== undefined && result === undefined) {
          result = { code: Number(fields['grpc-status']), message: decodeURIComponent(String(fields['grpc-message'] ?? '')) };
        }
      };
      stream.on('response', take);
      stream.on('trailers', take);
      stream.on('data', () => undefined);
      stream.on('error', () => undefined);
      stream.on('close', () => resolve(result ?? { code: -1, message: `stream closed (rst ${stream.rstCode})` }));
      stream.end(frame);
    });
  }

  close(): void {
    this.session.close();
  }
}

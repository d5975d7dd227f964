import type { ServerUnaryCall, ServerWritableStream, ServiceError, handleServerStreamingCall, handleUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { KompartError, invalidArgument, render, type Lang, type Logger } from '@kompart/core';
import { grpcTexts } from './grpc-texts.js';
import { isMalformed, malformedDetail } from './service-definition.js';
import { isCancellation, toServiceError } from './status.js';

export interface ServerBoundaryOptions {
  /** Language of the messages sent to clients. */
  readonly lang: Lang;
  readonly logger: Logger;
  /** Asked before every call: an error to refuse it with (a server shutting down), or undefined. */
  readonly refuse?: () => KompartError | undefined;
  /** Told of every call refused with a reason of the contract (for metrics); must not throw. */
  readonly refused?: (method: string, reason: string) => void;
}

/** Where every handler of a kompart server meets gRPC (plain functions, no `this`: callers take them apart). */
export interface ServerBoundary {
  /** A unary handler: malformed requests answered INVALID_ARGUMENT, results and errors mapped. */
  readonly unary: <Req, Res>(method: string, handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>) => handleUnaryCall<Req, Res>;
  /**
   * A server-streaming handler: malformed requests answered INVALID_ARGUMENT; a rejection
   * ends the stream with its status, unless the client already cancelled the call.
   */
  readonly serverStream: <Req, Res>(
    method: string,
    handler: (request: Req, call: ServerWritableStream<Req, Res>) => Promise<void>,
  ) => handleServerStreamingCall<Req, Res>;
  /** The status a failure is sent as; anything unexpected is logged here, in one shape, once. */
  readonly fail: (method: string, error: unknown) => ServiceError;
}

/**
 * The one server error boundary. A KompartError of the contract travels as its status
 * (code from REASON_CODES, message in `lang`, ErrorInfo); a cancellation as CANCELLED;
 * anything else is logged once as `{ method, err }` with "Erro interno em <método>" and
 * sent as INTERNAL with a generic message, so internals never reach a client.
 */
export function createServerBoundary(options: ServerBoundaryOptions): ServerBoundary {
  const { lang, logger } = options;

  const fail = (method: string, error: unknown): ServiceError => {
    const refusal = error instanceof KompartError && error.isContractReason;
    if (refusal) options.refused?.(method, String(error.reason));
    const expected = refusal || isCancellation(error);
    if (!expected) logger.error({ method, err: error }, render(grpcTexts.internalError, lang, { method }));
    return toServiceError(error, lang);
  };

  const admit = (method: string, request: unknown): ServiceError | undefined => {
    const refused = options.refuse?.();
    if (refused !== undefined) return fail(method, refused);
    if (isMalformed(request)) return fail(method, invalidArgument('request', `not a valid ${method} request (${malformedDetail(request)})`));
    return undefined;
  };

  return {
    fail,
    unary<Req, Res>(method: string, handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
      return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
        const refused = admit(method, call.request);
        if (refused !== undefined) {
          callback(refused);
          return;
        }
        handler(call.request, call).then(
          (response) => callback(null, response),
          (error: unknown) => callback(fail(method, call.cancelled ? Object.assign(new Error('cancelled'), { name: 'AbortError' }) : error)),
        );
      };
    },
    serverStream<Req, Res>(
      method: string,
      handler: (request: Req, call: ServerWritableStream<Req, Res>) => Promise<void>,
    ): handleServerStreamingCall<Req, Res> {
      return (call: ServerWritableStream<Req, Res>) => {
        const refused = admit(method, call.request);
        if (refused !== undefined) {
          call.emit('error', refused);
          return;
        }
        handler(call.request, call).catch((error: unknown) => {
          if (call.cancelled || call.destroyed) return;
          call.emit('error', fail(method, error));
        });
      };
    },
  };
}

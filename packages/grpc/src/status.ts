import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { KompartError, boundText, isKompartError, type FailureParams, type Lang } from '@kompart/core';
import { ERROR_DOMAIN, ErrorInfo, Reason, RpcStatus, isReason } from '@kompart/protocol';

/**
 * The gRPC status code each contract reason travels with (DESIGN.md §3): chosen here, at the
 * boundary, and nowhere else. A reason added to the .proto fails to compile until it has one.
 */
export const REASON_CODES: Readonly<Record<Reason, status>> = {
  PEER_ALREADY_REGISTERED: status.ALREADY_EXISTS,
  PEER_NOT_REGISTERED: status.FAILED_PRECONDITION,
  FILE_ALREADY_REGISTERED: status.ALREADY_EXISTS,
  PEER_OFFLINE: status.UNAVAILABLE,
  FILE_UNAVAILABLE: status.NOT_FOUND,
  FILE_AMBIGUOUS: status.FAILED_PRECONDITION,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  SESSION_INVALID: status.UNAUTHENTICATED,
  LIMIT_EXCEEDED: status.RESOURCE_EXHAUSTED,
  ADDRESS_MISMATCH: status.PERMISSION_DENIED,
  INVALID_PAGE_TOKEN: status.INVALID_ARGUMENT,
  SHUTTING_DOWN: status.UNAVAILABLE,
  INTERNAL_ERROR: status.INTERNAL,
  TICKET_INVALID: status.UNAUTHENTICATED,
  STORE_UNAVAILABLE: status.UNAVAILABLE,
  FILE_NOT_REGISTERED: status.NOT_FOUND,
  REGISTRATION_RATE_EXCEEDED: status.RESOURCE_EXHAUSTED,
  SESSIONS_PER_IP_EXCEEDED: status.RESOURCE_EXHAUSTED,
  REGISTRY_PEERS_FULL: status.RESOURCE_EXHAUSTED,
  REGISTRY_FILES_FULL: status.RESOURCE_EXHAUSTED,
  REQUESTER_DOWNLOADS_EXCEEDED: status.RESOURCE_EXHAUSTED,
  DOWNLOAD_IDLE: status.RESOURCE_EXHAUSTED,
  CONTENT_AMBIGUOUS: status.FAILED_PRECONDITION,
};

/** The trailer that carries a google.rpc.Status with the ErrorInfo. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';

/** True when the error says the call was cancelled (an aborted signal, a cancelled call). */
export function isCancellation(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: unknown }).code === status.CANCELLED);
}

/**
 * Server boundary: turns what a handler threw into the status the client gets. A
 * KompartError with a contract reason keeps its reason (ErrorInfo in the status details)
 * and gets its code from REASON_CODES and its message in `lang`; a cancellation becomes
 * CANCELLED; anything else (a local reason, a bug) becomes INTERNAL with a generic
 * message (the caller logs the original). Every parameter is cut to MAX_FAILURE_PARAM_CHARS
 * before it is rendered or sent, so no input, however long, can swell the status beyond
 * what a client accepts in its metadata (issue 20 item 4).
 */
export function toServiceError(error: unknown, lang: Lang): ServiceError {
  if (isCancellation(error)) return Object.assign(new Error('Cancelled'), { code: status.CANCELLED, details: 'Cancelled', metadata: new Metadata() });
  const known = isKompartError(error) && isReason(error.reason) ? bounded(error as KompartError<Reason>) : new KompartError(Reason.INTERNAL_ERROR);
  const code = REASON_CODES[known.reason];
  const message = known.render(lang);
  const info = ErrorInfo.encode({ reason: known.reason, domain: ERROR_DOMAIN, metadata: { ...known.params } }).finish();
  const details = RpcStatus.encode({ code, message, details: [{ typeUrl: ERROR_INFO_TYPE, value: Buffer.from(info) }] }).finish();
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(details));
  return Object.assign(new Error(message), { code, details: message, metadata });
}

/** The same failure with every parameter cut to MAX_FAILURE_PARAM_CHARS (itself when none is longer). */
function bounded(error: KompartError<Reason>): KompartError<Reason> {
  const entries = Object.entries(error.params);
  if (entries.every(([, value]) => boundText(value) === value)) return error;
  const params: FailureParams = Object.fromEntries(entries.map(([key, value]) => [key, boundText(value)]));
  return new KompartError(error.reason, params, { cause: error });
}

/** True when a value looks like a grpc-js ServiceError. */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'details' in error;
}

/**
 * The KompartError in a status's `grpc-status-details-bin` bytes, when they carry an
 * ErrorInfo of kompart's domain with a known reason; undefined otherwise.
 */
export function errorFromStatusDetails(bytes: Uint8Array | undefined, cause: unknown): KompartError<Reason> | undefined {
  if (bytes === undefined) return undefined;
  try {
    for (const detail of RpcStatus.decode(bytes).details) {
      if (detail.typeUrl !== ERROR_INFO_TYPE) continue;
      const info = ErrorInfo.decode(detail.value);
      if (info.domain === ERROR_DOMAIN && isReason(info.reason)) return new KompartError(info.reason, info.metadata, { cause });
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Client boundary for grpc-js calls: the KompartError a failed call carries, or undefined
 * (transport errors, foreign servers). The status code is on `cause`.
 */
export function fromServiceError(error: unknown): KompartError<Reason> | undefined {
  if (!isServiceError(error)) return undefined;
  const raw = error.metadata?.get(STATUS_DETAILS_KEY)[0];
  return errorFromStatusDetails(raw instanceof Buffer ? raw : undefined, error);
}

import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ErrorInfo } from './gen/google/rpc/error_details.js';
import { Status } from './gen/google/rpc/status.js';
import { ERROR_DOMAIN } from './limits.js';
import { render, type Lang, type Params } from './messages/catalogue.js';
import { errorTexts } from './messages/errors.js';

/** Machine-readable reasons, as sent in google.rpc.ErrorInfo.reason (see registry.proto). */
export const Reason = {
  PeerAlreadyRegistered: 'PEER_ALREADY_REGISTERED',
  PeerNotRegistered: 'PEER_NOT_REGISTERED',
  FileAlreadyRegistered: 'FILE_ALREADY_REGISTERED',
  PeerOffline: 'PEER_OFFLINE',
  FileUnavailable: 'FILE_UNAVAILABLE',
  FileAmbiguous: 'FILE_AMBIGUOUS',
  InvalidArgument: 'INVALID_ARGUMENT',
  SessionInvalid: 'SESSION_INVALID',
  LimitExceeded: 'LIMIT_EXCEEDED',
  AddressMismatch: 'ADDRESS_MISMATCH',
  InvalidPageToken: 'INVALID_PAGE_TOKEN',
  ShuttingDown: 'SHUTTING_DOWN',
  InternalError: 'INTERNAL_ERROR',
  TicketInvalid: 'TICKET_INVALID',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

const KNOWN_REASONS: ReadonlySet<string> = new Set(Object.values(Reason));

interface ReasonSpec {
  readonly code: status;
  readonly text: keyof typeof errorTexts;
}

/** The status code and message of each reason. */
const REASONS: Readonly<Record<Reason, ReasonSpec>> = {
  PEER_ALREADY_REGISTERED: { code: status.ALREADY_EXISTS, text: 'peerAlreadyRegistered' },
  PEER_NOT_REGISTERED: { code: status.FAILED_PRECONDITION, text: 'peerNotRegistered' },
  FILE_ALREADY_REGISTERED: { code: status.ALREADY_EXISTS, text: 'fileAlreadyRegistered' },
  PEER_OFFLINE: { code: status.UNAVAILABLE, text: 'peerOffline' },
  FILE_UNAVAILABLE: { code: status.NOT_FOUND, text: 'fileUnavailable' },
  FILE_AMBIGUOUS: { code: status.FAILED_PRECONDITION, text: 'fileAmbiguous' },
  INVALID_ARGUMENT: { code: status.INVALID_ARGUMENT, text: 'invalidArgument' },
  SESSION_INVALID: { code: status.UNAUTHENTICATED, text: 'sessionInvalid' },
  LIMIT_EXCEEDED: { code: status.RESOURCE_EXHAUSTED, text: 'limitExceeded' },
  ADDRESS_MISMATCH: { code: status.PERMISSION_DENIED, text: 'addressMismatch' },
  INVALID_PAGE_TOKEN: { code: status.INVALID_ARGUMENT, text: 'invalidPageToken' },
  SHUTTING_DOWN: { code: status.UNAVAILABLE, text: 'shuttingDown' },
  INTERNAL_ERROR: { code: status.INTERNAL, text: 'internal' },
  TICKET_INVALID: { code: status.UNAUTHENTICATED, text: 'ticketInvalid' },
};

/**
 * A kompart failure: a reason plus the values its message is built from. Domain code
 * throws these; the server boundary turns them into gRPC statuses (toServiceError) and
 * clients turn statuses back into them (fromServiceError).
 */
export class KompartError extends Error {
  readonly reason: Reason;
  readonly params: Readonly<Record<string, string>>;
  /** The gRPC status code this error travels with. */
  readonly code: status;

  constructor(reason: Reason, params: Readonly<Record<string, string>> = {}, options?: { cause?: unknown; code?: status }) {
    super(messageFor(reason, params, 'en'), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KompartError';
    this.reason = reason;
    this.params = params;
    this.code = options?.code ?? REASONS[reason].code;
  }

  /** The message in the given language. */
  render(lang: Lang): string {
    return messageFor(this.reason, this.params, lang);
  }
}

/** Builds the text of a reason in a language. */
export function messageFor(reason: Reason, params: Params, lang: Lang): string {
  // `disconnect` answers "Peer não registrado" without an address (DESIGN.md §2).
  if (reason === Reason.PeerNotRegistered && !params['peer']) return render(errorTexts.disconnectNotRegistered, lang);
  return render(errorTexts[REASONS[reason].text], lang, params);
}

/** Shorthand for an INVALID_ARGUMENT error about one field. */
export function invalidArgument(field: string, detail: string): KompartError {
  return new KompartError(Reason.InvalidArgument, { field, detail: `${field}: ${detail}` });
}

const DETAILS_KEY = 'grpc-status-details-bin';
const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';

/**
 * Server boundary: turns any thrown value into a ServiceError. KompartErrors keep their
 * code, get the message in `lang` and an ErrorInfo in the status details; anything else
 * becomes INTERNAL with a generic message (the caller logs the original).
 */
export function toServiceError(error: unknown, lang: Lang): ServiceError {
  const known = error instanceof KompartError ? error : new KompartError(Reason.InternalError);
  const message = known.render(lang);
  const info = ErrorInfo.encode({ reason: known.reason, domain: ERROR_DOMAIN, metadata: { ...known.params } }).finish();
  const details = Status.encode({
    code: known.code,
    message,
    details: [{ typeUrl: ERROR_INFO_TYPE, value: Buffer.from(info) }],
  }).finish();
  const metadata = new Metadata();
  metadata.set(DETAILS_KEY, Buffer.from(details));
  return Object.assign(new Error(message), { code: known.code, details: message, metadata });
}

/** True when a value looks like a grpc-js ServiceError. */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'details' in error;
}

/**
 * Client boundary: reads the ErrorInfo of a failed call. Returns a KompartError when the
 * server sent a kompart reason, undefined otherwise (transport errors, foreign servers).
 */
export function fromServiceError(error: unknown): KompartError | undefined {
  if (!isServiceError(error)) return undefined;
  const raw = error.metadata?.get(DETAILS_KEY)[0];
  if (!(raw instanceof Buffer)) return undefined;
  try {
    const decoded = Status.decode(raw);
    for (const detail of decoded.details) {
      if (detail.typeUrl !== ERROR_INFO_TYPE) continue;
      const info = ErrorInfo.decode(detail.value);
      if (info.domain !== ERROR_DOMAIN || !KNOWN_REASONS.has(info.reason)) continue;
      return new KompartError(info.reason as Reason, info.metadata, { cause: error, code: error.code });
    }
  } catch {
    return undefined;
  }
  return undefined;
}

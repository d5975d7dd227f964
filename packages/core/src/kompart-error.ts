import { Reason, isReason } from '@kompart/protocol';
import { reasonTexts, sharedTexts } from './contract-texts.js';
import { render, type Lang, type Params, type Text } from './messages.js';

/** The values a failure's message is built from (sent as ErrorInfo metadata for contract reasons). */
export type FailureParams = Readonly<Record<string, string>>;

export interface KompartErrorOptions {
  readonly cause?: unknown;
  /**
   * The text of a reason that is not one of the contract's (a peer's local failure,
   * a listen failure): the package that raises it owns the text. Contract reasons take
   * theirs from the contract texts.
   */
  readonly text?: Text;
}

/**
 * Every kompart failure, whoever raised it: a reason, the values its message is built
 * from, and the text that renders it in pt or en. Contract reasons (`Reason`, from the
 * proto's ErrorReason) cross the wire: the gRPC glue turns them into a status code at the
 * server boundary and back into a KompartError at the client. Local reasons (a path that
 * does not exist, a disk that is full) carry their own text and never leave the process.
 * It knows nothing of gRPC.
 */
export class KompartError<R extends string = string> extends Error {
  readonly reason: R;
  readonly params: FailureParams;
  readonly #text: Text;

  constructor(reason: R, params: FailureParams = {}, options: KompartErrorOptions = {}) {
    const text = options.text ?? contractText(reason, params);
    super(render(text, 'en', params), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KompartError';
    this.reason = reason;
    this.params = params;
    this.#text = text;
  }

  /** The message in the given language. */
  render(lang: Lang): string {
    return render(this.#text, lang, this.params);
  }

  /** True when this is a contract reason (one that may travel in an ErrorInfo). */
  get isContractReason(): boolean {
    return isReason(this.reason);
  }
}

/** True when `error` is a KompartError, of one of `reasons` when any are given. */
export function isKompartError<R extends string>(error: unknown, ...reasons: R[]): error is KompartError<R> {
  // `instanceof` narrows to KompartError<any>; every KompartError has a string reason.
  return error instanceof KompartError && (reasons.length === 0 || (reasons as string[]).includes((error as KompartError).reason));
}

/** The text of a contract reason (`disconnect` answers "Peer não registrado" without an address, DESIGN.md §2). */
function contractText(reason: string, params: Params): Text {
  if (!isReason(reason)) throw new TypeError(`no text for the reason ${reason}: pass options.text`);
  if (reason === Reason.PEER_NOT_REGISTERED && !params['peer']) return sharedTexts.disconnectNotRegistered;
  return reasonTexts[reason];
}

/** Shorthand for an INVALID_ARGUMENT error about one field. */
export function invalidArgument(field: string, detail: string): KompartError<typeof Reason.INVALID_ARGUMENT> {
  return new KompartError(Reason.INVALID_ARGUMENT, { field, detail: `${field}: ${detail}` });
}

/**
 * One line for a person, whatever was thrown: a KompartError in `lang`, anything else as
 * the "unexpected error" text with the error's own message. Never a stack trace.
 */
export function describeError(error: unknown, lang: Lang): string {
  if (error instanceof KompartError) return error.render(lang);
  const detail = error instanceof Error ? error.message : String(error);
  return render(sharedTexts.unexpected, lang, { detail });
}

/** The `code` of a Node.js system error (`ENOENT`, `ENOSPC`, …), if any. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * @kompart/core: what every kompart package shares, with no gRPC in it. One failure type
 * (KompartError) that renders itself in pt or en, the message engine, the contract's
 * error texts, addresses, hashes, `get file` references, tickets, the Logger interface,
 * the injected Clock and the one backoff. Its only kompart import is the contract
 * (@kompart/protocol).
 */
export { AddressError, endpointAt, parseEndpoint, parseEndpointList, type Endpoint, type EndpointOptions } from './address.js';
export { DEFAULT_BACKOFF, backoffDelay, validateBackoff, type BackoffOptions } from './backoff.js';
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export { reasonTexts, sharedTexts } from './contract-texts.js';
export { parseFileRef, type FileRef } from './file-ref.js';
export { isHashReference, isHexPrefix, isSha256 } from './hash.js';
export { KompartError, describeError, errnoCode, invalidArgument, isKompartError, type FailureParams, type KompartErrorOptions } from './kompart-error.js';
export { silentLogger, type Logger } from './logger.js';
export { DEFAULT_LANG, LANGS, isLang, render, type Lang, type Params, type Text } from './messages.js';
export { MAX_FAILURE_PARAM_CHARS, QUOTED_INPUT_CHARS, boundText, quoteInput } from './quote-input.js';
export { issueTicket, ticketPublicKey, verifyTicket, type TicketExpectation } from './tickets.js';

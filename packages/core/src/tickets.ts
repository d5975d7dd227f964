import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { DownloadTicket, MAX_TICKET_BYTES, Reason, TicketClaims } from '@kompart/protocol';
import { KompartError } from './kompart-error.js';

/** What a holder checks a ticket against. */
export interface TicketExpectation {
  /** The holder's own normalised address. */
  readonly holder: string;
  /** The file asked for: each of these that is not empty must match the ticket. */
  readonly sha256: string;
  readonly path: string;
  /** Now, ms since the epoch. */
  readonly now: number;
  /**
   * Set by a holder that serves over TLS with its own identity: the SHA-256 of the client
   * certificate of the connection the ticket came on (undefined when it presented none).
   * A ticket naming a requester certificate is then served only on a connection with that
   * certificate. Unset (`checksRequester` false): the holder cannot tell (plaintext, or TLS
   * from a CA), and the binding is not checked.
   */
  readonly checksRequester?: boolean;
  readonly clientCertificate?: Uint8Array | undefined;
}

/** Signs claims with the registry's Ed25519 private key; returns an encoded DownloadTicket. */
export function issueTicket(privateKey: KeyObject, claims: TicketClaims): Buffer {
  const encoded = Buffer.from(TicketClaims.encode(claims).finish());
  return Buffer.from(DownloadTicket.encode({ claims: encoded, signature: sign(null, encoded, privateKey) }).finish());
}

/** Reads a DER SubjectPublicKeyInfo Ed25519 key as sent in RegisterPeerResponse. */
export function ticketPublicKey(der: Uint8Array): KeyObject {
  const key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the registry ticket key is not Ed25519');
  return key;
}

const refuse = (detail: string): KompartError => new KompartError(Reason.TICKET_INVALID, { detail });

/**
 * Checks a ticket: signed by the registry's key, for this holder and this file, not
 * expired, and (for a holder that `checksRequester`) used on a connection whose client
 * certificate is the one the ticket names, if it names one. Returns its claims or throws KompartError(TICKET_INVALID) saying why. A ticket
 * longer than MAX_TICKET_BYTES is refused unread.
 */
export function verifyTicket(ticket: Uint8Array, publicKey: KeyObject | undefined, expected: TicketExpectation): TicketClaims {
  if (ticket.length === 0) throw refuse('missing');
  if (ticket.length > MAX_TICKET_BYTES) throw refuse('too long');
  if (publicKey === undefined) throw refuse('this peer is not registered');
  let decoded: DownloadTicket;
  let claims: TicketClaims;
  try {
    decoded = DownloadTicket.decode(ticket);
    claims = TicketClaims.decode(decoded.claims);
  } catch {
    throw refuse('malformed');
  }
  if (!verify(null, decoded.claims, publicKey, decoded.signature)) throw refuse('bad signature');
  if (claims.holder !== expected.holder) throw refuse('issued for another holder');
  if (
    (expected.sha256 === '' && expected.path === '') ||
    (expected.sha256 !== '' && claims.sha256 !== expected.sha256.toLowerCase()) ||
    (expected.path !== '' && claims.path !== expected.path)
  ) {
    throw refuse('issued for another file');
  }
  if (claims.expiresMs < expected.now) throw refuse('expired');
  if (expected.checksRequester === true && claims.requesterCertificateSha256.length > 0) {
    const presented = expected.clientCertificate;
    if (presented === undefined || !Buffer.from(presented).equals(Buffer.from(claims.requesterCertificateSha256)))
      throw refuse('issued for another certificate');
  }
  return claims;
}

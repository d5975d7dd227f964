import type { KeyObject } from 'node:crypto';
import { issueTicket, systemClock, type Clock } from '@kompart/core';
import type { FileRecord } from './store.js';

/** Tickets remembered for reuse at most (about 300 bytes each with their key). */
const DEFAULT_CAPACITY = 16_384;

/**
 * Issues the download tickets LocateFile returns, reusing a recent one.
 *
 * Signing (Ed25519) is most of what a LocateFile costs. A ticket names the requester, the
 * holder, the file (hash and path), an expiry and the registry instance, nothing per call,
 * so the same requester asking again for the same file of the same holder may get the same
 * ticket while it is in the first half of its lifetime: every ticket handed out is still
 * valid for at least half the configured lifetime, and for at most all of it, as before.
 * Nothing about what a ticket allows changes (the holder checks the signature, itself as
 * holder, the file and the expiry, exactly as for a fresh one). A changed file (new hash)
 * gets a new ticket; a registry restart changes the key and forgets them all.
 *
 * At most `capacity` tickets are remembered, oldest dropped first.
 */
export class TicketIssuer {
  /** Key → ticket, in order of issue (a reissued key moves to the end). */
  private readonly recent = new Map<string, { readonly ticket: Buffer; readonly reuseUntil: number }>();

  constructor(
    private readonly privateKey: KeyObject,
    private readonly ttlMs: number,
    private readonly registryInstance: string,
    private readonly clock: Clock = systemClock,
    private readonly capacity: number = DEFAULT_CAPACITY,
  ) {}

  /**
   * A ticket for `requester` to download `file`, bound to `certificate` (the hex SHA-256 of
   * the certificate the requester registered; '' for none: a bearer ticket).
   */
  issue(requester: string, file: FileRecord, certificate = ''): Buffer {
    const now = this.clock.now();
    const key = `${requester}\n${certificate}\n${file.peer}\n${file.sha256}\n${file.path}`;
    const known = this.recent.get(key);
    if (known !== undefined && now < known.reuseUntil) return known.ticket;
    const ticket = issueTicket(this.privateKey, {
      holder: file.peer,
      requester,
      requesterCertificateSha256: Buffer.from(certificate, 'hex'),
      sha256: file.sha256,
      path: file.path,
      expiresMs: now + this.ttlMs,
      registryInstance: this.registryInstance,
    });
    if (known !== undefined) this.recent.delete(key);
    this.forgetOld(now);
    this.recent.set(key, { ticket, reuseUntil: now + Math.floor(this.ttlMs / 2) });
    return ticket;
  }

  /** Drops tickets past their reuse time, and the oldest beyond the capacity. */
  private forgetOld(now: number): void {
    for (const [key, entry] of this.recent) {
      if (entry.reuseUntil > now && this.recent.size < this.capacity) return;
      this.recent.delete(key);
    }
  }
}

import { generateKeyPairSync } from 'node:crypto';
import { ticketPublicKey, verifyTicket } from '@kompart/core';
import { FakeClock } from '@kompart/core/testing';
import type { FileRecord } from './store.js';
import { TicketIssuer } from './ticket-issuer.js';

describe('ticket issuer', () => {
  const keys = generateKeyPairSync('ed25519');
  const publicKey = ticketPublicKey(keys.publicKey.export({ format: 'der', type: 'spki' }));
  const file: FileRecord = { peer: '127.0.0.3', path: '/srv/a.txt', name: 'a.txt', sha256: 'a'.repeat(64), size: 1 };
  const expectation = (now: number) => ({ holder: file.peer, sha256: file.sha256, path: file.path, now });
  let clock: FakeClock;
  const issuer = (capacity?: number) => new TicketIssuer(keys.privateKey, 60_000, 'r1', clock, capacity);

  beforeEach(() => {
    clock = new FakeClock(1_000_000);
  });

  it('gives the same ticket for the same requester, holder and file during the first half of its lifetime, then a new one', async () => {
    const tickets = issuer();
    const first = tickets.issue('127.0.0.2', file);
    expect(verifyTicket(first, publicKey, expectation(clock.now()))).toEqual(
      expect.objectContaining({ requester: '127.0.0.2', expiresMs: 1_060_000, registryInstance: 'r1' }),
    );
    await clock.advance(29_999);
    expect(tickets.issue('127.0.0.2', file)).toBe(first);
    await clock.advance(1);
    const second = tickets.issue('127.0.0.2', file);
    expect(second).not.toEqual(first);
    expect(verifyTicket(second, publicKey, expectation(clock.now())).expiresMs).toBe(clock.now() + 60_000);
  });

  it('every ticket it hands out is valid for at least half the lifetime', async () => {
    const tickets = issuer();
    const first = tickets.issue('127.0.0.2', file);
    await clock.advance(29_999);
    expect(() => verifyTicket(tickets.issue('127.0.0.2', file), publicKey, expectation(clock.now() + 30_000))).not.toThrow();
    expect(() => verifyTicket(first, publicKey, expectation(1_060_001))).toThrow(expect.objectContaining({ reason: 'TICKET_INVALID' }));
  });

  it('issues separate tickets for another requester, another holder or another content', () => {
    const tickets = issuer();
    const first = tickets.issue('127.0.0.2', file);
    const others = [
      tickets.issue('127.0.0.4', file),
      tickets.issue('127.0.0.2', { ...file, peer: '127.0.0.5' }),
      tickets.issue('127.0.0.2', { ...file, sha256: 'b'.repeat(64) }),
      tickets.issue('127.0.0.2', { ...file, path: '/srv/b.txt', name: 'b.txt' }),
    ];
    for (const other of others) expect(other).not.toEqual(first);
    expect(() => verifyTicket(others[2]!, publicKey, expectation(clock.now()))).toThrow(expect.objectContaining({ reason: 'TICKET_INVALID' }));
  });

  it('remembers at most its capacity, dropping the oldest', () => {
    const tickets = issuer(2);
    const a = tickets.issue('a', file);
    const b = tickets.issue('b', file);
    tickets.issue('c', file);
    expect(tickets.issue('b', file)).toBe(b);
    expect(tickets.issue('a', file)).not.toBe(a);
  });
});

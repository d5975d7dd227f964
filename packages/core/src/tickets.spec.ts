import { generateKeyPairSync } from 'node:crypto';
import { MAX_PATH_BYTES, MAX_TICKET_BYTES, Reason } from '@kompart/protocol';
import { issueTicket, ticketPublicKey, verifyTicket } from './tickets.js';

describe('download tickets', () => {
  const registry = generateKeyPairSync('ed25519');
  const impostor = generateKeyPairSync('ed25519');
  const publicKey = ticketPublicKey(registry.publicKey.export({ format: 'der', type: 'spki' }));
  const claims = {
    holder: '127.0.0.3',
    requester: '127.0.0.2',
    sha256: 'a'.repeat(64),
    path: '/srv/a.txt',
    expiresMs: 10_000,
    registryInstance: 'r1',
    requesterCertificateSha256: Buffer.alloc(0),
  };
  const expected = { holder: '127.0.0.3', sha256: 'a'.repeat(64), path: '/srv/a.txt', now: 5_000 };

  it('accepts a ticket signed by the registry for this holder and file', () => {
    expect(verifyTicket(issueTicket(registry.privateKey, claims), publicKey, expected)).toEqual(claims);
  });

  it.each([
    ['missing', Buffer.alloc(0), expected],
    ['forged', issueTicket(impostor.privateKey, claims), expected],
    ['for another holder', issueTicket(registry.privateKey, { ...claims, holder: '127.0.0.4' }), expected],
    ['for another file', issueTicket(registry.privateKey, { ...claims, sha256: 'b'.repeat(64) }), expected],
    ['expired', issueTicket(registry.privateKey, claims), { ...expected, now: 10_001 }],
    ['garbage', Buffer.from('not a ticket at all'), expected],
  ])('refuses a %s ticket', (_why, ticket, expectation) => {
    expect(() => verifyTicket(ticket, publicKey, expectation)).toThrow(expect.objectContaining({ reason: Reason.TICKET_INVALID }));
  });

  it('refuses every ticket while the holder knows no registry key', () => {
    expect(() => verifyTicket(issueTicket(registry.privateKey, claims), undefined, expected)).toThrow(
      expect.objectContaining({ reason: Reason.TICKET_INVALID }),
    );
  });

  it('refuses a ticket longer than MAX_TICKET_BYTES unread, even a validly signed one', () => {
    const padded = issueTicket(registry.privateKey, { ...claims, registryInstance: 'r'.repeat(MAX_TICKET_BYTES) });
    expect(() => verifyTicket(padded, publicKey, expected)).toThrow(expect.objectContaining({ reason: Reason.TICKET_INVALID, params: { detail: 'too long' } }));
    const longest = issueTicket(registry.privateKey, { ...claims, path: `/${'p'.repeat(MAX_PATH_BYTES - 1)}` });
    expect(longest.length).toBeLessThan(MAX_TICKET_BYTES);
  });

  it('detects tampered claims', () => {
    const ticket = issueTicket(registry.privateKey, claims);
    const tampered = Buffer.from(ticket);
    tampered[tampered.indexOf(Buffer.from('127.0.0.3'))! + 8] = '4'.charCodeAt(0);
    expect(() => verifyTicket(tampered, publicKey, expected)).toThrow(expect.objectContaining({ reason: Reason.TICKET_INVALID }));
  });
});

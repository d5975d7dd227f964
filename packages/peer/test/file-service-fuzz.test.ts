/**
 * Property-based (issue 7, item 2): random and malformed Download requests thrown at the
 * FileService of real peers, as raw bytes (no serializer in the way): arbitrary bytes,
 * and hand-encoded requests with random hashes, paths (huge, NUL, invalid UTF-8),
 * offsets and range lengths (any 64-bit varint, negative ones too), tickets (valid, cut, flipped, random),
 * unknown fields appended, and messages cut short. The FileService never crashes,
 * answers with deliberate codes only (never INTERNAL or UNKNOWN) and a kompart reason,
 * never sends a byte of anything but the one registered file (and then exactly its bytes
 * from the offset it announces, to the end or for the length it announces), and serves valid downloads normally afterwards.
 *
 * Two peers: `alice` checks tickets (the default), `open` does not, so that random
 * requests reach the path, hash and offset checks on their own too.
 */
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { status } from '@grpc/grpc-js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { DownloadRequest, MAX_MESSAGE_BYTES } from '@kompart/protocol';
import type { Peer } from '../src/index';
import { CALM_PRESENCE, startNetwork, type TestNetwork } from './support/network';
import { DELIBERATE_DOWNLOAD_CODES, encodeDownloadRequest, rawFileClient, type RawFileClient, type RawOutcome } from './support/raw-file-client';
import { rawSession, type RawSession } from './support/raw-session';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const SECRET_MARKER = Buffer.from('NEVER-SHARED-7f3a');

describe('FileService under random input', () => {
  let net: TestNetwork;
  let alice: Peer;
  let open: Peer;
  let carol: RawSession;
  const clients = new Map<string, RawFileClient>();
  const song = randomBytes(100_000);
  let songPath: string;
  let secretPath: string;
  let ticket: Uint8Array;

  beforeAll(async () => {
    net = await startNetwork(CALM_PRESENCE);
    alice = await net.addPeer('127.0.0.51', { plaintextTransfers: true });
    open = await net.addPeer('127.0.0.52', { plaintextTransfers: true, requireTickets: false });
    await Promise.all([alice.registerPeer(), open.registerPeer()]);
    mkdirSync(net.dir.join('shared'));
    mkdirSync(net.dir.join('private'));
    songPath = net.dir.join('shared', 'song.bin');
    secretPath = net.dir.join('private', 'secret.bin');
    writeFileSync(songPath, song);
    writeFileSync(secretPath, Buffer.concat([SECRET_MARKER, randomBytes(1000), SECRET_MARKER]));
    await alice.registerPath(songPath);
    await open.registerPath(songPath);
    carol = await rawSession(net.registry.target, '127.0.0.53');
    ticket = (await carol.locate(alice.id, songPath)).ticket;
  });

  afterAll(async () => {
    for (const client of clients.values()) client.close();
    carol.close();
    await net.close();
  });

  function clientOf(peer: Peer): RawFileClient {
    let client = clients.get(peer.id);
    if (client === undefined) {
      client = rawFileClient(peer.fileServiceTarget);
      clients.set(peer.id, client);
    }
    return client;
  }

  /** What must hold for any answer, whatever was asked. */
  function checkAnswer(outcome: RawOutcome, context: string, options: { cancelled?: boolean } = {}): void {
    const described = `${context} -> ${status[outcome.code] ?? outcome.code}: ${outcome.details}`;
    if (options.cancelled === true && outcome.code === status.CANCELLED) return;
    expect({ described, deliberate: DELIBERATE_DOWNLOAD_CODES.has(outcome.code) }).toEqual({ described, deliberate: true });
    if (outcome.code !== status.OK) {
      expect({ described, reason: outcome.error?.reason !== undefined, messages: outcome.messages }).toEqual({ described, reason: true, messages: 0 });
    }
    expect(outcome.data.includes(SECRET_MARKER)).toBe(false);
    if (outcome.header !== undefined) {
      const { header } = outcome;
      expect({ sha256: header.sha256, path: header.path, size: header.size }).toEqual({ sha256: sha(song), path: songPath, size: song.length });
      expect(outcome.data.equals(song.subarray(header.offset, header.offset + outcome.data.length))).toBe(true);
      const end = header.length === undefined || header.length === 0 ? song.length : header.offset + header.length;
      expect(end).toBeLessThanOrEqual(song.length);
      if (outcome.code === status.OK) expect({ described, sent: outcome.data.length }).toEqual({ described, sent: end - header.offset });
    } else {
      expect(outcome.data.length).toBe(0);
    }
  }

  const peer = fc.constantFrom<'alice' | 'open'>('alice', 'open');
  const pick = (name: 'alice' | 'open'): Peer => (name === 'alice' ? alice : open);

  it('answers arbitrary bytes deliberately', async () => {
    await fc.assert(
      fc.asyncProperty(peer, fc.uint8Array({ maxLength: 4096 }), async (name, bytes) => {
        const outcome = await clientOf(pick(name)).download(bytes);
        checkAnswer(outcome, `${name} ${Buffer.from(bytes).toString('hex').slice(0, 200)}`);
      }),
      { numRuns: 200 },
    );
  });

  // Strings as a hostile client may send them.
  const text = (known: () => string[]) =>
    fc.oneof(
      { arbitrary: fc.string({ maxLength: 60 }), weight: 3 },
      { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 30 }), weight: 2 },
      { arbitrary: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7).map((i) => known()[i % known().length]!), weight: 4 },
      { arbitrary: fc.constantFrom('', '/', '..', '/../etc/passwd', '/etc/passwd', '%2e%2e%2f', '\u0000', '/x\u0000', '．．／', '\u202e'), weight: 2 },
      { arbitrary: fc.nat(20_000).map((n) => '/' + 'x'.repeat(n)), weight: 1 },
    );
  const hex64 = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 64, maxLength: 64 });
  const hashField = fc.oneof(
    text(() => [sha(song), sha(song).toUpperCase(), sha(SECRET_MARKER), '']),
    hex64,
    fc.uint8Array({ maxLength: 80 }),
  );
  const pathField = fc.oneof(
    { arbitrary: text(() => [songPath, secretPath, `${songPath}/`, songPath.toUpperCase(), `${songPath}\u0000`, '']), weight: 5 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 1 },
    { arbitrary: fc.constant('/' + 'y'.repeat(2 * 1024 * 1024)), weight: 1 },
  );
  // Any 64-bit varint: in range, at and past the end, beyond 2^53, negative.
  const offsetField = fc.oneof(
    fc.nat(song.length),
    fc.constantFrom(0n, BigInt(song.length), BigInt(song.length + 1), 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n),
    fc.bigInt(0n, 2n ** 64n - 1n),
    fc.bigInt(-(2n ** 63n), -1n),
  );
  // A range's length: none (to the end), in range, past the end, huge, negative.
  const lengthField = fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 3 },
    { arbitrary: fc.nat(song.length), weight: 2 },
    fc.constantFrom(0n, 1n, BigInt(song.length), BigInt(song.length + 1), 2n ** 53n, 2n ** 64n - 1n),
    fc.bigInt(-(2n ** 63n), -1n),
  );
  const ticketField = fc.oneof(
    fc.constant('valid' as const),
    fc.constant('none' as const),
    fc.nat().map((cut) => ({ cut })),
    fc.nat().map((flip) => ({ flip })),
    fc.uint8Array({ maxLength: 300 }),
  );
  const unknownField = fc.record({
    field: fc.integer({ min: 6, max: 2 ** 29 - 1 }),
    wire: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7),
    payload: fc.uint8Array({ maxLength: 24 }),
    value: fc.bigInt(0n, 2n ** 64n - 1n),
  });
  const trailerField = fc.oneof(
    fc.constant(undefined),
    fc.array(unknownField, { minLength: 1, maxLength: 4 }).map(encodeUnknown),
    fc.uint8Array({ minLength: 1, maxLength: 32 }),
  );

  function ticketBytes(choice: 'valid' | 'none' | { cut: number } | { flip: number } | Uint8Array): Uint8Array | undefined {
    if (choice === 'valid') return ticket;
    if (choice === 'none') return undefined;
    if (choice instanceof Uint8Array) return choice;
    if ('cut' in choice) return ticket.subarray(0, choice.cut % ticket.length);
    const flipped = Buffer.from(ticket);
    flipped[choice.flip % flipped.length]! ^= 1 << (choice.flip % 8);
    return flipped;
  }

  // A valid request (by path, by hash or both, any offset in range, a valid ticket) with
  // any of its fields replaced by random ones: near-misses as well as garbage.
  const validBase = fc.record({
    sha256: fc.constantFrom<string | undefined>(undefined, 'lower', 'upper'),
    path: fc.boolean(),
    offset: fc.nat(song.length),
  });
  const sometimes = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary, weight: 1 });
  const overrides = fc.record({ sha256: sometimes(hashField), path: sometimes(pathField), offset: sometimes(offsetField) });

  it('answers random, malformed and truncated requests deliberately, serving only the registered file', async () => {
    let served = 0;
    await fc.assert(
      fc.asyncProperty(
        peer,
        validBase,
        overrides,
        fc.oneof({ arbitrary: fc.constant('valid' as const), weight: 3 }, { arbitrary: ticketField, weight: 2 }),
        fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: trailerField, weight: 1 }),
        fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fc.nat(), weight: 1 }),
        lengthField,
        async (name, base, override, ticketChoice, trailer, cutAt, length) => {
          const valid = {
            sha256: base.sha256 === undefined ? undefined : base.sha256 === 'lower' ? sha(song) : sha(song).toUpperCase(),
            path: base.path || base.sha256 === undefined ? songPath : undefined,
            offset: base.offset,
          };
          const fields = {
            sha256: override.sha256 ?? valid.sha256,
            path: override.path ?? valid.path,
            offset: override.offset ?? valid.offset,
          };
          const offset = fields.offset === undefined ? undefined : BigInt(fields.offset);
          const encoded = encodeDownloadRequest({ ...fields, offset, length, ticket: ticketBytes(ticketChoice), trailer });
          const bytes = cutAt === undefined ? encoded : encoded.subarray(0, cutAt % (encoded.length + 1));
          const outcome = await clientOf(pick(name)).download(bytes);
          checkAnswer(outcome, `${name} ${describeRequest(bytes)}`);
          if (outcome.code === status.OK) served += 1;
        },
      ),
      { numRuns: 300 },
    );
    // The generator reaches the serving path too (about one run in eight), not only refusals.
    expect(served).toBeGreaterThan(0);
  });

  it('survives clients that cancel at any point of a download', async () => {
    await fc.assert(
      fc.asyncProperty(peer, fc.nat(song.length), fc.nat(8), async (name, offset, cancelAfter) => {
        const request = encodeDownloadRequest({ path: songPath, offset, ticket: name === 'alice' ? ticket : undefined });
        const outcome = await clientOf(pick(name)).download(request, { cancelAfter });
        checkAnswer(outcome, `${name} offset ${offset} cancel after ${cancelAfter}`, { cancelled: true });
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a request larger than the message limit with RESOURCE_EXHAUSTED', async () => {
    const outcome = await clientOf(open).download(encodeDownloadRequest({ path: '/' + 'z'.repeat(MAX_MESSAGE_BYTES + 1024) }));
    expect(outcome.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(outcome.messages).toBe(0);
  });

  it('still serves valid downloads afterwards', async () => {
    const byAlice = await clientOf(alice).download(encodeDownloadRequest({ sha256: sha(song), ticket }));
    expect({ code: byAlice.code, details: byAlice.details, params: byAlice.error?.params }).toEqual({ code: status.OK, details: 'OK', params: undefined });
    expect(byAlice.data.equals(song)).toBe(true);
    const byOpen = await clientOf(open).download(encodeDownloadRequest({ path: songPath, offset: 99_000 }));
    expect(byOpen.data.equals(song.subarray(99_000))).toBe(true);
    // And through the whole peer stack: a third peer downloads, verifies and saves the file.
    const bob = await net.addPeer('127.0.0.54', { plaintextTransfers: true });
    await bob.registerPeer();
    const result = await bob.getFile(`${alice.id}/song.bin`);
    expect(result).toMatchObject({ status: 'downloaded', sha256: sha(song) });
  });
});

/** Unknown fields of every wire type (3, 4, 6 and 7 are groups and invalid types: the decoder must cope). */
function encodeUnknown(fields: { field: number; wire: number; payload: Uint8Array; value: bigint }[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const { field, wire, payload, value } of fields) {
    writer.uint32(((field << 3) | wire) >>> 0);
    if (wire === 0) writer.uint64(value);
    else if (wire === 1) writer.fixed64(value);
    else if (wire === 2) writer.bytes(payload);
    else if (wire === 5) writer.fixed32(Number(value & 0xffffffffn));
  }
  return writer.finish();
}

/** A short description of a request for failure messages: what it decodes to, or its bytes. */
function describeRequest(bytes: Uint8Array): string {
  try {
    const request = DownloadRequest.decode(bytes);
    return JSON.stringify({
      sha256: request.sha256.slice(0, 80),
      path: request.path.slice(0, 120),
      pathLength: request.path.length,
      offset: request.offset,
      length: request.length,
      ticket: request.ticket.length,
    });
  } catch (error) {
    return `undecodable (${String(error)}): ${Buffer.from(bytes).toString('hex').slice(0, 120)}`;
  }
}

/**
 * Property-based: random and malformed requests thrown at every Registry RPC. The server
 * never crashes, answers each with a deliberate status (never INTERNAL or UNKNOWN), and a
 * refused request changes nothing.
 */
import { ChannelCredentials, Metadata, makeGenericClientConstructor, status, type ServiceError } from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { DisconnectRequest, ListFilesRequest, LocateFileRequest, RegisterFileRequest, RegisterPeerRequest, UnregisterFileRequest } from '@kompart/protocol';
import { RegistryService } from '@kompart/grpc/testing';
import { tokenMetadata } from '@kompart/grpc';
import { call, fakeHash, startHarness, type Harness } from './registry-harness.js';

const DELIBERATE = new Set([
  status.OK,
  status.INVALID_ARGUMENT,
  status.FAILED_PRECONDITION,
  status.UNAUTHENTICATED,
  status.NOT_FOUND,
  status.UNAVAILABLE,
  status.ALREADY_EXISTS,
  status.RESOURCE_EXHAUSTED,
]);

type RawUnary = (request: Buffer, metadata: Metadata, callback: (error: ServiceError | null) => void) => void;
const identity = (buffer: Buffer): Buffer => buffer;
const unaryMethods = ['RegisterPeer', 'RegisterFile', 'UnregisterFile', 'ListFiles', 'LocateFile', 'Disconnect'] as const;
const RawClient = makeGenericClientConstructor(
  Object.fromEntries(
    unaryMethods.map((name) => [
      name,
      {
        path: RegistryService[lowerFirst(name)].path,
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    ]),
  ),
  'RawRegistry',
);

function lowerFirst<T extends string>(name: T): Uncapitalize<T> {
  return (name[0]!.toLowerCase() + name.slice(1)) as Uncapitalize<T>;
}

describe('Registry under random input', () => {
  let h: Harness;
  let raw: InstanceType<typeof RawClient>;
  let token: string;
  const me = '127.0.0.2';

  beforeAll(async () => {
    h = await startHarness({ maxFilesPerPeer: 50 });
    raw = new RawClient(h.registry.target, ChannelCredentials.createInsecure());
    token = (await h.register(me)).sessionToken;
    await call(h.client, 'registerFile', { peer: me, path: '/seed/file.txt', sha256: fakeHash(1), size: 5 }, token);
  });
  afterAll(async () => {
    raw.close();
    await h.close();
  });

  const snapshot = async () => {
    const page = await call(h.client, 'listFiles', { peer: me, pageSize: 10_000, pageToken: '', nameContains: '', sha256Prefix: '', holder: '' }, token);
    return { counts: await h.registry.directory.counts(), files: page.files };
  };

  const send = (method: (typeof unaryMethods)[number], bytes: Uint8Array, withToken: boolean): Promise<number> =>
    new Promise((resolve) => {
      const fn = (raw as unknown as Record<string, RawUnary>)[method]!;
      fn.call(raw, Buffer.from(bytes), withToken ? tokenMetadata(token) : new Metadata(), (error) => resolve(error === null ? status.OK : error.code));
    });

  it('answers arbitrary bytes on every method deliberately and stays consistent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...unaryMethods), fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (method, bytes, withToken) => {
        const before = await snapshot();
        const code = await send(method, bytes, withToken);
        expect(DELIBERATE.has(code)).toBe(true);
        if (code !== status.OK) expect(await snapshot()).toEqual(before);
      }),
      { numRuns: 150 },
    );
  });

  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.constantFrom('', '/', '..', '/../etc/passwd', '/a/./b', 'a\u0000b', '/x\u0000', '%2e%2e/secret', '\u202e/evil', ' '.repeat(10)),
    fc.nat(9000).map((n) => '/' + 'x'.repeat(n)),
  );
  // Sizes as they may travel on the wire: any 64-bit varint, negative int64s included.
  const size = fc.oneof(fc.bigInt(0n, 2n ** 64n - 1n), fc.bigInt(-(2n ** 63n), -1n), fc.constantFrom(0n, 2n ** 53n, 2n ** 53n - 1n));
  const encodeRegisterFile = (path: string, sha256: string, bytes: bigint): Uint8Array => {
    const writer = new BinaryWriter();
    RegisterFileRequest.encode({ peer: me, path, sha256, size: 0 }, writer);
    writer.uint32(32);
    if (bytes < 0n) writer.int64(bytes.toString());
    else writer.uint64(bytes.toString());
    return writer.finish();
  };

  it('refuses malformed RegisterFile requests with INVALID_ARGUMENT and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.oneof(text, fc.constant(fakeHash(7))), size, async (path, sha256, bytes) => {
        const before = await snapshot();
        const encoded = encodeRegisterFile(path, sha256, bytes);
        const code = await send('RegisterFile', encoded, true);
        expect(DELIBERATE.has(code)).toBe(true);
        if (code !== status.OK) expect(await snapshot()).toEqual(before);
        else
          await call(h.client, 'disconnect', { peer: me }, token).then(async () => {
            token = (await h.register(me)).sessionToken;
            await call(h.client, 'registerFile', { peer: me, path: '/seed/file.txt', sha256: fakeHash(1), size: 5 }, token);
          });
      }),
      { numRuns: 150 },
    );
  });

  it('answers random RegisterPeer, UnregisterFile, ListFiles, LocateFile and Disconnect requests deliberately', async () => {
    await fc.assert(
      fc.asyncProperty(text, text, fc.integer(), text, async (a, b, n, c) => {
        const before = await snapshot();
        const requests: [(typeof unaryMethods)[number], Uint8Array][] = [
          ['ListFiles', ListFilesRequest.encode({ peer: me, pageSize: n, pageToken: a, nameContains: b, sha256Prefix: c, holder: a }).finish()],
          ['LocateFile', LocateFileRequest.encode({ peer: me, holder: a, file: b }).finish()],
          ['UnregisterFile', UnregisterFileRequest.encode({ peer: me, path: b }).finish()],
          ['Disconnect', DisconnectRequest.encode({ peer: c }).finish()],
          ['RegisterPeer', RegisterPeerRequest.encode({ address: me + b, certificateSha256: Buffer.alloc(0) }).finish()],
        ];
        for (const [method, bytes] of requests) {
          const code = await send(method, bytes, method !== 'Disconnect');
          expect(DELIBERATE.has(code)).toBe(true);
          if (code !== status.OK) expect(await snapshot()).toEqual(before);
        }
        // A random suffix may form a valid new address: undo that registration.
        const counts = await h.registry.directory.counts();
        if (counts.peers !== before.counts.peers) {
          await h.close();
          h = await startHarness({ maxFilesPerPeer: 50 });
          raw.close();
          raw = new RawClient(h.registry.target, ChannelCredentials.createInsecure());
          token = (await h.register(me)).sessionToken;
          await call(h.client, 'registerFile', { peer: me, path: '/seed/file.txt', sha256: fakeHash(1), size: 5 }, token);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('still serves normally afterwards', async () => {
    const session = await h.register('127.0.0.77');
    expect(session.peer).toBe('127.0.0.77');
  });
});

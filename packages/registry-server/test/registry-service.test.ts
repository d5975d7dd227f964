import { status } from '@grpc/grpc-js';
import { EventType, Reason, type RegisterPeerResponse } from '@kompart/protocol';
import { QUOTED_INPUT_CHARS, ticketPublicKey, verifyTicket } from '@kompart/core';
import { FakeClock } from '@kompart/core/testing';
import { call, fakeHash, startHarness, type Harness, type HeartbeatTap } from './registry-harness.js';

describe('Registry service over real gRPC', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ heartbeatIntervalMs: 5000 });
  });
  afterEach(() => h.close());

  const registerFile = (session: RegisterPeerResponse, path: string, n = 1, size = 10) =>
    call(h.client, 'registerFile', { peer: session.peer, path, sha256: fakeHash(n), size }, session.sessionToken);
  const list = (session: RegisterPeerResponse, extra: object = {}) =>
    call(
      h.client,
      'listFiles',
      { peer: session.peer, pageSize: 0, pageToken: '', nameContains: '', sha256Prefix: '', holder: '', ...extra },
      session.sessionToken,
    );
  const locate = (session: RegisterPeerResponse, holder: string, file: string) =>
    call(h.client, 'locateFile', { peer: session.peer, holder, file }, session.sessionToken);

  describe('RegisterPeer', () => {
    it('opens a session with a token and the heartbeat settings', async () => {
      const session = await h.register('127.0.0.2');
      expect(session.peer).toBe('127.0.0.2');
      expect(session.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(session.heartbeatIntervalMs).toBe(5000);
      expect(session.heartbeatMisses).toBe(2);
      expect(session.registryInstance).toBe(h.registry.instance);
    });

    it('normalises the default port away and keeps others', async () => {
      expect((await h.register(' 127.0.0.2:50052 ')).peer).toBe('127.0.0.2');
      expect((await h.register('127.0.0.2:6000')).peer).toBe('127.0.0.2:6000');
    });

    it('refuses a second registration of an online address with ALREADY_EXISTS and the exact text', async () => {
      await h.register('127.0.0.2');
      const error = await h.rejection(h.register('127.0.0.2:50052'));
      expect(error.grpcCode).toBe(status.ALREADY_EXISTS);
      expect(error.grpcMessage).toBe('Peer 127.0.0.2 já registrado');
      expect(error.reason).toBe(Reason.PEER_ALREADY_REGISTERED);
      expect(error.params).toEqual({ peer: '127.0.0.2' });
      expect(error.render('en')).toBe('Peer 127.0.0.2 already registered');
    });

    it.each(['', 'not an address!', '300.1.1.1', '127.0.0.1:99999', '127.0.0.1:x', 'a'.repeat(300)])(
      'refuses the address %j with INVALID_ARGUMENT',
      async (address) => {
        const error = await h.rejection(h.register(address));
        expect(error.grpcCode).toBe(status.INVALID_ARGUMENT);
        expect(error.reason).toBe(Reason.INVALID_ARGUMENT);
        expect(error.params['field']).toBe('address');
        expect((await h.registry.directory.counts()).peers).toBe(0);
      },
    );

    it.each([64 * 1024, 1024 * 1024])('refuses an address of %d characters at once, quoting only a short prefix', async (length) => {
      const error = await h.rejection(h.register('9'.repeat(length)));
      expect(error.grpcCode).toBe(status.INVALID_ARGUMENT);
      expect(error.grpcMessage).toBe(`Pedido inválido: address: invalid address "${'9'.repeat(QUOTED_INPUT_CHARS)}… (${length} characters)": too long`);
      expect(error.params['field']).toBe('address');
      // The registry still answers a real peer after it.
      expect((await h.register('127.0.0.2')).peer).toBe('127.0.0.2');
    });

    it('refuses an address the connection does not come from, unless told to trust peers', async () => {
      const error = await h.rejection(h.register('10.20.30.40'));
      expect(error.grpcCode).toBe(status.PERMISSION_DENIED);
      expect(error.reason).toBe(Reason.ADDRESS_MISMATCH);
      expect(error.params).toEqual({ peer: '10.20.30.40', seen: '127.0.0.1' });
      expect((await h.registry.directory.counts()).peers).toBe(0);
      await h.close();
      h = await startHarness({ trustPeerAddresses: true });
      expect((await h.register('10.20.30.40')).peer).toBe('10.20.30.40');
    });

    it('lets exactly one of many simultaneous registrations of one address win', async () => {
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => h.register('127.0.0.7')));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });
  });

  describe('RegisterFile', () => {
    it('registers a file that ListFiles then shows', async () => {
      const session = await h.register('127.0.0.2');
      const answer = await registerFile(session, '/srv/music/song.mp3', 7, 1234);
      expect(answer.file).toEqual({ peer: '127.0.0.2', path: '/srv/music/song.mp3', name: 'song.mp3', sha256: fakeHash(7), size: 1234 });
      expect((await list(session)).files).toEqual([answer.file]);
    });

    it('answers an unregistered peer with "Peer <IP> não registrado"', async () => {
      const error = await h.rejection(call(h.client, 'registerFile', { peer: '127.0.0.9', path: '/a', sha256: fakeHash(1), size: 1 }));
      expect(error.grpcCode).toBe(status.FAILED_PRECONDITION);
      expect(error.grpcMessage).toBe('Peer 127.0.0.9 não registrado');
      expect(error.reason).toBe(Reason.PEER_NOT_REGISTERED);
    });

    it('refuses a missing or wrong token with UNAUTHENTICATED and changes nothing', async () => {
      const session = await h.register('127.0.0.2');
      const other = await h.register('127.0.0.3');
      const request = { peer: '127.0.0.2', path: '/a', sha256: fakeHash(1), size: 1 };
      for (const token of [undefined, 'forged', other.sessionToken]) {
        const error = await h.rejection(call(h.client, 'registerFile', request, token));
        expect(error.grpcCode).toBe(status.UNAUTHENTICATED);
        expect(error.reason).toBe(Reason.SESSION_INVALID);
      }
      expect((await list(session)).files).toEqual([]);
    });

    it('a token dies with its session: refused after disconnect and after the address registers again', async () => {
      const old = await h.register('127.0.0.2');
      await call(h.client, 'disconnect', { peer: old.peer }, old.sessionToken);
      const gone = await h.rejection(registerFile(old, '/a', 1));
      expect(gone.reason).toBe(Reason.PEER_NOT_REGISTERED);
      const fresh = await h.register('127.0.0.2');
      const stale = await h.rejection(registerFile(old, '/a', 1));
      expect(stale.grpcCode).toBe(status.UNAUTHENTICATED);
      expect(fresh.sessionToken).not.toBe(old.sessionToken);
      expect((await list(fresh)).files).toEqual([]);
    });

    it('refuses a request beyond the 16 MiB message limit with RESOURCE_EXHAUSTED', async () => {
      const session = await h.register('127.0.0.2');
      const error = await registerFile(session, '/' + 'x'.repeat(17 * 1024 * 1024), 1).catch((e: { code: number }) => e);
      expect((error as { code: number }).code).toBe(status.RESOURCE_EXHAUSTED);
      expect((await list(session)).files).toEqual([]);
    });

    it('refuses the same path twice with "Arquivo <nome> já registrado"', async () => {
      const session = await h.register('127.0.0.2');
      await registerFile(session, '/data/a.txt', 1);
      const error = await h.rejection(registerFile(session, '/data/a.txt', 1));
      expect(error.grpcCode).toBe(status.ALREADY_EXISTS);
      expect(error.grpcMessage).toBe('Arquivo /data/a.txt já registrado');
      expect(error.reason).toBe(Reason.FILE_ALREADY_REGISTERED);
      expect((await list(session)).files.map((f) => f.sha256)).toEqual([fakeHash(1)]);
    });

    it('updates the hash and size of a path registered again with new content (the file changed)', async () => {
      const session = await h.register('127.0.0.2');
      await registerFile(session, '/data/a.txt', 1, 10);
      await registerFile(session, '/data/b.txt', 2, 10);
      const answer = await registerFile(session, '/data/a.txt', 3, 20);
      expect(answer.file).toMatchObject({ path: '/data/a.txt', sha256: fakeHash(3), size: 20 });
      expect((await list(session)).files.map((f) => [f.path, f.sha256])).toEqual([
        ['/data/a.txt', fakeHash(3)],
        ['/data/b.txt', fakeHash(2)],
      ]);
      expect((await locate(session, '127.0.0.2', 'a.txt')).file?.sha256).toBe(fakeHash(3));
      expect((await h.registry.directory.counts()).files).toBe(2);
    });

    it.each([
      ['a relative path', { path: 'data/a.txt' }, 'path'],
      ['a path with NUL', { path: '/data/a\u0000b' }, 'path'],
      ['a path with ..', { path: '/data/../etc/passwd' }, 'path'],
      ['a folder path', { path: '/data/' }, 'path'],
      ['an over-long path', { path: '/' + 'x'.repeat(5000) }, 'path'],
      ['a short hash', { sha256: 'abc' }, 'sha256'],
      ['a non-hex hash', { sha256: 'z'.repeat(64) }, 'sha256'],
    ])('refuses %s with INVALID_ARGUMENT', async (_what, override, field) => {
      const session = await h.register('127.0.0.2');
      const request = { peer: session.peer, path: '/data/a.txt', sha256: fakeHash(1), size: 1, ...override };
      const error = await h.rejection(call(h.client, 'registerFile', request, session.sessionToken));
      expect(error.grpcCode).toBe(status.INVALID_ARGUMENT);
      expect(error.params['field']).toBe(field);
      expect((await list(session)).files).toEqual([]);
    });

    it('stores upper-case hashes in lower case', async () => {
      const session = await h.register('127.0.0.2');
      const answer = await call(h.client, 'registerFile', { peer: session.peer, path: '/x', sha256: 'AB'.repeat(32), size: 0 }, session.sessionToken);
      expect(answer.file?.sha256).toBe('ab'.repeat(32));
    });

    it('enforces the per-peer file limit with RESOURCE_EXHAUSTED', async () => {
      await h.close();
      h = await startHarness({ maxFilesPerPeer: 2 });
      const session = await h.register('127.0.0.2');
      await registerFile(session, '/a', 1);
      await registerFile(session, '/b', 2);
      const error = await h.rejection(registerFile(session, '/c', 3));
      expect(error.grpcCode).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.reason).toBe(Reason.LIMIT_EXCEEDED);
    });
  });

  describe('UnregisterFile', () => {
    const unregister = (session: RegisterPeerResponse, path: string, token = session.sessionToken) =>
      call(h.client, 'unregisterFile', { peer: session.peer, path }, token);

    it('removes one entry: ListFiles and LocateFile no longer find it, the others stay in order', async () => {
      const holder = await h.register('127.0.0.2');
      const other = await h.register('127.0.0.3');
      await registerFile(holder, '/srv/a.txt', 1, 10);
      await registerFile(holder, '/srv/b.txt', 2, 20);
      await registerFile(holder, '/srv/c.txt', 3, 30);
      // Listed once, so this replica's listing cache holds the entries.
      expect((await list(other)).files).toHaveLength(3);
      const answer = await unregister(holder, '/srv/b.txt');
      expect(answer.file).toEqual({ peer: '127.0.0.2', path: '/srv/b.txt', name: 'b.txt', sha256: fakeHash(2), size: 20 });
      expect((await list(other)).files.map((f) => f.path)).toEqual(['/srv/a.txt', '/srv/c.txt']);
      expect((await list(other, { nameContains: 'b.txt' })).files).toEqual([]);
      const gone = await h.rejection(locate(other, '127.0.0.2', 'b.txt'));
      expect(gone.grpcCode).toBe(status.NOT_FOUND);
      expect(gone.grpcMessage).toBe('arquivo removido ou indisponível');
      expect((await h.rejection(locate(other, '127.0.0.2', fakeHash(2)))).reason).toBe(Reason.FILE_UNAVAILABLE);
      expect((await h.registry.directory.counts()).files).toBe(2);
      // Registered again (changed meanwhile): a new entry, at the end, with its new hash.
      await registerFile(holder, '/srv/b.txt', 4, 40);
      expect((await list(other)).files.map((f) => [f.path, f.sha256])).toEqual([
        ['/srv/a.txt', fakeHash(1)],
        ['/srv/c.txt', fakeHash(3)],
        ['/srv/b.txt', fakeHash(4)],
      ]);
      expect((await call(h.client, 'disconnect', { peer: holder.peer }, holder.sessionToken)).removedFiles).toBe(3);
    });

    it('answers a path the peer has not registered with NOT_FOUND "Arquivo <path> não registrado", and changes nothing', async () => {
      const holder = await h.register('127.0.0.2');
      const other = await h.register('127.0.0.3');
      await registerFile(holder, '/srv/a.txt', 1);
      await registerFile(other, '/srv/theirs.txt', 2);
      const before = (await list(other)).files;
      for (const path of ['/srv/nothing.txt', '/srv', '/srv/theirs.txt']) {
        const error = await h.rejection(unregister(holder, path));
        expect(error.grpcCode).toBe(status.NOT_FOUND);
        expect(error.reason).toBe(Reason.FILE_NOT_REGISTERED);
        expect(error.params).toEqual({ peer: '127.0.0.2', file: path });
        expect(error.grpcMessage).toBe(`Arquivo ${path} não registrado`);
        expect(error.render('en')).toBe(`File ${path} not registered`);
      }
      await unregister(holder, '/srv/a.txt');
      expect((await h.rejection(unregister(holder, '/srv/a.txt'))).reason).toBe(Reason.FILE_NOT_REGISTERED);
      expect((await list(other)).files).toEqual(before.filter((f) => f.path !== '/srv/a.txt'));
    });

    it("cannot remove somebody else's file: a session's token only, and only a registered caller", async () => {
      const holder = await h.register('127.0.0.2');
      const thief = await h.register('127.0.0.3');
      await registerFile(holder, '/srv/a.txt', 1);
      for (const token of [undefined, 'forged', thief.sessionToken]) {
        const error = await h.rejection(call(h.client, 'unregisterFile', { peer: holder.peer, path: '/srv/a.txt' }, token));
        expect(error.grpcCode).toBe(status.UNAUTHENTICATED);
        expect(error.reason).toBe(Reason.SESSION_INVALID);
      }
      const stranger = await h.rejection(call(h.client, 'unregisterFile', { peer: '127.0.0.9', path: '/srv/a.txt' }));
      expect(stranger.grpcCode).toBe(status.FAILED_PRECONDITION);
      expect(stranger.grpcMessage).toBe('Peer 127.0.0.9 não registrado');
      expect((await list(thief)).files.map((f) => f.path)).toEqual(['/srv/a.txt']);
    });

    it.each([
      ['a relative path', 'srv/a.txt'],
      ['an empty path', ''],
      ['a path with ..', '/srv/../srv/a.txt'],
      ['a folder path', '/srv/'],
      ['a path with NUL', '/srv/a\u0000.txt'],
    ])('refuses %s with INVALID_ARGUMENT', async (_what, path) => {
      const holder = await h.register('127.0.0.2');
      await registerFile(holder, '/srv/a.txt', 1);
      const error = await h.rejection(unregister(holder, path));
      expect(error.grpcCode).toBe(status.INVALID_ARGUMENT);
      expect(error.params['field']).toBe('path');
      expect((await list(holder)).files).toHaveLength(1);
    });

    it('speaks English when started with lang en', async () => {
      await h.close();
      h = await startHarness({ lang: 'en' });
      const holder = await h.register('127.0.0.2');
      expect((await h.rejection(unregister(holder, '/x'))).grpcMessage).toBe('File /x not registered');
    });
  });

  describe('ListFiles', () => {
    it('answers an empty index with an empty, successful page', async () => {
      const session = await h.register('127.0.0.2');
      expect(await list(session)).toEqual({ files: [], nextPageToken: '' });
    });

    it('refuses an unregistered caller', async () => {
      const error = await h.rejection(
        call(h.client, 'listFiles', { peer: '127.0.0.5', pageSize: 0, pageToken: '', nameContains: '', sha256Prefix: '', holder: '' }),
      );
      expect(error.grpcMessage).toBe('Peer 127.0.0.5 não registrado');
    });

    it('pages through every file in registration order and filters', async () => {
      const a = await h.register('127.0.0.2');
      const b = await h.register('127.0.0.3');
      for (let i = 0; i < 25; i++) await registerFile(i % 2 === 0 ? a : b, `/f/file-${i}.${i % 3 === 0 ? 'mp3' : 'txt'}`, i + 1);
      const seen: string[] = [];
      let pageToken = '';
      let pages = 0;
      do {
        const page = await list(a, { pageSize: 4, pageToken });
        seen.push(...page.files.map((f) => f.path));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken !== '');
      expect(pages).toBe(7);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `/f/file-${i}.${i % 3 === 0 ? 'mp3' : 'txt'}`));

      const mp3 = await list(a, { nameContains: 'MP3' });
      expect(mp3.files.map((f) => f.path)).toEqual([
        '/f/file-0.mp3',
        '/f/file-3.mp3',
        '/f/file-6.mp3',
        '/f/file-9.mp3',
        '/f/file-12.mp3',
        '/f/file-15.mp3',
        '/f/file-18.mp3',
        '/f/file-21.mp3',
        '/f/file-24.mp3',
      ]);
      expect((await list(a, { holder: '127.0.0.3:50052' })).files.every((f) => f.peer === '127.0.0.3')).toBe(true);
      expect((await list(a, { sha256Prefix: fakeHash(10).slice(0, 8) })).files.map((f) => f.path)).toEqual(['/f/file-9.mp3']);
    });

    it('answers many pages in flight at once, each with its own entries (the page buffer is reused between pages)', async () => {
      const a = await h.register('127.0.0.2');
      const b = await h.register('127.0.0.3');
      for (let i = 0; i < 60; i++) await registerFile(i % 2 === 0 ? a : b, `/f/${'x'.repeat(i)}-${i}`, i + 1, i + 1);
      const sequential = [];
      for (let start = 0; start < 60; start += 7) sequential.push(await list(a, { pageSize: 7, pageToken: start === 0 ? '' : first(start) }));
      const concurrent = await Promise.all(
        Array.from({ length: 9 }, (_, n) => list(n % 2 === 0 ? a : b, { pageSize: 7, pageToken: n === 0 ? '' : first(n * 7) })),
      );
      expect(concurrent).toEqual(sequential);
      expect(concurrent.flatMap((page) => page.files.map((f) => f.size))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      function first(after: number): string {
        return `p1.${after.toString(36)}`;
      }
    });

    it('keeps a cursor valid while peers leave between pages', async () => {
      const a = await h.register('127.0.0.2');
      const b = await h.register('127.0.0.3');
      for (let i = 0; i < 6; i++) await registerFile(i < 3 ? b : a, `/f/${i}`, i + 1);
      const first = await list(a, { pageSize: 2 });
      await call(h.client, 'disconnect', { peer: b.peer }, b.sessionToken);
      const rest = await list(a, { pageSize: 10, pageToken: first.nextPageToken });
      expect(rest.files.map((f) => f.path)).toEqual(['/f/3', '/f/4', '/f/5']);
    });

    it('refuses a forged page token and a bad hash filter', async () => {
      const session = await h.register('127.0.0.2');
      expect((await h.rejection(list(session, { pageToken: 'garbage' }))).reason).toBe(Reason.INVALID_PAGE_TOKEN);
      expect((await h.rejection(list(session, { sha256Prefix: 'xyz' }))).grpcCode).toBe(status.INVALID_ARGUMENT);
      expect((await h.rejection(list(session, { pageSize: -1 }))).grpcCode).toBe(status.INVALID_ARGUMENT);
    });
  });

  describe('limits that keep one host from starving the others', () => {
    it('refuses sessions beyond the per-IP limit with RESOURCE_EXHAUSTED and its text, and admits again when one ends', async () => {
      await h.close();
      h = await startHarness({ maxSessionsPerIp: 2 });
      const first = await h.register('127.0.0.2');
      await h.register('127.0.0.3');
      const error = await h.rejection(h.register('127.0.0.4'));
      expect(error.grpcCode).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.reason).toBe(Reason.SESSIONS_PER_IP_EXCEEDED);
      expect(error.grpcMessage).toBe('Sessões demais a partir de 127.0.0.1: no máximo 2 peers online por endereço IP');
      expect(error.render('en')).toBe('Too many sessions from 127.0.0.1: at most 2 peers online per IP address');
      expect((await h.registry.directory.counts()).peers).toBe(2);
      // An address already online is refused as such, and takes no place.
      expect((await h.rejection(h.register('127.0.0.2'))).reason).toBe(Reason.PEER_ALREADY_REGISTERED);
      expect((await h.rejection(h.register('127.0.0.4'))).reason).toBe(Reason.SESSIONS_PER_IP_EXCEEDED);
      const left = new Promise<void>((resolve) => h.registry.directory.on('event', (event) => event.type === 'peer-left' && resolve()));
      await call(h.client, 'disconnect', { peer: first.peer }, first.sessionToken);
      await left;
      expect((await h.register('127.0.0.4')).peer).toBe('127.0.0.4');
    });

    it('refuses RegisterPeer calls beyond the per-IP rate, counting failed ones too', async () => {
      await h.close();
      h = await startHarness({ maxRegistrationsPerMinute: 3 });
      expect((await h.rejection(h.register('not an address!'))).reason).toBe(Reason.INVALID_ARGUMENT);
      await h.register('127.0.0.2');
      await h.register('127.0.0.3');
      const error = await h.rejection(h.register('127.0.0.4'));
      expect(error.grpcCode).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.reason).toBe(Reason.REGISTRATION_RATE_EXCEEDED);
      expect(error.grpcMessage).toBe('Registros demais a partir de 127.0.0.1: no máximo 3 por minuto; tente de novo em instantes');
      expect(error.render('en')).toBe('Too many registrations from 127.0.0.1: at most 3 a minute; try again shortly');
      expect((await h.registry.directory.counts()).peers).toBe(2);
    });

    it('holds at most --max-peers peers and --max-files files, each refusal with its own text', async () => {
      await h.close();
      h = await startHarness({ maxPeers: 2, maxFiles: 3 });
      const a = await h.register('127.0.0.2');
      const b = await h.register('127.0.0.3');
      const full = await h.rejection(h.register('127.0.0.4'));
      expect(full.grpcCode).toBe(status.RESOURCE_EXHAUSTED);
      expect(full.reason).toBe(Reason.REGISTRY_PEERS_FULL);
      expect(full.grpcMessage).toBe('O servidor de registro está cheio: no máximo 2 peers online');
      for (const [n, who] of [a, b, a].entries()) await registerFile(who!, `/f/${n}`, n + 1);
      const files = await h.rejection(registerFile(b, '/f/9', 9));
      expect(files.grpcCode).toBe(status.RESOURCE_EXHAUSTED);
      expect(files.reason).toBe(Reason.REGISTRY_FILES_FULL);
      expect(files.grpcMessage).toBe('O servidor de registro está cheio: no máximo 3 arquivos registrados');
      expect(files.render('en')).toBe('The registry is full: at most 3 registered files');
      expect(await h.registry.directory.counts()).toEqual({ peers: 2, files: 3 });
    });
  });

  describe('LocateHolders', () => {
    const root = Buffer.alloc(32, 7);
    const share = (session: RegisterPeerResponse, path: string, n: number, pieces = true) =>
      call(
        h.client,
        'registerFile',
        { peer: session.peer, path, sha256: fakeHash(n), size: 10, ...(pieces ? { pieceSize: 262144, piecesRoot: root } : {}) },
        session.sessionToken,
      );
    const holders = (session: RegisterPeerResponse, sha256: string, maxHolders = 0) =>
      call(h.client, 'locateHolders', { peer: session.peer, sha256, maxHolders }, session.sessionToken);

    it('answers every other online holder once, with a ticket for each and the piece fields it registered', async () => {
      const me = await h.register('127.0.0.9');
      const [a, b, c] = [await h.register('127.0.0.2'), await h.register('127.0.0.3:6000'), await h.register('127.0.0.4')];
      await share(a, '/a/x.bin', 1);
      await share(a, '/a/copy.bin', 1);
      await share(b, '/b/x.bin', 1, false);
      await share(c, '/c/x.bin', 1);
      await share(me, '/me/x.bin', 1);
      const answer = await holders(me, fakeHash(1).slice(0, 8).toUpperCase());
      expect(answer.holders.map((x) => [x.file!.peer, x.file!.path, x.address, x.pieceSize, Buffer.from(x.piecesRoot).length])).toEqual([
        ['127.0.0.2', '/a/x.bin', '127.0.0.2:50052', 262144, 32],
        ['127.0.0.3:6000', '/b/x.bin', '127.0.0.3:6000', 0, 0],
        ['127.0.0.4', '/c/x.bin', '127.0.0.4:50052', 262144, 32],
      ]);
      const key = ticketPublicKey(a.ticketPublicKey);
      const claims = verifyTicket(answer.holders[0]!.ticket, key, { holder: '127.0.0.2', sha256: fakeHash(1), path: '/a/x.bin', now: Date.now() });
      expect(claims.requester).toBe('127.0.0.9');
      expect((await holders(me, fakeHash(1), 2)).holders).toHaveLength(2);
    });

    it('says FILE_UNAVAILABLE when nobody else holds it, CONTENT_AMBIGUOUS for a prefix of several contents, and refuses bad input', async () => {
      const me = await h.register('127.0.0.9');
      const a = await h.register('127.0.0.2');
      await share(me, '/me/x.bin', 1);
      let error = await h.rejection(holders(me, fakeHash(1)));
      expect([error.grpcCode, error.grpcMessage]).toEqual([status.NOT_FOUND, 'arquivo removido ou indisponível']);
      const [one, two] = [`12345678${'a'.repeat(56)}`, `12345678${'b'.repeat(56)}`];
      await call(h.client, 'registerFile', { peer: a.peer, path: '/a/1.bin', sha256: one, size: 1 }, a.sessionToken);
      await call(h.client, 'registerFile', { peer: a.peer, path: '/a/2.bin', sha256: two, size: 1 }, a.sessionToken);
      error = await h.rejection(holders(me, '12345678'));
      expect(error.grpcCode).toBe(status.FAILED_PRECONDITION);
      expect(error.reason).toBe(Reason.CONTENT_AMBIGUOUS);
      expect(error.grpcMessage).toBe(`Mais de um conteúdo corresponde a "12345678": ${one}\n${two}`);
      for (const bad of ['', '1234567', 'zzzzzzzz', 'a'.repeat(65)]) {
        error = await h.rejection(holders(me, bad));
        expect([error.grpcCode, error.params['field']]).toEqual([status.INVALID_ARGUMENT, 'sha256']);
      }
    });

    it('refuses malformed piece fields at RegisterFile and changes nothing', async () => {
      const a = await h.register('127.0.0.2');
      for (const [pieceSize, piecesRoot, field] of [
        [262144, Buffer.alloc(31), 'pieces_root'],
        [300000, root, 'piece_size'],
        [8 * 1024 * 1024, root, 'piece_size'],
        [0, root, 'piece_size'],
      ] as const) {
        const error = await h.rejection(
          call(h.client, 'registerFile', { peer: a.peer, path: '/a/x', sha256: fakeHash(1), size: 1, pieceSize, piecesRoot }, a.sessionToken),
        );
        expect([error.grpcCode, error.params['field']]).toEqual([status.INVALID_ARGUMENT, field]);
      }
      expect((await h.registry.directory.counts()).files).toBe(0);
    });
  });

  describe('LocateFile', () => {
    let me: RegisterPeerResponse;
    let holder: RegisterPeerResponse;
    beforeEach(async () => {
      me = await h.register('127.0.0.2');
      holder = await h.register('127.0.0.3:6000');
      await registerFile(holder, '/home/ana/song.mp3', 0xabcdef01);
      await registerFile(holder, '/home/ana/a/notes.txt', 2);
      await registerFile(holder, '/home/ana/b/notes.txt', 3);
      await registerFile(holder, '/home/ana/copy/song.mp3', 0xabcdef01);
    });

    it.each([
      ['the full path', '/home/ana/song.mp3', '/home/ana/song.mp3'],
      ['the path without its leading /', 'home/ana/a/notes.txt', '/home/ana/a/notes.txt'],
      ['a base name whose matches share one content', 'song.mp3', '/home/ana/song.mp3'],
      ['the whole hash', fakeHash(2), '/home/ana/a/notes.txt'],
      ['an 8-digit hash prefix', fakeHash(3).slice(0, 8), '/home/ana/b/notes.txt'],
      ['an upper-case hash prefix', 'ABCDEF01', '/home/ana/song.mp3'],
    ])('finds a file by %s', async (_how, reference, path) => {
      const answer = await locate(me, '127.0.0.3:6000', reference);
      expect(answer.file?.path).toBe(path);
      expect(answer.address).toBe('127.0.0.3:6000');
      const claims = verifyTicket(answer.ticket, ticketPublicKey(me.ticketPublicKey), {
        holder: '127.0.0.3:6000',
        sha256: answer.file!.sha256,
        path,
        now: Date.now(),
      });
      expect(claims.requester).toBe('127.0.0.2');
    });

    it('lists the candidates when a name is ambiguous', async () => {
      const error = await h.rejection(locate(me, '127.0.0.3:6000', 'notes.txt'));
      expect(error.grpcCode).toBe(status.FAILED_PRECONDITION);
      expect(error.reason).toBe(Reason.FILE_AMBIGUOUS);
      expect(error.params['candidates']).toBe('/home/ana/a/notes.txt\n/home/ana/b/notes.txt');
    });

    it('answers "Peer <IP> offline" for a holder that is not online', async () => {
      const error = await h.rejection(locate(me, '127.0.0.4', 'song.mp3'));
      expect(error.grpcCode).toBe(status.UNAVAILABLE);
      expect(error.grpcMessage).toBe('Peer 127.0.0.4 offline');
    });

    it('answers "arquivo removido ou indisponível" for a file the holder does not share', async () => {
      for (const reference of ['nothing.txt', '/home/ana', 'ffffffff']) {
        const error = await h.rejection(locate(me, '127.0.0.3:6000', reference));
        expect(error.grpcCode).toBe(status.NOT_FOUND);
        expect(error.grpcMessage).toBe('arquivo removido ou indisponível');
      }
    });

    it('quotes only a short prefix of a long reference, and refuses an oversized one unread', async () => {
      const long = `x${'y'.repeat(4000)}`;
      const missing = await h.rejection(locate(me, '127.0.0.3:6000', long));
      expect(missing.reason).toBe(Reason.FILE_UNAVAILABLE);
      expect(missing.params['file']).toBe(`x${'y'.repeat(QUOTED_INPUT_CHARS - 1)}… (4001 characters)`);
      for (const length of [64 * 1024, 1024 * 1024]) {
        const error = await h.rejection(locate(me, '127.0.0.3:6000', 'z'.repeat(length)));
        expect(error.grpcCode).toBe(status.INVALID_ARGUMENT);
        expect(error.grpcMessage).toBe('Pedido inválido: file: too long');
      }
    });

    it('refuses a hash prefix shorter than 8 digits as a hash (it is only a name then)', async () => {
      const error = await h.rejection(locate(me, '127.0.0.3:6000', 'abcdef0'));
      expect(error.reason).toBe(Reason.FILE_UNAVAILABLE);
    });
  });

  describe('Disconnect', () => {
    it('removes the peer and its files', async () => {
      const me = await h.register('127.0.0.2');
      const other = await h.register('127.0.0.3');
      await registerFile(other, '/x', 1);
      await registerFile(other, '/y', 2);
      expect(await call(h.client, 'disconnect', { peer: other.peer }, other.sessionToken)).toEqual({ removedFiles: 2 });
      expect((await list(me)).files).toEqual([]);
      expect((await h.register('127.0.0.3')).peer).toBe('127.0.0.3');
    });

    it('answers "Peer não registrado" when not registered', async () => {
      const error = await h.rejection(call(h.client, 'disconnect', { peer: '127.0.0.2' }));
      expect(error.grpcCode).toBe(status.FAILED_PRECONDITION);
      expect(error.grpcMessage).toBe('Peer não registrado');
      expect(error.render('en')).toBe('Peer not registered');
    });

    it('cannot disconnect somebody else', async () => {
      const victim = await h.register('127.0.0.3');
      const error = await h.rejection(call(h.client, 'disconnect', { peer: victim.peer }, 'stolen?'));
      expect(error.grpcCode).toBe(status.UNAUTHENTICATED);
      expect((await h.registry.directory.counts()).peers).toBe(1);
    });
  });

  it('limits the request rate of one session with RESOURCE_EXHAUSTED', async () => {
    await h.close();
    h = await startHarness({ maxRequestsPerSecond: 1, requestBurst: 3 });
    const session = await h.register('127.0.0.2');
    const codes = await Promise.all(
      Array.from({ length: 6 }, () =>
        list(session).then(
          () => status.OK,
          (error: { code: number }) => error.code,
        ),
      ),
    );
    expect(codes.filter((code) => code === status.OK)).toHaveLength(3);
    expect(codes.filter((code) => code === status.RESOURCE_EXHAUSTED)).toHaveLength(3);
    const other = await h.register('127.0.0.3');
    expect((await list(other)).files).toEqual([]);
  });

  it('takes its message and path limits from its configuration', async () => {
    await h.close();
    h = await startHarness({ maxPathBytes: 20, maxMessageBytes: 64 * 1024 });
    const session = await h.register('127.0.0.2');
    const long = await h.rejection(registerFile(session, '/' + 'x'.repeat(20), 1));
    expect(long.grpcCode).toBe(status.INVALID_ARGUMENT);
    expect(long.params['detail']).toBe('path: longer than 20 bytes');
    const huge = await registerFile(session, '/' + 'y'.repeat(70 * 1024), 1).catch((e: { code: number }) => e);
    expect((huge as { code: number }).code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await registerFile(session, '/short', 1)).file?.path).toBe('/short');
  });

  it('speaks English when started with lang en', async () => {
    await h.close();
    h = await startHarness({ lang: 'en' });
    await h.register('127.0.0.2');
    expect((await h.rejection(h.register('127.0.0.2'))).grpcMessage).toBe('Peer 127.0.0.2 already registered');
  });
});

describe('Heartbeat and presence', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('acks beats with the sequence and the registry instance', async () => {
    h = await startHarness({ heartbeatIntervalMs: 1000 });
    const session = await h.register('127.0.0.2');
    const tap = h.heartbeat(session.sessionToken);
    const ack = new Promise((resolve) => tap.stream.on('data', (m) => m.kind?.$case === 'ack' && resolve(m.kind.value)));
    tap.beat(42);
    expect(await ack).toEqual(expect.objectContaining({ sequence: 42, registryInstance: h.registry.instance }));
  });

  it('refuses a stream without a valid token', async () => {
    h = await startHarness();
    const tap = h.heartbeat('nope');
    expect((await tap.ended)?.code).toBe(status.UNAUTHENTICATED);
  });

  it('tells the others when a peer joins and when its stream closes (offline at once)', async () => {
    h = await startHarness({ heartbeatIntervalMs: 60_000 });
    const watcher = await h.register('127.0.0.2');
    const tap = h.heartbeat(watcher.sessionToken);
    tap.beat(1);
    await new Promise((resolve) => tap.stream.once('data', resolve));
    const other = await h.register('127.0.0.3');
    await call(h.client, 'registerFile', { peer: other.peer, path: '/x', sha256: fakeHash(1), size: 1 }, other.sessionToken);
    expect((await tap.nextEvent((e) => e.type === EventType.EVENT_TYPE_PEER_JOINED)).peer).toBe('127.0.0.3');

    const otherTap = h.heartbeat(other.sessionToken);
    otherTap.beat(1);
    await new Promise((resolve) => otherTap.stream.once('data', resolve));
    otherTap.stream.cancel();
    expect((await tap.nextEvent((e) => e.type === EventType.EVENT_TYPE_PEER_LEFT)).peer).toBe('127.0.0.3');
    expect(await h.registry.directory.counts()).toEqual({ peers: 1, files: 0 });
  });

  it('expires a peer after two missed beats, tells the others and ends its stream', async () => {
    h = await startHarness({ heartbeatIntervalMs: 100, heartbeatMisses: 2 });
    const watcher = await h.register('127.0.0.2');
    const tap = h.heartbeat(watcher.sessionToken);
    const keepAlive = setInterval(() => tap.beat(0), 50);
    try {
      const silent = await h.register('127.0.0.3');
      const silentTap = h.heartbeat(silent.sessionToken);
      const started = Date.now();
      const event = await tap.nextEvent((e) => e.type === EventType.EVENT_TYPE_PEER_EXPIRED);
      expect(event.peer).toBe('127.0.0.3');
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(await silentTap.ended).toBeUndefined();
      expect(await h.registry.directory.counts()).toEqual({ peers: 1, files: 0 });
      const afterExpiry = await h.rejection(
        call(h.client, 'registerFile', { peer: silent.peer, path: '/x', sha256: fakeHash(1), size: 1 }, silent.sessionToken),
      );
      expect(afterExpiry.reason).toBe(Reason.PEER_NOT_REGISTERED);
      expect(tap.events.some((e) => e.type === EventType.EVENT_TYPE_PEER_EXPIRED && e.peer === '127.0.0.2')).toBe(false);
    } finally {
      clearInterval(keepAlive);
    }
  });

  it('sends a burst of events as one `events` message to a stream opened for them, one by one to the others', async () => {
    const clock = new FakeClock(1_000_000);
    h = await startHarness({ clock });
    // Ten peers that never beat, registered at one instant: they expire in one sweep.
    for (let n = 1; n <= 10; n++) await h.register(`127.0.1.${n}`);
    await clock.advance(6000);
    // Both registered before either stream opens: neither hears of the other joining.
    const sessions = [await h.register('127.0.0.2'), await h.register('127.0.0.3')];
    const [batching, plain] = sessions.map((session, n) => h.heartbeat(session.sessionToken, 1, { batches: n === 0 })) as [HeartbeatTap, HeartbeatTap];
    for (const tap of [batching, plain]) {
      tap.beat(1);
      await new Promise((resolve) => tap.stream.once('data', resolve));
    }
    await clock.advance(5000);
    const expired = (tap: HeartbeatTap) => tap.nextEvent(() => tap.events.filter((e) => e.type === EventType.EVENT_TYPE_PEER_EXPIRED).length === 10);
    await Promise.all([expired(batching), expired(plain)]);
    // The first event of the sweep goes out at once; the nine that followed in the same turn, together.
    expect(batching.batchSizes).toEqual([1, 9]);
    expect(plain.batchSizes).toEqual(Array<number>(10).fill(1));
    expect(batching.events).toEqual(plain.events);
    expect(plain.events.map((e) => e.peer).sort()).toEqual(Array.from({ length: 10 }, (_, n) => `127.0.1.${n + 1}`).sort());
  });

  it('splits a burst into `events` messages of at most 1,000 events', async () => {
    const clock = new FakeClock(1_000_000);
    h = await startHarness({ clock, maxSessionsPerIp: 0, maxRegistrationsPerMinute: 0 });
    const silent = Array.from({ length: 1002 }, (_, n) => `127.0.${2 + (n >> 8)}.${n & 255}:7000`);
    for (let from = 0; from < silent.length; from += 100) await Promise.all(silent.slice(from, from + 100).map((address) => h.register(address)));
    await clock.advance(6000);
    const tap = h.heartbeat((await h.register('127.0.0.2')).sessionToken, 1, { batches: true });
    tap.beat(1);
    await new Promise((resolve) => tap.stream.once('data', resolve));
    await clock.advance(5000);
    await tap.nextEvent(() => tap.events.length === silent.length);
    // The first alone, then 1,000, then the last one as an `event` of its own.
    expect(tap.batchSizes).toEqual([1, 1000, 1]);
    expect(new Set(tap.events.map((e) => e.peer))).toEqual(new Set(silent));
  });

  it('tells every peer before shutting down', async () => {
    h = await startHarness();
    const session = await h.register('127.0.0.2');
    const tap = h.heartbeat(session.sessionToken);
    tap.beat(1);
    await new Promise((resolve) => tap.stream.once('data', resolve));
    await h.registry.close();
    expect((await tap.nextEvent((e) => e.type === EventType.EVENT_TYPE_REGISTRY_SHUTTING_DOWN)).peer).toBe('');
    expect(await tap.ended).toBeUndefined();
  });
});

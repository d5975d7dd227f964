/**
 * Live shares with real peers, a real registry and the real watcher (chokidar on inotify):
 * what another peer's `list files` and `get file` see when a shared file is deleted,
 * changed, replaced, added to a shared folder or unregistered by hand, and after the
 * session is registered again or resumed. Every wait is for a peer event.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KompartError, describeError } from '@kompart/core';
import { Reason } from '@kompart/protocol';
import { RedisStore, startRegistryServer, type RunningRegistry } from '@kompart/registry-server';
import { RedisServer, redisAvailable } from '../../../test/support/redis-server';
import { createPeer, type Peer, type PeerEvents } from '../src/index';
import { CALM_PRESENCE, startNetwork, type TestNetwork } from './support/network';
import { makeTempDir, type TempDir } from './support/temp-dir';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
/** Quick enough for tests; the default is a second. */
const QUIET_MS = 300;

type ShareEvent = 'share-added' | 'share-updated' | 'share-removed';

/** The next event of `type` about `path`. */
function next<K extends ShareEvent>(peer: Peer, type: K, path: string): Promise<PeerEvents[K]> {
  return peer.events.next(type, { matching: (event) => event.path === path });
}

/** `holder`'s files as `reader` lists them: path and hash. */
async function listing(reader: Peer, holder: Peer): Promise<[string, string][]> {
  const files = await reader.listFiles({ holder: holder.id });
  return files.map((file) => [file.path, file.sha256]);
}

describe('live shares', () => {
  let net: TestNetwork;
  let alice: Peer;
  let bob: Peer;
  /** The shared folder, as registered (its real path). */
  let share: string;
  const at = (...parts: string[]): string => join(share, ...parts);

  beforeEach(async () => {
    net = await startNetwork(CALM_PRESENCE);
    alice = await net.addPeer('127.0.0.2', { watchQuietMs: QUIET_MS });
    bob = await net.addPeer('127.0.0.3');
    await alice.registerPeer();
    await bob.registerPeer();
    share = join(realpathSync(net.dir.path), 'share');
    mkdirSync(at('sub'), { recursive: true });
    writeFileSync(at('a.txt'), 'alpha');
    writeFileSync(at('b.txt'), 'bravo');
    writeFileSync(at('sub', 'c.txt'), 'charlie');
  });
  afterEach(async () => {
    await net.close();
  });

  it('a deleted file leaves the listing, a changed one is listed with its new hash and downloads so, a new one is listed', async () => {
    await alice.registerPath(share);
    expect(await listing(bob, alice)).toEqual([
      [at('a.txt'), sha('alpha')],
      [at('b.txt'), sha('bravo')],
      [at('sub', 'c.txt'), sha('charlie')],
    ]);

    const removed = next(alice, 'share-removed', at('a.txt'));
    unlinkSync(at('a.txt'));
    expect(await removed).toEqual({ type: 'share-removed', path: at('a.txt'), name: 'a.txt', sha256: sha('alpha'), size: 5, cause: 'deleted' });
    expect(await listing(bob, alice)).toEqual([
      [at('b.txt'), sha('bravo')],
      [at('sub', 'c.txt'), sha('charlie')],
    ]);
    expect(describeError(await bob.getFile(`${alice.id}/a.txt`).catch((e: unknown) => e), 'pt')).toBe('arquivo removido ou indisponível');

    const updated = next(alice, 'share-updated', at('b.txt'));
    writeFileSync(at('b.txt'), 'bravo, second take');
    expect(await updated).toMatchObject({ sha256: sha('bravo, second take'), size: 18, previousSha256: sha('bravo'), cause: 'changed' });
    // Updated in place: same place in the listing, new hash.
    expect(await listing(bob, alice)).toEqual([
      [at('b.txt'), sha('bravo, second take')],
      [at('sub', 'c.txt'), sha('charlie')],
    ]);
    const got = await bob.getFile(`${alice.id}/b.txt`);
    expect(readFileSync(got.path, 'utf8')).toBe('bravo, second take');

    const added = next(alice, 'share-added', at('sub', 'new', 'd.txt'));
    mkdirSync(at('sub', 'new'));
    writeFileSync(at('sub', 'new', 'd.txt'), 'delta');
    expect(await added).toMatchObject({ name: 'd.txt', sha256: sha('delta'), size: 5, cause: 'appeared' });
    expect((await listing(bob, alice)).map(([path]) => path)).toEqual([at('b.txt'), at('sub', 'c.txt'), at('sub', 'new', 'd.txt')]);
    expect(readFileSync((await bob.getFile(`${alice.id}/d.txt`)).path, 'utf8')).toBe('delta');
  });

  it('a folder moved into the shared folder is registered file by file; one moved out leaves with its files', async () => {
    await alice.registerPath(share);
    const outside = join(realpathSync(net.dir.path), 'outside');
    mkdirSync(join(outside, 'album', 'cd1'), { recursive: true });
    writeFileSync(join(outside, 'album', 'cd1', 'track1.flac'), 'track one');
    writeFileSync(join(outside, 'album', 'cover.jpg'), 'cover');
    const track = next(alice, 'share-added', at('album', 'cd1', 'track1.flac'));
    const cover = next(alice, 'share-added', at('album', 'cover.jpg'));
    const charlie = next(alice, 'share-removed', at('sub', 'c.txt'));
    renameSync(join(outside, 'album'), at('album'));
    renameSync(at('sub'), join(outside, 'sub'));
    await Promise.all([track, cover]);
    expect(await charlie).toMatchObject({ cause: 'deleted' });
    // The two new files are registered in whatever order they were hashed.
    expect((await listing(bob, alice)).map(([path]) => path).sort()).toEqual([
      at('a.txt'),
      at('album', 'cd1', 'track1.flac'),
      at('album', 'cover.jpg'),
      at('b.txt'),
    ]);
  });

  it('a registered file replaced by a symbolic link or by a folder leaves the index; a single registered file is watched too', async () => {
    await alice.registerPath(share);
    writeFileSync(join(net.dir.path, 'single.txt'), 'single');
    await alice.registerPath(join(net.dir.path, 'single.txt'));
    const single = join(realpathSync(net.dir.path), 'single.txt');

    const linked = next(alice, 'share-removed', at('a.txt'));
    const folder = next(alice, 'share-removed', at('b.txt'));
    const changed = next(alice, 'share-updated', single);
    unlinkSync(at('a.txt'));
    symlinkSync(at('sub', 'c.txt'), at('a.txt'));
    unlinkSync(at('b.txt'));
    mkdirSync(at('b.txt'));
    writeFileSync(single, 'single, edited');
    expect(await linked).toMatchObject({ cause: 'not-a-file' });
    expect(await folder).toMatchObject({ cause: 'not-a-file' });
    expect(await changed).toMatchObject({ sha256: sha('single, edited') });
    expect(await listing(bob, alice)).toEqual([
      [at('sub', 'c.txt'), sha('charlie')],
      [single, sha('single, edited')],
    ]);
    expect(
      alice
        .sharedFiles()
        .map((file) => file.path)
        .sort(),
    ).toEqual([at('sub', 'c.txt'), single]);
  });

  it('unregisters one file and a folder by hand; what was unregistered stays out, a folder unregistered is no longer watched', async () => {
    await alice.registerPath(share);
    const byHand: PeerEvents['share-removed'][] = [];
    alice.events.on('share-removed', (event) => byHand.push(event));

    const one = await alice.unregisterPath(at('a.txt'));
    expect(one).toEqual({ root: at('a.txt'), kind: 'file', removed: [{ path: at('a.txt'), name: 'a.txt', sha256: sha('alpha'), size: 5 }] });
    expect(byHand).toEqual([{ type: 'share-removed', path: at('a.txt'), name: 'a.txt', sha256: sha('alpha'), size: 5, cause: 'by-hand' }]);
    expect((await listing(bob, alice)).map(([path]) => path)).toEqual([at('b.txt'), at('sub', 'c.txt')]);
    expect(describeError(await bob.getFile(`${alice.id}/a.txt`).catch((e: unknown) => e), 'pt')).toBe('arquivo removido ou indisponível');

    // a.txt changes and another file appears: only the new one is registered.
    writeFileSync(at('a.txt'), 'alpha, changed');
    const e = next(alice, 'share-added', at('e.txt'));
    writeFileSync(at('e.txt'), 'echo');
    await e;
    expect((await listing(bob, alice)).map(([path]) => path)).toEqual([at('b.txt'), at('sub', 'c.txt'), at('e.txt')]);

    // A folder inside the registered folder, then the registered folder itself.
    const sub = await alice.unregisterPath(at('sub') + '/');
    expect(sub).toMatchObject({ root: at('sub'), kind: 'directory', removed: [{ path: at('sub', 'c.txt') }] });
    const whole = await alice.unregisterPath(share);
    expect(whole).toMatchObject({ root: share, kind: 'directory', removed: [{ path: at('b.txt') }, { path: at('e.txt') }] });
    // One event per file (a folder's files leave several at a time, in no set order).
    expect(byHand.map((event) => `${event.name} ${event.cause}`).sort()).toEqual(['a.txt by-hand', 'b.txt by-hand', 'c.txt by-hand', 'e.txt by-hand']);
    expect(await listing(bob, alice)).toEqual([]);
    expect(alice.sharedFiles()).toEqual([]);

    // No longer watched: what appears there now stays out (a watched file elsewhere shows the watcher is awake).
    mkdirSync(join(net.dir.path, 'other'));
    writeFileSync(join(net.dir.path, 'other', 'x.txt'), 'x');
    await alice.registerPath(join(net.dir.path, 'other'));
    writeFileSync(at('f.txt'), 'foxtrot');
    const x = next(alice, 'share-updated', join(realpathSync(net.dir.path), 'other', 'x.txt'));
    writeFileSync(join(net.dir.path, 'other', 'x.txt'), 'x-ray');
    await x;
    expect((await listing(bob, alice)).map(([path]) => path)).toEqual([join(realpathSync(net.dir.path), 'other', 'x.txt')]);

    const again = await alice.unregisterPath(share).catch((error: unknown) => error);
    expect(again).toMatchObject({ reason: Reason.FILE_NOT_REGISTERED, params: { peer: alice.id, file: share } });
  });

  it('answers a path it has not registered with FILE_NOT_REGISTERED and changes nothing; resolves symbolic links as register file does', async () => {
    await alice.registerPath(at('sub'));
    await alice.registerPath(at('a.txt'));
    const before = await listing(bob, alice);
    for (const path of [at('b.txt'), at('nothing.txt'), at('su'), at('sub', 'c.txt.bak'), join(net.dir.path, 'elsewhere')]) {
      const error = await alice.unregisterPath(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KompartError);
      expect((error as KompartError).reason).toBe(Reason.FILE_NOT_REGISTERED);
      expect(describeError(error, 'pt')).toBe(`Arquivo ${path} não registrado`);
      expect(describeError(error, 'en')).toBe(`File ${path} not registered`);
    }
    expect(await listing(bob, alice)).toEqual(before);
    expect(alice.sharedFiles()).toHaveLength(2);

    // Through a symbolic link to the folder, and by a relative path.
    symlinkSync(share, join(net.dir.path, 'alias'));
    expect(await alice.unregisterPath(join(net.dir.path, 'alias', 'sub', 'c.txt'))).toMatchObject({ root: at('sub', 'c.txt'), kind: 'file' });
    expect(await alice.unregisterPath(relative(process.cwd(), join(net.dir.path, 'alias', 'a.txt')))).toMatchObject({ root: at('a.txt'), kind: 'file' });
    expect(await listing(bob, alice)).toEqual([]);

    // Without a session: the registry's own text.
    const carol = await net.addPeer('127.0.0.4');
    const early = await carol.unregisterPath(at('a.txt')).catch((e: unknown) => e);
    expect(describeError(early, 'pt')).toBe(`Peer ${carol.id} não registrado`);
  });

  it('with no watcher, the check before serving finds a file gone or changed and fixes the index', async () => {
    const carol = await net.addPeer('127.0.0.4', { watchShares: false, watchQuietMs: QUIET_MS });
    await carol.registerPeer();
    await carol.registerPath(share);
    const removed = next(carol, 'share-removed', at('a.txt'));
    unlinkSync(at('a.txt'));
    const refused = await bob.getFile(`${carol.id}/a.txt`).catch((e: unknown) => e);
    expect(describeError(refused, 'pt')).toBe('arquivo removido ou indisponível');
    expect(await removed).toMatchObject({ cause: 'deleted' });
    expect((await listing(bob, carol)).map(([path]) => path)).toEqual([at('b.txt'), at('sub', 'c.txt')]);

    const updated = next(carol, 'share-updated', at('b.txt'));
    writeFileSync(at('b.txt'), 'bravo, rewritten');
    const stale = await bob.getFile(`${carol.id}/b.txt`).catch((e: unknown) => e);
    expect(describeError(stale, 'en')).toBe('file removed or unavailable');
    expect(await updated).toMatchObject({ sha256: sha('bravo, rewritten') });
    expect(readFileSync((await bob.getFile(`${carol.id}/b.txt`)).path, 'utf8')).toBe('bravo, rewritten');
    // Nothing watched: a new file in the folder is not registered by itself.
    expect(carol.sharedFiles()).toHaveLength(2);
  });

  it('a session registered again after a registry restart does not bring back an unregistered file, and a file deleted meanwhile leaves', async () => {
    await alice.registerPath(share);
    await alice.unregisterPath(at('a.txt'));
    const lost = alice.events.next('connection-lost');
    net.registry.kill();
    await lost;
    // Deleted while the registry is away: out of the shared set at once, out of the index once it is back.
    const removed = next(alice, 'share-removed', at('b.txt'));
    unlinkSync(at('b.txt'));
    const aliceBack = alice.events.next('reconnected');
    const bobBack = bob.events.next('reconnected');
    await net.restartRegistry();
    // b.txt is given again or not, depending on whether the watcher was quicker than the registry: it leaves either way.
    expect(await aliceBack).toMatchObject({ failedFiles: 0 });
    await bobBack;
    expect(await removed).toMatchObject({ cause: 'deleted' });
    expect(await listing(bob, alice)).toEqual([[at('sub', 'c.txt'), sha('charlie')]]);
  });
});

const describeIfRedis = redisAvailable() ? describe : describe.skip;

describeIfRedis('live shares across a resumed session (a registry on Redis, restarted)', () => {
  let redis: RedisServer;
  let registry: RunningRegistry;
  let dir: TempDir;
  const peers: Peer[] = [];

  const startRegistry = async (address: string): Promise<RunningRegistry> =>
    startRegistryServer({ address, ...CALM_PRESENCE, summaryIntervalMs: 0, shutdownGraceMs: 200, store: await RedisStore.connect({ url: redis.url }) });
  const addPeer = async (host: string): Promise<Peer> => {
    const peer = createPeer({
      registry: registry.target,
      address: `${host}:0`,
      downloadsDir: dir.join(host, 'downloads'),
      cacheDir: null,
      backoff: { initialMs: 50, maxMs: 400, factor: 2, jitter: 0 },
      callTimeoutMs: 3000,
      shutdownGraceMs: 200,
      watchQuietMs: QUIET_MS,
    });
    peers.push(peer);
    await peer.start();
    await peer.registerPeer();
    return peer;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    dir = makeTempDir();
    registry = await startRegistry('127.0.0.1:0');
  });
  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
    await registry.close();
    await redis.close();
    dir.remove();
  });

  it('keeps an unregistered file out, and sends a deletion made while the registry was away once the session is resumed', async () => {
    const alice = await addPeer('127.0.0.2');
    const bob = await addPeer('127.0.0.3');
    const share = join(realpathSync(dir.path), 'share');
    mkdirSync(share);
    for (const name of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(join(share, name), name);
    await alice.registerPath(share);
    await alice.unregisterPath(join(share, 'a.txt'));

    const lost = alice.events.next('connection-lost');
    registry.kill();
    await lost;
    const removed = next(alice, 'share-removed', join(share, 'b.txt'));
    rmSync(join(share, 'b.txt'));
    // a.txt changes meanwhile: still out.
    renameSync(join(share, 'c.txt'), join(share, 'a.txt'));
    writeFileSync(join(share, 'c.txt'), 'c.txt');
    const resumed = alice.events.next('resumed');
    const bobResumed = bob.events.next('resumed');
    registry = await startRegistry(registry.target);
    await resumed;
    await bobResumed;
    expect(await removed).toMatchObject({ cause: 'deleted' });
    const listed = (await bob.listFiles({ holder: alice.id })).map((file) => file.name);
    expect(listed).toEqual(['c.txt']);
  });
});

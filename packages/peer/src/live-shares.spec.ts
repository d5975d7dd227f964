import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { silentLogger } from '@kompart/core';
import { FakeClock } from '@kompart/core/testing';
import { Reason } from '@kompart/protocol';
import { KompartError } from '@kompart/core';
import { makeTempDir, type TempDir } from '../test/support/temp-dir';
import { createHashCache, type HashCache } from './hash-cache';
import { LiveShares } from './live-shares';
import { hashLocalFile, SharedFiles } from './local-library';
import { peerError, PeerErrorCode } from './peer-error';
import { PeerEventEmitter, type PeerEvent } from './peer-events';
import type { FileRegistration } from './registry-session';
import type { WatchFunction, WatchListener } from './share-watcher';

const QUIET_MS = 1000;
const RETRY_MS = 5000;

/** A registry call LiveShares made. */
type Call = { readonly action: 'register'; readonly path: string; readonly sha256: string } | { readonly action: 'unregister'; readonly path: string };

describe('LiveShares', () => {
  let dir: TempDir;
  let clock: FakeClock;
  let files: SharedFiles;
  let cache: HashCache;
  let events: PeerEventEmitter;
  let seen: PeerEvent[];
  let calls: Call[];
  /** What the next registry calls answer instead of succeeding. */
  let failures: unknown[];
  let watches: Map<string, { listener: WatchListener; closed: boolean }>;
  let shares: LiveShares;

  const watch: WatchFunction = (root, _kind, listener) => {
    const entry = { listener, closed: false };
    watches.set(root, entry);
    return Promise.resolve({
      close: () => {
        entry.closed = true;
        return Promise.resolve();
      },
    });
  };
  /** The file system reports a change at `path` to every open watch. */
  const tell = (path: string): void => {
    for (const entry of watches.values()) if (!entry.closed) entry.listener.change(path);
  };
  const answer = (): Promise<void> => {
    const failure = failures.shift();
    return failure === undefined ? Promise.resolve() : Promise.reject(failure instanceof Error ? failure : new Error(String(failure)));
  };
  /** Registers a file as `register file` would have (hashed, in the shared set). */
  const registered = async (path: string): Promise<void> => {
    files.add(await hashLocalFile(path, cache));
  };
  /** Waits until nothing is being done about `path` any more (its reconcile, if one started, is over). */
  const settled = (path: string): Promise<void> => shares.withPath(path, () => Promise.resolve());
  const shaOf = async (path: string): Promise<string> => (await hashLocalFile(path, createHashCache())).sha256;

  beforeEach(() => {
    dir = makeTempDir();
    clock = new FakeClock();
    files = new SharedFiles();
    cache = createHashCache();
    events = new PeerEventEmitter(silentLogger);
    seen = [];
    events.onAny((event) => seen.push(event));
    calls = [];
    failures = [];
    watches = new Map();
    shares = new LiveShares({
      files,
      cache,
      events,
      clock,
      watch,
      quietMs: QUIET_MS,
      retryMs: RETRY_MS,
      ignore: (path) => path.endsWith('.part'),
      index: {
        register: (file: FileRegistration) => {
          calls.push({ action: 'register', path: file.path, sha256: file.sha256 });
          return answer();
        },
        unregister: (path: string) => {
          calls.push({ action: 'unregister', path });
          return answer();
        },
      },
    });
  });
  afterEach(async () => {
    await shares.close();
    dir.remove();
  });

  it('leaves a file being written alone until it has been quiet for a second, then hashes it once and updates the index', async () => {
    mkdirSync(dir.join('share'));
    writeFileSync(dir.join('share/log.txt'), 'first\n');
    await registered(dir.join('share/log.txt'));
    await shares.watchRoot(dir.join('share'), 'directory');
    const before = files.get(dir.join('share/log.txt'))!.sha256;
    // Written every half second for three seconds: never quiet long enough.
    for (let n = 0; n < 6; n++) {
      appendFileSync(dir.join('share/log.txt'), `line ${n}\n`);
      tell(dir.join('share/log.txt'));
      await clock.advance(500);
      expect(calls).toEqual([]);
    }
    const updated = events.next('share-updated');
    await clock.advance(QUIET_MS - 500);
    const sha256 = await shaOf(dir.join('share/log.txt'));
    expect(await updated).toEqual({
      type: 'share-updated',
      path: dir.join('share/log.txt'),
      name: 'log.txt',
      sha256,
      size: 6 + 6 * 7,
      previousSha256: before,
      cause: 'changed',
    });
    expect(calls).toEqual([{ action: 'register', path: dir.join('share/log.txt'), sha256 }]);
    expect(files.get(dir.join('share/log.txt'))?.sha256).toBe(sha256);
  });

  it('registers a regular file that appears in a registered folder, hidden ones too, by the rules of register file', async () => {
    const outside = makeTempDir();
    try {
      mkdirSync(dir.join('share/sub'), { recursive: true });
      await shares.watchRoot(dir.join('share'), 'directory');
      writeFileSync(dir.join('share/sub/new.txt'), 'new');
      writeFileSync(dir.join('share/.hidden'), 'hidden');
      writeFileSync(outside.join('secret'), 'secret');
      symlinkSync(outside.join('secret'), dir.join('share/link'));
      execFileSync('mkfifo', [dir.join('share/pipe')]);
      writeFileSync(dir.join('share/film.mkv.0123456789abcdef.part'), 'partial');
      writeFileSync(dir.join('elsewhere.txt'), 'not under the folder');
      for (const name of ['sub/new.txt', '.hidden', 'link', 'pipe', 'film.mkv.0123456789abcdef.part']) tell(dir.join('share', name));
      tell(dir.join('elsewhere.txt'));
      const added: PeerEvent[] = [];
      const both = new Promise<void>((resolve) =>
        events.on('share-added', (event) => {
          added.push(event);
          if (added.length === 2) resolve();
        }),
      );
      await clock.advance(QUIET_MS);
      await both;
      for (const name of ['link', 'pipe']) await settled(dir.join('share', name));
      expect(added.map((event) => (event.type === 'share-added' ? [event.name, event.cause] : [])).sort()).toEqual([
        ['.hidden', 'appeared'],
        ['new.txt', 'appeared'],
      ]);
      expect(calls.map((call) => call.path).sort()).toEqual([dir.join('share/.hidden'), dir.join('share/sub/new.txt')]);
      expect(
        files
          .all()
          .map((file) => file.path)
          .sort(),
      ).toEqual([dir.join('share/.hidden'), dir.join('share/sub/new.txt')]);
    } finally {
      outside.remove();
    }
  });

  it('registers the files of a folder moved in, and unregisters those of a folder moved away, from one event each', async () => {
    mkdirSync(dir.join('share/old/deep'), { recursive: true });
    writeFileSync(dir.join('share/old/deep/kept.txt'), 'kept');
    await registered(dir.join('share/old/deep/kept.txt'));
    await shares.watchRoot(dir.join('share'), 'directory');
    mkdirSync(dir.join('outside/album/cd1'), { recursive: true });
    writeFileSync(dir.join('outside/album/cd1/track1.flac'), 'one');
    writeFileSync(dir.join('outside/album/cover.jpg'), 'cover');
    symlinkSync('/etc/hostname', dir.join('outside/album/link'));
    renameSync(dir.join('outside/album'), dir.join('share/album'));
    tell(dir.join('share/album'));
    renameSync(dir.join('share/old'), dir.join('outside/old'));
    tell(dir.join('share/old'));
    const changes: string[] = [];
    const three = new Promise<void>((resolve) =>
      events.onAny((event) => {
        if (event.type === 'share-added' || event.type === 'share-removed') changes.push(`${event.type} ${event.path}`);
        if (changes.length === 3) resolve();
      }),
    );
    // The folder's files are looked at after a quiet period of their own.
    await clock.advance(QUIET_MS);
    await settled(dir.join('share/album'));
    await clock.advance(QUIET_MS);
    await three;
    expect(changes.sort()).toEqual([
      `share-added ${dir.join('share/album/cd1/track1.flac')}`,
      `share-added ${dir.join('share/album/cover.jpg')}`,
      `share-removed ${dir.join('share/old/deep/kept.txt')}`,
    ]);
  });

  it('unregisters a registered file that is deleted, replaced by a symbolic link or a folder, or made unreadable', async () => {
    mkdirSync(dir.join('share'));
    for (const name of ['gone', 'linked', 'folder', 'closed']) {
      writeFileSync(dir.join('share', name), name);
      await registered(dir.join('share', name));
    }
    await shares.watchRoot(dir.join('share'), 'directory');
    unlinkSync(dir.join('share/gone'));
    tell(dir.join('share/gone'));
    unlinkSync(dir.join('share/linked'));
    symlinkSync('/etc/hostname', dir.join('share/linked'));
    tell(dir.join('share/linked'));
    unlinkSync(dir.join('share/folder'));
    mkdirSync(dir.join('share/folder'));
    tell(dir.join('share/folder'));
    chmodSync(dir.join('share/closed'), 0);
    tell(dir.join('share/closed'));
    const removed: PeerEvent[] = [];
    const all = new Promise<void>((resolve) =>
      events.on('share-removed', (event) => {
        removed.push(event);
        if (removed.length === 4) resolve();
      }),
    );
    await clock.advance(QUIET_MS);
    await all;
    expect(removed.map((event) => (event.type === 'share-removed' ? [event.name, event.cause, event.size] : [])).sort()).toEqual([
      ['closed', 'unreadable', 6],
      ['folder', 'not-a-file', 6],
      ['gone', 'deleted', 4],
      ['linked', 'not-a-file', 6],
    ]);
    expect(files.size).toBe(0);
    expect(calls.map((call) => call.action)).toEqual(['unregister', 'unregister', 'unregister', 'unregister']);
  });

  it('takes an editor saving through a rename as a change, and a touch (same content) as nothing for the index', async () => {
    writeFileSync(dir.join('doc.txt'), 'draft');
    await registered(dir.join('doc.txt'));
    await shares.watchRoot(dir.join('doc.txt'), 'file');
    utimesSync(dir.join('doc.txt'), new Date(), new Date(Date.now() + 5000));
    tell(dir.join('doc.txt'));
    await clock.advance(QUIET_MS);
    await settled(dir.join('doc.txt'));
    expect(calls).toEqual([]);
    expect(seen).toEqual([]);
    expect(files.get(dir.join('doc.txt'))?.identity.mtimeNs).toBeGreaterThan(BigInt(Date.now()) * 1_000_000n);

    writeFileSync(dir.join('.doc.txt.swp'), 'final text');
    renameSync(dir.join('.doc.txt.swp'), dir.join('doc.txt'));
    tell(dir.join('doc.txt'));
    tell(dir.join('doc.txt'));
    const updated = events.next('share-updated');
    await clock.advance(QUIET_MS);
    expect(await updated).toMatchObject({ path: dir.join('doc.txt'), size: 10, sha256: await shaOf(dir.join('doc.txt')) });
    expect(shares.isRoot(dir.join('doc.txt'))).toBe(true);
  });

  it('ends a file root with its file: deleted, it is no longer watched for', async () => {
    writeFileSync(dir.join('one.txt'), 'one');
    await registered(dir.join('one.txt'));
    await shares.watchRoot(dir.join('one.txt'), 'file');
    expect(watches.get(dir.join('one.txt'))?.closed).toBe(false);
    unlinkSync(dir.join('one.txt'));
    tell(dir.join('one.txt'));
    const removed = events.next('share-removed');
    await clock.advance(QUIET_MS);
    expect(await removed).toMatchObject({ path: dir.join('one.txt'), cause: 'deleted' });
    expect(shares.isRoot(dir.join('one.txt'))).toBe(false);
    await settled(dir.join('one.txt'));
    expect(watches.get(dir.join('one.txt'))?.closed).toBe(true);
    writeFileSync(dir.join('one.txt'), 'back');
    tell(dir.join('one.txt'));
    await clock.advance(QUIET_MS);
    await settled(dir.join('one.txt'));
    expect(files.size).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it('keeps a path unregistered by hand out of a registered folder until it is registered again', async () => {
    mkdirSync(dir.join('share/drafts'), { recursive: true });
    await shares.watchRoot(dir.join('share'), 'directory');
    shares.forget(dir.join('share/drafts'));
    shares.forget(dir.join('share/private.txt'));
    for (const name of ['drafts/a.txt', 'private.txt', 'public.txt']) {
      writeFileSync(dir.join('share', name), name);
      tell(dir.join('share', name));
    }
    const added = events.next('share-added');
    await clock.advance(QUIET_MS);
    expect(await added).toMatchObject({ path: dir.join('share/public.txt') });
    for (const name of ['drafts/a.txt', 'private.txt']) await settled(dir.join('share', name));
    expect(files.all().map((file) => file.name)).toEqual(['public.txt']);

    // Registered again by hand: wanted again.
    await shares.watchRoot(dir.join('share/drafts'), 'directory');
    expect(watches.has(dir.join('share/drafts'))).toBe(false); // the folder's watch covers it
    writeFileSync(dir.join('share/drafts/b.txt'), 'b');
    tell(dir.join('share/drafts/b.txt'));
    const again = events.next('share-added');
    await clock.advance(QUIET_MS);
    expect(await again).toMatchObject({ path: dir.join('share/drafts/b.txt') });
  });

  it('keeps what the registry could not take in passing, and sends it when the session is back or after a while', async () => {
    mkdirSync(dir.join('share'));
    writeFileSync(dir.join('share/a.txt'), 'a');
    await registered(dir.join('share/a.txt'));
    await shares.watchRoot(dir.join('share'), 'directory');
    failures.push(peerError(PeerErrorCode.REGISTRY_UNREACHABLE, { server: '127.0.0.1' }));
    unlinkSync(dir.join('share/a.txt'));
    tell(dir.join('share/a.txt'));
    await clock.advance(QUIET_MS);
    await settled(dir.join('share/a.txt'));
    // Out of the shared set at once; the index is told later.
    expect(files.size).toBe(0);
    expect(seen).toEqual([]);
    const removed = events.next('share-removed');
    events.emit({ type: 'resumed', peer: '127.0.0.2', attempt: 1 });
    expect(await removed).toMatchObject({ path: dir.join('share/a.txt'), cause: 'deleted' });
    expect(calls).toEqual([
      { action: 'unregister', path: dir.join('share/a.txt') },
      { action: 'unregister', path: dir.join('share/a.txt') },
    ]);

    failures.push(new KompartError(Reason.STORE_UNAVAILABLE), new KompartError(Reason.STORE_UNAVAILABLE));
    writeFileSync(dir.join('share/b.txt'), 'b');
    tell(dir.join('share/b.txt'));
    await clock.advance(QUIET_MS);
    await settled(dir.join('share/b.txt'));
    expect(files.get(dir.join('share/b.txt'))).toBeDefined();
    await clock.advance(RETRY_MS);
    await settled(dir.join('share/b.txt'));
    expect(seen.filter((event) => event.type === 'share-added')).toEqual([]);
    const added = events.next('share-added');
    await clock.advance(RETRY_MS);
    expect(await added).toMatchObject({ path: dir.join('share/b.txt') });
    expect(calls.filter((call) => call.path === dir.join('share/b.txt'))).toHaveLength(3);
  });

  it('reports a new file the registry refuses (too many files), and does not serve it', async () => {
    mkdirSync(dir.join('share'));
    await shares.watchRoot(dir.join('share'), 'directory');
    const refusal = new KompartError(Reason.LIMIT_EXCEEDED, { peer: '127.0.0.2', limit: 'max files per peer (1)' });
    failures.push(refusal);
    writeFileSync(dir.join('share/one-too-many.txt'), 'x');
    tell(dir.join('share/one-too-many.txt'));
    const failed = events.next('share-failed');
    await clock.advance(QUIET_MS);
    expect(await failed).toEqual({ type: 'share-failed', path: dir.join('share/one-too-many.txt'), action: 'add', error: refusal });
    expect(files.size).toBe(0);
    await clock.advance(RETRY_MS * 2);
    expect(calls).toHaveLength(1);
  });

  it('takes a registry that already has the change as done (the call went through before its answer was lost)', async () => {
    writeFileSync(dir.join('a.txt'), 'a');
    await registered(dir.join('a.txt'));
    await shares.watchRoot(dir.join('a.txt'), 'file');
    failures.push(new KompartError(Reason.FILE_NOT_REGISTERED, { peer: '127.0.0.2', file: dir.join('a.txt') }));
    rmSync(dir.join('a.txt'));
    tell(dir.join('a.txt'));
    const removed = events.next('share-removed');
    await clock.advance(QUIET_MS);
    expect(await removed).toMatchObject({ path: dir.join('a.txt'), cause: 'deleted' });
  });

  it('looks at a path the FileService found changed, with no watch at all, and changes nothing after clear()', async () => {
    await shares.close();
    shares = new LiveShares({
      files,
      cache,
      events,
      clock,
      quietMs: QUIET_MS,
      retryMs: RETRY_MS,
      index: {
        register: (file) => {
          calls.push({ action: 'register', path: file.path, sha256: file.sha256 });
          return Promise.resolve();
        },
        unregister: () => Promise.reject(new Error('not expected')),
      },
    });
    writeFileSync(dir.join('a.txt'), 'before');
    await registered(dir.join('a.txt'));
    await shares.watchRoot(dir.join('a.txt'), 'file');
    expect(watches.size).toBe(0);
    writeFileSync(dir.join('a.txt'), 'after!');
    shares.nudge(dir.join('a.txt'));
    const updated = events.next('share-updated');
    await clock.advance(QUIET_MS);
    expect(await updated).toMatchObject({ path: dir.join('a.txt'), sha256: await shaOf(dir.join('a.txt')) });

    writeFileSync(dir.join('a.txt'), 'later, after the peer disconnected');
    shares.nudge(dir.join('a.txt'));
    files.clear();
    await Promise.all(shares.clear());
    await clock.advance(QUIET_MS);
    await settled(dir.join('a.txt'));
    expect(calls).toHaveLength(1);
    expect(shares.isRoot(dir.join('a.txt'))).toBe(false);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { KompartError, describeError } from '@kompart/core';
import { isPeerError, type Peer } from '../src/index';
import { CALM_PRESENCE, startNetwork, type TestNetwork } from './support/network';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('peers exchanging files through a real registry', () => {
  let net: TestNetwork;
  let alice: Peer;
  let bob: Peer;
  const song = randomBytes(200_000);

  beforeAll(async () => {
    net = await startNetwork(CALM_PRESENCE);
    alice = await net.addPeer('127.0.0.2');
    bob = await net.addPeer('127.0.0.3');
    await alice.registerPeer();
    await bob.registerPeer();
    mkdirSync(net.dir.join('alice-share/sub'), { recursive: true });
    writeFileSync(net.dir.join('alice-share/song.mp3'), song);
    writeFileSync(net.dir.join('alice-share/sub/notes.txt'), 'notes');
    writeFileSync(net.dir.join('alice-share/sub/same.txt'), 'alice version');
  });

  afterAll(async () => {
    await net.close();
  });

  it('registers a folder with a summary, then finds it all already registered', async () => {
    const progress: number[] = [];
    const result = await alice.registerPath(net.dir.join('alice-share'), { onProgress: (p) => progress.push(p.bytes) });
    expect(result.kind).toBe('directory');
    expect(result.registered.map((f) => f.name).sort()).toEqual(['notes.txt', 'same.txt', 'song.mp3']);
    expect(result.totalBytes).toBe(song.length + 5 + 13);
    expect(progress.at(-1)).toBe(result.totalBytes);
    const again = await alice.registerPath(net.dir.join('alice-share'));
    expect(again.registered).toEqual([]);
    expect(again.alreadyRegistered).toHaveLength(3);
    expect(again.hashedBytes).toBe(0); // the hash cache answered
  });

  it('refuses a single file registered twice with the registry text', async () => {
    const error = await alice.registerPath(net.dir.join('alice-share/song.mp3')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KompartError);
    expect((error as KompartError).reason).toBe('FILE_ALREADY_REGISTERED');
  });

  it('lists every file with holder, name, hash and size, and filters', async () => {
    const files = await bob.listFiles();
    expect(files).toContainEqual({ peer: alice.id, path: net.dir.join('alice-share/song.mp3'), name: 'song.mp3', sha256: sha(song), size: song.length });
    expect(await bob.listFiles({ nameContains: 'NOTES' })).toHaveLength(1);
    const iterated: string[] = [];
    for await (const file of bob.iterateFiles({ holder: alice.id, pageSize: 1 })) iterated.push(file.name);
    expect(iterated.sort()).toEqual(['notes.txt', 'same.txt', 'song.mp3']);
  });

  it('gets a file by name, by full path, by hash and by prefix, byte for byte', async () => {
    const served = alice.events.next('served');
    const byName = await bob.getFile(`${alice.id}/song.mp3`);
    expect(byName).toMatchObject({ status: 'downloaded', path: `${bob.downloadsDir}/song.mp3`, sha256: sha(song), holder: alice.id });
    expect(readFileSync(byName.path).equals(song)).toBe(true);
    expect(await served).toMatchObject({ name: 'song.mp3', bytes: song.length, complete: true });

    const byHash = await bob.getFile(`${alice.id}/${sha(song)}`);
    expect(byHash).toMatchObject({ status: 'already-present', path: byName.path });
    const byPrefix = await bob.getFile(`${alice.id}/${sha(song).slice(0, 8)}`);
    expect(byPrefix.status).toBe('already-present');
    const byPath = await bob.getFile(`${alice.id}/${net.dir.join('alice-share/sub/notes.txt').slice(1)}`);
    expect(readFileSync(byPath.path, 'utf8')).toBe('notes');
  });

  it('keeps both files when two holders share different files of the same name', async () => {
    const carol = await net.addPeer('127.0.0.4');
    await carol.registerPeer();
    writeFileSync(net.dir.join('carol-same.txt'), 'carol version');
    mkdirSync(net.dir.join('carol'), { recursive: true });
    writeFileSync(net.dir.join('carol/same.txt'), 'carol version');
    await carol.registerPath(net.dir.join('carol/same.txt'));
    const first = await bob.getFile(`${alice.id}/same.txt`);
    const second = await bob.getFile(`${carol.id}/same.txt`);
    expect(first.path).toBe(`${bob.downloadsDir}/same.txt`);
    expect(second.path).toBe(`${bob.downloadsDir}/same (1).txt`);
    expect(readFileSync(first.path, 'utf8')).toBe('alice version');
    expect(readFileSync(second.path, 'utf8')).toBe('carol version');
    await carol.close();
  });

  it('reports an offline holder and a removed file with the contract texts', async () => {
    const offline = await bob.getFile('127.0.0.99/song.mp3').catch((e: unknown) => e);
    expect(describeError(offline, 'pt')).toBe('Peer 127.0.0.99 offline');
    const unknown = await bob.getFile(`${alice.id}/nothing-here.txt`).catch((e: unknown) => e);
    expect(describeError(unknown, 'pt')).toBe('arquivo removido ou indisponível');

    writeFileSync(net.dir.join('alice-share/gone.txt'), 'soon gone');
    await alice.registerPath(net.dir.join('alice-share/gone.txt'));
    unlinkSync(net.dir.join('alice-share/gone.txt'));
    const removed = await bob.getFile(`${alice.id}/gone.txt`).catch((e: unknown) => e);
    expect(removed).toBeInstanceOf(KompartError);
    expect(describeError(removed, 'pt')).toBe('arquivo removido ou indisponível');
    expect(describeError(removed, 'en')).toBe('file removed or unavailable');
  });

  it('refuses a file changed after registration and leaves nothing behind', async () => {
    writeFileSync(net.dir.join('alice-share/draft.txt'), 'first draft');
    await alice.registerPath(net.dir.join('alice-share/draft.txt'));
    writeFileSync(net.dir.join('alice-share/draft.txt'), 'second draft, longer');
    const changed = await bob.getFile(`${alice.id}/draft.txt`).catch((e: unknown) => e);
    expect(describeError(changed, 'pt')).toBe('arquivo removido ou indisponível');
    expect(readdirSync(bob.downloadsDir).filter((name) => name.startsWith('draft'))).toEqual([]);
  });

  it('lists candidates for an ambiguous name', async () => {
    mkdirSync(net.dir.join('alice-two'), { recursive: true });
    writeFileSync(net.dir.join('alice-two/notes.txt'), 'other notes');
    await alice.registerPath(net.dir.join('alice-two/notes.txt'));
    const ambiguous = await bob.getFile(`${alice.id}/notes.txt`).catch((e: unknown) => e);
    expect(ambiguous).toMatchObject({ reason: 'FILE_AMBIGUOUS' });
    expect((ambiguous as KompartError).params.candidates?.split('\n').sort()).toEqual(
      [net.dir.join('alice-share/sub/notes.txt'), net.dir.join('alice-two/notes.txt')].sort(),
    );
  });

  it('rejects a malformed reference locally', async () => {
    const error = await bob.getFile('no-slash').catch((e: unknown) => e);
    expect(isPeerError(error, 'INVALID_FILE_REF')).toBe(true);
  });

  it('moves a file of many chunks, resumes after a cancelled transfer, and keeps no part file', async () => {
    const big = randomBytes(24 * 1024 * 1024);
    writeFileSync(net.dir.join('alice-share/big.bin'), big);
    await alice.registerPath(net.dir.join('alice-share/big.bin'));
    const controller = new AbortController();
    const cancelled = await bob
      .getFile(`${alice.id}/big.bin`, { signal: controller.signal, onProgress: (bytes) => (bytes >= 6 * 1024 * 1024 ? controller.abort() : undefined) })
      .catch((e: unknown) => e);
    expect(cancelled).toMatchObject({ reason: 'DOWNLOAD_CANCELLED' });
    const parts = readdirSync(bob.downloadsDir).filter((name) => name.startsWith('big.bin.') && name.endsWith('.part'));
    expect(parts).toHaveLength(1);
    const kept = readFileSync(`${bob.downloadsDir}/${parts[0]}`).length;
    expect(kept).toBeGreaterThanOrEqual(6 * 1024 * 1024);

    const resumed = await bob.getFile(`${alice.id}/big.bin`);
    expect(resumed).toMatchObject({ status: 'downloaded', resumedFrom: kept, transferred: big.length - kept });
    expect(sha(readFileSync(resumed.path))).toBe(sha(big));
    expect(existsSync(`${bob.downloadsDir}/${parts[0]}`)).toBe(false);
  });
});

import { credentials, status } from '@grpc/grpc-js';
import { createHash, randomBytes } from 'node:crypto';
import { renameSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { type DownloadResponse } from '@kompart/protocol';
import { FileServiceClient } from '@kompart/grpc/testing';
import { createFileService, startFileServer, type FileServer, type ServedDownload } from '../src/transfer/file-service';
import { createHashCache } from '../src/hash-cache';
import { hashLocalFile, SharedFiles } from '../src/local-library';
import { makeTempDir, type TempDir } from './support/temp-dir';
import { callDownload } from './support/download-client';
import { FakeClock } from '@kompart/core/testing';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('FileService', () => {
  let dir: TempDir;
  let server: FileServer;
  let files: SharedFiles;
  let served: ServedDownload[];
  let onServed: ((download: ServedDownload) => void) | undefined;
  const data = randomBytes(300_000);

  async function share(path: string): Promise<void> {
    files.add(await hashLocalFile(path, createHashCache()));
  }

  beforeEach(async () => {
    dir = makeTempDir();
    files = new SharedFiles();
    served = [];
    writeFileSync(dir.join('shared.bin'), data);
    writeFileSync(dir.join('private.txt'), 'not registered');
    await share(dir.join('shared.bin'));
    const service = createFileService({
      files,
      self: () => '127.0.0.21',
      chunkBytes: 64 * 1024,
      onServed: (download) => {
        served.push(download);
        onServed?.(download);
      },
      onRehashed: (path, identity) => files.updateIdentity(path, identity),
    });
    server = await startFileServer('127.0.0.21:0', service);
  });

  afterEach(async () => {
    await server.close(100);
    dir.remove();
  });

  it('streams a byte range (offset + length) and refuses one that passes the end', async () => {
    const range = await callDownload(server.target, { sha256: sha(data), offset: 70_000, length: 100_001 });
    expect(range.error).toBeUndefined();
    expect(range.header).toMatchObject({ offset: 70_000, length: 100_001, size: data.length });
    expect(range.data.equals(data.subarray(70_000, 170_001))).toBe(true);
    const past = await callDownload(server.target, { sha256: sha(data), offset: 200_000, length: 100_001 });
    expect([past.code, past.error?.params['field']]).toEqual([status.INVALID_ARGUMENT, 'length']);
  });

  it('answers GetPieces with the piece list of a registered file, and FILE_UNAVAILABLE for anything else', async () => {
    const client = new FileServiceClient(server.target, credentials.createInsecure());
    try {
      const get = (request: { sha256?: string; path?: string }) =>
        new Promise<{ pieceSize: number; hashes: Uint8Array; size: number; sha256: string }>((resolve, reject) =>
          client.getPieces({ sha256: '', path: '', ticket: Buffer.alloc(0), ...request }, (error, response) => (error ? reject(error) : resolve(response!))),
        );
      const list = await get({ sha256: sha(data) });
      const expected = [0, 262144].map((start) =>
        createHash('sha256')
          .update(data.subarray(start, start + 262144))
          .digest(),
      );
      expect([list.pieceSize, list.size, list.sha256]).toEqual([262144, data.length, sha(data)]);
      expect(Buffer.from(list.hashes).equals(Buffer.concat(expected))).toBe(true);
      await expect(get({ path: dir.join('private.txt') })).rejects.toMatchObject({ code: status.NOT_FOUND, details: 'arquivo removido ou indisponível' });
    } finally {
      client.close();
    }
  });

  it('streams a registered file by hash and by path, header first, from an offset', async () => {
    const byHash = await callDownload(server.target, { sha256: sha(data).toUpperCase() });
    expect(byHash.error).toBeUndefined();
    expect(byHash.header).toEqual({ name: 'shared.bin', path: dir.join('shared.bin'), size: data.length, sha256: sha(data), offset: 0, length: data.length });
    expect(byHash.data.equals(data)).toBe(true);
    const byPath = await callDownload(server.target, { path: dir.join('shared.bin'), offset: 100_000 });
    expect(byPath.data.equals(data.subarray(100_000))).toBe(true);
    const atEnd = await callDownload(server.target, { path: dir.join('shared.bin'), offset: data.length });
    expect(atEnd.data.length).toBe(0);
    // 'served' is reported once the server has closed the file, possibly after the client saw the end.
    if (served.length < 3) await new Promise<void>((resolve) => (onServed = () => served.length >= 3 && resolve()));
    expect(served.map((s) => [s.bytes, s.complete])).toEqual([
      [data.length, true],
      [data.length - 100_000, true],
      [0, true],
    ]);
  });

  it.each([
    ['a relative path', { path: 'shared.bin' }, status.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    ['a ../ traversal', { path: '/../' + 'etc/passwd' }, status.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    ['a NUL byte', { path: '/etc/passwd\u0000' }, status.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    ['a malformed hash', { sha256: 'abc' }, status.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    ['nothing at all', {}, status.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    ['an offset beyond 2^53', { sha256: 'a'.repeat(64), offset: 2 ** 60 }, status.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    ['an absolute unregistered path', { path: '/etc/passwd' }, status.NOT_FOUND, 'FILE_UNAVAILABLE'],
    ['an unknown hash', { sha256: 'f'.repeat(64) }, status.NOT_FOUND, 'FILE_UNAVAILABLE'],
  ])('refuses %s', async (_label, request, code, reason) => {
    const outcome = await callDownload(server.target, request);
    expect(outcome.code).toBe(code);
    expect(outcome.error?.reason).toBe(reason);
    expect(outcome.header).toBeUndefined();
  });

  it('refuses a neighbour of a registered file, a path through .., and path+hash naming different files', async () => {
    for (const request of [
      { path: dir.join('private.txt') },
      { path: `${dir.path}/x/../private.txt` },
      { path: `${dir.join('shared.bin')}/` },
      { path: dir.join('shared.bin'), sha256: 'e'.repeat(64) },
    ]) {
      const outcome = await callDownload(server.target, request);
      expect(outcome.header).toBeUndefined();
      expect([status.NOT_FOUND, status.INVALID_ARGUMENT]).toContain(outcome.code);
    }
  });

  it('refuses an offset beyond the end', async () => {
    const outcome = await callDownload(server.target, { sha256: sha(data), offset: data.length + 1 });
    expect(outcome).toMatchObject({ code: status.INVALID_ARGUMENT, error: { reason: 'INVALID_ARGUMENT' } });
  });

  it('refuses a symbolic link swapped in after registration, even to identical content', async () => {
    writeFileSync(dir.join('copy.bin'), data);
    renameSync(dir.join('shared.bin'), dir.join('moved.bin'));
    symlinkSync(dir.join('copy.bin'), dir.join('shared.bin'));
    const outcome = await callDownload(server.target, { path: dir.join('shared.bin') });
    expect(outcome).toMatchObject({ code: status.NOT_FOUND, error: { reason: 'FILE_UNAVAILABLE', message: 'file removed or unavailable' } });
    expect(outcome.error?.render('pt')).toBe('arquivo removido ou indisponível');
  });

  it('refuses a removed or changed file and serves a touched file whose content is unchanged', async () => {
    utimesSync(dir.join('shared.bin'), new Date(2000, 0, 1), new Date(2000, 0, 1));
    const touched = await callDownload(server.target, { sha256: sha(data) });
    expect(touched.data.equals(data)).toBe(true);

    const changed = Buffer.from(data);
    changed[0]! ^= 1;
    writeFileSync(dir.join('shared.bin'), changed);
    expect((await callDownload(server.target, { sha256: sha(data) })).code).toBe(status.NOT_FOUND);

    unlinkSync(dir.join('shared.bin'));
    expect((await callDownload(server.target, { path: dir.join('shared.bin') })).code).toBe(status.NOT_FOUND);
  });

  it('stops and cleans up when the client cancels', async () => {
    // 4 MiB in 16 KiB chunks against the client's default 64 KiB window: the server must
    // be waiting for 'drain' when the cancel arrives.
    const big = randomBytes(4 * 1024 * 1024);
    writeFileSync(dir.join('big.bin'), big);
    await share(dir.join('big.bin'));
    const small = await startFileServer(
      '127.0.0.21:0',
      createFileService({ files, self: () => '127.0.0.21', chunkBytes: 16 * 1024, onServed: (d) => onServed?.(d) }),
    );
    const client = new FileServiceClient(small.target, credentials.createInsecure());
    try {
      const finished = new Promise<ServedDownload>((resolve) => {
        onServed = resolve;
      });
      const call = client.download({ sha256: sha(big), path: '', offset: 0, ticket: Buffer.alloc(0), sealedStream: false });
      call.on('error', () => undefined);
      await new Promise<void>((resolve) => call.once('data', (_message: DownloadResponse) => resolve()));
      call.pause();
      call.cancel();
      const outcome = await finished;
      expect(outcome.complete).toBe(false);
      expect(outcome.bytes).toBeLessThan(big.length);
    } finally {
      client.close();
      await small.close(100);
    }
  });

  it('refuses downloads beyond its concurrency limit with RESOURCE_EXHAUSTED, and serves again when one ends', async () => {
    const big = randomBytes(4 * 1024 * 1024);
    writeFileSync(dir.join('big.bin'), big);
    await share(dir.join('big.bin'));
    const limited = await startFileServer(
      '127.0.0.21:0',
      createFileService({ files, self: () => '127.0.0.21', chunkBytes: 16 * 1024, maxConcurrentDownloads: 1, onServed: (d) => onServed?.(d) }),
    );
    const client = new FileServiceClient(limited.target, credentials.createInsecure());
    try {
      const first = client.download({ sha256: sha(big), path: '', offset: 0, ticket: Buffer.alloc(0), sealedStream: false });
      first.on('error', () => undefined);
      await new Promise<void>((resolve) => first.once('data', () => resolve()));
      first.pause();
      const second = await callDownload(limited.target, { sha256: sha(data) });
      expect(second.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(second.error?.reason).toBe('LIMIT_EXCEEDED');
      const ended = new Promise<void>((resolve) => {
        onServed = () => resolve();
      });
      first.cancel();
      await ended;
      expect((await callDownload(limited.target, { sha256: sha(data) })).data.equals(data)).toBe(true);
    } finally {
      client.close();
      await limited.close(100);
    }
  });

  describe('limits that keep one downloader from starving the others', () => {
    async function pausedDownload(client: FileServiceClient, sha256: string): Promise<void> {
      const call = client.download({ sha256, path: '', offset: 0, ticket: Buffer.alloc(0), sealedStream: false });
      call.on('error', () => undefined);
      await new Promise<void>((resolve) => call.once('data', () => resolve()));
      call.pause();
    }

    it('serves one requester at most --max-downloads-per-peer downloads at once, RESOURCE_EXHAUSTED with its text beyond', async () => {
      const big = randomBytes(4 * 1024 * 1024);
      writeFileSync(dir.join('big.bin'), big);
      await share(dir.join('big.bin'));
      const limited = await startFileServer(
        '127.0.160.21:0',
        createFileService({ files, self: () => '127.0.160.21', chunkBytes: 16 * 1024, maxDownloadsPerRequester: 2, onServed: (d) => onServed?.(d) }),
      );
      const client = new FileServiceClient(limited.target, credentials.createInsecure());
      try {
        await pausedDownload(client, sha(big));
        await pausedDownload(client, sha(big));
        const third = await callDownload(limited.target, { sha256: sha(data) });
        expect(third.code).toBe(status.RESOURCE_EXHAUSTED);
        expect(third.error?.reason).toBe('REQUESTER_DOWNLOADS_EXCEEDED');
        expect(third.error?.params).toEqual({ peer: '127.0.160.21', requester: '127.0.0.1', limit: '2' });
        expect(third.error?.render('pt')).toBe('Downloads demais de 127.0.0.1 ao mesmo tempo em 127.0.160.21: no máximo 2');
      } finally {
        client.close();
        await limited.close(100);
      }
    });

    it('ends a download whose reader takes nothing for the idle timeout, freeing its slot and file handle', async () => {
      const clock = new FakeClock();
      const big = randomBytes(4 * 1024 * 1024);
      writeFileSync(dir.join('big.bin'), big);
      await share(dir.join('big.bin'));
      const ended: ServedDownload[] = [];
      const limited = await startFileServer(
        '127.0.160.22:0',
        createFileService({
          files,
          self: () => '127.0.160.22',
          chunkBytes: 16 * 1024,
          maxConcurrentDownloads: 1,
          idleTimeoutMs: 5000,
          clock,
          onServed: (d) => ended.push(d),
        }),
      );
      const client = new FileServiceClient(limited.target, credentials.createInsecure());
      try {
        await pausedDownload(client, sha(big));
        // The only slot is held: another download is refused while the reader sleeps.
        expect((await callDownload(limited.target, { sha256: sha(data) })).code).toBe(status.RESOURCE_EXHAUSTED);
        // Time passes only on the fake clock; the download ends once 5 s passed without a drain.
        while (ended.length === 0) await clock.advance(1000);
        expect(ended[0]).toMatchObject({ complete: false, sha256: sha(big) });
        expect(ended[0]!.bytes).toBeLessThan(big.length);
        // Slot and file handle are free ('served' is told after the handle is closed).
        expect((await callDownload(limited.target, { sha256: sha(data) })).data.equals(data)).toBe(true);
      } finally {
        client.close();
        await limited.close(100);
      }
    });
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { makeTempDir, type TempDir } from '../../test/support/temp-dir';
import { createDownloader, nodePartFileSystem, type DownloadMessage, type DownloadSource, type PartFileSystem } from './download-file';
import { PeerErrorCode, peerError } from '../peer-error';
import { partFileName } from '../safe-file-name';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

interface FakeSource extends DownloadSource {
  readonly offsets: number[];
}

/** Serves `data` in 64 KiB chunks; optionally cuts the stream after `cutAfter` bytes of this call, or serves `served` instead of `data`. */
function memorySource(
  data: Buffer,
  options: { cutAfter?: number; served?: Buffer; header?: Partial<{ sha256: string; size: number }>; onChunk?: () => void } = {},
): FakeSource {
  const offsets: number[] = [];
  return {
    offsets,
    async *open(offset: number, signal: AbortSignal): AsyncGenerator<DownloadMessage> {
      offsets.push(offset);
      const body = options.served ?? data;
      yield { type: 'header', sha256: options.header?.sha256 ?? sha(data), size: options.header?.size ?? data.length, offset };
      let sent = 0;
      for (let position = offset; position < body.length; position += 65536) {
        if (signal.aborted) throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: 'x' });
        if (options.cutAfter !== undefined && sent >= options.cutAfter) {
          throw peerError(PeerErrorCode.TRANSFER_INTERRUPTED, { file: 'x', peer: 'p' });
        }
        const chunk = body.subarray(position, Math.min(body.length, position + 65536));
        sent += chunk.length;
        options.onChunk?.();
        await Promise.resolve();
        yield { type: 'chunk', data: chunk };
      }
    },
  };
}

describe('createDownloader', () => {
  let dir: TempDir;
  const data = randomBytes(1024 * 1024 + 777);
  const target = { name: 'song.mp3', sha256: sha(data), size: data.length, holder: '127.0.0.2' };

  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.remove());

  it('downloads, verifies and leaves only the final file', async () => {
    const progress: number[] = [];
    const result = await createDownloader({ downloadsDir: dir.path }).download(target, memorySource(data), { onProgress: (bytes) => progress.push(bytes) });
    expect(result).toMatchObject({ status: 'downloaded', path: dir.join('song.mp3'), resumedFrom: 0, transferred: data.length });
    expect(readFileSync(result.path).equals(data)).toBe(true);
    expect(readdirSync(dir.path)).toEqual(['song.mp3']);
    expect(progress.at(-1)).toBe(data.length);
  });

  it('reduces a hostile name to a base name inside the folder', async () => {
    const result = await createDownloader({ downloadsDir: dir.join('dl') }).download({ ...target, name: '../../../etc/cron.d/evil' }, memorySource(data));
    expect(result.path).toBe(dir.join('dl', 'evil'));
  });

  it('never overwrites: same content is "already there", other content gets "name (1).ext"', async () => {
    writeFileSync(dir.join('song.mp3'), 'something else');
    const downloader = createDownloader({ downloadsDir: dir.path });
    const first = await downloader.download(target, memorySource(data));
    expect(first.path).toBe(dir.join('song (1).mp3'));
    expect(readFileSync(dir.join('song.mp3'), 'utf8')).toBe('something else');
    const source = memorySource(data);
    const again = await downloader.download(target, source);
    expect(again).toMatchObject({ status: 'already-present', path: dir.join('song (1).mp3') });
    expect(source.offsets).toEqual([]);
  });

  it('keeps the part file when interrupted and resumes from its size', async () => {
    const downloader = createDownloader({ downloadsDir: dir.path });
    await expect(downloader.download(target, memorySource(data, { cutAfter: 65536 * 3 }))).rejects.toMatchObject({ reason: 'TRANSFER_INTERRUPTED' });
    const part = dir.join(partFileName('song.mp3', target.sha256));
    expect(readFileSync(part).length).toBe(65536 * 3);
    const source = memorySource(data);
    const result = await downloader.download(target, source);
    expect(source.offsets).toEqual([65536 * 3]);
    expect(result).toMatchObject({ status: 'downloaded', resumedFrom: 65536 * 3, transferred: data.length - 65536 * 3 });
    expect(readFileSync(result.path).equals(data)).toBe(true);
    expect(existsSync(part)).toBe(false);
  });

  it('starts over once when the resumed bytes were wrong', async () => {
    const part = dir.join(partFileName('song.mp3', target.sha256));
    writeFileSync(part, Buffer.alloc(1000, 7));
    const source = memorySource(data);
    const result = await createDownloader({ downloadsDir: dir.path }).download(target, source);
    expect(source.offsets).toEqual([1000, 0]);
    expect(readFileSync(result.path).equals(data)).toBe(true);
  });

  it('deletes the part file and reports a hash mismatch when the holder lies', async () => {
    const lie = Buffer.from(data);
    lie[12345]! ^= 0xff;
    const failure = createDownloader({ downloadsDir: dir.path }).download(target, memorySource(data, { served: lie }));
    await expect(failure).rejects.toMatchObject({ reason: 'HASH_MISMATCH', params: { file: 'song.mp3', expected: target.sha256, actual: sha(lie) } });
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it('refuses a stream whose header or length does not match', async () => {
    const downloader = createDownloader({ downloadsDir: dir.path });
    await expect(downloader.download(target, memorySource(data, { header: { size: 5 } }))).rejects.toMatchObject({ reason: 'PROTOCOL_VIOLATION' });
    await expect(downloader.download(target, memorySource(data, { served: Buffer.concat([data, data]) }))).rejects.toMatchObject({
      reason: 'PROTOCOL_VIOLATION',
    });
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it('keeps the part file when cancelled', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const source = memorySource(data, { onChunk: () => (++chunks === 4 ? controller.abort() : undefined) });
    const failure = createDownloader({ downloadsDir: dir.path }).download(target, source, { signal: controller.signal });
    await expect(failure).rejects.toMatchObject({ reason: 'DOWNLOAD_CANCELLED' });
    expect(readFileSync(dir.join(partFileName('song.mp3', target.sha256))).length).toBeGreaterThan(0);
  });

  it('reports a full disk as DISK_FULL and removes the part file', async () => {
    let written = 0;
    const fullDisk: PartFileSystem = {
      openPart: nodePartFileSystem.openPart,
      digest: nodePartFileSystem.digest,
      async write(handle, chunk, position, digest) {
        if (written + chunk.length > 200_000) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        written += chunk.length;
        await nodePartFileSystem.write(handle, chunk, position, digest);
      },
    };
    const failure = createDownloader({ downloadsDir: dir.path, fs: fullDisk }).download(target, memorySource(data));
    await expect(failure).rejects.toMatchObject({ reason: 'DISK_FULL', params: { path: dir.join(partFileName('song.mp3', target.sha256)) } });
    expect(readdirSync(dir.path)).toEqual([]);
  });

  it('does not write through a symbolic link planted as the part file', async () => {
    const victim = dir.join('victim');
    writeFileSync(victim, 'keep me');
    symlinkSync(victim, dir.join(partFileName('song.mp3', target.sha256)));
    await expect(createDownloader({ downloadsDir: dir.path }).download(target, memorySource(data))).rejects.toMatchObject({ reason: 'DISK_ERROR' });
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
  });

  it('downloads an empty file', async () => {
    const empty = Buffer.alloc(0);
    const result = await createDownloader({ downloadsDir: dir.path }).download({ ...target, name: 'empty', sha256: sha(empty), size: 0 }, memorySource(empty));
    expect(readFileSync(result.path).length).toBe(0);
  });
});

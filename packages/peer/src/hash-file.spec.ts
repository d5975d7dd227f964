import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { symlinkSync, writeFileSync } from 'node:fs';
import { makeTempDir, type TempDir } from '../test/support/temp-dir';
import { HASH_BUFFER_BYTES, hashFile } from './hash-file';
import { isPeerError } from './peer-error';

describe('hashFile', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.remove());

  it('gives the digest sha256sum prints, with progress up to the size', async () => {
    const path = dir.join('data.bin');
    const data = randomBytes(HASH_BUFFER_BYTES * 2 + 12345);
    writeFileSync(path, data);
    const progress: number[] = [];
    const hashed = await hashFile(path, {
      onProgress: (bytes, total) => {
        expect(total).toBe(data.length);
        progress.push(bytes);
      },
    });
    const expected = execFileSync('sha256sum', [path], { encoding: 'utf8' }).slice(0, 64);
    expect(hashed.sha256).toBe(expected);
    expect(hashed.identity.size).toBe(data.length);
    expect(progress.at(-1)).toBe(data.length);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('hashes an empty file', async () => {
    const path = dir.join('empty');
    writeFileSync(path, '');
    expect((await hashFile(path)).sha256).toBe(createHash('sha256').digest('hex'));
  });

  it('refuses missing paths, folders, symbolic links and FIFOs with peer errors', async () => {
    writeFileSync(dir.join('real'), 'x');
    symlinkSync(dir.join('real'), dir.join('link'));
    execFileSync('mkfifo', [dir.join('fifo')]);
    await expect(hashFile(dir.join('missing'))).rejects.toMatchObject({ reason: 'PATH_NOT_FOUND' });
    await expect(hashFile(dir.path)).rejects.toMatchObject({ reason: 'NOT_A_FILE' });
    await expect(hashFile(dir.join('link'))).rejects.toMatchObject({ reason: 'NOT_A_FILE' });
    expect(isPeerError(await hashFile(dir.join('fifo')).catch((error: unknown) => error))).toBe(true);
  });

  it('stops when the signal aborts', async () => {
    const path = dir.join('big');
    writeFileSync(path, Buffer.alloc(HASH_BUFFER_BYTES * 3));
    const controller = new AbortController();
    const hashing = hashFile(path, { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(hashing).rejects.toMatchObject({ name: 'AbortError' });
  });
});

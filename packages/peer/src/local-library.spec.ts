import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { makeTempDir, type TempDir } from '../test/support/temp-dir';
import { createHashCache, HASH_CACHE_FILE_NAME } from './hash-cache';
import { hashLocalFile, scanPath, SharedFiles } from './local-library';

describe('scanPath', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.remove());

  it('finds every regular file under a folder, never following symbolic links', async () => {
    const outside = makeTempDir();
    try {
      writeFileSync(outside.join('secret'), 'secret');
      mkdirSync(dir.join('share/sub/deeper'), { recursive: true });
      writeFileSync(dir.join('share/a.txt'), 'a');
      writeFileSync(dir.join('share/sub/b.txt'), 'bb');
      writeFileSync(dir.join('share/sub/deeper/c.txt'), 'ccc');
      symlinkSync(outside.path, dir.join('share/sub/out-dir'));
      symlinkSync(outside.join('secret'), dir.join('share/out-file'));
      execFileSync('mkfifo', [dir.join('share/pipe')]);
      const scan = await scanPath('share', dir.path);
      expect(scan.kind).toBe('directory');
      expect(scan.files.map((f) => f.path)).toEqual([dir.join('share/a.txt'), dir.join('share/sub/b.txt'), dir.join('share/sub/deeper/c.txt')]);
      expect(scan.totalBytes).toBe(6);
      expect(scan.skipped.map((s) => [s.path, s.reason]).sort()).toEqual(
        [
          [dir.join('share/out-file'), 'symlink'],
          [dir.join('share/pipe'), 'special'],
          [dir.join('share/sub/out-dir'), 'symlink'],
        ].sort(),
      );
    } finally {
      outside.remove();
    }
  });

  it('resolves a single file to its absolute real path', async () => {
    writeFileSync(dir.join('f.bin'), 'x');
    symlinkSync(dir.join('f.bin'), dir.join('alias'));
    const scan = await scanPath('./alias', dir.path);
    expect(scan).toMatchObject({ kind: 'file', root: dir.join('f.bin'), files: [{ path: dir.join('f.bin'), size: 1 }] });
  });

  it('refuses a missing path and an unreadable folder', async () => {
    await expect(scanPath(dir.join('nope'))).rejects.toMatchObject({ reason: 'PATH_NOT_FOUND', params: { path: dir.join('nope') } });
    if (process.getuid?.() === 0) return; // root reads everything
    mkdirSync(dir.join('closed'));
    chmodSync(dir.join('closed'), 0);
    await expect(scanPath(dir.join('closed'))).rejects.toMatchObject({ reason: 'PATH_UNREADABLE' });
  });
});

describe('hashLocalFile with the hash cache', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.remove());

  it('hashes once, answers from the cache while unchanged, re-hashes a changed file, persists across instances', async () => {
    const file = dir.join('doc.txt');
    writeFileSync(file, 'version one');
    const cache = createHashCache({ dir: dir.join('cache') });
    const first = await hashLocalFile(file, cache);
    expect(first.cached).toBe(false);
    const second = await hashLocalFile(file, cache);
    expect(second).toMatchObject({ cached: true, sha256: first.sha256 });
    await cache.flush();
    expect(JSON.parse(readFileSync(dir.join('cache', HASH_CACHE_FILE_NAME), 'utf8'))).toMatchObject({ version: 2 });

    const reloaded = createHashCache({ dir: dir.join('cache') });
    expect(await hashLocalFile(file, reloaded)).toMatchObject({ cached: true, sha256: first.sha256 });

    writeFileSync(file, 'version two');
    utimesSync(file, new Date(2001, 1, 1), new Date(2001, 1, 1));
    const changed = await hashLocalFile(file, reloaded);
    expect(changed.cached).toBe(false);
    expect(changed.sha256).not.toBe(first.sha256);
  });

  it('starts empty from a corrupt cache file', async () => {
    mkdirSync(dir.join('cache'));
    writeFileSync(dir.join('cache', HASH_CACHE_FILE_NAME), '{not json');
    writeFileSync(dir.join('f'), 'data');
    const cache = createHashCache({ dir: dir.join('cache') });
    expect((await hashLocalFile(dir.join('f'), cache)).cached).toBe(false);
    await cache.flush();
    expect(JSON.parse(readFileSync(dir.join('cache', HASH_CACHE_FILE_NAME), 'utf8')).entries[dir.join('f')]).toBeDefined();
  });
});

describe('SharedFiles', () => {
  it('indexes by exact path and by hash', () => {
    const files = new SharedFiles();
    const identity = { size: 1, mtimeNs: 1n, ino: 1n, dev: 1n };
    const hash = 'a'.repeat(64);
    files.add({ path: '/x/a', name: 'a', sha256: hash, size: 1, identity });
    files.add({ path: '/y/a', name: 'a', sha256: hash, size: 1, identity });
    expect(files.findByHash('A'.repeat(64)).map((f) => f.path)).toEqual(['/x/a', '/y/a']);
    expect(files.get('/x/a/')).toBeUndefined();
    files.delete('/x/a');
    expect(files.findByHash(hash)).toHaveLength(1);
    files.clear();
    expect(files.size).toBe(0);
  });

  it('finds the entries at a path and under it taken as a folder, in path order, through additions and removals', () => {
    const files = new SharedFiles();
    const identity = { size: 1, mtimeNs: 1n, ino: 1n, dev: 1n };
    for (const path of ['/m/b/z', '/m/a', '/m/b/y', '/mb/c', '/other']) files.add({ path, name: path, sha256: 'a'.repeat(64), size: 1, identity });
    const under = (path: string): string[] => files.under(path).map((file) => file.path);
    expect(under('/m')).toEqual(['/m/a', '/m/b/y', '/m/b/z']);
    expect(under('/m/')).toEqual(['/m/a', '/m/b/y', '/m/b/z']);
    expect(under('/m/b/y')).toEqual(['/m/b/y']);
    expect(under('/m/b/x')).toEqual([]);
    expect(under('/')).toHaveLength(5);
    files.delete('/m/b/y');
    files.delete('/m/b/z');
    expect(under('/m/b')).toEqual([]);
    expect(under('/m')).toEqual(['/m/a']);
    files.add({ path: '/m/b', name: 'b', sha256: 'b'.repeat(64), size: 1, identity });
    expect(under('/m/b')).toEqual(['/m/b']);
    files.clear();
    expect(under('/')).toEqual([]);
  });
});

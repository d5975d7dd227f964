import { readFileSync, writeFileSync } from 'node:fs';
import { createHashCache, HASH_CACHE_FILE_NAME } from './hash-cache';
import { makeTempDir } from '../test/support/temp-dir';

const identity = { size: 300_000, mtimeNs: 5n, ino: 7n, dev: 9n };
const sha = 'a'.repeat(64);
const pieces = { pieceSize: 262144, hashes: Buffer.alloc(64, 3) };

describe('hash cache', () => {
  it('keeps piece hashes across processes, and keeps them when the same content is stored again without them', async () => {
    const dir = makeTempDir();
    try {
      const first = createHashCache({ dir: dir.path });
      first.store('/s/a.bin', identity, sha, pieces);
      await first.flush();
      const second = createHashCache({ dir: dir.path });
      expect(await second.lookup('/s/a.bin', identity)).toEqual({ sha256: sha, pieces });
      second.store('/s/a.bin', { ...identity, mtimeNs: 6n }, sha);
      expect(await second.lookup('/s/a.bin', { ...identity, mtimeNs: 6n })).toEqual({ sha256: sha, pieces });
      second.store('/s/a.bin', identity, 'b'.repeat(64));
      expect(await second.lookup('/s/a.bin', identity)).toEqual({ sha256: 'b'.repeat(64), pieces: undefined });
    } finally {
      dir.remove();
    }
  });

  it('reads a version 1 file as entries without piece hashes, and drops piece lists of the wrong length', async () => {
    const dir = makeTempDir();
    try {
      const entries = {
        '/s/old.bin': [300_000, '5', '7', '9', sha],
        '/s/bad.bin': [300_000, '5', '7', '9', sha, [262144, Buffer.alloc(32).toString('base64')]],
      };
      writeFileSync(dir.join(HASH_CACHE_FILE_NAME), JSON.stringify({ version: 1, entries }));
      const cache = createHashCache({ dir: dir.path });
      expect(await cache.lookup('/s/old.bin', identity)).toEqual({ sha256: sha, pieces: undefined });
      expect(await cache.lookup('/s/bad.bin', identity)).toEqual({ sha256: sha, pieces: undefined });
      cache.store('/s/new.bin', identity, sha, pieces);
      await cache.flush();
      expect(JSON.parse(readFileSync(dir.join(HASH_CACHE_FILE_NAME), 'utf8'))).toMatchObject({ version: 2 });
    } finally {
      dir.remove();
    }
  });
});

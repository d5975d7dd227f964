import { createHash, randomBytes } from 'node:crypto';
import { PieceHasher, PooledPieceHasher, isValidPieceSize, pieceCount, pieceSizeFor, piecesRoot } from './piece-hashes';

const MiB = 1024 * 1024;

describe('piece hashes', () => {
  it('picks the smallest power of two from 256 KiB to 4 MiB that makes at most 1024 pieces', () => {
    expect(pieceSizeFor(0)).toBe(256 * 1024);
    expect(pieceSizeFor(256 * MiB)).toBe(256 * 1024);
    expect(pieceSizeFor(256 * MiB + 1)).toBe(512 * 1024);
    expect(pieceSizeFor(1024 * MiB)).toBe(MiB);
    expect(pieceSizeFor(4096 * MiB)).toBe(4 * MiB);
    expect(pieceSizeFor(64 * 1024 * MiB)).toBe(4 * MiB);
    expect(pieceCount(0, MiB)).toBe(0);
    expect(pieceCount(MiB + 1, MiB)).toBe(2);
    expect([256 * 1024, 4 * MiB].every(isValidPieceSize)).toBe(true);
    expect([0, 128 * 1024, 300_000, 8 * MiB].some(isValidPieceSize)).toBe(false);
  });

  it('hashes each piece, the last one short, whatever the lengths it is fed in, and roots the list', () => {
    const pieceSize = 256 * 1024;
    const data = randomBytes(pieceSize * 2 + 1000);
    const hasher = new PieceHasher(pieceSize);
    for (let at = 0; at < data.length; at += 100_003) hasher.update(data.subarray(at, at + 100_003));
    const list = hasher.finish();
    const expected = [0, 1, 2].map((i) =>
      createHash('sha256')
        .update(data.subarray(i * pieceSize, (i + 1) * pieceSize))
        .digest(),
    );
    expect(list.pieceSize).toBe(pieceSize);
    expect(list.hashes.equals(Buffer.concat(expected))).toBe(true);
    expect(piecesRoot(list.hashes).equals(createHash('sha256').update(Buffer.concat(expected)).digest())).toBe(true);
    expect(new PieceHasher(pieceSize).finish().hashes.length).toBe(0);
  });

  it.each([
    ['whole pieces, two an update', 2 * 256 * 1024],
    ['lengths that cut pieces', 100_003],
    ['one byte more than a piece', 256 * 1024 + 1],
    ['the whole file at once', 10 * 1024 * 1024],
  ])('gives the same piece list on the thread pool as on this thread, fed %s', async (_name, step) => {
    const pieceSize = 256 * 1024;
    const data = randomBytes(pieceSize * 7 + 12_345);
    const pooled = new PooledPieceHasher(pieceSize);
    for (let at = 0; at < data.length; at += step) {
      const chunk = Buffer.from(data.subarray(at, at + step));
      const started = pooled.update(chunk);
      // The pool copied what it needs: the caller may reuse its buffer at once.
      chunk.fill(0);
      await started;
    }
    const expected = new PieceHasher(pieceSize).update(data).finish();
    expect(await pooled.finish()).toEqual(expected);
    expect((await new PooledPieceHasher(pieceSize).finish()).hashes.length).toBe(0);
  });
});

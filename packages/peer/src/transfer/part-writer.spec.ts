import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { makeTempDir, type TempDir } from '../../test/support/temp-dir';
import { PartWriter } from './part-writer';
import { WRITE_PIECE_BYTES, writeInPieces } from './part-writer-thread';

describe('writeInPieces', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir('kompart-part-pieces-');
  });
  afterEach(() => dir.remove());

  it('writes a large buffer at its position in write(2) calls of at most WRITE_PIECE_BYTES', () => {
    const data = randomBytes(4 * WRITE_PIECE_BYTES + 5);
    const fd = openSync(dir.join('x.part'), 'w+');
    const lengths: number[] = [];
    try {
      // Real writes, each one noted on the way.
      writeInPieces(fd, data, 3, (...args) => {
        lengths.push(args[3]);
        return writeSync(...args);
      });
    } finally {
      closeSync(fd);
    }
    expect(lengths).toEqual([WRITE_PIECE_BYTES, WRITE_PIECE_BYTES, WRITE_PIECE_BYTES, WRITE_PIECE_BYTES, 5]);
    expect(readFileSync(dir.join('x.part')).equals(Buffer.concat([Buffer.alloc(3), data]))).toBe(true);
  });

  it('carries on after a short write', () => {
    const data = randomBytes(1000);
    const fd = openSync(dir.join('x.part'), 'w+');
    try {
      writeInPieces(fd, data, 0, (file, bytes, offset, length, position) => writeSync(file, bytes, offset, Math.min(length, 300), position));
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(dir.join('x.part')).equals(data)).toBe(true);
  });
});

describe('PartWriter', () => {
  let dir: TempDir;
  let writer: PartWriter;
  beforeEach(() => {
    dir = makeTempDir('kompart-part-writer-');
    writer = new PartWriter();
  });
  afterEach(async () => {
    await writer.stop();
    dir.remove();
  });

  it('writes shared and unshared bytes at their positions on its thread', async () => {
    const shared = Buffer.from(new SharedArrayBuffer(3 * WRITE_PIECE_BYTES));
    randomBytes(shared.length).copy(shared);
    const plain = randomBytes(5000);
    const fd = openSync(dir.join('x.part'), 'w+');
    try {
      // Queued back to back, at distinct positions; the unshared bytes are a view into a larger buffer.
      await Promise.all([writer.write(fd, shared.subarray(10), 0), writer.write(fd, plain.subarray(1000, 3000), shared.length - 10)]);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(dir.join('x.part')).equals(Buffer.concat([shared.subarray(10), plain.subarray(1000, 3000)]))).toBe(true);
  });

  it('rejects with the system error code, and keeps serving', async () => {
    const data = randomBytes(100);
    writeFileSync(dir.join('read-only'), '');
    const readOnly = openSync(dir.join('read-only'), 'r');
    try {
      await expect(writer.write(readOnly, data, 0)).rejects.toMatchObject({ code: 'EBADF' });
    } finally {
      closeSync(readOnly);
    }
    const writable = openSync(dir.join('x.part'), 'w+');
    try {
      await writer.write(writable, data, 0);
    } finally {
      closeSync(writable);
    }
    expect(readFileSync(dir.join('x.part')).equals(data)).toBe(true);
  });

  it('fails the writes pending when its thread stops, and starts a new thread for the next', async () => {
    const path = dir.join('x.part');
    const data = randomBytes(8 * WRITE_PIECE_BYTES);
    const fd = openSync(path, 'w+');
    try {
      const pending = [writer.write(fd, data, 0), writer.write(fd, data, data.length)];
      const stopped = writer.stop();
      await expect(Promise.all(pending)).rejects.toThrow('the part writer thread was stopped');
      await stopped;
      await writer.write(fd, data, 0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path).subarray(0, data.length).equals(data)).toBe(true);
  });

  it('keeps a running SHA-256 of a file written in order: its resumed bytes read on the thread, then each write given the digest', async () => {
    const path = dir.join('x.part');
    const resumed = randomBytes(3 * 1024 * 1024 + 17); // more than one 1 MiB read
    const rest = Buffer.from(new SharedArrayBuffer(2 * WRITE_PIECE_BYTES + 3));
    randomBytes(rest.length).copy(rest);
    const unshared = randomBytes(999);
    writeFileSync(path, resumed);
    const fd = openSync(path, 'r+');
    try {
      const digest = writer.digest(fd, resumed.length);
      await Promise.all([writer.write(fd, rest, resumed.length, digest), writer.write(fd, unshared, resumed.length + rest.length, digest)]);
      // A write not given the digest is written but not hashed.
      await writer.write(fd, Buffer.from('not hashed'), resumed.length + rest.length + unshared.length);
      const expected = createHash('sha256').update(resumed).update(rest).update(unshared).digest('hex');
      expect(await digest.finish()).toBe(expected);
      await expect(digest.finish()).rejects.toThrow('this digest has ended');
      await expect(writer.write(fd, unshared, 0, digest)).rejects.toThrow('not a running digest');
    } finally {
      closeSync(fd);
    }
    expect(
      readFileSync(path)
        .subarray(0, resumed.length + rest.length + unshared.length)
        .equals(Buffer.concat([resumed, rest, unshared])),
    ).toBe(true);
  });

  it('a digest whose resumed bytes cannot all be read, or whose write failed, finishes with the error', async () => {
    const path = dir.join('x.part');
    writeFileSync(path, randomBytes(100));
    const fd = openSync(path, 'r');
    try {
      const short = writer.digest(fd, 200);
      await expect(short.finish()).rejects.toMatchObject({ code: 'EIO', message: 'the part file ended at 100 of 200 bytes' });
      const spoiled = writer.digest(fd, 100);
      await expect(writer.write(fd, randomBytes(10), 100, spoiled)).rejects.toMatchObject({ code: 'EBADF' });
      await expect(spoiled.finish()).rejects.toMatchObject({ code: 'EBADF' });
      // Dropping lets a digest go without its value, once.
      const dropped = writer.digest(fd, 100);
      await dropped.drop();
      await dropped.drop();
      await expect(dropped.finish()).rejects.toThrow('this digest has ended');
    } finally {
      closeSync(fd);
    }
  });
});

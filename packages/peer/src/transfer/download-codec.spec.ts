import { randomBytes } from 'node:crypto';
import { DownloadResponse } from '@kompart/protocol';
import { ChunkBufferPool, deserializeDownloadResponse, serializeDownloadResponse } from './download-codec';

describe('download codec', () => {
  it.each([0, 1, 127, 128, 16_383, 16_384, 65_536, 1024 * 1024, 2_097_151, 2_097_152])(
    'frames a %i-byte chunk exactly as the generated encoder does',
    (length) => {
      const payload = randomBytes(length);
      const buffer = Buffer.alloc(ChunkBufferPool.payloadOffset + length + 3, 0xee);
      payload.copy(buffer, ChunkBufferPool.payloadOffset);
      const encoded = ChunkBufferPool.frame(buffer, length);
      const reference = Buffer.from(DownloadResponse.encode({ payload: { $case: 'chunk', value: payload } }).finish());
      expect(serializeDownloadResponse(encoded).equals(reference)).toBe(true);
      const decoded = deserializeDownloadResponse(encoded.bytes);
      expect(decoded.payload?.$case).toBe('chunk');
      expect(Buffer.from(decoded.payload!.value as Buffer).equals(payload)).toBe(true);
    },
  );

  it('leaves headers and anything unusual to the generated code', () => {
    const header = { payload: { $case: 'header' as const, value: { name: 'a', path: '/a', size: 3, sha256: 'f'.repeat(64), offset: 0 } } };
    const bytes = serializeDownloadResponse(header);
    expect(deserializeDownloadResponse(bytes)).toEqual(header);
    // A chunk followed by another field is not the fast shape: decoded the slow way, last field wins.
    const mixed = Buffer.concat([bytes, Buffer.from(DownloadResponse.encode({ payload: { $case: 'chunk', value: Buffer.from('xy') } }).finish())]);
    expect(deserializeDownloadResponse(Buffer.concat([Buffer.from([0x12, 0x01, 0x41]), bytes])).payload?.$case).toBe('header');
    expect(deserializeDownloadResponse(mixed).payload?.$case).toBe('chunk');
  });

  it('pools at most `depth` chunk buffers and hands released ones to waiters', async () => {
    const pool = new ChunkBufferPool(1024, 2);
    const a = (await pool.acquire())!;
    const b = (await pool.acquire())!;
    expect(a.length).toBe(ChunkBufferPool.payloadOffset + 1024);
    expect(b).not.toBe(a);
    let third: Buffer | undefined;
    const waiting = pool.acquire().then((buffer) => (third = buffer));
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBeUndefined();
    pool.release(b);
    await waiting;
    expect(third).toBe(b);
    pool.release(a);
    expect(await pool.acquire()).toBe(a);
    const last = pool.acquire();
    pool.close();
    expect(await last).toBeUndefined();
    expect(await pool.acquire()).toBeUndefined();
  });

  it('passes the buffers of an ended call on to the next one, free ones at once and busy ones when released', async () => {
    const first = new ChunkBufferPool(2048, 2);
    const free = (await first.acquire())!;
    const busy = (await first.acquire())!;
    first.release(free);
    first.close();
    const second = new ChunkBufferPool(2048, 2);
    expect(await second.acquire()).toBe(free);
    first.release(busy);
    expect(await second.acquire()).toBe(busy);
    // Other sizes keep their own.
    const other = new ChunkBufferPool(4096, 2);
    const fresh = (await other.acquire())!;
    expect([free, busy]).not.toContain(fresh);
    expect(fresh.length).toBe(ChunkBufferPool.payloadOffset + 4096);
  });
});

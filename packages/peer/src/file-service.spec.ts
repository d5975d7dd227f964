import { DEFAULT_CHUNK_BYTES, TUNED_CHUNK_BYTES, allocatorKeepsFreedMemory, defaultChunkBytes } from './file-service';

describe('the chunk size follows what glibc was told at start', () => {
  it('is 64 KiB under glibc defaults', () => {
    expect(allocatorKeepsFreedMemory({})).toBe(false);
    expect(defaultChunkBytes({})).toBe(DEFAULT_CHUNK_BYTES);
  });

  it('is 256 KiB with the `kompart` launcher settings, through either kind of variable', () => {
    const launcher = { MALLOC_MMAP_THRESHOLD_: '16777216', MALLOC_TRIM_THRESHOLD_: '268435456' };
    expect(defaultChunkBytes(launcher)).toBe(TUNED_CHUNK_BYTES);
    expect(defaultChunkBytes({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=16777216' })).toBe(TUNED_CHUNK_BYTES);
  });

  it('needs both: heap-served MiB blocks and at least 64 MiB of freed memory kept', () => {
    expect(defaultChunkBytes({ MALLOC_MMAP_THRESHOLD_: '16777216' })).toBe(DEFAULT_CHUNK_BYTES);
    expect(defaultChunkBytes({ MALLOC_TRIM_THRESHOLD_: '268435456' })).toBe(DEFAULT_CHUNK_BYTES);
    expect(defaultChunkBytes({ MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '268435456' })).toBe(DEFAULT_CHUNK_BYTES);
    expect(defaultChunkBytes({ MALLOC_MMAP_THRESHOLD_: '16777216', MALLOC_TRIM_THRESHOLD_: '1048576' })).toBe(DEFAULT_CHUNK_BYTES);
  });

  it('ignores values glibc would not read as a number', () => {
    expect(defaultChunkBytes({ MALLOC_MMAP_THRESHOLD_: '16M', MALLOC_TRIM_THRESHOLD_: '256M' })).toBe(DEFAULT_CHUNK_BYTES);
    expect(defaultChunkBytes({ MALLOC_MMAP_THRESHOLD_: '', MALLOC_TRIM_THRESHOLD_: '' })).toBe(DEFAULT_CHUNK_BYTES);
  });
});

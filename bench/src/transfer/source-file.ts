import { randomBytes } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/**
 * Makes (or reuses) a file of `bytes` incompressible bytes: a random 8 MiB block written
 * over and over, each copy stamped with its index so that no two blocks are equal.
 */
export async function ensureSourceFile(path: string, bytes: number): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing?.size === bytes) return;
  await mkdir(dirname(path), { recursive: true });
  const block = randomBytes(8 * MiB);
  const handle = await open(path, 'w');
  try {
    for (let position = 0, index = 0; position < bytes; index++) {
      block.writeBigUInt64LE(BigInt(index), 0);
      const length = Math.min(block.length, bytes - position);
      await handle.write(block, 0, length, position);
      position += length;
    }
  } finally {
    await handle.close();
  }
}

/** Free bytes on the file system holding `path`. */
export function freeBytes(path: string): number {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
}

export const remove = (path: string): Promise<void> => rm(path, { force: true, recursive: true });

export const mibPerSecond = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000);

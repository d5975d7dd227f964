import type { BigIntStats } from 'node:fs';

/**
 * What identifies one version of a file without reading it: the hash cache and the
 * FileService's pre-send check compare these. Nanosecond mtime and 64-bit inode numbers
 * are kept as bigints (exact, unlike the `number` forms).
 */
export interface FileIdentity {
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ino: bigint;
  readonly dev: bigint;
}

/** The identity of a file from its (bigint) stats. */
export function identityOf(stats: BigIntStats): FileIdentity {
  return { size: Number(stats.size), mtimeNs: stats.mtimeNs, ino: stats.ino, dev: stats.dev };
}

/** True when both describe the same version of the same file. */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino && a.dev === b.dev;
}

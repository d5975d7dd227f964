import { createHash } from 'node:crypto';

/**
 * Deterministic names for the synthetic population, so that the servers and the load
 * generators agree on them without shipping lists between processes.
 */

/** Peer `index` (0-based) of population `group`: a distinct 127.x.y.z address (default port). */
export function peerAddress(index: number, group = 0): string {
  const a = 20 + group * 8 + Math.floor(index / 62_500);
  const b = (Math.floor(index / 250) % 250) + 1;
  const c = (index % 250) + 1;
  return `127.${a}.${b}.${c}`;
}

/** Base name of file `file` of a peer (unique per peer). */
export function fileName(file: number): string {
  return `file-${String(file).padStart(4, '0')}.dat`;
}

/** Registered full path of file `file` of peer `peer`. */
export function filePath(peer: number, file: number): string {
  return `/srv/kompart/share/${peer % 100}/${fileName(file)}`;
}

export function fileHash(peer: number, file: number): string {
  return createHash('sha256').update(`${peer}:${file}`).digest('hex');
}

export function fileSize(peer: number, file: number): number {
  return 4096 * (1 + ((peer * 131 + file * 7) % 10_000));
}

/** A pool of distinct valid hashes for load requests. */
export function hashPool(size: number): string[] {
  return Array.from({ length: size }, (_, i) => createHash('sha256').update(`load:${i}`).digest('hex'));
}

import { spawnSync } from 'node:child_process';

/**
 * What a fresh buffer per message costs, by size: the pattern of grpc-js's sender, which
 * frames every message into a new `Buffer.allocUnsafe(length + 5)`. Fills 2 GiB of fresh
 * buffers (about 8 MiB of them alive at a time, as in a flow-control window), one fresh
 * process per size so that glibc's adaptive thresholds start from their defaults, and
 * prints MiB/s and minor page faults. Behind DEFAULT_CHUNK_BYTES (packages/peer):
 *
 *   node bench/dist/experiments/alloc-churn.js [KiB …]     (default 16 64 120 128 256 1024)
 *
 * Set MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ in the environment to see them
 * remove the cliff at 128 KiB.
 */

const TOTAL = 2 * 1024 * 1024 * 1024;
const ALIVE = 8 * 1024 * 1024;

function fill(size: number): void {
  const source = Buffer.alloc(size, 7);
  const alive: Buffer[] = [];
  const keep = Math.max(8, Math.ceil(ALIVE / size));
  const before = process.resourceUsage();
  const started = process.hrtime.bigint();
  for (let done = 0; done < TOTAL; done += size) {
    const framed = Buffer.allocUnsafe(size + 5);
    framed.writeUInt32BE(size, 1);
    source.copy(framed, 5);
    alive.push(framed);
    if (alive.length > keep) alive.shift();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const faults = process.resourceUsage().minorPageFault - before.minorPageFault;
  console.log(`${String(size / 1024).padStart(5)} KiB: ${(TOTAL / 2 ** 20 / seconds).toFixed(0).padStart(6)} MiB/s, ${faults} minor page faults`);
}

if (process.argv[2] === '--child') {
  fill(Number(process.argv[3]));
} else {
  const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [16, 64, 120, 128, 256, 1024];
  for (const kib of sizes) {
    spawnSync(process.execPath, [__filename, '--child', String(kib * 1024)], { stdio: 'inherit' });
  }
}

import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What one buffered write(2) size costs the kernel: writes 1 GiB into a new file in
 * pieces of each size, after `sync` and an idle pause (so that memory freed by the
 * previous file has settled back into the kernel's free lists, as between two downloads),
 * and prints MiB/s and the process's kernel CPU time. Sizes alternate, reversed every
 * other round. Behind WRITE_PIECE_BYTES (packages/peer, download-file.ts):
 *
 *   node bench/dist/transfer/write-size.js [--idle S] [--rounds N] [--dir D] [KiB …]
 *   (defaults: 15 s, 2 rounds, bench/out/tmp, 64 256 1024)
 */

const TOTAL = 1024 * 1024 * 1024;

interface Options {
  readonly idleSeconds: number;
  readonly rounds: number;
  readonly dir: string;
  readonly sizes: readonly number[];
}

function parse(argv: readonly string[]): Options {
  let idleSeconds = 15;
  let rounds = 2;
  let dir = join(__dirname, '..', '..', 'out', 'tmp');
  const sizes: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--idle') idleSeconds = Number(argv[++i]);
    else if (arg === '--rounds') rounds = Number(argv[++i]);
    else if (arg === '--dir') dir = argv[++i]!;
    else sizes.push(Number(arg));
  }
  if (sizes.some((kib) => !(kib > 0)) || !(idleSeconds >= 0) || !(rounds >= 1)) throw new Error(`bad arguments: ${argv.join(' ')}`);
  return { idleSeconds, rounds, dir, sizes: sizes.length > 0 ? sizes : [64, 256, 1024] };
}

function writeFile(path: string, pieceBytes: number, source: Buffer): { seconds: number; kernelMs: number } {
  const fd = openSync(path, 'w');
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  try {
    for (let position = 0; position < TOTAL; position += pieceBytes) writeSync(fd, source, 0, pieceBytes, position);
  } finally {
    closeSync(fd);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, kernelMs: process.cpuUsage(cpu).system / 1000 };
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  mkdirSync(options.dir, { recursive: true });
  const path = join(options.dir, `write-size-${process.pid}.bin`);
  const source = Buffer.alloc(Math.max(...options.sizes) * 1024, 7);
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? options.sizes : [...options.sizes].reverse();
    for (const kib of order) {
      execFileSync('sync');
      await sleep(options.idleSeconds * 1000);
      try {
        const { seconds, kernelMs } = writeFile(path, kib * 1024, source);
        console.log(`round ${round + 1} ${String(kib).padStart(5)} KiB writes: ${(TOTAL / 2 ** 20 / seconds).toFixed(0).padStart(6)} MiB/s, kernel CPU ${kernelMs.toFixed(0)} ms`);
      } finally {
        unlinkSync(path);
      }
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

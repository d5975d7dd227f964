import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What one buffered write(2) size costs the kernel: writes 1 GiB into a new file in
 * pieces of each size, after `sync` and an idle pause (so that memory freed by the
 * previous file has settled back into the kernel's free lists, as between two downloads),
 * and prints MiB/s and the process's kernel CPU time. Sizes alternate, reversed every
 * other round. Behind WRITE_PIECE_BYTES (packages/peer, part-writer-thread.ts):
 *
 *   node bench/dist/experiments/write-size.js [--idle S] [--rounds N] [--dir D] [KiB …]
 *   (defaults: 15 s, 2 rounds, bench/out/tmp, 64 256 1024)
 */

const TOTAL = 1024 * 1024 * 1024;

interface Options {
  readonly idleSeconds: number;
  readonly rounds: number;
  readonly dir: string;
  readonly sizes: readonly number[];
}

function parse(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      idle: { type: 'string', default: '15' },
      rounds: { type: 'string', default: '2' },
      dir: { type: 'string', default: join(__dirname, '..', '..', 'out', 'tmp') },
    },
  });
  const idleSeconds = Number(values.idle);
  const rounds = Number(values.rounds);
  const sizes = positionals.length > 0 ? positionals.map(Number) : [64, 256, 1024];
  if (sizes.some((kib) => !Number.isInteger(kib) || kib < 1) || !(idleSeconds >= 0) || !Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`usage: write-size.js [--idle S] [--rounds N] [--dir D] [KiB …] (got ${argv.join(' ')})`);
  }
  return { idleSeconds, rounds, dir: values.dir, sizes };
}

function writeFile(path: string, pieceBytes: number, source: Buffer): { seconds: number; kernelMs: number } {
  const fd = openSync(path, 'w');
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  try {
    for (let position = 0; position < TOTAL;) {
      position += writeSync(fd, source, 0, Math.min(pieceBytes, TOTAL - position), position);
    }
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
        console.log(
          `round ${round + 1} ${String(kib).padStart(5)} KiB writes: ${(TOTAL / 2 ** 20 / seconds).toFixed(0).padStart(6)} MiB/s, kernel CPU ${kernelMs.toFixed(0)} ms`,
        );
      } finally {
        unlinkSync(path);
      }
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

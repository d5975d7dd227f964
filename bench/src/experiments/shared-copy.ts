import { randomFillSync } from 'node:crypto';
import { parseArgs } from 'node:util';

/**
 * What it costs to copy received frames into a receive buffer: 1 GiB in 16 KiB pieces
 * (an HTTP/2 DATA frame's payload) into a 1 MiB buffer, by Buffer#copy and by Buffer#fill
 * with the piece as the value, into a SharedArrayBuffer and into a plain ArrayBuffer, with
 * source and destination offsets aligned alike and not. Behind copyInto (packages/peer,
 * transfer/receive-budget.ts):
 *
 *   node bench/dist/experiments/shared-copy.js [--rounds N]   (default 3)
 *
 * Prints milliseconds per GiB for each case, the median over the rounds.
 */

const PIECE = 16 * 1024;
const PIECES = 65_536; // 1 GiB
const BUFFER = 1024 * 1024;

type Way = 'copy' | 'fill';
type Memory = 'shared' | 'plain';

function run(way: Way, memory: Memory, sourceOffset: number, targetOffset: number): number {
  const source = Buffer.alloc(PIECE + 64);
  randomFillSync(source);
  const target = Buffer.from(memory === 'shared' ? new SharedArrayBuffer(BUFFER) : new ArrayBuffer(BUFFER));
  const slots = Math.floor((BUFFER - targetOffset) / PIECE);
  const piece = source.subarray(sourceOffset, sourceOffset + PIECE);
  const started = process.hrtime.bigint();
  for (let i = 0; i < PIECES; i++) {
    const at = (i % slots) * PIECE + targetOffset;
    if (way === 'copy') piece.copy(target, at);
    else target.fill(piece, at, at + PIECE);
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  const check = (PIECES - 1) % slots;
  if (!target.subarray(check * PIECE + targetOffset, (check + 1) * PIECE + targetOffset).equals(piece)) throw new Error('the copy is wrong');
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function main(): void {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError('--rounds must be a positive integer');
  const cases: [Way, Memory, number, number][] = [];
  for (const way of ['copy', 'fill'] as const) {
    for (const memory of ['shared', 'plain'] as const) {
      for (const [from, to] of [
        [0, 0],
        [3, 0],
        [9, 5],
      ] as const) {
        cases.push([way, memory, from, to]);
      }
    }
  }
  const times = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [way, memory, from, to] of round % 2 === 0 ? cases : [...cases].reverse()) {
      const key = `${way.padEnd(4)} into ${memory.padEnd(6)} buffer, source +${from}, target +${to}`;
      times.set(key, [...(times.get(key) ?? []), run(way, memory, from, to)]);
    }
  }
  for (const [key, ms] of times) console.log(`${key}: ${median(ms).toFixed(0)} ms per GiB`);
}

main();

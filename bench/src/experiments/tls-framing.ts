import { fork } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { connect as http2Connect, createSecureServer, type ServerHttp2Stream } from 'node:http2';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createSelfSignedIdentity } from '@kompart/grpc';

/**
 * What HTTP/2 framing adds to an encrypted transfer: 1 GiB from the page cache over TLS 1.3
 * (self-signed ECDSA P-256, as a kompart peer makes) on loopback, sent as HTTP/2 DATA on
 * one stream (8 MiB windows, as the FileService sets them) and as a plain TLS stream, from
 * the same sender: 256 KiB reads into 16 reused buffers, each written as it comes. The
 * receiver copies what each read brought into a reused 1 MiB buffer and keeps nothing, so
 * neither hashing nor writing a file is counted. Behind the choice to keep Download on
 * gRPC (BENCHMARKS.md, "Encrypted transfers: where the CPU goes, and the floor"):
 *
 *   node bench/dist/experiments/tls-framing.js [--rounds N] [--dir D]   (defaults: 5, bench/out/tmp)
 *
 * Prints, per framing, the medians over the rounds of MiB/s and of the CPU-seconds per GiB
 * of each side (process.cpuUsage of the sender's process and of the receiver's); the two
 * framings alternate, reversed every other round.
 */

const TOTAL = 1024 * 1024 * 1024;
const READ_BYTES = 256 * 1024;
const SEND_BUFFERS = 16;
const WINDOW_BYTES = 8 * 1024 * 1024;

type Framing = 'http2' | 'tls';

interface Round {
  readonly mibPerSecond: number;
  readonly senderCpuPerGiB: number;
  readonly receiverCpuPerGiB: number;
}

/** The sender's side: reads `file` into reused buffers, writes each to `out` as soon as it is read (waiting for `drain`), then ends `out`. */
async function pump(file: string, out: Writable): Promise<void> {
  const handle = await open(file);
  try {
    const { size } = await handle.stat();
    const free: Buffer[] = Array.from({ length: SEND_BUFFERS }, () => Buffer.allocUnsafeSlow(READ_BYTES));
    const waiting: ((buffer: Buffer) => void)[] = [];
    const release = (buffer: Buffer): void => {
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(buffer);
      else free.push(buffer);
    };
    for (let position = 0; position < size;) {
      const buffer = free.pop() ?? (await new Promise<Buffer>((resolve) => waiting.push(resolve)));
      const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_BYTES, size - position), position);
      position += bytesRead;
      if (!out.write(buffer.subarray(0, bytesRead), () => release(buffer))) await new Promise((resolve) => out.once('drain', resolve));
    }
    out.end();
  } finally {
    await handle.close();
  }
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** The child: serves `file` once in the framing asked for, then reports its CPU time. */
async function sender(framing: Framing, file: string): Promise<void> {
  const identity = await createSelfSignedIdentity('bench');
  const send = process.send!.bind(process);
  // From the connection on: the process's start and the certificate are not the transfer's.
  const report = (since: NodeJS.CpuUsage) => (): void => {
    send({ cpu: cpuSeconds(since) });
  };
  const tlsOptions = { cert: identity.cert, key: identity.key, minVersion: 'TLSv1.3' } as const;
  let listening: { listen: (port: number, host: string, done: () => void) => void; address: () => unknown };
  if (framing === 'http2') {
    const server = createSecureServer({ ...tlsOptions, settings: { initialWindowSize: WINDOW_BYTES } });
    server.on('session', (session) => session.once('connect', () => session.setLocalWindowSize(WINDOW_BYTES)));
    let since = process.cpuUsage();
    server.on('secureConnection', () => (since = process.cpuUsage()));
    server.on('stream', (stream: ServerHttp2Stream) => {
      const session = stream.session!;
      stream.respond({ ':status': 200 });
      void pump(file, stream).then(() => session.once('close', report(since)));
    });
    listening = server;
  } else {
    const server = createTlsServer(tlsOptions, (socket: TLSSocket) => {
      const since = process.cpuUsage();
      void pump(file, socket).then(() => socket.once('close', report(since)));
    });
    listening = server;
  }
  listening.listen(0, '127.0.0.1', () => send({ port: (listening.address() as { port: number }).port }));
}

/** The parent: receives one transfer from a fresh sender process. */
async function receive(framing: Framing, file: string): Promise<Round> {
  const child = fork(__filename, ['--sender', framing, '--file', file], { stdio: 'inherit' });
  try {
    const messages: { port?: number; cpu?: number }[] = [];
    let wake: (() => void) | undefined;
    child.on('message', (message: { port?: number; cpu?: number }) => {
      messages.push(message);
      wake?.();
    });
    const next = async (): Promise<{ port?: number; cpu?: number }> => {
      while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return messages.shift()!;
    };
    const { port } = await next();
    const sink = Buffer.allocUnsafeSlow(1024 * 1024);
    let received = 0;
    let fill = 0;
    const onData = (data: Buffer): void => {
      received += data.length;
      if (fill + data.length > sink.length) fill = 0;
      data.copy(sink, fill);
      fill += data.length;
    };
    const started = performance.now();
    const cpu = process.cpuUsage();
    if (framing === 'http2') {
      const session = http2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, settings: { initialWindowSize: WINDOW_BYTES } });
      session.once('connect', () => session.setLocalWindowSize(WINDOW_BYTES));
      const stream = session.request({ ':path': '/' });
      stream.on('data', onData);
      await new Promise<void>((resolve, reject) => {
        stream.once('end', resolve);
        stream.once('error', reject);
      });
      session.close();
    } else {
      const socket = tlsConnect({ port: port!, host: '127.0.0.1', rejectUnauthorized: false, minVersion: 'TLSv1.3' });
      socket.on('data', onData);
      await new Promise<void>((resolve, reject) => {
        socket.once('end', resolve);
        socket.once('error', reject);
      });
      socket.end();
    }
    const seconds = (performance.now() - started) / 1000;
    const receiverCpu = cpuSeconds(cpu);
    const { cpu: senderCpu } = await next();
    if (received !== TOTAL) throw new Error(`received ${received} bytes of ${TOTAL}`);
    const gib = TOTAL / 2 ** 30;
    return { mibPerSecond: TOTAL / 2 ** 20 / seconds, senderCpuPerGiB: senderCpu! / gib, receiverCpuPerGiB: receiverCpu / gib };
  } finally {
    child.kill();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      dir: { type: 'string', default: join(__dirname, '..', '..', 'out', 'tmp') },
      sender: { type: 'string' },
      file: { type: 'string' },
    },
  });
  if (values.sender !== undefined) {
    await sender(values.sender as Framing, values.file!);
    return;
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError('--rounds must be a positive integer');
  mkdirSync(values.dir, { recursive: true });
  const file = join(values.dir, `tls-framing-${process.pid}.bin`);
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(1024 * 1024);
  for (let written = 0; written < TOTAL; written += block.length) writeSync(fd, randomFillSync(block));
  closeSync(fd);
  try {
    const results = new Map<Framing, Round[]>([
      ['http2', []],
      ['tls', []],
    ]);
    for (let round = 0; round < rounds; round++) {
      const order: Framing[] = round % 2 === 0 ? ['http2', 'tls'] : ['tls', 'http2'];
      for (const framing of order) results.get(framing)!.push(await receive(framing, file));
    }
    for (const [framing, measured] of results) {
      const rate = median(measured.map((round) => round.mibPerSecond));
      const sent = median(measured.map((round) => round.senderCpuPerGiB));
      const got = median(measured.map((round) => round.receiverCpuPerGiB));
      console.log(
        `${framing.padEnd(5)}: ${rate.toFixed(0)} MiB/s, sender ${sent.toFixed(2)} CPU-s/GiB, receiver ${got.toFixed(2)} CPU-s/GiB (medians of ${rounds})`,
      );
    }
  } finally {
    unlinkSync(file);
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

import { join } from 'node:path';
import type { BenchContext } from '../../lib/context.js';
import { startChild } from '../../lib/ipc.js';
import type { Row } from '../../lib/report.js';
import type { EvidenceOps } from './evidence-child.js';

/**
 * Small, isolated measurements behind the proposals in BENCHMARKS.md, each in a fresh
 * process (heap figures need a clean heap): what one registered file costs in the real
 * store, why (an object built by spread versus a plain literal), and what a download
 * ticket costs to sign. No baselines from other programs here: each row compares two
 * ways of doing the same thing.
 */
export async function runEvidenceSuite(context: BenchContext): Promise<Row[]> {
  const { log } = context;
  const files = context.quick ? 200_000 : 1_000_000;
  const run = async <K extends keyof EvidenceOps & string>(op: K, ...args: Parameters<EvidenceOps[K]>): Promise<Awaited<ReturnType<EvidenceOps[K]>>> => {
    const child = startChild<EvidenceOps>(`evidence-${op}`, join(__dirname, 'evidence-child.js'), { execArgv: ['--expose-gc', '--max-old-space-size=4096'] });
    try {
      return await child.call(op, ...args);
    } finally {
      await child.stop();
    }
  };

  log(`evidence: the registry store with ${files.toLocaleString('en-US')} files (heap per file, after GC)`);
  const store = await run('storeHeap', { files });
  log(`  real createMemoryStore + PeerDirectory: ${store.bytesPerFile.toFixed(0)} B/file; listing copy of all entries ${store.copyMs.toFixed(0)} ms`);

  log(`evidence: records built by object spread vs a plain literal (${files.toLocaleString('en-US')} records)`);
  const spread = await run('recordLayout', { records: files, spread: true });
  const literal = await run('recordLayout', { records: files, spread: false });
  log(
    `  spread: ${spread.bytesPerRecord.toFixed(0)} B/record, read all ${spread.readMs.toFixed(0)} ms; literal: ${literal.bytesPerRecord.toFixed(0)} B/record, read all ${literal.readMs.toFixed(0)} ms`,
  );

  log('evidence: signing a download ticket (Ed25519, as LocateFile does) vs an HMAC-SHA256 of the same claims');
  const tickets = await run('ticketCost', { count: context.quick ? 5000 : 20_000 });
  log(`  Ed25519 ${tickets.ed25519Us.toFixed(1)} µs, HMAC-SHA256 ${tickets.hmacUs.toFixed(1)} µs per ticket`);

  return [
    {
      item: 5,
      figure: `evidence: heap per registered file, real store (${files.toLocaleString('en-US')} files)`,
      unit: 'B',
      kompart: store.bytesPerFile,
      note: `createMemoryStore + PeerDirectory.registerFile, strings decoded from protobuf as over RPC; a plain decoded SharedFile array costs about 250 B/file (registry suite, bare baseline)`,
    },
    {
      item: 5,
      figure: `evidence: heap per record, {...record, seq} (kompart) vs plain literal`,
      unit: 'B',
      kompart: spread.bytesPerRecord,
      baseline: literal.bytesPerRecord,
      baselineName: 'same fields as a literal',
      note: `the same six fields and strings; memory-store.ts builds StoredFile with a spread`,
    },
    {
      item: 5,
      figure: `evidence: reading 5 fields of every record (listing copy), spread vs literal`,
      unit: 'ms',
      kompart: spread.readMs,
      baseline: literal.readMs,
      baselineName: 'literal',
      note: `what toSharedFile does for every listed entry; median of 5 passes over ${files.toLocaleString('en-US')} records`,
    },
    {
      item: 4,
      figure: 'evidence: cost of one download ticket, Ed25519 (kompart) vs HMAC-SHA256',
      unit: 'µs',
      kompart: tickets.ed25519Us,
      baseline: tickets.hmacUs,
      baselineName: 'HMAC-SHA256, same claims',
      note: `issueTicket (TicketClaims encode + sign + DownloadTicket encode) vs the same encode + createHmac; ${tickets.count} tickets`,
    },
  ];
}

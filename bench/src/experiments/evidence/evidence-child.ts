import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DEFAULT_PEER_PORT, DownloadTicket, RegisterFileRequest, TicketClaims } from '@kompart/protocol';
import { issueTicket, parseEndpoint } from '@kompart/core';
import { PeerDirectory, createMemoryStore } from '@kompart/registry-server';
import { fileHash, fileName, filePath, fileSize, peerAddress } from '../../lib/fixtures.js';
import { exitHandler, serve } from '../../lib/ipc.js';
import { median } from '../../lib/stats.js';

/** The measurements of the evidence suite, one per fresh process. */

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const heap = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};

interface Fields {
  readonly peer: string;
  readonly path: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

const handlers = {
  ...exitHandler(),

  /** The real store: heap per file after registering `files` files over peers of 100 files. */
  storeHeap: async (args: { files: number }) => {
    const before = heap();
    const store = createMemoryStore();
    const directory = new PeerDirectory({ store, heartbeatIntervalMs: 3_600_000, heartbeatMisses: 2, maxFilesPerPeer: 1_000_000 });
    const peers = Math.ceil(args.files / 100);
    for (let p = 0; p < peers; p++) {
      const record = await directory.registerPeer(parseEndpoint(peerAddress(p), DEFAULT_PEER_PORT));
      for (let f = 0; f < 100 && p * 100 + f < args.files; f++) {
        const request = RegisterFileRequest.decode(
          RegisterFileRequest.encode({ peer: record.id, path: filePath(p, f), sha256: fileHash(p, f), size: fileSize(p, f) }).finish(),
        );
        await directory.registerFile(record, { path: request.path, sha256: request.sha256, size: request.size });
      }
    }
    const bytesPerFile = (heap() - before) / args.files;
    const filter = { nameContains: '', sha256Prefix: '', holder: '' };
    const started = performance.now();
    let after = 0;
    for (;;) {
      const page = await directory.list(after, 10_000, filter);
      page.files.map((file) => ({ peer: file.peer, path: file.path, name: file.name, sha256: file.sha256, size: file.size }));
      if (page.next === undefined) break;
      after = page.next;
    }
    const copyMs = performance.now() - started;
    await directory.close();
    return { bytesPerFile, copyMs };
  },

  /** `records` records of six fields, built `{ ...fields, seq }` or as one literal. */
  recordLayout: (args: { records: number; spread: boolean }) => {
    const before = heap();
    const records: (Fields & { seq: number })[] = new Array(args.records);
    for (let i = 0; i < args.records; i++) {
      const peer = Math.floor(i / 100);
      const decoded = RegisterFileRequest.decode(
        RegisterFileRequest.encode({
          peer: peerAddress(peer),
          path: filePath(peer, i % 100),
          sha256: fileHash(peer, i % 100),
          size: fileSize(peer, i),
        }).finish(),
      );
      const fields: Fields = { peer: decoded.peer, path: decoded.path, name: fileName(i % 100), sha256: decoded.sha256, size: decoded.size };
      records[i] = args.spread
        ? { ...fields, seq: i + 1 }
        : { peer: fields.peer, path: fields.path, name: fields.name, sha256: fields.sha256, size: fields.size, seq: i + 1 };
    }
    const bytesPerRecord = (heap() - before) / args.records;
    const passes: number[] = [];
    for (let pass = 0; pass < 5; pass++) {
      const started = performance.now();
      let sink = 0;
      for (const record of records) sink += { peer: record.peer, path: record.path, name: record.name, sha256: record.sha256, size: record.size }.size;
      passes.push(performance.now() - started);
      if (sink < 0) throw new Error('unreachable');
    }
    return { bytesPerRecord, readMs: median(passes) };
  },

  /** Per-ticket cost of the registry's Ed25519 tickets and of an HMAC over the same claims. */
  ticketCost: (args: { count: number }) => {
    const keys = generateKeyPairSync('ed25519');
    const secret = randomBytes(32);
    const claims = (i: number) => ({
      holder: peerAddress(i % 1000),
      requester: peerAddress((i + 1) % 1000),
      sha256: fileHash(i % 1000, 0),
      path: filePath(i % 1000, 0),
      expiresMs: Date.now() + 60_000,
      registryInstance: '0123456789abcdef',
      requesterCertificateSha256: Buffer.alloc(0),
    });
    const time = (issue: (i: number) => Buffer): number => {
      for (let i = 0; i < 1000; i++) issue(i);
      const started = performance.now();
      for (let i = 0; i < args.count; i++) issue(i);
      return ((performance.now() - started) * 1000) / args.count;
    };
    const ed25519Us = time((i) => issueTicket(keys.privateKey, claims(i)));
    const hmacUs = time((i) => {
      const encoded = Buffer.from(TicketClaims.encode(claims(i)).finish());
      return Buffer.from(DownloadTicket.encode({ claims: encoded, signature: createHmac('sha256', secret).update(encoded).digest() }).finish());
    });
    return { ed25519Us, hmacUs, count: args.count };
  },
};

export type EvidenceOps = typeof handlers;

serve(handlers);

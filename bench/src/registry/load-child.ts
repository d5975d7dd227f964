import { ChannelCredentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { LocateFileRequest, MAX_MESSAGE_BYTES, RegisterFileRequest, type ListFilesResponse } from '@kompart/protocol';
import { RegistryClient } from '@kompart/grpc/testing';
import { tokenMetadata } from '@kompart/grpc';
import { exitHandler, serve } from '../lib/ipc.js';
import { fileHash, fileName, filePath, fileSize, hashPool, peerAddress } from '../lib/fixtures.js';
import { probeHandlers } from '../lib/probe.js';
import { summarizeLatencies, type LatencySummary } from '../lib/stats.js';
import { createH2Caller, type H2Caller } from './h2-unary.js';

/**
 * The load generator: its own process, so that it never shares an event loop with the
 * server it measures. It holds a few channels per target (each with its own subchannel
 * pool, hence its own HTTP/2 connection) and the sessions of the populated peers.
 */

export type UnaryMethod = 'registerFile' | 'locateFile';

/** `grpc-js`: the generated RegistryClient, as kompart peers call; `h2`: the lean caller. */
export type ClientKind = 'grpc-js' | 'h2';

interface Target {
  readonly clients: RegistryClient[];
  readonly h2: H2Caller;
  sessions: { peer: string; metadata: Metadata; authorization: string }[];
}

const targets = new Map<string, Target>();
const hashes = hashPool(4096);

const targetOf = (name: string): Target => {
  const target = targets.get(name);
  if (target === undefined) throw new Error(`not connected to ${name}`);
  return target;
};

export interface RunResult {
  readonly calls: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly ms: number;
  readonly rate: number;
  readonly latency: LatencySummary;
  /** CPU of this load generator over the run, share of one core. */
  readonly clientCoreShare: number;
}

/** The result of a run that started at `started` (performance.now) with CPU usage `cpu`. */
function runResult(run: {
  started: number;
  cpu: NodeJS.CpuUsage;
  latencies: Float64Array;
  completed: number;
  errors: number;
  firstError: string | undefined;
}): RunResult {
  const ms = performance.now() - run.started;
  const used = process.cpuUsage(run.cpu);
  return {
    calls: run.completed,
    errors: run.errors,
    firstError: run.firstError,
    ms,
    rate: run.completed / (ms / 1000),
    latency: summarizeLatencies(run.latencies, run.completed),
    clientCoreShare: (used.user + used.system) / 1000 / ms,
  };
}

export interface UnaryJob {
  readonly name: string;
  /**
   * Replicas of one registry to spread the job over instead of `name` alone: call i goes to
   * spreadOver[i % k]. Their store is shared, so a session is valid on every one of them.
   */
  readonly spreadOver?: readonly string[];
  readonly client: ClientKind;
  readonly method: UnaryMethod;
  readonly durationMs: number;
  readonly maxCalls: number;
  /** Distinguishes the paths registered by different runs (paths must be new). */
  readonly tag: string;
  readonly filesPerPeer: number;
}

type Done = (error: { code: number; details: string } | null) => void;
type Call = (i: number, done: Done) => void;

/** Starts call number `i` of a job; `done` gets the error, if any. */
function caller(job: UnaryJob): Call {
  const calls = (job.spreadOver ?? [job.name]).map((name) => callerOf(job, targetOf(name)));
  if (calls.length === 1) return calls[0]!;
  return (i, done) => calls[i % calls.length]!(i, done);
}

/** Call number `i` of a job on one target. */
function callerOf(job: UnaryJob, { clients, sessions, h2 }: Target): Call {
  const n = sessions.length;
  if (job.client === 'h2') {
    const h2Done = (done: Done) => (result: { code: number; message: string }) =>
      done(result.code === 0 ? null : { code: result.code, details: result.message });
    if (job.method === 'registerFile') {
      return (i, done) => {
        const session = sessions[i % n]!;
        const request = { peer: session.peer, path: `/srv/kompart/load/${job.tag}/${i}.dat`, sha256: hashes[i % hashes.length]!, size: 1024 + i };
        h2.call('/kompart.v1.Registry/RegisterFile', RegisterFileRequest.encode(request).finish(), session.authorization, h2Done(done));
      };
    }
    return (i, done) => {
      const session = sessions[i % n]!;
      const holder = sessions[(i * 7919) % n]!.peer;
      const request = { peer: session.peer, holder, file: fileName((i * 31) % job.filesPerPeer) };
      h2.call('/kompart.v1.Registry/LocateFile', LocateFileRequest.encode(request).finish(), session.authorization, h2Done(done));
    };
  }
  if (job.method === 'registerFile') {
    return (i, done) => {
      const session = sessions[i % n]!;
      const request = { peer: session.peer, path: `/srv/kompart/load/${job.tag}/${i}.dat`, sha256: hashes[i % hashes.length]!, size: 1024 + i };
      clients[i % clients.length]!.registerFile(request, session.metadata, (error) => done(error));
    };
  }
  return (i, done) => {
    const session = sessions[i % n]!;
    const holder = sessions[(i * 7919) % n]!.peer;
    const request = { peer: session.peer, holder, file: fileName((i * 31) % job.filesPerPeer) };
    clients[i % clients.length]!.locateFile(request, session.metadata, (error) => done(error));
  };
}

const handlers = {
  ...probeHandlers(),
  ...exitHandler(() => {
    for (const target of targets.values()) {
      for (const client of target.clients) client.close();
      target.h2.close();
    }
  }),

  connect: async (args: { name: string; target: string; channels: number }) => {
    const clients = Array.from(
      { length: args.channels },
      () =>
        new RegistryClient(args.target, ChannelCredentials.createInsecure(), {
          'grpc.use_local_subchannel_pool': 1,
          'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
          'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
        }),
    );
    await Promise.all(
      clients.map((client) => new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve())))),
    );
    targets.set(args.name, { clients, h2: await createH2Caller(args.target, args.channels), sessions: [] });
  },

  setSessions: (args: { name: string; sessions: readonly { peer: string; token: string }[] }) => {
    targetOf(args.name).sessions = args.sessions.map(({ peer, token }) => ({ peer, metadata: tokenMetadata(token), authorization: `Bearer ${token}` }));
  },

  /**
   * Registers peers and files through the RPCs, `concurrency` calls in flight (the slow,
   * faithful way to populate; the runner's default fills the registry in-process).
   */
  populateRpc: async (args: { name: string; peers: number; filesPerPeer: number; group: number; concurrency: number }) => {
    const { clients } = targetOf(args.name);
    const started = performance.now();
    const sessions: { peer: string; token: string }[] = new Array(args.peers);
    await runPool(args.peers, args.concurrency, (p, done) => {
      clients[p % clients.length]!.registerPeer(
        { address: peerAddress(p, args.group), certificateSha256: Buffer.alloc(0) },
        new Metadata(),
        (error, response) => {
          if (error === null) sessions[p] = { peer: response.peer, token: response.sessionToken };
          done(error);
        },
      );
    });
    const peersMs = performance.now() - started;
    const metadata = sessions.map((s) => tokenMetadata(s.token));
    const total = args.peers * args.filesPerPeer;
    const filesStarted = performance.now();
    await runPool(total, args.concurrency, (i, done) => {
      const p = i % args.peers;
      const f = Math.floor(i / args.peers);
      const request = { peer: sessions[p]!.peer, path: filePath(p, f), sha256: fileHash(p, f), size: fileSize(p, f) };
      clients[i % clients.length]!.registerFile(request, metadata[p]!, (error) => done(error));
    });
    const filesMs = performance.now() - filesStarted;
    return { peersMs, filesMs, filesRate: total / (filesMs / 1000), sessions };
  },

  /** Closed loop: `concurrency` calls always in flight until the time or count runs out. */
  closedLoop: (args: UnaryJob & { concurrency: number }): Promise<RunResult> => {
    const call = caller(args);
    const latencies = new Float64Array(args.maxCalls);
    return new Promise((resolve) => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const deadline = started + args.durationMs;
      let issued = 0;
      let completed = 0;
      let inFlight = 0;
      let errors = 0;
      let firstError: string | undefined;
      const issue = (): void => {
        if (issued >= args.maxCalls || performance.now() >= deadline) {
          if (inFlight === 0) finish();
          return;
        }
        const i = issued++;
        inFlight++;
        const sent = performance.now();
        call(i, (error) => {
          latencies[completed++] = performance.now() - sent;
          inFlight--;
          if (error !== null) {
            errors++;
            firstError ??= `${error.code} ${error.details}`;
          }
          issue();
        });
      };
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        resolve(runResult({ started, cpu, latencies, completed, errors, firstError }));
      };
      for (let c = 0; c < args.concurrency; c++) issue();
    });
  },

  /**
   * Open loop: calls start on a fixed schedule (`rate` per second) whatever the answers;
   * latency counts from the scheduled start, so queueing shows (no coordinated omission).
   */
  openLoop: (args: UnaryJob & { rate: number }): Promise<RunResult> => {
    const call = caller(args);
    const total = Math.min(args.maxCalls, Math.floor((args.rate * args.durationMs) / 1000));
    const latencies = new Float64Array(total);
    return new Promise((resolve) => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const period = 1000 / args.rate;
      let issued = 0;
      let completed = 0;
      let errors = 0;
      let firstError: string | undefined;
      const tick = (): void => {
        const due = Math.min(total, Math.floor((performance.now() - started) / period) + 1);
        while (issued < due) {
          const i = issued++;
          const scheduled = started + i * period;
          call(i, (error) => {
            latencies[completed++] = performance.now() - scheduled;
            if (error !== null) {
              errors++;
              firstError ??= `${error.code} ${error.details}`;
            }
            if (completed === total) finish();
          });
        }
        if (issued < total) setTimeout(tick, Math.max(0, started + issued * period - performance.now()));
      };
      const finish = (): void => resolve(runResult({ started, cpu, latencies, completed, errors, firstError }));
      tick();
    });
  },

  /** Lists everything, page after page, as `list files` does; times to the last entry. */
  listAll: async (args: { name: string; pageSize: number }) => {
    const { clients, sessions } = targetOf(args.name);
    const client = clients[0]!;
    const session = sessions[0]!;
    const started = performance.now();
    let pageToken = '';
    let entries = 0;
    let pages = 0;
    let firstPageMs = 0;
    let largestPage = 0;
    do {
      const page = await new Promise<ListFilesResponse>((resolve, reject) =>
        client.listFiles(
          { peer: session.peer, pageSize: args.pageSize, pageToken, nameContains: '', sha256Prefix: '', holder: '' },
          session.metadata,
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      );
      if (pages === 0) firstPageMs = performance.now() - started;
      pages++;
      entries += page.files.length;
      largestPage = Math.max(largestPage, page.files.length);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return { ms: performance.now() - started, entries, pages, firstPageMs, largestPage };
  },
};

/** Runs `count` callback-style jobs with at most `concurrency` in flight; rejects on the first error. */
function runPool(count: number, concurrency: number, job: (i: number, done: (error: ServiceError | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let completed = 0;
    let failed = false;
    const start = (): void => {
      if (failed || next >= count) return;
      const i = next++;
      job(i, (error) => {
        if (error !== null) {
          failed = true;
          reject(error);
          return;
        }
        completed++;
        if (completed === count) resolve();
        else start();
      });
    };
    if (count === 0) resolve();
    for (let c = 0; c < Math.min(concurrency, count); c++) start();
  });
}

export type LoadOps = typeof handlers;

serve(handlers);

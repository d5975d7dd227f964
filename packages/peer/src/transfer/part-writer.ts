import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { types } from 'node:util';
import { Worker } from 'node:worker_threads';
import { PART_WRITER_ROLE, type PartDone, type PartRequest } from './part-writer-thread.js';

interface Waiting {
  readonly resolve: (hex: string | undefined) => void;
  readonly reject: (error: Error) => void;
}

/** A running SHA-256 kept by the writer thread, fed by the writes given it (PartWriter.digest). */
export interface PartDigest {
  /** The SHA-256 of the bytes so far, hex, once every write given it before is done; ends the digest. */
  finish(): Promise<string>;
  /** Ends the digest without its value (a failed download); resolves once the thread let it go, at once when already ended. */
  drop(): Promise<void>;
}

/**
 * The process's two threads for downloads (part-writer-thread.ts), each started when first
 * needed: one writes, the other keeps the running SHA-256s, so that hashing a buffer and
 * writing it run side by side (on the benchmark machine each costs about as much as the
 * other: BENCHMARKS.md, "Sealed streams"). Each serves its requests in the order they are
 * made, so writes queued back to back reach the disk one after the other without waiting
 * for the main thread in between, and a digest sees the bytes in the order of the writes.
 *
 * A thread keeps the process alive only while it has requests pending. If one dies, the
 * requests it had are failed with the reason and the next one starts a new thread.
 */
export class PartWriter {
  /** The writing thread (0) and the hashing thread (1), each started when first needed. */
  readonly #workers: (Worker | undefined)[] = [undefined, undefined];
  #nextId = 1;
  #nextDigest = 1;
  /** Requests each thread has not answered yet, by request id (same index as #workers). */
  readonly #waiting = [new Map<number, Waiting>(), new Map<number, Waiting>()];
  readonly #digestIds = new WeakMap<PartDigest, number>();
  /** Each running digest's latest write (settled either way) and the first write that failed, if one did. */
  readonly #running = new Map<number, { last?: Promise<void>; spoiled?: Error }>();

  /**
   * Writes `data` at `position` of the open file `fd`; resolves once it is on its way to
   * the disk (written to the page cache). `data` must not change until then: bytes in a
   * SharedArrayBuffer are read by the threads in place, other bytes are copied to them.
   * Rejects with the system error (its `code`, ENOSPC, EIO, …) when a write(2) fails.
   * With `digest` (one of this writer's, not ended), the bytes also go into it: on the
   * hashing thread, while the writing thread writes them.
   */
  write(fd: number, data: Uint8Array, position: number, digest?: PartDigest): Promise<void> {
    // Shared bytes travel as a view; others as an exact copy, handed over to the writing
    // thread (the hashing thread, sent them first, gets a copy of its own).
    const shared = types.isSharedArrayBuffer(data.buffer);
    const bytes = shared ? data : new Uint8Array(data);
    const digestId = digest === undefined ? undefined : this.#digestIds.get(digest);
    if (digest !== undefined && digestId === undefined) return Promise.reject(new Error('write: not a running digest of this writer'));
    const hashed = digestId === undefined ? undefined : this.#send({ kind: 'digest-add', id: 0, digest: digestId, data: bytes }, [], HASHER);
    const written = this.#send({ kind: 'write', id: 0, fd, data: bytes, position }, shared ? [] : [bytes.buffer as ArrayBuffer], WRITER);
    if (digestId !== undefined) {
      // The hashing thread cannot see a failed write: the digest is spoiled here.
      const state = this.#running.get(digestId);
      if (state !== undefined) {
        state.last = written.then(
          () => undefined,
          (error: unknown) => {
            state.spoiled ??= error as Error;
          },
        );
      }
    }
    return (hashed === undefined ? written : Promise.all([written, hashed])).then(() => undefined);
  }

  /**
   * Starts a running SHA-256 on the hashing thread over the first `length` bytes of `fd`
   * (read there: a resumed part file's), continued by each `write` given it, in the order
   * of the calls. The caller writes in file order and must finish or drop it.
   */
  digest(fd: number, length: number): PartDigest {
    const id = this.#nextDigest++;
    const started = this.#send({ kind: 'digest-start', id: 0, digest: id, fd, length }, [], HASHER);
    started.catch(() => undefined); // seen by finish or drop
    // A digest is running while it is in #digestIds.
    const ended = (): boolean => !this.#digestIds.has(handle);
    const end = (): Promise<string> => {
      this.#digestIds.delete(handle);
      const value = this.#send({ kind: 'digest-end', id: 0, digest: id }, [], HASHER);
      value.catch(() => undefined); // seen below, once the writes settled
      const state = this.#running.get(id);
      this.#running.delete(id);
      // The writing thread serves in order: once the digest's last write settled, all have.
      return (state?.last ?? Promise.resolve())
        .then(() => Promise.all([started, value]))
        .then(([, hex]) => {
          if (state?.spoiled !== undefined) throw state.spoiled;
          return hex ?? '';
        });
    };
    const handle: PartDigest = {
      finish: () => (ended() ? Promise.reject(new Error('this digest has ended')) : end()),
      drop: () =>
        ended()
          ? Promise.resolve()
          : end().then(
              () => undefined,
              () => undefined,
            ),
    };
    this.#digestIds.set(handle, id);
    this.#running.set(id, {});
    return handle;
  }

  #send(request: PartRequest, transfer: ArrayBuffer[], index: number): Promise<string | undefined> {
    const worker = (this.#workers[index] ??= this.#start(index));
    const waiting = this.#waiting[index]!;
    const id = this.#nextId++;
    if (waiting.size === 0) worker.ref();
    return new Promise<string | undefined>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Stops the threads now: writes still pending fail. The next write starts new ones. */
  async stop(): Promise<void> {
    const workers = this.#workers.filter((worker): worker is Worker => worker !== undefined);
    for (const worker of workers) this.#lost(worker, new Error('the part writer thread was stopped'));
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  #start(index: number): Worker {
    const worker = startThread();
    worker.unref();
    const pending = this.#waiting[index]!;
    worker.on('message', (done: PartDone) => {
      const waiting = pending.get(done.id);
      if (waiting === undefined) return;
      pending.delete(done.id);
      if (pending.size === 0) worker.unref();
      if (done.error === undefined) waiting.resolve(done.hex);
      else waiting.reject(Object.assign(new Error(done.error.message), { code: done.error.code }));
    });
    worker.on('error', (error) => this.#lost(worker, error));
    worker.on('exit', (code) => this.#lost(worker, new Error(`the part writer thread exited with code ${code}`)));
    this.#workers[index] = worker;
    return worker;
  }

  /** A thread died: what it had is failed with `reason` (its digests are gone with it). */
  #lost(worker: Worker, reason: Error): void {
    const index = this.#workers.indexOf(worker);
    if (index < 0) return;
    this.#workers[index] = undefined;
    const waiting = [...this.#waiting[index]!.values()];
    this.#waiting[index]!.clear();
    for (const { reject } of waiting) reject(reason);
  }
}

/** Which thread a request goes to. */
const WRITER = 0;
const HASHER = 1;

/**
 * Starts part-writer-thread: the compiled file beside this one, or, when running from the
 * TypeScript sources (Jest), that file's source transpiled by the TypeScript compiler
 * (a development dependency, never needed by the built program).
 */
function startThread(): Worker {
  const compiled = join(__dirname, 'part-writer-thread.js');
  if (existsSync(compiled)) return new Worker(compiled, { workerData: PART_WRITER_ROLE });
  const source = readFileSync(join(__dirname, 'part-writer-thread.ts'), 'utf8');
  const typescript = createRequire(__filename)('typescript') as typeof import('typescript');
  const { outputText } = typescript.transpileModule(source, {
    compilerOptions: { module: typescript.ModuleKind.CommonJS, target: typescript.ScriptTarget.ES2022 },
  });
  return new Worker(outputText, { eval: true, workerData: PART_WRITER_ROLE });
}

/** The writer thread every download of this process shares. */
export const partWriter = new PartWriter();

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
 * The process's writer thread for downloads (part-writer-thread.ts), started on the first
 * write. Requests are served in the order they are made, so writes queued back to back
 * reach the disk one after the other without waiting for the main thread in between.
 *
 * The thread keeps the process alive only while writes are pending. If it dies, the
 * writes it had are failed with the reason and the next write starts a new one.
 */
export class PartWriter {
  #worker: Worker | undefined;
  #nextId = 1;
  #nextDigest = 1;
  readonly #waiting = new Map<number, Waiting>();
  readonly #digestIds = new WeakMap<PartDigest, number>();

  /**
   * Writes `data` at `position` of the open file `fd`; resolves once it is on its way to
   * the disk (written to the page cache). `data` must not change until then: bytes in a
   * SharedArrayBuffer are read by the thread in place, other bytes are copied to it.
   * Rejects with the system error (its `code`, ENOSPC, EIO, …) when a write(2) fails.
   * With `digest` (one of this writer's, not ended), the bytes also go into it once written.
   */
  write(fd: number, data: Uint8Array, position: number, digest?: PartDigest): Promise<void> {
    // Shared bytes travel as a view; others as an exact copy, handed over without a second copy.
    const shared = types.isSharedArrayBuffer(data.buffer);
    const bytes = shared ? data : new Uint8Array(data);
    const digestId = digest === undefined ? undefined : this.#digestIds.get(digest);
    if (digest !== undefined && digestId === undefined) return Promise.reject(new Error('write: not a running digest of this writer'));
    const request = { kind: 'write', id: 0, fd, data: bytes, position, ...(digestId === undefined ? {} : { digest: digestId }) } as const;
    return this.#send(request, shared ? [] : [bytes.buffer as ArrayBuffer]).then(() => undefined);
  }

  /**
   * Starts a running SHA-256 on the thread over the first `length` bytes of `fd` (read
   * there: a resumed part file's), continued by each `write` given it, in the order of
   * the calls. The caller writes in file order and must finish or drop it.
   */
  digest(fd: number, length: number): PartDigest {
    const id = this.#nextDigest++;
    const started = this.#send({ kind: 'digest-start', id: 0, digest: id, fd, length });
    started.catch(() => undefined); // seen by finish or drop
    // A digest is running while it is in #digestIds.
    const ended = (): boolean => !this.#digestIds.has(handle);
    const end = (): Promise<string> => {
      this.#digestIds.delete(handle);
      const value = this.#send({ kind: 'digest-end', id: 0, digest: id });
      return Promise.all([started, value]).then(([, hex]) => hex ?? '');
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
    return handle;
  }

  #send(request: PartRequest, transfer: ArrayBuffer[] = []): Promise<string | undefined> {
    const worker = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    if (this.#waiting.size === 0) worker.ref();
    return new Promise<string | undefined>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Stops the thread now: writes still pending fail. The next write starts a new thread. */
  async stop(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#lost(worker, new Error('the part writer thread was stopped'));
    await worker.terminate();
  }

  #start(): Worker {
    const worker = startThread();
    worker.unref();
    worker.on('message', (done: PartDone) => {
      const waiting = this.#waiting.get(done.id);
      if (waiting === undefined) return;
      this.#waiting.delete(done.id);
      if (this.#waiting.size === 0) worker.unref();
      if (done.error === undefined) waiting.resolve(done.hex);
      else waiting.reject(Object.assign(new Error(done.error.message), { code: done.error.code }));
    });
    worker.on('error', (error) => this.#lost(worker, error));
    worker.on('exit', (code) => this.#lost(worker, new Error(`the part writer thread exited with code ${code}`)));
    return worker;
  }

  #lost(worker: Worker, reason: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const { reject } of waiting) reject(reason);
  }
}

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

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { types } from 'node:util';
import { Worker } from 'node:worker_threads';
import { PART_WRITER_ROLE, type PartWrite, type PartWriteDone } from './part-writer-thread.js';

interface Waiting {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
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
  readonly #waiting = new Map<number, Waiting>();

  /**
   * Writes `data` at `position` of the open file `fd`; resolves once it is on its way to
   * the disk (written to the page cache). `data` must not change until then: bytes in a
   * SharedArrayBuffer are read by the thread in place, other bytes are copied to it.
   * Rejects with the system error (its `code`, ENOSPC, EIO, …) when a write(2) fails.
   */
  write(fd: number, data: Uint8Array, position: number): Promise<void> {
    const worker = (this.#worker ??= this.#start());
    const id = this.#nextId++;
    if (this.#waiting.size === 0) worker.ref();
    // Shared bytes travel as a view; others as an exact copy, handed over without a second copy.
    const shared = types.isSharedArrayBuffer(data.buffer);
    const bytes = shared ? data : new Uint8Array(data);
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      const request: PartWrite = { id, fd, data: bytes, position };
      worker.postMessage(request, shared ? [] : [bytes.buffer as ArrayBuffer]);
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
    worker.on('message', (done: PartWriteDone) => {
      const waiting = this.#waiting.get(done.id);
      if (waiting === undefined) return;
      this.#waiting.delete(done.id);
      if (this.#waiting.size === 0) worker.unref();
      if (done.error === undefined) waiting.resolve();
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

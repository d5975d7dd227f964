import { createHash, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { isKompartError, type KompartError } from '@kompart/core';
import type { DownloadSource, PartFileSystem } from './download-file.js';
import { HASH_BUFFER_BYTES, hashRange, readBuffers } from '../hash-file.js';
import { PeerErrorCode, isPeerError, peerError } from '../peer-error.js';
import { PIECE_HASH_BYTES, pieceCount, piecesRoot, type PieceList } from './piece-hashes.js';

/** One holder a swarm download may fetch pieces from. */
export interface SwarmHolder {
  /** The holder's identity, for the result and for messages. */
  readonly peer: string;
  /** Byte ranges of the file (DownloadSource.open with a length). */
  readonly source: DownloadSource;
  /** Its piece list (FileService.GetPieces); checked against the root before use. */
  pieces(signal: AbortSignal): Promise<PieceList>;
}

/** How one holder took part in a swarm download. */
export interface HolderShare {
  readonly peer: string;
  /** Bytes of verified pieces it sent in this call. */
  readonly bytes: number;
  /**
   * `done`: it was still sending (or had nothing left to send) at the end; `bad-piece`:
   * it sent a piece that did not hash to the piece list, and was dropped; `bad-list`: its
   * piece list did not match the registry's root; `left`: its stream failed (gone, file
   * unavailable); `stalled`: it sent nothing for the stall timeout; `unused`: not needed.
   */
  readonly outcome: 'done' | 'bad-piece' | 'bad-list' | 'left' | 'stalled' | 'unused';
}

export interface SwarmOptions {
  readonly size: number;
  readonly sha256: string;
  /** File name for messages. */
  readonly name: string;
  readonly pieceSize: number;
  /** The registry's root over the piece list (32 bytes). */
  readonly root: Uint8Array;
  /** The piece list, already checked against `root` (see agreeOnPieces). */
  readonly pieceHashes: Buffer;
  readonly holders: readonly SwarmHolder[];
  readonly handle: FileHandle;
  readonly fs: PartFileSystem;
  /** `<part>.pieces`: the record of verified pieces kept beside the part file. */
  readonly recordPath: string;
  readonly signal: AbortSignal;
  /** A request that brings nothing for this long (ms) drops its holder as stalled. */
  readonly stallTimeoutMs: number;
  readonly onProgress?: ((bytes: number, total: number) => void) | undefined;
  /** Told how many holders are sending whenever that changes. */
  readonly onSending?: ((holders: number) => void) | undefined;
}

export interface SwarmOutcome {
  /** SHA-256 of the whole file as assembled, hex. */
  readonly actual: string;
  /** Bytes of pieces that were already verified in the part file (resumed). */
  readonly resumedFrom: number;
  /** Bytes of verified pieces received in this call. */
  readonly transferred: number;
  readonly holders: readonly HolderShare[];
}

/** Largest request: this many bytes of consecutive pieces (fewer when pieces are scarce). */
const MAX_RUN_BYTES = 64 * 1024 * 1024;
/** Writes one request keeps queued before it waits for the oldest. */
const WRITE_DEPTH = 4;
/** The record of verified pieces is rewritten at most this often while pieces arrive. */
const RECORD_INTERVAL_MS = 1000;
/** How often an idle holder looks again for a piece to take over (ms). */
const RECHECK_MS = 250;
/** An idle holder takes a piece over from one that would take this much longer to finish it. */
const TAKEOVER_MARGIN = 1.5;

const MISSING = 0;
const CLAIMED = 1;
const VERIFIED = 2;
const STORED = 3;

/** The record beside the part file: which pieces are verified, for which piece list. */
interface PieceRecord {
  readonly version: 1;
  readonly sha256: string;
  readonly pieceSize: number;
  readonly root: string;
  /** Bitfield of verified pieces, base64. */
  readonly done: string;
}

/**
 * Reads the record of verified pieces beside a part file: the pieces it marks, when it is
 * for this content and piece list; undefined otherwise (missing, corrupt, another list).
 */
export async function readPieceRecord(path: string, sha256: string, pieceSize: number, root: Uint8Array, count: number): Promise<Uint8Array | undefined> {
  let parsed: Partial<PieceRecord>;
  try {
    parsed = JSON.parse(await fsp.readFile(path, 'utf8')) as Partial<PieceRecord>;
  } catch {
    return undefined;
  }
  if (parsed.version !== 1 || parsed.sha256 !== sha256 || parsed.pieceSize !== pieceSize || parsed.root !== Buffer.from(root).toString('hex')) return undefined;
  const bits = Buffer.from(typeof parsed.done === 'string' ? parsed.done : '', 'base64');
  if (bits.length !== Math.ceil(count / 8)) return undefined;
  const done = new Uint8Array(count);
  for (let i = 0; i < count; i++) done[i] = (bits[i >> 3]! >> (i & 7)) & 1;
  return done;
}

/**
 * The bytes at the start of a part file that a record beside it (of any piece list of this
 * content) marks verified: what a single-source download may keep of a swarm's part file.
 * Undefined when there is no usable record.
 */
export async function recordedPrefix(path: string, sha256: string, size: number): Promise<number | undefined> {
  try {
    const parsed = JSON.parse(await fsp.readFile(path, 'utf8')) as Partial<PieceRecord>;
    if (parsed.version !== 1 || parsed.sha256 !== sha256 || typeof parsed.pieceSize !== 'number' || typeof parsed.root !== 'string') return undefined;
    const done = await readPieceRecord(path, sha256, parsed.pieceSize, Buffer.from(parsed.root, 'hex'), pieceCount(size, parsed.pieceSize));
    return done === undefined ? undefined : verifiedPrefix(done, parsed.pieceSize, size);
  } catch {
    return undefined;
  }
}

/** Writes the record atomically (temporary file + rename). */
async function writePieceRecord(path: string, record: PieceRecord): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await fsp.writeFile(temporary, JSON.stringify(record));
  await fsp.rename(temporary, path);
}

/** The bytes of the verified pieces at the start of the file (what a single-source resume may keep). */
function verifiedPrefix(done: Uint8Array, pieceSize: number, size: number): number {
  let n = 0;
  while (n < done.length && done[n] === 1) n++;
  return Math.min(n * pieceSize, size);
}

/** A holder's state during the download. */
class Worker {
  bytes = 0;
  outcome: HolderShare['outcome'] = 'unused';
  dropped = false;
  /** The request in flight, if any. */
  run: Run | undefined;
  /** Bytes and milliseconds of its finished requests, for its rate. */
  sentBytes = 0;
  sentMs = 0;
  sending = false;
  /** Why it was dropped, for the error when nobody is left. */
  error: unknown;

  constructor(readonly holder: SwarmHolder) {}

  /** Bytes per ms, or undefined before its first piece. */
  rate(now: number): number | undefined {
    const run = this.run;
    const bytes = this.sentBytes + (run?.received ?? 0);
    const ms = this.sentMs + (run === undefined ? 0 : now - run.startedAt);
    return bytes > 0 && ms > 0 ? bytes / ms : undefined;
  }
}

/** One request: pieces [first, end) from one holder; `end` may shrink when another holder takes the tail. */
interface Run {
  readonly first: number;
  end: number;
  /** The piece being received (its bytes so far in `pieceBytes`). */
  current: number;
  pieceBytes: number;
  received: number;
  readonly startedAt: number;
  lastDataAt: number;
  readonly controller: AbortController;
  /** Why it was cut short on purpose (not an error of the holder). */
  cut?: 'taken' | 'finished';
  /**
   * It took its piece over from another holder (endgame). Such a run is never taken over
   * in turn: two holders with no measured rate yet would otherwise pass one piece back and
   * forth forever; a taker that stalls is dropped by the stall timer instead.
   */
  readonly takeover: boolean;
}

class BadPiece extends Error {}
class Stalled extends Error {}

/**
 * Fetches the pieces of one file from several holders at once into an open part file,
 * verifying each piece on arrival, and returns the SHA-256 of the whole (the caller
 * compares it and places the file). See createDownloader's downloadSwarm for the rules.
 *
 * - Each holder runs requests of consecutive missing pieces, sized so that every holder
 *   gets several (at most MAX_RUN_BYTES); a holder that finishes early takes the second
 *   half of the largest request still running (its holder stops at the new end), so the
 *   faster holders fetch more.
 * - Endgame: when nothing is left to split, an idle holder takes over the last piece of a
 *   request whose holder would take TAKEOVER_MARGIN times longer to finish it than the idle
 *   one to fetch all of it; the slower request is cut there.
 * - A piece that does not hash to its entry of the piece list is fetched again from
 *   another holder; the holder that sent it is dropped (`bad-piece`). A holder whose
 *   stream fails is dropped (`left`), one that sends nothing for `stallTimeoutMs` too
 *   (`stalled`); their pieces go back to the others.
 * - Every piece is written where it belongs as it arrives (a piece only ever has one
 *   holder writing it; a holder taking a piece over waits for the writes already queued).
 *   The whole-file SHA-256 follows the pieces in file order: a piece received in order is
 *   hashed from memory as it arrives, the others are read back once everything before them
 *   is hashed.
 * - The record of verified pieces (`recordPath`) is rewritten at most every second and
 *   at the end, so an interrupted download resumes with those pieces (not read again,
 *   except by the whole-file hash).
 */
export async function fetchSwarm(options: SwarmOptions, initiallyDone: Uint8Array | undefined): Promise<SwarmOutcome> {
  const { size, pieceSize, handle, fs, signal } = options;
  const count = pieceCount(size, pieceSize);
  const pieceStart = (p: number): number => p * pieceSize;
  const pieceEnd = (p: number): number => Math.min(size, (p + 1) * pieceSize);
  const state = new Uint8Array(count);
  const owner: (Worker | undefined)[] = new Array<Worker | undefined>(count).fill(undefined);
  /** Writes queued per piece and not yet settled. */
  const pieceWrites = new Map<number, Set<Promise<unknown>>>();
  let resumedFrom = 0;
  let stored = 0;
  for (let p = 0; p < count; p++) {
    if (initiallyDone?.[p] === 1) {
      state[p] = STORED;
      stored++;
      resumedFrom += pieceEnd(p) - pieceStart(p);
    }
  }
  let progress = resumedFrom;
  options.onProgress?.(progress, size);

  // The whole-file hash, in file order.
  let whole: Hash = createHash('sha256');
  let wholeAt = 0;
  let streaming = -1;
  let checkpoint: Hash | undefined;
  let catchingUp: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;

  // Holders and the main loop wait for a change (a piece stored, a request ended, a holder
  // dropped); idle holders also look again every RECHECK_MS, for the endgame's rates.
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const resolve of [...waiters]) resolve();
    waiters.clear();
  };
  const waitForChange = (timeoutMs?: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, timeoutMs);
      waiters.add(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  let recordDirty = false;
  let recordWritten = 0;
  let recording: Promise<void> | undefined;
  const record = (): PieceRecord => {
    const bits = Buffer.alloc(Math.ceil(count / 8));
    for (let p = 0; p < count; p++) if (state[p] === STORED) bits[p >> 3]! |= 1 << (p & 7);
    return { version: 1, sha256: options.sha256, pieceSize, root: Buffer.from(options.root).toString('hex'), done: bits.toString('base64') };
  };
  const saveRecord = async (force: boolean): Promise<void> => {
    if (!recordDirty || (!force && Date.now() - recordWritten < RECORD_INTERVAL_MS)) return;
    if (recording !== undefined) {
      await recording;
      if (!force) return;
    }
    recordDirty = false;
    recordWritten = Date.now();
    recording = writePieceRecord(options.recordPath, record()).catch(() => undefined);
    await recording;
    recording = undefined;
  };

  /** Hashes, from disk, the stored pieces at the hash frontier that were not hashed as they came. */
  /** The read buffers of every catch-up of this download, made on the first one. */
  let catchUpBuffers: [Buffer, Buffer] | undefined;
  const catchUp = (): void => {
    if (catchingUp !== undefined || streaming !== -1 || failure !== undefined) return;
    if (wholeAt >= count || state[wholeAt] !== STORED) return;
    catchingUp = (async () => {
      try {
        while (wholeAt < count && state[wholeAt] === STORED && streaming === -1) {
          let last = wholeAt;
          while (last + 1 < count && state[last + 1] === STORED) last++;
          await hashRange(handle, whole, pieceStart(wholeAt), pieceEnd(last), {
            buffers: (catchUpBuffers ??= readBuffers(HASH_BUFFER_BYTES)),
          });
          wholeAt = last + 1;
        }
      } catch (error) {
        failure ??= { error: diskReadError(error, options.recordPath) };
      } finally {
        catchingUp = undefined;
        notify();
      }
    })();
  };

  const workers = options.holders.map((holder) => new Worker(holder));
  const active = (): Worker[] => workers.filter((w) => !w.dropped);
  let sendingReported = -1;
  const reportSending = (): void => {
    const sending = workers.filter((w) => w.sending && !w.dropped).length;
    if (sending === sendingReported) return;
    sendingReported = sending;
    options.onSending?.(sending);
  };

  /** Releases every piece a holder was fetching (it was dropped or its request ended). */
  const releaseRun = (worker: Worker): void => {
    const run = worker.run;
    if (run === undefined) return;
    // Every piece still its own (its run's end may have moved since it was claimed).
    for (let p = run.first; p < count; p++) {
      if (owner[p] === worker && state[p] === CLAIMED) {
        owner[p] = undefined;
        state[p] = MISSING;
      }
    }
    if (run.pieceBytes > 0 && owner[run.current] === undefined && state[run.current] === MISSING) progress -= run.pieceBytes;
    if (streaming === run.current && state[run.current] === MISSING) restoreCheckpoint();
    run.pieceBytes = 0;
  };

  const restoreCheckpoint = (): void => {
    whole = checkpoint ?? createHash('sha256');
    checkpoint = undefined;
    streaming = -1;
  };

  const drop = (worker: Worker, outcome: HolderShare['outcome']): void => {
    if (worker.dropped) return;
    worker.dropped = true;
    worker.outcome = outcome;
    worker.run?.controller.abort();
  };

  /** Marks pieces [first, end) as this holder's. */
  const own = (worker: Worker, first: number, end: number): { first: number; end: number } => {
    for (let p = first; p < end; p++) {
      state[p] = CLAIMED;
      owner[p] = worker;
    }
    return { first, end };
  };

  /** The next request for an idle holder (its pieces now owned by it), or undefined when there is none now. */
  const claim = (worker: Worker): { first: number; end: number; takeover?: true } | undefined => {
    const now = Date.now();
    let missing = 0;
    let first = -1;
    for (let p = 0; p < count; p++) {
      if (state[p] !== MISSING) continue;
      missing++;
      if (first === -1) first = p;
    }
    if (first !== -1) {
      const holders = Math.max(1, active().length);
      const maxRun = Math.max(1, Math.floor(MAX_RUN_BYTES / pieceSize));
      const want = Math.max(1, Math.min(maxRun, Math.floor(missing / (2 * holders)) || 1));
      let end = first;
      while (end < count && end - first < want && state[end] === MISSING) end++;
      return own(worker, first, end);
    }
    // Split the largest request still running: take its second half.
    let victim: Run | undefined;
    let victimLeft = 1;
    for (const other of active()) {
      const run = other.run;
      if (other === worker || run === undefined || run.cut !== undefined) continue;
      const left = run.end - (run.current + 1);
      if (left > victimLeft) {
        victim = run;
        victimLeft = left;
      }
    }
    if (victim !== undefined) {
      const from = victim.end - Math.floor(victimLeft / 2);
      const end = victim.end;
      victim.end = from;
      return own(worker, from, end);
    }
    // Endgame: take over the piece of a much slower holder.
    const mine = worker.rate(now);
    let best: { piece: number; run: Run; gain: number } | undefined;
    for (const other of active()) {
      const run = other.run;
      if (other === worker || run === undefined || run.cut !== undefined || run.takeover || run.current >= run.end) continue;
      const p = run.current;
      if (owner[p] !== other) continue;
      const length = pieceEnd(p) - pieceStart(p);
      const theirs = other.rate(now);
      const theirTime = theirs === undefined ? Infinity : (length - run.pieceBytes) / theirs;
      const myTime = mine === undefined ? (theirs === undefined ? 0 : Infinity) : length / mine;
      if (theirTime > myTime * TAKEOVER_MARGIN && (best === undefined || theirTime - myTime > best.gain)) best = { piece: p, run, gain: theirTime - myTime };
    }
    if (best !== undefined) {
      const p = best.piece;
      best.run.cut = 'taken';
      best.run.end = p;
      best.run.controller.abort();
      if (best.run.pieceBytes > 0) progress -= best.run.pieceBytes;
      best.run.pieceBytes = 0;
      if (streaming === p) restoreCheckpoint();
      return { ...own(worker, p, p + 1), takeover: true };
    }
    return undefined;
  };

  /** One request of one holder; returns normally when it ended as planned (or was cut on purpose). */
  const fetchRun = async (worker: Worker, first: number, end: number, takeover: boolean): Promise<void> => {
    const controller = new AbortController();
    const run: Run = { first, end, current: first, pieceBytes: 0, received: 0, startedAt: Date.now(), lastDataAt: Date.now(), controller, takeover };
    worker.run = run;
    // Writes another holder queued into these pieces (a bad piece, a piece taken over) land first.
    const earlier: Promise<unknown>[] = [];
    for (let p = first; p < end; p++) earlier.push(...(pieceWrites.get(p) ?? []));
    if (earlier.length > 0) await Promise.all(earlier);
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let stalled = false;
    const stallTimer = setInterval(
      () => {
        if (Date.now() - run.lastDataAt >= options.stallTimeoutMs) {
          stalled = true;
          controller.abort();
        }
      },
      Math.max(10, Math.min(1000, Math.floor(options.stallTimeoutMs / 4))),
    );
    const writes: Promise<unknown>[] = [];
    let pieceHash: Hash | undefined;
    try {
      const offset = pieceStart(first);
      const length = pieceEnd(end - 1) - offset;
      let position = offset;
      let headerSeen = false;
      const stream = worker.holder.source.open(offset, controller.signal, length);
      for await (const message of stream) {
        run.lastDataAt = Date.now();
        if (message.type === 'header') {
          if (headerSeen) throw violation(worker, 'second header');
          headerSeen = true;
          if (message.sha256.toLowerCase() !== options.sha256 || message.size !== size || message.offset !== offset || (message.length ?? 0) !== length) {
            throw violation(
              worker,
              `header does not match (sha256 ${message.sha256}, size ${message.size}, offset ${message.offset}, length ${message.length ?? 0})`,
            );
          }
          continue;
        }
        const { data, release } = message;
        if (!headerSeen) {
          release?.();
          throw violation(worker, 'data before the header');
        }
        if (position + data.length > offset + length) {
          release?.();
          throw violation(worker, 'more bytes than asked for');
        }
        // Split the chunk at piece boundaries; stop at the request's (possibly new) end.
        const chunkWrites: Promise<unknown>[] = [];
        let at = 0;
        let stop = false;
        // The chunk's buffer goes back once its writes are done, even when a bad piece ends the run midway.
        try {
          while (at < data.length) {
            const p = Math.floor(position / pieceSize);
            if (p >= run.end || owner[p] !== worker) {
              stop = true;
              break;
            }
            run.current = p;
            const take = Math.min(data.length - at, pieceEnd(p) - position);
            const segment = data.subarray(at, at + take);
            if (position === pieceStart(p)) {
              pieceHash = createHash('sha256');
              if (streaming === -1 && wholeAt === p && catchingUp === undefined) {
                streaming = p;
                checkpoint = whole.copy();
              }
            }
            pieceHash!.update(segment);
            if (streaming === p) whole.update(segment);
            const written = fs.write(options.handle, segment, position).then(
              () => undefined,
              (error: unknown) => {
                failure ??= { error: writeError(error, options.recordPath) };
                notify();
              },
            );
            let set = pieceWrites.get(p);
            if (set === undefined) pieceWrites.set(p, (set = new Set()));
            set.add(written);
            chunkWrites.push(written);
            at += take;
            position += take;
            run.pieceBytes += take;
            run.received += take;
            progress += take;
            if (position === pieceEnd(p)) {
              const digest = pieceHash!.digest();
              pieceHash = undefined;
              const pieceLength = run.pieceBytes;
              run.pieceBytes = 0;
              if (!digest.equals(options.pieceHashes.subarray(p * PIECE_HASH_BYTES, (p + 1) * PIECE_HASH_BYTES))) {
                progress -= pieceLength;
                state[p] = MISSING;
                owner[p] = undefined;
                if (streaming === p) restoreCheckpoint();
                throw new BadPiece(`piece ${p}`);
              }
              state[p] = VERIFIED;
              owner[p] = undefined;
              worker.bytes += pieceLength;
              if (streaming === p) {
                streaming = -1;
                checkpoint = undefined;
                wholeAt = p + 1;
              }
              const settled = Promise.all([...set]);
              void settled.then(() => {
                pieceWrites.delete(p);
                if (state[p] !== VERIFIED) return;
                state[p] = STORED;
                stored++;
                recordDirty = true;
                void saveRecord(false);
                catchUp();
                notify();
              });
              run.current = p + 1;
            }
          }
        } finally {
          const all = Promise.all(chunkWrites);
          writes.push(release === undefined ? all : all.finally(release));
        }
        if (!worker.sending) {
          worker.sending = true;
          reportSending();
        }
        options.onProgress?.(progress, size);
        while (writes.length >= WRITE_DEPTH) await writes.shift();
        run.lastDataAt = Date.now();
        if (stop) {
          run.cut ??= 'finished';
          break;
        }
        if (position >= pieceEnd(run.end - 1) || run.current >= run.end) break;
      }
      if (run.cut === undefined && run.current < run.end && !controller.signal.aborted) {
        if (!headerSeen) throw violation(worker, 'empty stream');
        throw peerError(PeerErrorCode.TRANSFER_INTERRUPTED, { file: options.name, peer: worker.holder.peer });
      }
    } catch (error) {
      if (error instanceof BadPiece) throw error;
      if (signal.aborted) throw error;
      if (run.cut !== undefined) return;
      if (stalled) throw new Stalled();
      if (worker.dropped) return;
      throw error;
    } finally {
      clearInterval(stallTimer);
      signal.removeEventListener('abort', onAbort);
      controller.abort();
      await Promise.all(writes);
      releaseRun(worker);
      worker.sentBytes += run.received;
      worker.sentMs += Date.now() - run.startedAt;
      worker.run = undefined;
      if (worker.sending) {
        worker.sending = false;
        reportSending();
      }
      notify();
    }
  };

  const finished = (): boolean => stored === count;

  const runWorker = async (worker: Worker): Promise<void> => {
    while (!worker.dropped && !finished() && failure === undefined && !signal.aborted) {
      const next = claim(worker);
      if (next === undefined) {
        // Nothing to do now: wait until a piece lands or another holder goes.
        await waitForChange(RECHECK_MS);
        continue;
      }
      try {
        worker.outcome = 'done';
        await fetchRun(worker, next.first, next.end, next.takeover === true);
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof BadPiece) drop(worker, 'bad-piece');
        else if (error instanceof Stalled) drop(worker, 'stalled');
        else if (isPeerError(error, PeerErrorCode.PROTOCOL_VIOLATION)) drop(worker, 'bad-piece');
        else drop(worker, 'left');
        worker.error = error;
        notify();
      }
    }
  };

  try {
    const running = workers.map((worker) => runWorker(worker));
    // Wait until done, failed, cancelled, or every holder dropped.
    for (;;) {
      if (finished() || failure !== undefined || signal.aborted || active().length === 0) break;
      await waitForChange();
    }
    for (const worker of workers) {
      const run = worker.run;
      if (run === undefined) continue;
      run.cut ??= 'finished';
      run.controller.abort();
    }
    notify();
    await Promise.all(running);
    await Promise.all([...pieceWrites.values()].flatMap((set) => [...set]));
    if (failure !== undefined) throw failure.error;
    if (signal.aborted) throw peerError(PeerErrorCode.DOWNLOAD_CANCELLED, { file: options.name }, { cause: signal.reason });
    if (!finished()) {
      const dropped = workers.filter((w) => w.dropped);
      const bad = dropped.filter((w) => w.outcome === 'bad-piece' || w.outcome === 'bad-list').map((w) => w.holder.peer);
      if (bad.length > 0 && bad.length === dropped.length) throw peerError(PeerErrorCode.PIECES_REJECTED, { file: options.name, peers: bad.join(', ') });
      const last = dropped.at(-1);
      const known = last?.error;
      if (isKompartError(known) && !isPeerError(known)) throw known;
      throw peerError(PeerErrorCode.TRANSFER_INTERRUPTED, { file: options.name, peer: last?.holder.peer ?? '' });
    }
    catchUp();
    while (catchingUp !== undefined) await catchingUp;
    if (failure !== undefined) throw (failure as { error: unknown }).error;
    return {
      actual: whole.digest('hex'),
      resumedFrom,
      transferred: workers.reduce((sum, w) => sum + w.bytes, 0),
      holders: workers.map((w) => ({ peer: w.holder.peer, bytes: w.bytes, outcome: w.outcome })),
    };
  } finally {
    await saveRecord(true);
  }

  function violation(worker: Worker, detail: string): KompartError<PeerErrorCode> {
    return peerError(PeerErrorCode.PROTOCOL_VIOLATION, { peer: worker.holder.peer, detail });
  }
}

/**
 * Fetches and checks the piece list of the first holder whose list matches the root,
 * marking the others `bad-list` (their list did not match) or leaving them out when they
 * could not answer. Returns the list and the holders that may be used.
 */
export async function agreeOnPieces(
  holders: readonly SwarmHolder[],
  expected: { readonly size: number; readonly pieceSize: number; readonly root: Uint8Array },
  signal: AbortSignal,
): Promise<{ hashes: Buffer | undefined; usable: SwarmHolder[]; shares: HolderShare[] }> {
  const count = pieceCount(expected.size, expected.pieceSize);
  const shares: HolderShare[] = [];
  const usable: SwarmHolder[] = [];
  let hashes: Buffer | undefined;
  for (const holder of holders) {
    if (hashes !== undefined) {
      usable.push(holder);
      continue;
    }
    try {
      const list = await holder.pieces(signal);
      const good = list.pieceSize === expected.pieceSize && list.hashes.length === count * PIECE_HASH_BYTES && piecesRoot(list.hashes).equals(expected.root);
      if (good) {
        hashes = list.hashes;
        usable.push(holder);
      } else {
        shares.push({ peer: holder.peer, bytes: 0, outcome: 'bad-list' });
      }
    } catch (error) {
      if (signal.aborted) throw error;
      shares.push({ peer: holder.peer, bytes: 0, outcome: 'left' });
    }
  }
  return { hashes, usable, shares };
}

function writeError(error: unknown, path: string): unknown {
  if (isPeerError(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return peerError(PeerErrorCode.DISK_FULL, { path }, { cause: error });
  return peerError(PeerErrorCode.DISK_ERROR, { path, detail: typeof code === 'string' ? code : String(error) }, { cause: error });
}

function diskReadError(error: unknown, path: string): unknown {
  return writeError(error, path);
}

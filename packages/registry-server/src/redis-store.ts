import { randomBytes } from 'node:crypto';
import { createClient, defineScript, type RedisClientType } from '@redis/client';
import { KompartError, isKompartError, silentLogger, type Logger } from '@kompart/core';
import { Reason } from '@kompart/protocol';
import { MinuteBuckets } from './rate-limiter.js';
import * as lua from './redis-scripts.js';
import type {
  AddFileResult,
  OpenSessionResult,
  Beat,
  ClusterIdentity,
  PresenceTiming,
  FileRecord,
  LeaveCause,
  ListFilter,
  ListPage,
  ListedFile,
  PeerRecord,
  RegistryStore,
  SessionSource,
  StoreEvent,
} from './store.js';

export interface RedisStoreOptions {
  /** `redis://host:port[/db]` (or `rediss://` for TLS, `redis://user:password@…`). */
  readonly url: string;
  /** Key prefix: several independent registries may share one Redis (default `kompart:`). */
  readonly prefix?: string;
  /** This replica's id on the events it logs (default: random). */
  readonly origin?: string;
  readonly logger?: Logger;
  /** Aborting gives up connecting (connect() waits for Redis as long as it takes). */
  readonly signal?: AbortSignal;
  /**
   * A command Redis has not answered within this (ms) fails with STORE_UNAVAILABLE
   * (default COMMAND_TIMEOUT_MS, 5 s, node-redis's own default): a Redis that froze
   * without closing its connections is noticed.
   */
  readonly commandTimeoutMs?: number;
}

type Reply = string | number | null | Reply[];

/** A script with its arguments as strings, replying in RESP2 shapes. */
const script = (source: string) =>
  defineScript({
    SCRIPT: source,
    NUMBER_OF_KEYS: 0,
    parseCommand(parser, ...args: string[]) {
      parser.push(...args);
    },
    transformReply: undefined as unknown as () => Reply,
  });

const SCRIPTS = {
  kIdentity: script(lua.IDENTITY),
  kOpenSession: script(lua.OPEN_SESSION),
  kAdmit: script(lua.ADMIT),
  kClaimSession: script(lua.CLAIM_SESSION),
  kBeat: script(lua.BEAT),
  kCloseSession: script(lua.CLOSE_SESSION),
  kSweep: script(lua.SWEEP),
  kAddFile: script(lua.ADD_FILE),
  kRemoveFile: script(lua.REMOVE_FILE),
  kFileByPath: script(lua.FILE_BY_PATH),
  kFilesInRange: script(lua.FILES_IN_RANGE),
  kList: script(lua.LIST),
  kHolders: script(lua.HOLDERS),
  kCounts: script(lua.COUNTS),
};

type Client = RedisClientType<Record<string, never>, Record<string, never>, typeof SCRIPTS>;

/** Default of RedisStoreOptions.commandTimeoutMs. */
const COMMAND_TIMEOUT_MS = 5000;
/** The part of the command timeout left for a mutation's reply to arrive (see #mutate). */
const LATE_MARGIN = 0.2;
/** How often the offset between Redis's clock and this process's is measured again, ms. */
const CLOCK_CHECK_MS = 10_000;

/** How long a blocking read of the event log waits before asking again, ms. */
const READ_BLOCK_MS = 1000;
/** Events read at once. */
const READ_COUNT = 500;
/**
 * How long a replica gathers beats before one BEAT script records them (see
 * RegistryStore.beatBatchMs): a session's deadline is then set up to this much later than
 * its beat arrived, and every script call saves the client's fixed cost per command
 * (BENCHMARKS.md, "Tuning constants").
 */
const BEAT_BATCH_MS = 25;

/**
 * A RegistryStore on a shared Redis (7.0+, standalone or a replicated primary), through
 * @redis/client: several registry replicas on the same Redis and prefix are one registry.
 *
 * Every mutation is one Lua script (redis-scripts.ts), atomic in Redis, that logs its event
 * in the same step. Presence: a sorted set scored by deadline from Redis `TIME`, so every
 * replica agrees on the time; every replica sweeps it, and each expiry happens in exactly
 * one sweep. The event log is one Redis Stream: each replica reads it with a blocking
 * `XREAD` from the last entry it saw, on a connection of its own, so a replica that lost
 * Redis for a moment goes on from where it stopped and misses nothing the stream still has.
 *
 * While Redis cannot be reached every call fails at once (no offline queue) with
 * STORE_UNAVAILABLE, nothing is half-written, `available` is false, and the client
 * reconnects by itself. A Redis that stops answering (frozen, its connections open) fails
 * the calls that wait for it after `commandTimeoutMs`, and a change it runs later than
 * that changes nothing (see #mutate).
 */
export class RedisStore implements RegistryStore {
  readonly name: string;
  readonly origin: string;
  readonly beatBatchMs = BEAT_BATCH_MS;
  readonly #prefix: string;
  readonly #client: Client;
  /** Connections of the event readers, each blocked in its XREAD. */
  readonly #readers = new Set<Client>();
  readonly #logger: Logger;
  readonly #listeners: ((available: boolean) => void)[] = [];
  readonly #deadlines: CommandDeadlines;
  readonly #commandTimeoutMs: number;
  /** This replica's own buckets of RegisterPeer calls, in front of the shared ones (see admitRegistration). */
  readonly #registrations = new MinuteBuckets();
  /**
   * Redis's clock (TIME, ms) minus this process's `performance.now()`, measured at
   * connect, at every reconnection and every CLOCK_CHECK_MS.
   */
  #redisClockOffset: number | undefined;
  #clockCheck: NodeJS.Timeout | undefined;
  #available = false;
  #closed = false;

  private constructor(options: RedisStoreOptions) {
    this.#prefix = options.prefix ?? 'kompart:';
    this.origin = options.origin ?? randomBytes(4).toString('hex');
    this.#logger = options.logger ?? silentLogger;
    this.name = redactedUrl(options.url);
    this.#commandTimeoutMs = options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
    if (!(this.#commandTimeoutMs > 0)) throw new RangeError('commandTimeoutMs must be a positive number of milliseconds');
    this.#deadlines = new CommandDeadlines(this.#commandTimeoutMs);
    const reconnectStrategy = (retries: number): number => Math.min(50 * 2 ** Math.min(retries, 6), 2000);
    // No timeout of node-redis's own on the commands: #run times them (see CommandDeadlines).
    this.#client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      scripts: SCRIPTS,
      socket: { reconnectStrategy, connectTimeout: 2000 },
      commandOptions: { timeout: 0 },
    });
    this.#client.on('error', (error: unknown) => this.#logger.debug({ err: error }, 'redis connection error'));
    this.#client.on('ready', () => {
      this.#setAvailable(true);
      // Perhaps another Redis now (a failover), with a clock of its own.
      if (this.#redisClockOffset !== undefined) void this.#checkClock().catch(() => undefined);
    });
    this.#client.on('reconnecting', () => this.#setAvailable(false));
    this.#client.on('end', () => this.#setAvailable(false));
  }

  /**
   * Connects to Redis and returns the store. While Redis cannot be reached it keeps trying
   * (with the reconnect backoff), until `signal` aborts: then it rejects with STORE_UNAVAILABLE.
   */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(options);
    const giveUp = (): void => store.#client.destroy();
    options.signal?.addEventListener('abort', giveUp, { once: true });
    try {
      await store.#client.connect();
      await store.#checkClock();
      store.#clockCheck = setInterval(() => void store.#checkClock().catch(() => undefined), CLOCK_CHECK_MS).unref();
    } catch (error) {
      if (store.#client.isOpen) store.#client.destroy();
      throw unavailable(error);
    } finally {
      options.signal?.removeEventListener('abort', giveUp);
    }
    return store;
  }

  get available(): boolean {
    return this.#available;
  }

  onAvailability(listener: (available: boolean) => void): void {
    this.#listeners.push(listener);
  }

  async identity(fresh: () => Promise<ClusterIdentity>): Promise<ClusterIdentity> {
    const made = await fresh();
    const reply = await this.#run((c) => c.kIdentity(this.#prefix, made.instance, made.ticketKey, made.tlsIdentity ?? ''));
    const [instance, ticketKey, tlsIdentity] = strings(reply);
    const tls = tlsIdentity === undefined || tlsIdentity === '' ? made.tlsIdentity : tlsIdentity;
    return { instance: instance ?? made.instance, ticketKey: ticketKey ?? made.ticketKey, ...(tls === undefined ? {} : { tlsIdentity: tls }) };
  }

  async openSession(session: PeerRecord, expiryMs: number, maxPeers = 0, source?: SessionSource): Promise<OpenSessionResult> {
    const reply = await this.#mutate((c, lateAfter) =>
      c.kOpenSession(
        lateAfter,
        this.#prefix,
        session.id,
        session.target,
        session.token,
        String(session.since),
        String(expiryMs),
        this.origin,
        String(maxPeers),
        session.certificate ?? '',
        source?.key ?? '',
        String(source?.max ?? 0),
      ),
    );
    return String(reply) as OpenSessionResult;
  }

  async admitRegistration(source: string, perMinute: number): Promise<boolean> {
    if (perMinute <= 0) return true;
    // This replica's own bucket, of the same size, is asked first: it takes only the calls
    // of this replica that the shared one admits too (a token is given back when the shared
    // one refuses or cannot be asked), so it is never empty while the shared one has tokens
    // for them, and once it refuses, a flood at this replica costs Redis nothing.
    if (!this.#registrations.take(source, perMinute)) return false;
    let admitted = false;
    try {
      admitted = Number(await this.#run((c) => c.kAdmit(this.#prefix, source, String(perMinute)))) === 1;
    } finally {
      if (!admitted) this.#registrations.giveBack(source);
    }
    return admitted;
  }

  async session(peer: string): Promise<PeerRecord | undefined> {
    const fields = await this.#run((c) => c.hmGet(`${this.#prefix}peer:${peer}`, ['id', 'target', 'token', 'since', 'certificate']));
    return peerRecord(fields);
  }

  async claimSession(token: string, stream: string, attempt = 0): Promise<PeerRecord | undefined> {
    return peerRecord(strings(await this.#mutate((c, lateAfter) => c.kClaimSession(lateAfter, this.#prefix, token, stream, String(attempt)))));
  }

  async beat(beats: readonly Beat[], expiryMs: number): Promise<readonly boolean[]> {
    if (beats.length === 0) return [];
    const args = beats.flatMap((beat) => [beat.peer, beat.token]);
    const reply = await this.#run((c) => c.kBeat(this.#prefix, String(expiryMs), ...args));
    return (reply as Reply[]).map((alive) => Number(alive) === 1);
  }

  async closeSession(peer: string, token: string, cause: LeaveCause, stream = ''): Promise<number | undefined> {
    const files = Number(await this.#mutate((c, lateAfter) => c.kCloseSession(lateAfter, this.#prefix, peer, token, cause, this.origin, stream)));
    return files < 0 ? undefined : files;
  }

  async sweep(limit: number, presence: PresenceTiming): Promise<number> {
    return Number(await this.#run((c) => c.kSweep(this.#prefix, String(limit), this.origin, String(presence.outageMs), String(presence.expiryMs))));
  }

  async addFile(file: FileRecord, maxFiles: number, maxTotalFiles = 0): Promise<AddFileResult> {
    const reply = await this.#mutate((c, lateAfter) =>
      c.kAddFile(
        lateAfter,
        this.#prefix,
        file.peer,
        file.path,
        file.name,
        file.name.toLowerCase(),
        file.sha256,
        String(file.size),
        String(maxFiles),
        this.origin,
        String(maxTotalFiles),
        file.pieceSize === undefined ? '' : String(file.pieceSize),
        file.piecesRoot ?? '',
      ),
    );
    return String(reply) as AddFileResult;
  }

  async removeFile(peer: string, path: string): Promise<ListedFile | undefined> {
    return listedFiles(strings(await this.#mutate((c, lateAfter) => c.kRemoveFile(lateAfter, this.#prefix, peer, path, this.origin))), 0)[0];
  }

  async fileByPath(peer: string, path: string): Promise<FileRecord | undefined> {
    return listedFiles(strings(await this.#run((c) => c.kFileByPath(this.#prefix, peer, path))), 0)[0];
  }

  async filesByName(peer: string, name: string): Promise<readonly FileRecord[]> {
    return listedFiles(strings(await this.#run((c) => c.kFilesInRange(this.#prefix, 'names:', peer, `[${name}\0`, `(${name}\x01`))), 0);
  }

  async filesByHashPrefix(peer: string, prefix: string): Promise<readonly FileRecord[]> {
    return listedFiles(strings(await this.#run((c) => c.kFilesInRange(this.#prefix, 'hashes:', peer, `[${prefix}`, `[${prefix}\xff`))), 0);
  }

  async holders(prefix: string, limit: number): Promise<readonly FileRecord[]> {
    const values = strings(await this.#run((c) => c.kHolders(this.#prefix, `[${prefix}`, `[${prefix}\xff`, String(limit))));
    const files: FileRecord[] = [];
    for (let at = 0; at + 7 < values.length; at += 8) {
      const [psize, proot] = [values[at + 6]!, values[at + 7]!];
      files.push({
        peer: values[at + 1]!,
        path: values[at + 2]!,
        name: values[at + 3]!,
        sha256: values[at + 4]!,
        size: Number(values[at + 5]),
        ...(psize === '' || proot === '' ? {} : { pieceSize: Number(psize), piecesRoot: proot }),
      });
    }
    return files;
  }

  async list(after: number, limit: number, filter: ListFilter, scanBudget: number): Promise<ListPage> {
    const reply = strings(
      await this.#run((c) => c.kList(this.#prefix, String(after), String(limit), String(scanBudget), filter.nameContains, filter.sha256Prefix, filter.holder)),
    );
    const last = Number(reply[0]);
    return { files: listedFiles(reply, 2), next: reply[1] === '1' ? last : undefined };
  }

  async counts(): Promise<{ readonly peers: number; readonly files: number }> {
    const [peers, files] = (await this.#run((c) => c.kCounts(this.#prefix))) as number[];
    return { peers: Number(peers), files: Number(files) };
  }

  /**
   * Reads the log on a connection of its own (a blocking XREAD holds its connection),
   * ended when `signal` aborts. A connection lost meanwhile fails the iteration with
   * STORE_UNAVAILABLE; the caller goes on later from the last id it saw.
   */
  async logPosition(): Promise<string> {
    const newest = await this.#run((c) => c.xRevRange(`${this.#prefix}events`, '+', '-', { COUNT: 1 }));
    return newest?.[0]?.id ?? '0-0';
  }

  async *events(after: string, signal: AbortSignal): AsyncIterable<StoreEvent> {
    const key = `${this.#prefix}events`;
    // Its few reads keep node-redis's own timeout, past the time a read blocks.
    const reader: Client = this.#client.duplicate({
      socket: { reconnectStrategy: false },
      commandOptions: { timeout: READ_BLOCK_MS + this.#commandTimeoutMs },
    });
    reader.on('error', () => undefined);
    this.#readers.add(reader);
    // A blocking read is stopped by ending its connection.
    const onAbort = (): void => reader.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await reader.connect();
      let position = after;
      while (!signal.aborted && !this.#closed) {
        const reply = await reader.xRead({ key, id: position }, { BLOCK: READ_BLOCK_MS, COUNT: READ_COUNT });
        const streams = (reply ?? []) as unknown as { messages: { id: string; message: Record<string, string> }[] }[];
        for (const entry of streams[0]?.messages ?? []) {
          position = entry.id;
          const event = storeEvent(entry.id, entry.message);
          if (event !== undefined) yield event;
        }
      }
    } catch (error) {
      if (signal.aborted || this.#closed) return;
      throw unavailable(error);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#readers.delete(reader);
      if (reader.isOpen) reader.destroy();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const reader of this.#readers) reader.destroy();
    // A graceful close waits for the replies still due; a frozen Redis never sends them.
    clearInterval(this.#clockCheck);
    const cut = setTimeout(() => this.#client.destroy(), this.#commandTimeoutMs);
    await this.#client.close().catch(() => this.#client.destroy());
    clearTimeout(cut);
    this.#deadlines.close();
  }

  #setAvailable(available: boolean): void {
    if (available === this.#available) return;
    this.#available = available;
    for (const listener of this.#listeners) listener(available);
  }

  /**
   * A script that changes what the caller asked to change, given the Redis time after which
   * it must change nothing (UNLESS_LATE in redis-scripts.ts): a fifth of the command timeout
   * before this replica stops waiting, so that a reply already on its way has that long to
   * arrive (CommandDeadlines also lets the replies already received be read before it fails
   * a command). A call answered STORE_UNAVAILABLE is then never applied later.
   */
  async #mutate<T>(command: (client: Client, lateAfter: string) => Promise<T>): Promise<T> {
    const offset = this.#redisClockOffset;
    const lateAfter = offset === undefined ? 0 : Math.floor(performance.now() + offset + this.#commandTimeoutMs * (1 - LATE_MARGIN));
    return this.#run((client) => command(client, String(lateAfter)));
  }

  /** Measures #redisClockOffset: Redis's TIME against the middle of the round trip that asked for it. */
  async #checkClock(): Promise<void> {
    const asked = performance.now();
    const [seconds, micros] = await this.#run((client) => client.time());
    const answered = performance.now();
    this.#redisClockOffset = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (asked + answered) / 2;
  }

  async #run<T>(command: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await this.#deadlines.timed(command(this.#client));
    } catch (error) {
      throw unavailable(error);
    }
  }
}

/** Raised (as the cause of STORE_UNAVAILABLE) for a command Redis did not answer in time. */
export class CommandTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
    this.name = 'CommandTimeoutError';
  }
}

/** A command in flight: when it is due, and how to fail it. */
interface Pending {
  readonly deadline: number;
  readonly fail: (error: Error) => void;
}

/**
 * Deadlines of the commands in flight, all watched by one timer. node-redis's own command
 * timeout makes an `AbortSignal.timeout` for every command (a signal, its timer and a
 * listener, kept alive for the whole timeout): a large part of a busy replica's CPU
 * (BENCHMARKS.md, "One timer for every Redis command's deadline"). Here a command is an
 * entry in a set, in the order it started, so the commands past their deadline are always
 * the first ones; the timer runs only while commands are in flight, every tenth of the
 * timeout, so a command fails between 1 and 1.1 timeouts after it started, and only once
 * the replies already received have been read. The command itself is not withdrawn
 * (node-redis's timeout does not withdraw one already written either): its reply, if it
 * ever comes, is ignored; the scripts that change anything refuse to run late (#mutate).
 */
class CommandDeadlines {
  readonly #pending = new Set<Pending>();
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly timeoutMs: number) {
    this.#tickMs = Math.max(1, Math.ceil(timeoutMs / 10));
  }

  /** `command`, or a CommandTimeoutError once it has taken longer than the timeout. */
  timed<T>(command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { deadline: performance.now() + this.timeoutMs, fail: reject };
      this.#pending.add(entry);
      this.#timer ??= setInterval(() => this.#expire(), this.#tickMs).unref();
      command.then(
        (value) => {
          this.#pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(entry);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #expire(): void {
    if (this.#pending.size === 0) {
      this.close();
      return;
    }
    const now = performance.now();
    const due: Pending[] = [];
    for (const entry of this.#pending) {
      if (entry.deadline > now) break;
      due.push(entry);
    }
    if (due.length === 0) return;
    // Timers run before the loop reads its sockets: a process that was busy for a while
    // reads the replies already received first, then fails only what is still waiting.
    setImmediate(() => {
      for (const entry of due) {
        if (!this.#pending.delete(entry)) continue;
        entry.fail(new CommandTimeoutError(this.timeoutMs));
      }
    });
  }
}

/** Any failure to talk to Redis, as the registry's clients see it. */
function unavailable(error: unknown): KompartError {
  if (isKompartError(error)) return error;
  return new KompartError(Reason.STORE_UNAVAILABLE, {}, { cause: error });
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}

function strings(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.map((value) => (value === null || value === undefined ? '' : String(value))) : [];
}

function peerRecord(fields: readonly (string | null | undefined)[]): PeerRecord | undefined {
  const [id, target, token, since, certificate] = fields;
  if (id === undefined || id === null || id === '' || target === undefined || target === null || token === undefined || token === null) return undefined;
  return { id, target, token, since: Number(since), ...(certificate === undefined || certificate === null || certificate === '' ? {} : { certificate }) };
}

/** Files from a flat reply of six values each (seq, peer, path, name, sha256, size), from `start`. */
function listedFiles(values: readonly string[], start: number): ListedFile[] {
  const files: ListedFile[] = [];
  for (let at = start; at + 5 < values.length; at += 6) {
    files.push({
      seq: Number(values[at]),
      peer: values[at + 1]!,
      path: values[at + 2]!,
      name: values[at + 3]!,
      sha256: values[at + 4]!,
      size: Number(values[at + 5]),
    });
  }
  return files;
}

/** A log entry as a StoreEvent (undefined for an entry of an unknown type). */
function storeEvent(id: string, m: Record<string, string>): StoreEvent | undefined {
  const base = { id, origin: m['origin'] ?? '', at: Number(m['at']) };
  const peer = m['peer'] ?? '';
  const token = m['token'] ?? '';
  switch (m['type']) {
    case 'peer-joined':
      return { ...base, type: 'peer-joined', peer, token };
    case 'peer-left':
      return { ...base, type: 'peer-left', peer, token, files: Number(m['files']), cause: m['cause'] === 'disconnect' ? 'disconnect' : 'stream-closed' };
    case 'peer-expired':
      return { ...base, type: 'peer-expired', peer, token, files: Number(m['files']) };
    case 'file-registered':
      return {
        ...base,
        type: 'file-registered',
        file: { peer, path: m['path'] ?? '', name: m['name'] ?? '', sha256: m['sha256'] ?? '', size: Number(m['size']) },
        replaced: m['replaced'] === '1',
      };
    case 'file-unregistered':
      return {
        ...base,
        type: 'file-unregistered',
        file: { seq: Number(m['seq']), peer, path: m['path'] ?? '', name: m['name'] ?? '', sha256: m['sha256'] ?? '', size: Number(m['size']) },
      };
    default:
      return undefined;
  }
}

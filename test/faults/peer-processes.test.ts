/**
 * Faults with real processes (issue 7, item 1). A peer runs in a child process of its own
 * (test/faults/peer-child.ts, on the compiled library: `npm test` builds first); the
 * registry and the other peers run here.
 *
 * - A peer that freezes (SIGSTOP) is expired by the registry after two missed beats, and
 *   its files leave the list; on SIGCONT it notices by itself (its stream ended, or no ack
 *   came) and registers again with every file.
 * - A sender killed (SIGKILL) in the middle of a transfer: the receiver reports an
 *   interrupted transfer, keeps the `.part` file, and a later `get file` from another
 *   holder of the same hash resumes from it and verifies (a single-source download, the
 *   seed's path); with the swarm on (the default) the same kill costs nothing: the other
 *   holder sends the rest, and the result names the killed holder `left`.
 *
 * Every wait is for an event or an output line, never a fixed sleep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describeError } from '@kompart/core';
import type { Peer } from '@kompart/peer';
import { startNetwork, type TestNetwork } from '../../packages/peer/test/support/network';
import type { PeerChildConfig, PeerChildLine } from './peer-child';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const ROOT = join(__dirname, '..', '..');
const CHILD_SCRIPT = join(__dirname, 'peer-child.ts');
const PEER_LIBRARY = join(ROOT, 'packages', 'peer', 'dist', 'index.js');

/** A peer-child process: its JSON lines as they come, and a way to wait for one. */
class PeerChild {
  readonly lines: PeerChildLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #process: ChildProcess;
  readonly #waiters = new Set<{ from: number; match: (line: PeerChildLine) => boolean; resolve: (line: PeerChildLine) => void }>();
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(config: PeerChildConfig) {
    this.#process = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD_SCRIPT, JSON.stringify(config)], {
      cwd: ROOT,
      env: {
        ...process.env,
        TS_NODE_SKIP_PROJECT: 'true',
        TS_NODE_COMPILER_OPTIONS: JSON.stringify({ module: 'commonjs', target: 'ES2022', esModuleInterop: true }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.#process.stdout! }).on('line', (text) => {
      let line: PeerChildLine;
      try {
        line = JSON.parse(text) as PeerChildLine;
      } catch {
        this.stderr.push(`(stdout) ${text}`);
        return;
      }
      this.lines.push(line);
      for (const waiter of this.#waiters) {
        if (waiter.match(line)) {
          this.#waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    });
    createInterface({ input: this.#process.stderr! }).on('line', (text) => this.stderr.push(text));
    this.exited = new Promise((resolve) =>
      this.#process.on('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      }),
    );
  }

  get pid(): number {
    return this.#process.pid!;
  }

  /** Index of the next line: pass it as `from` to wait only for later lines. */
  mark(): number {
    return this.lines.length;
  }

  /** The first line at or after `from` that `match`es. */
  waitFor(match: (line: PeerChildLine) => boolean, from = 0, timeoutMs = 20_000): Promise<PeerChildLine> {
    const seen = this.lines.slice(from).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(
            `peer child: no such line within ${timeoutMs} ms; lines:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${this.stderr.join('\n')}`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        from,
        match,
        resolve: (line: PeerChildLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Waits for `ready` and returns the child's identity (fails on `failed`). */
  async ready(): Promise<string> {
    const line = await this.waitFor((l) => l.event === 'ready' || l.event === 'failed');
    if (line.event !== 'ready') throw new Error(`peer child failed: ${JSON.stringify(line)}\n${this.stderr.join('\n')}`);
    return line.id;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.#exit === undefined) this.#process.kill(signal);
  }

  /** Kills it for good (a stopped process dies of SIGKILL too) and waits for the exit. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }
}

beforeAll(() => {
  if (!existsSync(PEER_LIBRARY)) throw new Error(`${PEER_LIBRARY} is missing: run \`npm run build\` first (npm test does)`);
});

describe('a peer process that freezes', () => {
  const INTERVAL_MS = 400;
  let net: TestNetwork;
  let observer: Peer;
  let child: PeerChild | undefined;

  beforeAll(async () => {
    net = await startNetwork({ heartbeatIntervalMs: INTERVAL_MS, heartbeatMisses: 2 });
    observer = await net.addPeer('127.0.0.81');
    await observer.registerPeer();
  });

  afterAll(async () => {
    await child?.kill();
    await net.close();
  });

  it('is expired after two missed beats, and on SIGCONT registers again with its files by itself', async () => {
    const share = net.dir.join('frozen-share');
    mkdirSync(share);
    for (const name of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(join(share, name), `content of ${name}`);
    child = new PeerChild({
      registry: net.registry.target,
      address: '127.0.0.82:0',
      downloadsDir: net.dir.join('frozen', 'downloads'),
      cacheDir: net.dir.join('frozen', 'cache'),
      share: [share],
    });
    const id = await child.ready();
    expect((await observer.listFiles({ holder: id })).map((f) => f.name).sort()).toEqual(['a.txt', 'b.txt', 'c.txt']);

    const expired = observer.events.next('peer-expired', { matching: (e) => e.peer === id });
    const stoppedAt = Date.now();
    child.signal('SIGSTOP');
    await expired;
    // Not at once: only once two beats are missed (the last one came at most an interval before the stop).
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(INTERVAL_MS);
    expect(await observer.listFiles({ holder: id })).toEqual([]);

    const from = child.mark();
    const joined = observer.events.next('peer-joined', { matching: (e) => e.peer === id });
    child.signal('SIGCONT');
    const lost = await child.waitFor((l) => l.event === 'connection-lost', from);
    expect(lost).toMatchObject({ reason: expect.stringMatching(/^(stream-ended|stream-error|no-ack|session-invalid)$/) });
    expect(await child.waitFor((l) => l.event === 'reconnected', from)).toMatchObject({ peer: id, files: 3, failedFiles: 0 });
    await joined;
    expect((await observer.listFiles({ holder: id })).map((f) => f.name).sort()).toEqual(['a.txt', 'b.txt', 'c.txt']);
    const fetched = await observer.getFile(`${id}/b.txt`);
    expect(readFileSync(fetched.path, 'utf8')).toBe('content of b.txt');
  });
});

describe('a sender killed in the middle of a transfer', () => {
  let net: TestNetwork;
  let receiver: Peer;
  let otherHolder: Peer;
  let sender: PeerChild | undefined;

  beforeAll(async () => {
    // Slow heartbeats: presence is not under test here, and hashing 32 MiB must not cost a session.
    net = await startNetwork({ heartbeatIntervalMs: 5000, heartbeatMisses: 2 });
    // Single source (the seed's download path): the swarm would finish from the other holder.
    receiver = await net.addPeer('127.0.0.84', { singleSource: true });
    otherHolder = await net.addPeer('127.0.0.85');
    await Promise.all([receiver.registerPeer(), otherHolder.registerPeer()]);
  });

  afterAll(async () => {
    await sender?.kill();
    await net.close();
  });

  it('leaves an interrupted download with its part file, which another holder of the hash completes', async () => {
    const big = randomBytes(32 * 1024 * 1024);
    const path = net.dir.join('big.bin');
    writeFileSync(path, big);
    sender = new PeerChild({
      registry: net.registry.target,
      address: '127.0.0.83:0',
      downloadsDir: net.dir.join('sender', 'downloads'),
      cacheDir: net.dir.join('sender', 'cache'),
      share: [path],
    });
    const senderId = await sender.ready();
    await otherHolder.registerPath(path); // the same content, held by a second peer

    let killed = false;
    const error = await receiver
      .getFile(`${senderId}/big.bin`, {
        onProgress: (bytes) => {
          if (!killed && bytes >= 4 * 1024 * 1024) {
            killed = true;
            sender?.signal('SIGKILL');
          }
        },
      })
      .catch((e: unknown) => e);
    expect(killed).toBe(true);
    expect(await sender.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(error).toMatchObject({ reason: 'TRANSFER_INTERRUPTED' });
    expect(describeError(error, 'pt')).toBe(`Transferência de big.bin interrompida pelo peer ${senderId}; repita o comando para retomar`);
    const parts = readdirSync(receiver.downloadsDir).filter((name) => name.endsWith('.part'));
    expect(parts).toEqual([`big.bin.${sha(big).slice(0, 16)}.part`]);
    const kept = statSync(join(receiver.downloadsDir, parts[0]!)).size;
    expect(kept).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(kept).toBeLessThan(big.length);
    expect(existsSync(join(receiver.downloadsDir, 'big.bin'))).toBe(false);

    const resumed = await receiver.getFile(`${otherHolder.id}/${sha(big)}`);
    expect(resumed).toMatchObject({ status: 'downloaded', resumedFrom: kept, transferred: big.length - kept, sha256: sha(big) });
    expect(sha(readFileSync(resumed.path))).toBe(sha(big));
    expect(readdirSync(receiver.downloadsDir)).toEqual(['big.bin']);
  });
});

describe('a sender killed in the middle of a swarm download', () => {
  let net: TestNetwork;
  let receiver: Peer;
  let otherHolder: Peer;
  let sender: PeerChild | undefined;

  beforeAll(async () => {
    net = await startNetwork({ heartbeatIntervalMs: 5000, heartbeatMisses: 2 });
    receiver = await net.addPeer('127.0.0.87');
    otherHolder = await net.addPeer('127.0.0.88');
    await Promise.all([receiver.registerPeer(), otherHolder.registerPeer()]);
  });

  afterAll(async () => {
    await sender?.kill();
    await net.close();
  });

  it('is finished by the other holder of the hash, and the result says the killed one left', async () => {
    const big = randomBytes(32 * 1024 * 1024);
    const path = net.dir.join('big.bin');
    writeFileSync(path, big);
    sender = new PeerChild({
      registry: net.registry.target,
      address: '127.0.0.86:0',
      downloadsDir: net.dir.join('sender', 'downloads'),
      cacheDir: net.dir.join('sender', 'cache'),
      share: [path],
    });
    const senderId = await sender.ready();
    await otherHolder.registerPath(path);

    let killed = false;
    const result = await receiver.getFile(`${senderId}/big.bin`, {
      onProgress: (bytes) => {
        if (!killed && bytes >= 4 * 1024 * 1024) {
          killed = true;
          sender?.signal('SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(await sender.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(result).toMatchObject({ status: 'downloaded', sha256: sha(big), size: big.length });
    expect(sha(readFileSync(result.path))).toBe(sha(big));
    const holders = new Map((result.holders ?? []).map((holder) => [holder.peer, holder]));
    expect(holders.get(senderId)?.outcome).toBe('left');
    expect(holders.get(otherHolder.id)?.outcome).toBe('done');
    const sent = [...holders.values()].reduce((sum, holder) => sum + holder.bytes, 0);
    expect(sent).toBe(big.length);
    expect(readdirSync(receiver.downloadsDir)).toEqual(['big.bin']);
  });
});

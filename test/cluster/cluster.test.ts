/**
 * A registry of several replicas on one Redis, with real processes: a real redis-server
 * (test/support/redis-server.ts), `kompart <ip> s --store redis://…` replicas and
 * `kompart <r1,r2,r3> p <ip>` peers, driven through their standard input as a user would.
 * Shows: one index whatever replica a peer talks to; a replica killed mid-session (peers
 * resume elsewhere, nobody else notices); a silent peer expiring once; Redis restarted
 * (persistence on) and everything restarted, with nothing lost; Redis away (a clear
 * UNAVAILABLE, health NOT_SERVING, then recovery by itself).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { reasonTexts, render } from '@kompart/core';
import { cliTexts } from '@kompart/kompart';
import { healthStatus } from '../support/health';
import { Program, addressOn, cleanEnv, literal } from '../support/program';
import { RedisServer, redisAvailable } from '../support/redis-server';

const describeIfRedis = redisAvailable() ? describe : describe.skip;

/**
 * The replicas' heartbeat interval: short for quick expiries (4.2 s). A peer resuming its
 * session pauses at most one interval between attempts (0.5, 1, 2, 2… s), so it comes back
 * within its session's grace after any outage.
 */
const BEAT_MS = 2000;
const REPLICAS = ['127.0.91.1', '127.0.91.2', '127.0.91.3'];
const pt = (text: { pt: string; en: string }, params?: Record<string, string | number>): string => render(text, 'pt', params);

describeIfRedis('a registry of three replicas on Redis', () => {
  jest.setTimeout(60_000);
  let work: string;
  let redis: RedisServer;
  const replicas = new Map<string, Program>();
  const peers: Program[] = [];

  /** Each replica's address (the default port when it is free there). */
  const address = new Map<string, string>();
  const all = (): string => REPLICAS.map((host) => address.get(host)!).join(',');

  const startReplica = async (host: string): Promise<Program> => {
    const at = address.get(host) ?? (await addressOn(host, 50051)).arg;
    address.set(host, at);
    const replica = new Program([at, 's', '--store', redis.url, '--heartbeat-interval', String(BEAT_MS), '--summary-interval', '0'], {
      label: host,
      env: cleanEnv(),
    });
    await replica.waitFor(new RegExp(`Servidor de registro ouvindo em ${literal(host)}:\\d+$`));
    replicas.set(host, replica);
    return replica;
  };

  const startPeer = async (host: string, registry = all(), files: Record<string, string> = {}): Promise<Program> => {
    const dir = join(work, host);
    mkdirSync(join(dir, 'share'), { recursive: true });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, 'share', name), content);
    const peer = new Program([registry, 'p', host, '--downloads', join(dir, 'downloads'), '--no-cache-dir'], { label: host, cwd: dir, env: cleanEnv() });
    peers.push(peer);
    await peer.waitFor(new RegExp(`^Peer ${literal(host)} pronto`));
    await peer.run('register peer', `Peer ${host} registrado`);
    if (Object.keys(files).length > 0) await peer.run(`register file ${join(dir, 'share')}`, new RegExp(`^Pasta ${literal(join(dir, 'share'))}: `));
    return peer;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kompart-cluster-'));
    redis = await RedisServer.start({ appendOnly: true });
    for (const host of REPLICAS) await startReplica(host);
  });

  afterAll(async () => {
    await Promise.all([...peers, ...replicas.values()].map((program) => program.stop()));
    await redis.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is one index: a file registered through one replica is listed and downloaded through another', async () => {
    const alice = await startPeer('127.0.91.11', address.get(REPLICAS[0]!), { 'receita.txt': 'bolo de fubá' });
    const bob = await startPeer('127.0.91.12', address.get(REPLICAS[1]!));
    const listed = await bob.run('list files', /receita\.txt/);
    expect(listed.at(-1)).toMatch(/^127\.0\.91\.11 \/ receita\.txt \/ [0-9a-f]{64} \(13 B\)$/);
    await bob.run('get file 127.0.91.11/receita.txt', /^Arquivo receita\.txt salvo em /);
    expect(readFileSync(join(work, '127.0.91.12', 'downloads', 'receita.txt'), 'utf8')).toBe('bolo de fubá');
    // The joins were told on every replica's streams: alice heard of bob through another replica.
    await alice.waitFor('Peer 127.0.91.12 entrou');
  });

  it('carries on when a replica is killed: its peers resume elsewhere, the others notice nothing', async () => {
    const carol = await startPeer('127.0.91.13', all(), { 'nota.txt': 'dó ré mi' });
    const dave = await startPeer('127.0.91.14', all());
    const eve = await startPeer('127.0.91.15', all());
    // The joins reach the others asynchronously (through Redis and each replica's streams):
    // every one of them must be in before the marks, or a late one looks like a storm.
    await Promise.all([carol.waitFor('Peer 127.0.91.14 entrou'), carol.waitFor('Peer 127.0.91.15 entrou'), dave.waitFor('Peer 127.0.91.15 entrou')]);
    const marks = new Map([carol, dave, eve].map((peer) => [peer, peer.mark()]));
    const killed = replicas.get(REPLICAS[2]!)!;
    killed.signal('SIGKILL');
    await killed.exit();
    replicas.delete(REPLICAS[2]!);
    // Whoever had its stream on the killed replica resumes on another one within seconds.
    const started = Date.now();
    for (const peer of [carol, dave, eve]) {
      expect((await peer.run('list files', /nota\.txt/)).at(-1)).toMatch(/^127\.0\.91\.13 \/ nota\.txt /);
    }
    await dave.run('get file 127.0.91.13/nota.txt', /^Arquivo nota\.txt salvo em /);
    expect(Date.now() - started).toBeLessThan(10_000);
    // No storm: nobody left, expired or joined again, and nothing had to be registered again.
    for (const [peer, from] of marks) {
      const after = peer.lines.slice(from);
      expect(after.filter((line) => /^Peer 127\.0\.91\.1[345] (saiu|expirou|entrou)/.test(line))).toEqual([]);
      expect(after.filter((line) => line.startsWith('Reconectado'))).toEqual([]);
    }
    await startReplica(REPLICAS[2]!);
  });

  it('expires a silent peer once, whichever replica sweeps, and every other peer hears it once', async () => {
    const frank = await startPeer('127.0.91.16', all());
    const grace = await startPeer('127.0.91.17', address.get(REPLICAS[0]!));
    const heidi = await startPeer('127.0.91.18', address.get(REPLICAS[1]!));
    const from = [grace.mark(), heidi.mark()] as const;
    const logMarks = new Map([...replicas].map(([host, replica]) => [host, replica.mark()]));
    process.kill(frank.pid!, 'SIGSTOP');
    try {
      const expired = pt(cliTexts.eventPeerExpired, { peer: '127.0.91.16' });
      await grace.waitFor(expired, { from: from[0] });
      await heidi.waitFor(expired, { from: from[1] });
      // The replica that swept it logs it (the others only fan it out).
      await Promise.any([...replicas].map(([host, replica]) => replica.waitFor(/Peer 127\.0\.91\.16 expirou/, { from: logMarks.get(host) ?? 0 })));
      // One expiry in the shared log, whichever replica swept it, and each peer heard it once.
      expect(await expiriesOf(redis.url, '127.0.91.16')).toBe(1);
      expect(grace.lines.slice(from[0]).filter((line) => line === expired)).toHaveLength(1);
      expect(heidi.lines.slice(from[1]).filter((line) => line === expired)).toHaveLength(1);
    } finally {
      process.kill(frank.pid!, 'SIGCONT');
    }
    // Back from its pause, frank finds its session gone and registers again by itself.
    await frank.waitFor(/^Reconectado ao servidor /);
  });

  it('keeps everything through a restart of Redis (append-only file), with nobody expired', async () => {
    const ivan = await startPeer('127.0.91.19', all(), { 'mapa.txt': 'norte' });
    const judy = await startPeer('127.0.91.20', all());
    const from = judy.mark();
    await redis.restart();
    // A call that reaches a replica before its connection to Redis is back is refused with
    // the clear UNAVAILABLE (nothing changed); once it is back, the index is the one from before.
    const unavailable = pt(reasonTexts.STORE_UNAVAILABLE);
    let listed: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      listed = await judy.run('list files', new RegExp(`mapa\\.txt|^${literal(unavailable)}$`));
      if (listed.at(-1) !== unavailable) break;
      await waitForHealth(target(address.get(REPLICAS[attempt % 3]!)!), 'SERVING');
    }
    expect(listed.at(-1)).toMatch(/^127\.0\.91\.19 \/ mapa\.txt /);
    await judy.run('get file 127.0.91.19/mapa.txt', /^Arquivo mapa\.txt salvo em /);
    // A few intervals later still nobody has expired.
    await ivan.run('list files', /mapa\.txt/);
    expect(judy.lines.slice(from).filter((line) => / (expirou|saiu)/.test(line))).toEqual([]);
  });

  it('answers a clear UNAVAILABLE while Redis is away, reports NOT_SERVING, and recovers by itself', async () => {
    const kim = await startPeer('127.0.91.21', address.get(REPLICAS[0]!));
    await redis.stop();
    try {
      const failed = await kim.run('list files', pt(reasonTexts.STORE_UNAVAILABLE));
      expect(failed.at(-1)).toBe(pt(reasonTexts.STORE_UNAVAILABLE));
      await waitForHealth(target(address.get(REPLICAS[0]!)!), 'NOT_SERVING');
    } finally {
      await redis.restart();
    }
    await waitForHealth(target(address.get(REPLICAS[0]!)!), 'SERVING');
    const listed = await kim.run('list files', /mapa\.txt|Sem arquivos registrados/);
    expect(listed.length).toBeGreaterThan(0);
  });

  it('comes back whole when Redis and every replica restart: peers resume with their sessions', async () => {
    const leo = await startPeer('127.0.91.22', all(), { 'poema.txt': 'versos' });
    const mia = await startPeer('127.0.91.23', all());
    const from = [leo.mark(), mia.mark()] as const;
    await Promise.all([...replicas.values()].map((replica) => replica.stop()));
    replicas.clear();
    await redis.restart();
    // Everything stays down longer than an expiry period: each peer's 6th attempt (pauses
    // 0, 0.5, 1, 2 and 2 s, one beat interval at most, before it) is over 4.2 s after the loss.
    const sixth = pt(cliTexts.eventReconnecting, { server: all(), attempt: 6 });
    await leo.waitFor(sixth, { from: from[0], timeoutMs: 30_000 });
    await mia.waitFor(sixth, { from: from[1], timeoutMs: 30_000 });
    for (const host of REPLICAS) await startReplica(host);
    await leo.waitFor(pt(cliTexts.eventResumed, { server: all() }), { from: from[0], timeoutMs: 30_000 });
    await mia.waitFor(pt(cliTexts.eventResumed, { server: all() }), { from: from[1], timeoutMs: 30_000 });
    expect((await mia.run('list files', /poema\.txt/)).at(-1)).toMatch(/^127\.0\.91\.22 \/ poema\.txt /);
    await mia.run('get file 127.0.91.22/poema.txt', /^Arquivo poema\.txt salvo em /);
  });
});

/** How many peer-expired entries the registry's event log (the Redis stream) holds for `peer`. */
async function expiriesOf(url: string, peer: string): Promise<number> {
  const client = createClient({ url });
  await client.connect();
  try {
    const entries = await client.xRange('kompart:events', '-', '+');
    return (entries ?? []).filter((entry) => entry.message['type'] === 'peer-expired' && entry.message['peer'] === peer).length;
  } finally {
    await client.close();
  }
}

/** `host:port` of a replica address given as `host` (default port) or `host:port`. */
function target(address: string): string {
  return address.includes(':') ? address : `${address}:50051`;
}

async function waitForHealth(host: string, status: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await healthStatus(host, 'kompart.v1.Registry').catch(() => 'UNKNOWN')) !== status) {
    if (Date.now() > deadline) throw new Error(`${host} never reported ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The docker-compose `cluster` profile as real separate hosts: Redis, three registry
 * replicas and three peers, each in its own network namespace with its own address, cabled
 * into one bridge. Shows what only separate hosts can: a replica's cable cut (its peers
 * notice the silence, resume on the other replicas, and the index goes on as one), then
 * plugged back.
 *
 * Needs root and iproute2 (CI has both) and redis-server; skipped with a message otherwise.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render, type Params, type Text } from '@kompart/core';
import { cliTexts } from '@kompart/kompart';
import { Program, cleanEnv, literal } from '../support/program';
import { RedisServer, redisAvailable } from '../support/redis-server';
import { NetworkSimulation, canUseNamespaces } from './network-namespaces';

const enabled = canUseNamespaces() && redisAvailable();
if (!enabled) console.warn('SKIPPED network-namespace cluster: needs root, iproute2 (ip netns) and redis-server');
const describeAsRoot = enabled ? describe : describe.skip;

const pt = (text: Text, params?: Params): string => render(text, 'pt', params);
const DEMO = join(__dirname, '..', '..', 'demo');
const BEAT_MS = 1000;
const REPLICAS = ['replica1', 'replica2', 'replica3'] as const;

describeAsRoot('a registry cluster on separate hosts in network namespaces', () => {
  const sim = new NetworkSimulation(`${process.pid}c`, '10.78.0');
  const processes: Program[] = [];
  let work: string;
  let redis: RedisServer;
  let peer1: Program;
  let peer2: Program;
  let peer3: Program;
  const transcript: string[] = [];
  const replicaList = (): string => REPLICAS.map((name) => sim.host(name).address).join(',');

  const start = (host: string, args: string[]): Program => {
    const started = new Program(args, {
      label: host,
      env: cleanEnv(),
      spawn: (command, argv, options) => sim.spawn(host, command, argv, options),
      onLine: (line) => transcript.push(`[${host}] ${line}`),
    });
    processes.push(started);
    return started;
  };
  const startPeer = (host: string, share?: string): Program =>
    start(host, [
      replicaList(),
      'p',
      sim.host(host).address,
      '--no-menu',
      '--downloads',
      join(work, host, 'downloads'),
      '--cache-dir',
      join(work, host, 'cache'),
      ...(share === undefined ? [] : ['--share', share]),
    ]);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kompart-netsim-cluster-'));
    cpSync(join(DEMO, 'peer1'), join(work, 'share1'), { recursive: true });
    sim.create(['redis', ...REPLICAS, 'peer1', 'peer2', 'peer3']);
    redis = await RedisServer.start({
      host: sim.host('redis').address,
      port: 6379,
      spawn: (command, args) => sim.spawn('redis', command, args, { stdio: ['pipe', 'pipe', 'pipe'] }),
    });
    for (const name of REPLICAS) {
      const replica = start(name, [sim.host(name).address, 's', '--store', redis.url, '--heartbeat-interval', String(BEAT_MS)]);
      await replica.waitFor(new RegExp(`ouvindo em ${literal(sim.host(name).address)}:50051$`));
    }
    peer1 = startPeer('peer1', join(work, 'share1'));
    peer2 = startPeer('peer2');
    peer3 = startPeer('peer3');
    await peer1.waitFor(/^Pasta .*share1: 2 arquivos registrados/);
    await peer2.run('register peer', pt(cliTexts.peerRegistered, { peer: sim.host('peer2').address }));
    await peer3.run('register peer', pt(cliTexts.peerRegistered, { peer: sim.host('peer3').address }));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.close();
    sim.destroy();
    rmSync(work, { recursive: true, force: true });
    if (process.env['KOMPART_NETSIM_TRANSCRIPT']) console.log(transcript.join('\n'));
  });

  it('lists and downloads across hosts through the replicas', async () => {
    const a1 = sim.host('peer1').address;
    await peer3.run('list files', new RegExp(`^${literal(a1)} / hello\\.txt / [0-9a-f]{64} `));
    await peer3.run(`get file ${a1}/hello.txt`, /^Arquivo hello\.txt salvo em .*SHA-256 verificado\)$/);
    expect(readFileSync(join(work, 'peer3', 'downloads', 'hello.txt'))).toEqual(readFileSync(join(DEMO, 'peer1', 'hello.txt')));
  });

  it("a replica's cable cut: its peers resume on the others, nobody expires, the index goes on", async () => {
    const a1 = sim.host('peer1').address;
    const marks = [peer1, peer2, peer3].map((peer) => peer.mark());
    sim.setLink('replica2', false);
    try {
      // Whoever beat through replica2 hears nothing back, and carries on through another.
      for (const peer of [peer1, peer2, peer3]) await peer.run('list files', new RegExp(`^${literal(a1)} / compras\\.txt / `), { timeoutMs: 30_000 });
      await peer2.run(`get file ${a1}/compras.txt`, /^Arquivo compras\.txt salvo em /, { timeoutMs: 30_000 });
      expect(readFileSync(join(work, 'peer2', 'downloads', 'compras.txt'))).toEqual(readFileSync(join(DEMO, 'peer1', 'compras.txt')));
      // A few expiry periods later, still nobody has left or expired, and nothing was registered again.
      await peer3.run('list files', /compras\.txt/);
      [peer1, peer2, peer3].forEach((peer, index) => {
        const after = peer.lines.slice(marks[index]);
        expect(after.filter((line) => / (expirou|saiu|entrou)/.test(line) || line.startsWith('Reconectado'))).toEqual([]);
      });
    } finally {
      sim.setLink('replica2', true);
    }
    // Plugged back, replica2 serves again: a peer pointed only at it works.
    const lone = start('peer3', [sim.host('replica2').address, 'p', `${sim.host('peer3').address}:6000`, '--no-menu', '--downloads', join(work, 'lone')]);
    await lone.run('register peer', pt(cliTexts.peerRegistered, { peer: `${sim.host('peer3').address}:6000` }), { timeoutMs: 30_000 });
    await lone.run('list files', new RegExp(`^${literal(a1)} / hello\\.txt / `));
  }, 90_000);
});

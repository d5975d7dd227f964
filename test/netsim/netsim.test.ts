/**
 * The docker-compose topology as real separate hosts: a registry and three peers, each in
 * its own network namespace with its own address, cabled into one bridge. Runs the same
 * `kompart` program and scenario, plus what only separate hosts can show: a cut cable
 * (expiry after two missed beats, `Peer <IP> offline`, recovery when plugged back), a
 * killed peer (offline at once) and a restarted registry (peers re-register by themselves).
 *
 * Needs root and iproute2 (CI has both); skipped with a message otherwise.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reasonTexts, render, type Params, type Text } from '@kompart/core';
import { cliTexts } from '@kompart/kompart';
import { Program, cleanEnv } from '../support/program.js';
import { NetworkSimulation, canUseNamespaces } from './network-namespaces.js';

const enabled = canUseNamespaces();
if (!enabled) console.warn('SKIPPED network-namespace simulation: needs root and iproute2 (ip netns)');
const describeAsRoot = enabled ? describe : describe.skip;

const pt = (text: Text, params?: Params): string => render(text, 'pt', params);
const DEMO = join(__dirname, '..', '..', 'demo');
const BEAT_MS = 500;

describeAsRoot('multi-host simulation in network namespaces', () => {
  const sim = new NetworkSimulation(String(process.pid));
  const processes: Program[] = [];
  let work: string;
  let registry: Program;
  let peer1: Program;
  let peer2: Program;
  let peer3: Program;
  const transcript: string[] = [];

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
  const startRegistry = (): Program =>
    start('registry', [sim.host('registry').address, 's', '--heartbeat-interval', String(BEAT_MS), '--heartbeat-misses', '2']);
  const startPeer = (host: string, share?: string): Program =>
    start(host, [
      sim.host('registry').address,
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
    work = mkdtempSync(join(tmpdir(), 'kompart-netsim-'));
    cpSync(join(DEMO, 'peer1'), join(work, 'share1'), { recursive: true });
    cpSync(join(DEMO, 'peer2'), join(work, 'share2'), { recursive: true });
    sim.create(['registry', 'peer1', 'peer2', 'peer3']);
    registry = startRegistry();
    await registry.waitFor(new RegExp(`${sim.host('registry').address}:50051`), { stream: 'out' });
    peer1 = startPeer('peer1', join(work, 'share1'));
    peer2 = startPeer('peer2', join(work, 'share2'));
    peer3 = startPeer('peer3');
    await peer1.waitFor(/^Pasta .*share1: 2 arquivos registrados/);
    await peer2.waitFor(/^Pasta .*share2: 2 arquivos registrados/);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    sim.destroy();
    rmSync(work, { recursive: true, force: true });
    if (process.env['KOMPART_NETSIM_TRANSCRIPT']) console.log(transcript.join('\n'));
  });

  it('registers, lists and downloads across hosts', async () => {
    const [a1, a2] = [sim.host('peer1').address, sim.host('peer2').address];
    await peer3.run('register peer', pt(cliTexts.peerRegistered, { peer: sim.host('peer3').address }));
    const from = peer3.mark();
    peer3.send('list files');
    await peer3.waitFor(new RegExp(`^${a1.replace(/\./g, '\\.')} / hello\\.txt / [0-9a-f]{64} `), { from });
    await peer3.waitFor(new RegExp(`^${a2.replace(/\./g, '\\.')} / relatorio\\.txt / [0-9a-f]{64} `), { from });

    await peer3.run(`get file ${a1}/hello.txt`, /^Arquivo hello\.txt salvo em .*SHA-256 verificado\)$/);
    expect(readFileSync(join(work, 'peer3', 'downloads', 'hello.txt'))).toEqual(readFileSync(join(DEMO, 'peer1', 'hello.txt')));
  });

  it('a cut cable: the others see the peer expire, get file says offline; plugged back, it recovers', async () => {
    const a1 = sim.host('peer1').address;
    const cutAt = Date.now();
    sim.setLink('peer1', false);
    await peer3.waitFor(pt(cliTexts.eventPeerExpired, { peer: a1 }), { from: peer3.mark() });
    expect(Date.now() - cutAt).toBeLessThan(2 * BEAT_MS + 1000 + 1500);
    await peer3.run(`get file ${a1}/compras.txt`, pt(reasonTexts.PEER_OFFLINE, { peer: a1 }));

    const from = peer1.mark();
    sim.setLink('peer1', true);
    await peer1.waitFor(/Reconectado ao servidor .*: 2 arquivos registrados de novo/, { from, timeoutMs: 30_000 });
    await peer3.run(`get file ${a1}/compras.txt`, /^Arquivo compras\.txt salvo em /);
    expect(readFileSync(join(work, 'peer3', 'downloads', 'compras.txt'))).toEqual(readFileSync(join(DEMO, 'peer1', 'compras.txt')));
  }, 60_000);

  it('a killed peer is offline at once', async () => {
    const a2 = sim.host('peer2').address;
    const from = peer3.mark();
    const killedAt = Date.now();
    peer2.signal('SIGKILL');
    await peer3.waitFor(pt(cliTexts.eventPeerLeft, { peer: a2 }), { from });
    expect(Date.now() - killedAt).toBeLessThan(BEAT_MS * 2);
    await peer3.run(`get file ${a2}/relatorio.txt`, pt(reasonTexts.PEER_OFFLINE, { peer: a2 }));
  });

  it('a restarted registry: peers register again by themselves and the list is complete', async () => {
    const from1 = peer1.mark();
    registry.signal('SIGKILL');
    await registry.exited;
    registry = startRegistry();
    await peer1.waitFor(/Reconectado ao servidor .*: 2 arquivos registrados de novo/, { from: from1, timeoutMs: 30_000 });
    await peer3.waitFor(/Reconectado ao servidor/, { from: 0, timeoutMs: 30_000 });
    const from = peer3.mark();
    peer3.send('list files');
    await peer3.waitFor(new RegExp(`^${sim.host('peer1').address.replace(/\./g, '\\.')} / compras\\.txt / `), { from });
  }, 60_000);
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import { KompartError, describeError } from '@kompart/core';
import { FakeClock } from '@kompart/core/testing';
import { RegistryClient } from '@kompart/grpc/testing';
import { isPeerError, type PeerEvent } from '../src/index';
import { CALM_PRESENCE, startNetwork, type TestNetwork } from './support/network';

describe('registry session', () => {
  let net: TestNetwork;

  beforeEach(async () => {
    net = await startNetwork();
  });

  afterEach(async () => {
    await net.close();
  });

  it('gives the contract texts before registering, when registering twice and when disconnecting twice', async () => {
    const peer = await net.addPeer('127.0.0.5');
    writeFileSync(net.dir.join('f.txt'), 'f');
    const early = await peer.registerPath(net.dir.join('f.txt')).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(KompartError);
    expect(describeError(early, 'pt')).toBe(`Peer ${peer.id} não registrado`);
    expect(describeError(await peer.listFiles().catch((e: unknown) => e), 'en')).toBe(`Peer ${peer.id} not registered`);
    expect(describeError(await peer.disconnect().catch((e: unknown) => e), 'pt')).toBe('Peer não registrado');

    const session = await peer.registerPeer();
    expect(session.peer).toBe(peer.id);
    expect(describeError(await peer.registerPeer().catch((e: unknown) => e), 'pt')).toBe(`Peer ${peer.id} já registrado`);

    await peer.registerPath(net.dir.join('f.txt'));
    expect(await peer.listFiles()).toHaveLength(1);
    expect(await peer.disconnect()).toEqual({ removedFiles: 1 });
    expect(peer.state).toBe('idle');
    const twice = await peer.disconnect().catch((e: unknown) => e);
    expect(isPeerError(twice)).toBe(true);
    expect(describeError(twice, 'en')).toBe('Peer not registered');
  });

  it('another peer with the same address is refused by the registry', async () => {
    const first = await net.addPeer('127.0.0.6');
    await first.registerPeer();
    // Claims the same identity while listening elsewhere.
    const impostor = await net.addPeer('127.0.0.7', { address: first.id, listen: '127.0.0.7:0' });
    expect(impostor.id).toBe(first.id);
    expect(describeError(await impostor.registerPeer().catch((e: unknown) => e), 'pt')).toBe(`Peer ${first.id} já registrado`);
  });

  it('surfaces peer-joined and peer-left from the heartbeat stream, and keeps beating', async () => {
    const watcher = await net.addPeer('127.0.0.8');
    await watcher.registerPeer();
    const other = await net.addPeer('127.0.0.9');
    const joined = watcher.events.next('peer-joined', { matching: (e) => e.peer === other.id });
    await other.registerPeer();
    expect(await joined).toMatchObject({ type: 'peer-joined', peer: other.id });
    // Several intervals pass without the registry expiring anyone.
    let beats = 0;
    await new Promise<void>((resolve) => {
      const stop = watcher.events.on('heartbeat', () => {
        if (++beats === 4) {
          stop();
          resolve();
        }
      });
    });
    expect(await watcher.listFiles()).toEqual([]);
    const left = watcher.events.next('peer-left', { matching: (e) => e.peer === other.id });
    await other.disconnect();
    expect(await left).toMatchObject({ type: 'peer-left', peer: other.id });
  });

  it('opens its stream for batches and hears every event of a burst, which the registry sends it in one message', async () => {
    // A registry on a fake clock: ten sessions opened at one instant, with no stream, expire in
    // one sweep; the registry sends the first event alone and the other nine in one `events`
    // message to a stream that takes them (registry-service.test.ts checks that shape), as
    // this peer's does.
    await net.close();
    const clock = new FakeClock(1_000_000);
    net = await startNetwork({ registry: { clock, metricsAddress: '127.0.0.1:0' } });
    const raw = new RegistryClient(net.registry.target, credentials.createInsecure());
    const silent = Array.from({ length: 10 }, (_, n) => `127.0.1.${n + 1}`);
    try {
      for (const address of silent) {
        await new Promise((resolve, reject) =>
          raw.registerPeer({ address, certificateSha256: Buffer.alloc(0) }, (error, response) => (error === null ? resolve(response) : reject(error))),
        );
      }
    } finally {
      raw.close();
    }
    const expiry = net.registry.directory.expiryMs;
    await clock.advance(expiry / 2);
    const watcher = await net.addPeer('127.0.0.8');
    await watcher.registerPeer();
    await watcher.events.next('heartbeat');
    // The peer's stream is one that takes batches (the registry counts them).
    const metrics = await (await fetch(`http://${net.registry.metrics!.target}/metrics`)).text();
    expect(metrics).toMatch(/^kompart_registry_heartbeat_streams_batching 1$/m);
    const heard: string[] = [];
    const all = new Promise<void>((resolve) => {
      watcher.events.on('peer-expired', (event) => {
        heard.push(event.peer);
        if (heard.length === silent.length) resolve();
      });
    });
    await clock.advance(expiry / 2 + 50);
    await all;
    expect(heard.sort()).toEqual([...silent].sort());
    expect(watcher.state).toBe('online');
  });

  it('survives a registry crash and restart on the same port: registers again with every file', async () => {
    // Calm beats: restoring 202 files on a busy machine must not look like a registry that
    // stopped answering (with 200 ms beats an ack is awaited for 100 ms only).
    await net.close();
    net = await startNetwork(CALM_PRESENCE);
    const alice = await net.addPeer('127.0.0.10');
    const bob = await net.addPeer('127.0.0.11');
    await alice.registerPeer();
    await bob.registerPeer();
    writeFileSync(net.dir.join('a1.txt'), 'one');
    writeFileSync(net.dir.join('a2.txt'), 'two');
    await alice.registerPath(net.dir.join('a1.txt'));
    await alice.registerPath(net.dir.join('a2.txt'));
    mkdirSync(net.dir.join('many'));
    for (let i = 0; i < 200; i++) writeFileSync(net.dir.join('many', `f${i}.txt`), `file ${i}`);
    const many = await alice.registerPath(net.dir.join('many'));
    expect(many.registered).toHaveLength(200);
    expect(many.registered.map((f) => f.name)).toEqual([...many.registered.map((f) => f.name)].sort());
    const seen: PeerEvent['type'][] = [];
    alice.events.onAny((event) => {
      if (event.type !== 'heartbeat') seen.push(event.type);
    });
    const lost = alice.events.next('connection-lost');
    const aliceBack = alice.events.next('reconnected');
    const bobBack = bob.events.next('reconnected');

    net.registry.kill();
    expect((await lost).reason).toMatch(/stream-error|stream-ended/);
    expect(alice.state).toBe('reconnecting');
    await net.restartRegistry();
    expect(await aliceBack).toMatchObject({ peer: alice.id, files: 202, failedFiles: 0, registryInstance: net.registry.instance });
    await bobBack;
    expect(seen.slice(0, 2)).toEqual(['connection-lost', 'reconnecting']);
    expect(alice.state).toBe('online');
    const listed = await bob.listFiles({ holder: alice.id, pageSize: 50 });
    expect(listed).toHaveLength(202);
    expect(
      listed
        .filter((f) => f.name.startsWith('a'))
        .map((f) => f.name)
        .sort(),
    ).toEqual(['a1.txt', 'a2.txt']);
    expect((await bob.getFile(`${alice.id}/a1.txt`)).status).toBe('downloaded');
  });

  it('hears REGISTRY_SHUTTING_DOWN on a graceful stop and comes back when a registry returns', async () => {
    const peer = await net.addPeer('127.0.0.12');
    const beating = peer.events.next('heartbeat');
    await peer.registerPeer();
    await beating; // the registry has the stream (a stream opened during shutdown gets no event)
    const shuttingDown = peer.events.next('registry-shutting-down');
    const lost = peer.events.next('connection-lost');
    const failedAttempt = peer.events.next('reconnect-failed');
    await net.registry.close();
    await shuttingDown;
    expect((await lost).reason).toBe('registry-shutting-down');
    expect(await failedAttempt).toMatchObject({ attempt: 1 });
    const back = peer.events.next('reconnected');
    await net.restartRegistry();
    expect(await back).toMatchObject({ files: 0 });
  });

  it('disconnect while reconnecting stops the recovery', async () => {
    const peer = await net.addPeer('127.0.0.13');
    await peer.registerPeer();
    const lost = peer.events.next('connection-lost');
    net.registry.kill();
    await lost;
    await expect(peer.disconnect()).resolves.toEqual({ removedFiles: undefined });
    expect(peer.state).toBe('idle');
    const after: string[] = [];
    peer.events.onAny((event) => after.push(event.type));
    await net.restartRegistry();
    // The recovery loop has ended (disconnect awaited it): nothing registers the peer again.
    const other = await net.addPeer('127.0.0.14');
    await other.registerPeer();
    await other.listFiles();
    expect(after).toEqual([]);
    expect(peer.state).toBe('idle');
    await expect(peer.registerPeer()).resolves.toMatchObject({ peer: peer.id });
  });
});

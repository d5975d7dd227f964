import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { credentials, status } from '@grpc/grpc-js';
import { RegisterPeerRequest, type DownloadResponse } from '@kompart/protocol';
import { FileServiceClient } from '@kompart/grpc/testing';
import { fromServiceError } from '@kompart/grpc';
import type { Peer } from '../src/index';
import { rawSession } from './support/raw-session';
import { RawUnaryCaller, type RawUnaryResult } from './support/h2-from';
import { CALM_PRESENCE, startNetwork, type TestNetwork } from './support/network';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The attacker's own address: its connections leave from here, all others from 127.0.0.1. */
const ATTACKER = '127.0.160.66';
const FLOOD = 600;

/** RegisterPeer for FLOOD distinct loopback identities from ATTACKER, 50 calls in flight. */
async function flood(registryTarget: string): Promise<RawUnaryResult[]> {
  const caller = await RawUnaryCaller.open(registryTarget, ATTACKER);
  const results: RawUnaryResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < FLOOD) {
      const n = next++;
      const message = RegisterPeerRequest.encode({ address: `127.0.${161 + (n >> 8)}.${n & 255}`, certificateSha256: Buffer.alloc(0) }).finish();
      results.push(await caller.call('/kompart.v1.Registry/RegisterPeer', message));
    }
  };
  try {
    await Promise.all(Array.from({ length: 50 }, worker));
  } finally {
    caller.close();
  }
  return results;
}

/** While `attack` runs: alice registers and shares, bob registers, lists and downloads, as if nothing happened. */
async function legitimateWork(net: TestNetwork, attack: Promise<unknown>, tag: string): Promise<void> {
  const alice = await net.addPeer('127.0.160.2', { plaintextTransfers: true });
  const bob = await net.addPeer('127.0.160.3', { plaintextTransfers: true });
  const song = randomBytes(300_000);
  mkdirSync(net.dir.join(tag), { recursive: true });
  writeFileSync(net.dir.join(tag, 'song.mp3'), song);
  const work = (async () => {
    await alice.registerPeer();
    await bob.registerPeer();
    await alice.registerPath(net.dir.join(tag, 'song.mp3'));
    expect((await bob.listFiles({ holder: alice.id })).map((file) => file.name)).toEqual(['song.mp3']);
    const got = await bob.getFile(`${alice.id}/song.mp3`);
    expect(readFileSync(got.path).equals(song)).toBe(true);
  })();
  await Promise.all([work, attack]);
}

describe('a flood from one address does not stop the other peers', () => {
  let net: TestNetwork;
  afterEach(async () => {
    await net.close();
  });

  it('RegisterPeer flood with the default limits: the per-IP rate refuses it, others register, list and download', async () => {
    net = await startNetwork({ ...CALM_PRESENCE, registryHost: '127.0.160.1' });
    let results: RawUnaryResult[] = [];
    const started = Date.now();
    await legitimateWork(
      net,
      flood(net.registry.target).then((r) => (results = r)),
      'rate',
    );
    const seconds = (Date.now() - started) / 1000;
    const accepted = results.filter((r) => r.code === status.OK).length;
    const refused = results.filter((r) => r.code === status.RESOURCE_EXHAUSTED);
    expect(results).toHaveLength(FLOOD);
    // A bucket of 120 refilled at 2 a second: the flood gets 120, and 2 more a second it lasts.
    expect(accepted).toBeGreaterThanOrEqual(120);
    expect(accepted).toBeLessThanOrEqual(120 + Math.ceil(2 * seconds));
    expect(refused).toHaveLength(FLOOD - accepted);
    expect(refused[0]!.message).toBe(`Registros demais a partir de ${ATTACKER}: no máximo 120 por minuto; tente de novo em instantes`);
    expect((await net.registry.directory.counts()).peers).toBe(accepted + 2);
  });

  it('RegisterPeer flood without the rate limit: sessions per IP stop it at 256', async () => {
    net = await startNetwork({ ...CALM_PRESENCE, registryHost: '127.0.160.1', registry: { maxRegistrationsPerMinute: 0 } });
    let results: RawUnaryResult[] = [];
    await legitimateWork(
      net,
      flood(net.registry.target).then((r) => (results = r)),
      'sessions',
    );
    expect(results.filter((r) => r.code === status.OK)).toHaveLength(256);
    const refused = results.filter((r) => r.code === status.RESOURCE_EXHAUSTED);
    expect(refused).toHaveLength(FLOOD - 256);
    expect(refused[0]!.message).toBe(`Sessões demais a partir de ${ATTACKER}: no máximo 256 peers online por endereço IP`);
    expect((await net.registry.directory.counts()).peers).toBe(256 + 2);
  });

  it("a registered peer holding downloads open gets at most 8 of a holder's slots; another peer still downloads", async () => {
    net = await startNetwork({ ...CALM_PRESENCE, registryHost: '127.0.160.1' });
    const alice: Peer = await net.addPeer('127.0.160.2', { plaintextTransfers: true });
    const bob: Peer = await net.addPeer('127.0.160.3', { plaintextTransfers: true });
    for (const peer of [alice, bob]) await peer.registerPeer();
    const mallory = await rawSession(net.registry.target, '127.0.160.4');
    const big = randomBytes(8 * 1024 * 1024);
    writeFileSync(net.dir.join('big.bin'), big);
    await alice.registerPath(net.dir.join('big.bin'));
    const { ticket } = await mallory.locate(alice.id, 'big.bin');
    const client = new FileServiceClient(alice.fileServiceTarget, credentials.createInsecure(), { 'grpc-node.flow_control_window': 65_535 });
    const outcomes: (string | undefined)[] = [];
    try {
      for (let n = 0; n < 12; n++) {
        const call = client.download({ sha256: sha(big), path: '', offset: 0, ticket, sealedStream: false });
        outcomes.push(
          await new Promise<string | undefined>((resolve) => {
            call.once('data', (_message: DownloadResponse) => {
              call.pause();
              resolve('serving');
            });
            call.once('error', (error) => resolve(fromServiceError(error)?.reason));
          }),
        );
      }
      expect(outcomes).toEqual([...Array<string>(8).fill('serving'), ...Array<string>(4).fill('REQUESTER_DOWNLOADS_EXCEEDED')]);
      const got = await bob.getFile(`${alice.id}/big.bin`);
      expect(readFileSync(got.path).equals(big)).toBe(true);
    } finally {
      client.close();
      mallory.close();
    }
  });
});

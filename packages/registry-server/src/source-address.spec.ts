import { parseEndpoint } from '@kompart/core';
import { DEFAULT_PEER_PORT, Reason } from '@kompart/protocol';
import { checkSourceAddress, sourceIp } from './source-address.js';

const peerAt = (address: string) => parseEndpoint(address, DEFAULT_PEER_PORT);

describe('source address check', () => {
  it.each([
    ['127.0.0.1:4000', '127.0.0.1'],
    ['ipv4:10.0.0.5:4000', '10.0.0.5'],
    ['[::1]:4000', '::1'],
    ['[::ffff:10.0.0.5]:4000', '10.0.0.5'],
  ])('reads the source IP of %s', (peer, ip) => {
    expect(sourceIp(peer)).toBe(ip);
  });

  it("accepts the peer's own IP and any loopback address from loopback", async () => {
    await expect(checkSourceAddress(peerAt('10.77.0.11'), '10.77.0.11:5000')).resolves.toBeUndefined();
    await expect(checkSourceAddress(peerAt('10.77.0.11:6000'), '10.77.0.11:5000')).resolves.toBeUndefined();
    await expect(checkSourceAddress(peerAt('127.0.0.3'), '127.0.0.1:5000')).resolves.toBeUndefined();
  });

  it('refuses one machine registering as another', async () => {
    await expect(checkSourceAddress(peerAt('10.77.0.12'), '10.77.0.11:5000')).rejects.toMatchObject({
      reason: Reason.ADDRESS_MISMATCH,
      params: { peer: '10.77.0.12', seen: '10.77.0.11' },
    });
    await expect(checkSourceAddress(peerAt('10.77.0.12'), '127.0.0.1:5000')).rejects.toMatchObject({ reason: Reason.ADDRESS_MISMATCH });
  });
});

import { parseEndpoint } from '@kompart/core';
import { replicaTarget } from './client.js';

const at = (address: string) => parseEndpoint(address, 50051);

describe('replicaTarget', () => {
  it('dials one address as it is', () => {
    expect(replicaTarget([at('registry.lab:6000')])).toEqual({ target: 'registry.lab:6000', options: {} });
  });

  it('spreads calls over several replicas with round_robin', () => {
    const { target, options } = replicaTarget([at('127.0.0.91'), at('127.0.0.92:6000')]);
    expect(target).toBe('ipv4:127.0.0.91:50051,127.0.0.92:6000');
    expect(JSON.parse(String(options['grpc.service_config']))).toEqual({ loadBalancingConfig: [{ round_robin: {} }], methodConfig: [] });
    const retried = replicaTarget([at('127.0.0.91'), at('127.0.0.92')], { service: 'kompart.v1.Registry', methods: ['ListFiles'] });
    expect(JSON.parse(String(retried.options['grpc.service_config'])).methodConfig[0]).toMatchObject({
      name: [{ service: 'kompart.v1.Registry', method: 'ListFiles' }],
      hedgingPolicy: { maxAttempts: 3, hedgingDelay: '1s', nonFatalStatusCodes: ['UNAVAILABLE'] },
    });
    expect(replicaTarget([at('[::1]'), at('[::1]:6000')]).target).toBe('ipv6:[::1]:50051,[::1]:6000');
  });

  it('refuses a list it cannot dial as one target', () => {
    expect(() => replicaTarget([at('a.lab'), at('b.lab')])).toThrow(RangeError);
    expect(() => replicaTarget([at('127.0.0.1'), at('[::1]')])).toThrow(RangeError);
    expect(() => replicaTarget([])).toThrow(RangeError);
  });
});

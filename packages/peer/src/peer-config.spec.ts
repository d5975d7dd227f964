import { identityFor, resolvePeerConfig } from './peer-config';

describe('resolvePeerConfig', () => {
  it('applies the default ports and folders', () => {
    const config = resolvePeerConfig({ registry: '127.0.0.1', address: '127.0.0.2' }, '/work');
    expect(config.registryTarget).toBe('127.0.0.1:50051');
    expect(config.bindTarget).toBe('127.0.0.2:50052');
    expect(config.downloadsDir).toBe('/work/downloads');
    expect(config.cacheDir).toMatch(/\.cache\/kompart$/);
  });

  it('accepts port 0 for the peer and keeps the host', () => {
    const config = resolvePeerConfig({ registry: '127.0.0.1:6000', address: '127.0.0.9:0', cacheDir: null }, '/w');
    expect(config).toMatchObject({ host: '127.0.0.9', port: 0, bindTarget: '127.0.0.9:0', cacheDir: undefined });
  });

  it('rejects bad addresses and numbers', () => {
    expect(() => resolvePeerConfig({ registry: 'nope:99999', address: '127.0.0.2' })).toThrow();
    expect(() => resolvePeerConfig({ registry: '127.0.0.1', address: '127.0.0.2', callTimeoutMs: -1 })).toThrow(RangeError);
  });

  it('watches the shared files by default, looking at a changed one after a quiet second', () => {
    expect(resolvePeerConfig({ registry: '127.0.0.1', address: '127.0.0.2' })).toMatchObject({ watchShares: true, watchQuietMs: 1000 });
    expect(resolvePeerConfig({ registry: '127.0.0.1', address: '127.0.0.2', watchShares: false, watchQuietMs: 250 })).toMatchObject({
      watchShares: false,
      watchQuietMs: 250,
    });
    expect(() => resolvePeerConfig({ registry: '127.0.0.1', address: '127.0.0.2', watchQuietMs: 0 })).toThrow(RangeError);
  });

  it('names a peer by host alone on the default port', () => {
    expect(identityFor('127.0.0.2', 50052)).toBe('127.0.0.2');
    expect(identityFor('127.0.0.2', 6000)).toBe('127.0.0.2:6000');
  });
});

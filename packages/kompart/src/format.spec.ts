import { clientAddress, formatBytes, formatDuration, formatElapsed, formatRate } from './format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [1024 * 1024 - 1, '1.0 MiB'],
    [5 * 1024 * 1024, '5.0 MiB'],
    [3.25 * 1024 ** 3, '3.3 GiB'],
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatBytes(bytes, 'en')).toBe(text);
    expect(formatBytes(bytes, 'pt')).toBe(text.replace('.', ','));
  });

  it('formats rates', () => {
    expect(formatRate(2048, 'en')).toBe('2.0 KiB/s');
    expect(formatRate(2048, 'pt')).toBe('2,0 KiB/s');
  });
});

describe('formatElapsed', () => {
  it.each([
    [0, '0.0 s', '0,0 s'],
    [3249, '3.2 s', '3,2 s'],
    [42_000, '42s', '42s'],
    [185_000, '3m05s', '3m05s'],
  ])('%d ms is %s', (ms, en, pt) => {
    expect(formatElapsed(ms, 'en')).toBe(en);
    expect(formatElapsed(ms, 'pt')).toBe(pt);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59.4, '59s'],
    [65, '1m05s'],
    [3720, '1h02m'],
    [Number.POSITIVE_INFINITY, '--'],
  ])('%d s is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('clientAddress', () => {
  it.each([
    ['ipv4:127.0.0.3:41234', '127.0.0.3'],
    ['ipv6:[::1]:5000', '::1'],
    ['127.0.0.9', '127.0.0.9'],
  ])('%s is %s', (peer, address) => {
    expect(clientAddress(peer)).toBe(address);
  });
});

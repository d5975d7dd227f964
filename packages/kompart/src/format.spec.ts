import { clientAddress, formatBytes, formatDuration, formatRate } from './format';

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
    expect(formatBytes(bytes)).toBe(text);
  });

  it('formats rates', () => {
    expect(formatRate(2048)).toBe('2.0 KiB/s');
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

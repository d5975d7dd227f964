import { parseEndpoint, parseEndpointList } from './address.js';

describe('parseEndpoint', () => {
  it.each([
    ['127.0.0.2', 50052, { host: '127.0.0.2', port: 50052, id: '127.0.0.2', target: '127.0.0.2:50052' }],
    [' 127.0.0.2:6000 ', 50052, { host: '127.0.0.2', port: 6000, id: '127.0.0.2:6000', target: '127.0.0.2:6000' }],
    ['127.0.0.1:50051', 50051, { host: '127.0.0.1', port: 50051, id: '127.0.0.1', target: '127.0.0.1:50051' }],
    ['registry.lab', 50051, { host: 'registry.lab', port: 50051, id: 'registry.lab', target: 'registry.lab:50051' }],
    ['[::1]:7000', 50052, { host: '::1', port: 7000, id: '[::1]:7000', target: '[::1]:7000' }],
    ['::1', 50052, { host: '::1', port: 50052, id: '[::1]', target: '[::1]:50052' }],
  ])('parses %j', (input, port, expected) => {
    expect(parseEndpoint(input, port)).toEqual(expected);
  });

  it.each(['', '   ', '1.2.3', '256.0.0.1', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:70000', 'a b', '[::1', '[::1]x', 'x'.repeat(300), '../etc', 'host/name'])(
    'refuses %j',
    (input) => {
      expect(() => parseEndpoint(input, 50052)).toThrow();
    },
  );

  it('accepts port 0 only when asked (for listening)', () => {
    expect(parseEndpoint('127.0.0.1:0', 50051, { allowPortZero: true }).port).toBe(0);
  });
});

describe('parseEndpointList', () => {
  it('reads one address or several, each with an optional port', () => {
    expect(parseEndpointList('127.0.0.91', 50051).map((e) => e.target)).toEqual(['127.0.0.91:50051']);
    expect(parseEndpointList('127.0.0.91, 127.0.0.92:6000,[::1]', 50051).map((e) => e.id)).toEqual(['127.0.0.91', '127.0.0.92:6000', '[::1]']);
  });

  it('refuses an empty entry or a bad address anywhere in the list', () => {
    expect(() => parseEndpointList('127.0.0.91,', 50051)).toThrow('empty entry');
    expect(() => parseEndpointList('127.0.0.91,300.0.0.1', 50051)).toThrow('not an IPv4 address');
    expect(() => parseEndpointList('', 50051)).toThrow('empty');
  });
});

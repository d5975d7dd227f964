import { QUOTED_INPUT_CHARS } from '@kompart/core';
import { parseArguments, type PeerConfig, type ServerConfig } from './config';

const context = { cwd: '/work', home: '/home/ana' };

function run(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseArguments(argv, env, context);
  if (!parsed.ok) throw new Error(parsed.errorMessage);
  if (parsed.action !== 'run') throw new Error(parsed.action);
  return parsed.config;
}

describe('parseArguments', () => {
  it('reads the seed syntax of the server with defaults', () => {
    const config = run(['127.0.0.1', 's']) as ServerConfig;
    expect(config).toEqual({
      mode: 'server',
      lang: 'pt',
      json: false,
      logLevel: 'info',
      listen: { host: '127.0.0.1', port: 50051, id: '127.0.0.1', target: '127.0.0.1:50051' },
      heartbeatIntervalMs: 5000,
      heartbeatMisses: 2,
      maxFilesPerPeer: 1_000_000,
      maxFiles: 2_000_000,
      maxPeers: 100_000,
      maxRegistrationsPerMinute: 120,
      maxSessionsPerIp: 256,
      summaryIntervalMs: 60_000,
      trustPeerAddresses: false,
      maxRequestsPerSecond: 2000,
      ticketTtlMs: 60_000,
      maxMessageBytes: 16 * 1024 * 1024,
      maxPathBytes: 4096,
      store: 'memory',
      ticketKey: undefined,
      tls: undefined,
    });
  });

  it('reads the seed syntax of a peer with defaults', () => {
    const config = run(['127.0.0.1:6000', 'P', '127.0.0.2']) as PeerConfig;
    expect(config).toEqual({
      mode: 'peer',
      lang: 'pt',
      json: false,
      logLevel: 'error',
      maxDownloadsPerRequester: 8,
      serveIdleTimeoutMs: 30_000,
      registry: [{ host: '127.0.0.1', port: 6000, id: '127.0.0.1:6000', target: '127.0.0.1:6000' }],
      host: { host: '127.0.0.2', port: 50052, id: '127.0.0.2', target: '127.0.0.2:50052' },
      listen: undefined,
      downloadsDir: '/work/downloads',
      cacheDir: '/home/ana/.cache/kompart',
      share: [],
      registerAtStart: false,
      heartbeatIntervalMs: undefined,
      menu: undefined,
      keepRunning: false,
      requireTickets: true,
      plaintextTransfers: false,
      watchShares: true,
      singleSource: false,
      stallTimeoutMs: 10_000,
      commands: [],
      tls: undefined,
    });
  });

  it('takes defaults, then KOMPART_* variables, then flags', () => {
    const env = {
      KOMPART_LANG: 'en',
      KOMPART_DOWNLOADS: 'from-env',
      KOMPART_SHARE: 'a:/b',
      KOMPART_MENU: '0',
      KOMPART_JSON: 'true',
      KOMPART_CACHE_DIR: '/cache',
      KOMPART_HEARTBEAT_INTERVAL: '250',
      KOMPART_LOG_LEVEL: 'WARN',
      KOMPART_LISTEN: '0.0.0.0:7000',
    };
    const fromEnv = run(['10.0.0.1', 'p', '10.0.0.2'], env) as PeerConfig;
    expect(fromEnv).toMatchObject({
      lang: 'en',
      downloadsDir: '/work/from-env',
      share: ['/work/a', '/b'],
      registerAtStart: true,
      menu: false,
      json: true,
      cacheDir: '/cache',
      heartbeatIntervalMs: 250,
      logLevel: 'warn',
      listen: { target: '0.0.0.0:7000' },
    });
    const fromFlags = run(
      ['10.0.0.1', 'p', '10.0.0.2', '--lang', 'pt', '--downloads', '/d', '--share', 'x', '--share', 'y', '--menu', '--no-json', '--no-cache-dir'],
      env,
    ) as PeerConfig;
    expect(fromFlags).toMatchObject({ lang: 'pt', downloadsDir: '/d', share: ['/work/x', '/work/y'], menu: true, json: false, cacheDir: undefined });
  });

  it('reads TLS files and the address trust of the server', () => {
    const config = run(['10.0.0.1', 's', '--tls-cert', 'c.pem', '--tls-key', '/k.pem', '--trust-peer-addresses'], { KOMPART_TLS_CA: 'ca.pem' }) as ServerConfig;
    expect(config.tls).toEqual({ cert: '/work/c.pem', key: '/k.pem', ca: '/work/ca.pem' });
    expect(config.trustPeerAddresses).toBe(true);
    expect(parseArguments(['10.0.0.1', 's', '--tls-cert', 'c.pem'], {}, context)).toEqual({
      ok: false,
      lang: 'pt',
      errorMessage: '--tls-cert e --tls-key andam juntos',
    });
  });

  it('reads the registry limits and the peer ticket setting', () => {
    const server = run(['127.0.0.1', 's', '--max-requests-per-second', '0'], { KOMPART_TICKET_TTL: '5000' }) as ServerConfig;
    expect(server).toMatchObject({ maxRequestsPerSecond: 0, ticketTtlMs: 5000 });
    expect(run(['127.0.0.1', 's', '--max-path-bytes', '255'], { KOMPART_MAX_MESSAGE_BYTES: '1048576' })).toMatchObject({
      maxPathBytes: 255,
      maxMessageBytes: 1_048_576,
    });
    expect((run(['127.0.0.1', 'p', '127.0.0.2', '--no-tickets']) as PeerConfig).requireTickets).toBe(false);
    expect((run(['127.0.0.1', 'p', '127.0.0.2'], { KOMPART_TICKETS: '0' }) as PeerConfig).requireTickets).toBe(false);
    expect(parseArguments(['127.0.0.1', 's', '--ticket-ttl', '10'], {}, context).ok).toBe(false);
  });

  it('reads the chunk size a peer sends, left to the peer library by default', () => {
    expect((run(['127.0.0.1', 'p', '127.0.0.2']) as PeerConfig).chunkBytes).toBeUndefined();
    expect(run(['127.0.0.1', 'p', '127.0.0.2'], { KOMPART_CHUNK_BYTES: '262144' })).toMatchObject({ chunkBytes: 262_144 });
    expect(run(['127.0.0.1', 'p', '127.0.0.2', '--chunk-bytes', '1048576'], { KOMPART_CHUNK_BYTES: '262144' })).toMatchObject({ chunkBytes: 1_048_576 });
    expect(parseArguments(['127.0.0.1', 'p', '127.0.0.2', '--chunk-bytes', '1048577'], {}, context)).toEqual({
      ok: false,
      lang: 'pt',
      errorMessage: 'Valor inválido para --chunk-bytes: "1048577" (um número inteiro de 1 a 1048576)',
    });
  });

  it('ignores the system locale and uses XDG_CACHE_HOME', () => {
    const config = run(['10.0.0.1', 'p', '10.0.0.2'], { LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8', XDG_CACHE_HOME: '/xdg' }) as PeerConfig;
    expect(config.lang).toBe('pt');
    expect(config.cacheDir).toBe('/xdg/kompart');
  });

  it('reports help, version and usage errors without throwing', () => {
    expect(parseArguments(['--help'], {}, context)).toEqual({ ok: true, action: 'help', lang: 'pt' });
    expect(parseArguments(['-V', '--lang', 'en'], {}, context)).toEqual({ ok: true, action: 'version', lang: 'en' });
    expect(parseArguments(['1.2.3.999', 's'], { KOMPART_LANG: 'en' }, context)).toEqual({
      ok: false,
      lang: 'en',
      errorMessage: 'Invalid address "1.2.3.999": use ip or ip:port',
    });
    expect(parseArguments(['1.2.3.4', 's', '--summary-interval', '-1'], {}, context)).toMatchObject({ ok: false });
    expect(parseArguments(['1.2.3.4', 's', '--lang', 'de'], {}, context)).toEqual({
      ok: false,
      lang: 'pt',
      errorMessage: 'Idioma inválido "de": use pt ou en',
    });
  });

  it('reads a comma-separated list of registry replicas for a peer, each with an optional port', () => {
    const config = run(['127.0.0.91, 127.0.0.92:6000', 'p', '127.0.0.95']) as PeerConfig;
    expect(config.registry.map((endpoint) => endpoint.target)).toEqual(['127.0.0.91:50051', '127.0.0.92:6000']);
    const parsed = parseArguments(['registry.lab,127.0.0.92', 'p', '127.0.0.95'], {}, context);
    expect(parsed).toEqual({
      ok: false,
      lang: 'pt',
      errorMessage: 'Lista de servidores inválida "registry.lab,127.0.0.92": uma lista de réplicas deve ter só endereços IP, todos IPv4 ou todos IPv6',
    });
    expect(parseArguments(['127.0.0.91,', 'p', '127.0.0.95'], {}, context)).toMatchObject({
      ok: false,
      errorMessage: 'Endereço inválido "127.0.0.91,": use ip ou ip:porta',
    });
  });

  it('quotes only a short prefix of a huge argument in its usage error', () => {
    const huge = '9'.repeat(64 * 1024);
    expect(parseArguments([huge, 's'], {}, context)).toEqual({
      ok: false,
      lang: 'pt',
      errorMessage: `Endereço inválido "${'9'.repeat(QUOTED_INPUT_CHARS)}… (65536 characters)": use ip ou ip:porta`,
    });
  });
});

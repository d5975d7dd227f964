/**
 * `--metrics ADDRESS`: the registry and each peer serve Prometheus `/metrics`, read here by
 * real scrapes over HTTP while real `kompart` processes register, download and expire.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, literal, stopAll } from '../../../test/support/program';

const NET = '127.0.140';

/** The value of one sample (`name{labels} value`) whose labels include `labels`; undefined when absent. */
function sample(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(address: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`http://${address}/metrics`);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** Scrapes until `check` holds for the text (counters follow events a moment later), or fails with the last text. */
async function scrapeUntil(address: string, check: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = (await scrape(address)).text;
    if (check(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`metrics at ${address} never matched:\n${text}`);
}

describe('--metrics', () => {
  let work: string;
  let registry: Program;
  let registryMetrics: string;
  const registryAt = `${NET}.1`;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kompart-metrics-'));
    registryMetrics = `${registryAt}:${await freePort(registryAt)}`;
    registry = new Program([registryAt, 's', '--metrics', registryMetrics, '--heartbeat-interval', '300', '--summary-interval', '0'], { env: cleanEnv() });
    await registry.waitFor(new RegExp(`INFO Métricas Prometheus em ${literal(`http://${registryMetrics}/metrics`)}$`));
  });

  afterAll(async () => {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('the registry counts calls under the conventional gRPC names, the index and its own work; peers count what they serve and fetch', async () => {
    const data = Buffer.alloc(100_000, 3);
    const shared = join(work, 'song.bin');
    writeFileSync(shared, data);
    const holderMetrics = `${NET}.2:${await freePort(`${NET}.2`)}`;
    const fetcherMetrics = `${NET}.3:${await freePort(`${NET}.3`)}`;
    const peer = (host: string, metrics: string, name: string): Program =>
      new Program([registryAt, 'p', host, '--metrics', metrics, '--downloads', join(work, name), '--cache-dir', join(work, `${name}-cache`)], {
        env: cleanEnv({ KOMPART_LANG: 'en' }),
      });
    const holder = peer(`${NET}.2`, holderMetrics, 'holder');
    const fetcher = peer(`${NET}.3`, fetcherMetrics, 'fetcher');
    await holder.run('register peer', `Peer ${NET}.2 registered`);
    await holder.run(`register file ${shared}`, /registered \(/);
    await fetcher.run('register peer', `Peer ${NET}.3 registered`);
    await fetcher.run(`get file ${NET}.2/song.bin`, /SHA-256 verified/);
    await fetcher.run(`get file ${NET}.2/nothing.bin`, 'file removed or unavailable');
    // Registered again: the hash comes from the cache.
    await holder.run(`register file ${shared}`, `File ${shared} already registered`);

    const first = await scrape(registryMetrics);
    expect(first.status).toBe(200);
    expect(first.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scrapeUntil(registryMetrics, (t) => sample(t, 'kompart_registry_index_files') === 1);
    const rpc = (method: string, code: string, type = 'unary') => ({
      grpc_service: 'kompart.v1.Registry',
      grpc_method: method,
      grpc_type: type,
      grpc_code: code,
    });
    expect(sample(text, 'grpc_server_handled_total', rpc('RegisterPeer', 'OK'))).toBe(2);
    expect(sample(text, 'grpc_server_handled_total', rpc('LocateFile', 'NOT_FOUND'))).toBe(1);
    expect(sample(text, 'grpc_server_handled_total', rpc('LocateFile', 'OK'))).toBe(1);
    expect(sample(text, 'grpc_server_started_total', { grpc_method: 'Heartbeat', grpc_type: 'bidi_stream' })).toBe(2);
    expect(sample(text, 'grpc_server_handling_seconds_count', { grpc_method: 'RegisterPeer', grpc_type: 'unary' })).toBe(2);
    expect(sample(text, 'grpc_server_handling_seconds_bucket', { grpc_method: 'RegisterPeer', le: '+Inf' })).toBe(2);
    expect(sample(text, 'grpc_server_msg_received_total', { grpc_method: 'Heartbeat' })).toBeGreaterThanOrEqual(2);
    // Index-wide: labelled with the registry every replica shares (aggregate with max by (registry)).
    expect(text).toMatch(/^kompart_registry_index_peers\{registry="[0-9a-f]{16}"\} 2$/m);
    expect(sample(text, 'kompart_registry_heartbeat_streams_open')).toBe(2);
    expect(sample(text, 'kompart_registry_heartbeat_streams_batching')).toBe(2);
    expect(sample(text, 'kompart_registry_tickets_issued_total')).toBe(1);
    expect(sample(text, 'kompart_registry_refusals_total', { method: 'LocateFile', reason: 'FILE_UNAVAILABLE' })).toBe(1);
    expect(sample(text, 'kompart_registry_refusals_total', { method: 'RegisterPeer' })).toBeUndefined();
    expect(sample(text, 'kompart_registry_index_changes_total', { type: 'peer-joined' })).toBe(2);
    expect(sample(text, 'kompart_registry_events_fanned_out_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);

    const served = await scrapeUntil(holderMetrics, (t) => sample(t, 'kompart_peer_served_bytes_total') === data.length);
    expect(sample(served, 'kompart_peer_served_files_total', { complete: 'true' })).toBe(1);
    expect(sample(served, 'kompart_peer_hash_cache_lookups_total', { result: 'hit' })).toBe(1);
    expect(sample(served, 'kompart_peer_hash_cache_lookups_total', { result: 'miss' })).toBe(1);
    expect(sample(served, 'grpc_server_handled_total', { grpc_service: 'kompart.v1.FileService', grpc_method: 'Download', grpc_code: 'OK' })).toBe(1);
    const fetched = (await scrape(fetcherMetrics)).text;
    expect(sample(fetched, 'kompart_peer_downloaded_bytes_total')).toBe(data.length);
    expect(sample(fetched, 'kompart_peer_downloaded_files_total')).toBe(1);
    expect(sample(fetched, 'kompart_peer_downloads_total', { outcome: 'downloaded' })).toBe(1);
    expect(sample(fetched, 'kompart_peer_downloads_total', { outcome: 'failed' })).toBe(0);
    expect(sample(fetched, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // A peer that freezes is expired: the registry counts it.
    fetcher.signal('SIGSTOP');
    try {
      await holder.waitFor(`Peer ${NET}.3 expired (missed heartbeats)`);
      const after = await scrapeUntil(registryMetrics, (t) => sample(t, 'kompart_registry_expiries_total') === 1);
      expect(sample(after, 'kompart_registry_index_peers')).toBe(1);
      expect(sample(after, 'kompart_registry_heartbeat_streams_open')).toBe(1);
    } finally {
      fetcher.signal('SIGCONT');
    }
  });

  it('answers only /metrics, and only to reads', async () => {
    expect((await fetch(`http://${registryMetrics}/nothing`)).status).toBe(404);
    expect((await fetch(`http://${registryMetrics}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('an address already in use is one line and exit code 3', async () => {
    const other = new Program([`${NET}.5`, 's', '--metrics', registryMetrics], { env: cleanEnv() });
    expect((await other.exit()).code).toBe(3);
    expect(other.err).toEqual([`Endereço ${registryMetrics} já está em uso: outro servidor está ouvindo nele`]);
  });
});

/**
 * The web view's event stream over real HTTP, against a real registry: a browser that
 * reconnects with the last id it saw (Last-Event-ID) gets exactly the changes it missed,
 * in order; an id it cannot resume from gets a fresh snapshot; transfer reports on the
 * Heartbeat stream reach the view (malformed ones do not); no session token is ever sent.
 */
import { request as httpRequest } from 'node:http';
import { hostname } from 'node:os';
import { silentLogger } from '@kompart/core';
import { TransferState, type TransferReport } from '@kompart/protocol';
import { createMemoryStore } from '../src/memory-store.js';
import { OverlayView } from '../src/overlay-view.js';
import { PeerDirectory } from '../src/peer-directory.js';
import { startWebView } from '../src/web-view.js';
import { call, fakeHash, startHarness, type Harness } from './registry-harness';

interface SseEvent {
  readonly event: string;
  readonly id: string;
  readonly data: unknown;
}

/** Reads `/events` until `enough` says so, then aborts. Returns the events and the raw text. */
async function readEvents(web: string, enough: (events: SseEvent[]) => boolean, lastEventId?: string): Promise<{ events: SseEvent[]; raw: string }> {
  const abort = new AbortController();
  const response = await fetch(`http://${web}/events`, {
    headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
    signal: abort.signal,
  });
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: SseEvent[] = [];
  let raw = '';
  let buffer = '';
  const decoder = new TextDecoder();
  const timer = setTimeout(() => abort.abort(), 15_000);
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      raw += text;
      buffer += text;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string): string | undefined =>
          block
            .split('\n')
            .find((line) => line.startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim();
        const data = field('data');
        if (data !== undefined) events.push({ event: field('event') ?? 'message', id: field('id') ?? '', data: JSON.parse(data) });
      }
      if (enough(events)) break;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return { events, raw };
}

/** GET `path` from the view at `web` naming `host` in the Host header (which fetch cannot set). */
function getWithHost(web: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const [address, port] = [web.slice(0, web.lastIndexOf(':')), Number(web.slice(web.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: address, port, path, headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
      // The event stream never ends by itself: its first bytes are enough.
      if (path === '/events' && response.statusCode === 200) response.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

const typeOf = (event: SseEvent): string => (event.data as { type: string }).type;

describe('the web view event stream', () => {
  let h: Harness;
  let web: string;

  beforeAll(async () => {
    h = await startHarness({ address: '127.0.142.1:0', webAddress: '127.0.142.1:0', heartbeatIntervalMs: 1000 });
    web = h.registry.web!.target;
  });
  afterAll(() => h.close());

  it('answers only requests that name an IP address, localhost or this machine: a rebound name gets 403 and a bounded quote of itself', async () => {
    const port = web.slice(web.lastIndexOf(':') + 1);
    for (const host of [
      web,
      `127.0.142.1`,
      `localhost:${port}`,
      `view.localhost:${port}`,
      `[::1]:${port}`,
      `${hostname()}:${port}`,
      `${hostname().toUpperCase()}.:${port}`,
    ]) {
      expect([host, (await getWithHost(web, '/', host)).status]).toEqual([host, 200]);
    }
    for (const path of ['/', '/view.js', '/events']) {
      const refused = await getWithHost(web, path, `rebind.attacker.example:${port}`);
      expect(refused.status).toBe(403);
      expect(refused.body).toBe(
        `Recusado: esta página só é servida pelo endereço IP do servidor, por localhost ou por ${hostname().toLowerCase()} (proteção contra DNS rebinding); pedido feito para rebind.attacker.example:${port}\n`,
      );
    }
    for (const host of [`127.0.142.1.attacker.example:${port}`, `${hostname()}.attacker.example:${port}`, `[::1`, `localhost.attacker.example`]) {
      expect([host, (await getWithHost(web, '/', host)).status]).toEqual([host, 403]);
    }
    const long = await getWithHost(web, '/', `${'a'.repeat(8000)}.example`);
    expect(long.status).toBe(403);
    expect(long.body.length).toBeLessThan(400);
    expect(long.body).toContain('(8008 characters)');
  });

  it('also answers to the name it was bound by, when --web was given a name, and to the machine name it is told', async () => {
    const directory = new PeerDirectory({ store: createMemoryStore({ origin: 'here' }), heartbeatIntervalMs: 5000, heartbeatMisses: 2, maxFilesPerPeer: 10 });
    const named = await startWebView({
      address: `${hostname()}:0`,
      view: new OverlayView({ directory }),
      lang: 'en',
      logger: silentLogger,
      registry: 'here',
      heartbeatIntervalMs: 5000,
      heartbeatMisses: 2,
      expiryMs: 10_500,
      machine: 'another-machine',
    });
    try {
      const port = named.port;
      for (const host of [`${hostname()}:${port}`, `another-machine:${port}`, `localhost:${port}`]) {
        expect([host, (await getWithHost(named.target, '/', host)).status]).toEqual([host, 200]);
      }
      const refused = await getWithHost(named.target, '/', `third.example:${port}`);
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('another-machine');
    } finally {
      await named.close();
    }
  });

  it('resumes from Last-Event-ID with exactly the changes missed, and starts over from a snapshot when it cannot', async () => {
    const first = await readEvents(web, (events) => events.length >= 1);
    expect(first.events[0]!.event).toBe('snapshot');
    const seen = first.events[0]!.id;
    expect(seen).toMatch(/^[0-9a-f]{8}\.\d+$/);

    // Meanwhile (no browser connected): two peers join, one registers a file, one leaves.
    const a = await h.register('127.0.142.2');
    const b = await h.register('127.0.142.3');
    await call(h.client, 'registerFile', { peer: a.peer, path: '/srv/a.txt', sha256: fakeHash(1), size: 10 }, a.sessionToken);
    await call(h.client, 'disconnect', { peer: b.peer }, b.sessionToken);

    const resumed = await readEvents(web, (events) => events.filter((e) => typeOf(e) === 'peer-gone').length >= 1, seen);
    expect(resumed.events.every((event) => event.event === 'change')).toBe(true);
    const ids = resumed.events.map((event) => Number(event.id.split('.')[1]));
    expect(ids[0]).toBe(Number(seen.split('.')[1]) + 1);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    const changes = resumed.events.map((event) => event.data as { type: string; peer?: unknown; file?: { name: string }; entry?: { type: string } });
    expect(changes.filter((c) => c.type === 'feed').map((c) => c.entry!.type)).toEqual(['peer-joined', 'peer-joined', 'file-registered', 'peer-left']);
    expect(changes.find((c) => c.type === 'file')!.file!.name).toBe('a.txt');
    expect(changes.find((c) => c.type === 'peer-gone')!.peer).toBe('127.0.142.3');

    // An id of another view (a restarted registry) or one never issued: a snapshot of now.
    for (const id of ['00000000.3', 'nonsense']) {
      const fresh = await readEvents(web, (events) => events.length >= 1, id);
      const snapshot = fresh.events[0]!;
      expect(snapshot.event).toBe('snapshot');
      const body = snapshot.data as {
        peers: { id: string; files: number }[];
        files: { name: string }[];
        texts: Record<string, string>;
        settings: { lang: string };
      };
      expect(body.peers).toEqual([expect.objectContaining({ id: '127.0.142.2', files: 1 })]);
      expect(body.files.map((file) => file.name)).toEqual(['a.txt']);
      expect(body.settings.lang).toBe('pt');
      expect(body.texts['peersTitle']).toBe('Peers online');
      expect(fresh.raw).not.toContain(a.sessionToken);
    }
    await call(h.client, 'disconnect', { peer: a.peer }, a.sessionToken);
  });

  it('shows the downloads peers report on their Heartbeat stream; malformed reports are left out, and reports are not beats', async () => {
    const holder = await h.register('127.0.142.4');
    const downloader = await h.register('127.0.142.5');
    const tap = h.heartbeat(downloader.sessionToken);
    const acks: number[] = [];
    let acked: () => void = () => undefined;
    const firstAck = new Promise<void>((resolve) => (acked = resolve));
    tap.stream.on('data', (message: { kind?: { $case: string; value: { sequence: number } } }) => {
      if (message.kind?.$case !== 'ack') return;
      acks.push(message.kind.value.sequence);
      acked();
    });
    const report = (overrides: Partial<TransferReport>): TransferReport => ({
      id: 'd1',
      holder: holder.peer,
      name: 'song.mp3',
      sha256: fakeHash(7),
      size: 1000,
      received: 250,
      state: TransferState.TRANSFER_STATE_ACTIVE,
      bytesPerSecond: 500,
      ...overrides,
    });
    const since = (await readEvents(web, (events) => events.length >= 1)).events[0]!.id;
    tap.stream.write({ sequence: 0, transfers: [report({ id: 'bad', sha256: 'nope' }), report({ id: 'bad2', received: 2000 }), report({})] });
    tap.beat(1);
    const { events } = await readEvents(web, (all) => all.some((e) => typeOf(e) === 'transfer'), since);
    const transfers = events.filter((e) => typeOf(e) === 'transfer').map((e) => (e.data as { transfer: Record<string, unknown> }).transfer);
    expect(transfers).toEqual([
      expect.objectContaining({ downloader: downloader.peer, holder: holder.peer, id: 'd1', received: 250, state: 'active', bytesPerSecond: 500 }),
    ]);
    // The beat after the report is acked; the report (sequence 0) is not.
    await firstAck;
    expect(acks).toEqual([1]);
    await call(h.client, 'disconnect', { peer: holder.peer }, holder.sessionToken);
    await call(h.client, 'disconnect', { peer: downloader.peer }, downloader.sessionToken);
  });
});

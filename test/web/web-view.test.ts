/// <reference lib="dom" />
/**
 * The registry's live web view in a real browser: Debian's chromium (/usr/bin/chromium,
 * never a downloaded build) driven by playwright-core, a registry started with `--web`
 * and real peer processes. The page shows a peer appearing, a download's arrow from holder
 * to downloader and its end, a frozen peer turning late and then expiring, a killed peer
 * leaving; a file name made of markup is shown as text. A screenshot is saved in
 * test/web/out/ (ignored by git).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Program, WAIT_MS, cleanEnv, freePort, literal, stopAll } from '../support/program';

const NET = '127.0.141';
const CHROMIUM = '/usr/bin/chromium';
const OUT = join(__dirname, 'out');
if (!existsSync(CHROMIUM) && process.env['CI']) throw new Error(`${CHROMIUM} is needed for the browser test; .ci/run installs Debian's chromium`);
const describeWithBrowser = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn('SKIPPED the browser test: apt-get install chromium');

/** A file name an attacker would register: markup that would run if the page wrote it as HTML. */
const HOSTILE = `<img src=x onerror="document.title='pwned';window.__pwned=1">.bin`;

describeWithBrowser('the live web view in chromium', () => {
  jest.setTimeout(120_000);
  let work: string;
  let browser: Browser;
  let page: Page;
  let web: string;
  const registryAt = `${NET}.1`;
  const holderAt = `${NET}.2`;
  const fetcherAt = `${NET}.3`;

  const peer = (host: string, name: string, extra: string[] = []): Program =>
    new Program([registryAt, 'p', host, '--downloads', join(work, name), '--no-cache-dir', ...extra], { env: cleanEnv({ KOMPART_LANG: 'en' }) });
  const row = (id: string): string => `#peers tr[data-peer="${id}"]`;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'kompart-web-'));
    mkdirSync(OUT, { recursive: true });
    web = `${registryAt}:${await freePort(registryAt)}`;
    const registry = new Program(
      [registryAt, 's', '--web', web, '--lang', 'en', '--heartbeat-interval', '400', '--heartbeat-misses', '6', '--summary-interval', '0'],
      { env: cleanEnv() },
    );
    await registry.waitFor(new RegExp(`Live view of the overlay at ${literal(`http://${web}/`)}$`));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
  });

  afterAll(async () => {
    await browser?.close();
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows peers appear, a download as an arrow that ends, a frozen peer late then expired, a killed peer gone; names as text', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`http://${web}/`);
    await page.waitForSelector('#connection[data-state="live"]');
    await page.waitForFunction(() => document.title === 'kompart — the live overlay');

    const shared = join(work, 'share');
    mkdirSync(shared);
    writeFileSync(join(shared, HOSTILE), 'not an image\n');
    writeFileSync(join(shared, 'big.bin'), Buffer.alloc(24 * 1024 * 1024, 5));
    // Small chunks: the download takes a while, so its progress is reported on the way.
    const holder = peer(holderAt, 'holder', ['--chunk-bytes', '4096']);
    await holder.run('register peer', `Peer ${holderAt} registered`);
    await page.waitForSelector(row(holderAt));
    await page.waitForSelector(`#graph g.node[data-peer="${holderAt}"]`);
    await page.waitForSelector(`#feed li[data-type="peer-joined"]`);

    await holder.run(`register file ${shared}`, /2 files registered/);
    await page.waitForFunction((id) => document.querySelector(`#peers tr[data-peer="${id}"] td:nth-child(2)`)?.textContent === '2', holderAt);
    // The hostile name is a cell's text; no element was made of it and nothing ran.
    const cells = await page.$$eval('#files td', (tds) => tds.map((td) => td.textContent));
    expect(cells).toContain(HOSTILE);
    const feed = await page.$$eval('#feed li', (items) => items.map((li) => li.textContent ?? ''));
    expect(feed.some((text) => text.includes(`File ${HOSTILE} registered by ${holderAt}`))).toBe(true);
    expect(await page.$$('img')).toHaveLength(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.fill('#filter', 'big');
    await page.waitForFunction(() => document.querySelectorAll('#files tbody tr').length === 1);
    expect(await page.textContent('#files tbody tr td:nth-child(2)')).toBe('big.bin');
    await page.fill('#filter', '');

    const fetcher = peer(fetcherAt, 'fetcher');
    await fetcher.run('register peer', `Peer ${fetcherAt} registered`);
    await page.waitForSelector(row(fetcherAt));
    const arrow = `#graph line.arrow[data-from="${holderAt}"][data-to="${fetcherAt}"]`;
    const done = fetcher.run(`get file ${holderAt}/big.bin`, /SHA-256 verified/, { timeoutMs: 60_000 });
    // (An arrow's box may be a line without width: attached, not "visible", is what counts.)
    await page.waitForSelector(`${arrow}[data-state="active"]`, { state: 'attached' });
    await page.waitForSelector(`#transfers li[data-transfer^="${fetcherAt}/"]`);
    await page.screenshot({ path: join(OUT, 'web-view.png') });
    await done;
    await page.waitForSelector(`${arrow}[data-state="done"]`, { state: 'attached' });
    await page.waitForSelector(`#feed li[data-type="transfer-ended"]`);
    // The arrow of an ended download fades out after a moment.
    await page.waitForSelector(arrow, { state: 'detached' });

    // A frozen peer: late first (its beats stop), then expired and off the page.
    fetcher.signal('SIGSTOP');
    try {
      await page.waitForSelector(`${row(fetcherAt)}.late`);
      await page.waitForSelector(row(fetcherAt), { state: 'detached' });
      await page.waitForSelector('#feed li[data-type="peer-expired"]');
    } finally {
      fetcher.signal('SIGCONT');
    }

    // A killed peer: its stream closes, it leaves at once, with its files.
    holder.signal('SIGKILL');
    await page.waitForSelector(row(holderAt), { state: 'detached' });
    await page.waitForSelector(`#files td:text-is("big.bin")`, { state: 'detached' });
    expect(errors).toEqual([]);
  });

  it('gives nothing to a page whose name was rebound to the view (DNS rebinding): the page and its stream are refused', async () => {
    // The attacker's name resolves to the view's address, as a rebinding DNS server would make it.
    const rebound = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', `--host-resolver-rules=MAP rebind.attacker.test ${registryAt}`] });
    try {
      const attacker = await rebound.newPage();
      const port = web.slice(web.lastIndexOf(':') + 1);
      const response = await attacker.goto(`http://rebind.attacker.test:${port}/`);
      expect(response?.status()).toBe(403);
      expect(await attacker.textContent('body')).toContain('DNS rebinding');
      // Same origin as far as the browser knows, yet the index is not readable from it.
      const stream = await attacker.evaluate(async () => {
        const reply = await fetch('/events');
        return { status: reply.status, text: await reply.text() };
      });
      expect(stream.status).toBe(403);
      expect(stream.text).not.toContain('snapshot');
      // The same browser, given the address itself, is served.
      expect((await attacker.goto(`http://${web}/`))?.status()).toBe(200);
    } finally {
      await rebound.close();
    }
  });
});

import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createSession } from 'better-sse';
import { quoteInput, render, type Lang, type Logger } from '@kompart/core';
import { startHttpEndpoint, type HttpEndpoint } from '@kompart/grpc';
import type { NumberedChange, OverlayView } from './overlay-view.js';
import { serverTexts } from './server-texts.js';
import { webTexts } from './web-texts.js';

export interface WebViewOptions {
  /** `host:port` to bind (port 0: any free one). */
  readonly address: string;
  readonly view: OverlayView;
  readonly lang: Lang;
  readonly logger: Logger;
  /** What the page says about the registry and its presence settings. */
  readonly registry: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatMisses: number;
  readonly expiryMs: number;
  /**
   * This machine's name, which the page may be opened by besides IP addresses, localhost
   * and the name in `address`, if it is one (default: os.hostname()).
   */
  readonly machine?: string;
}

/** The page's files, served from the package's `web/` folder (plain files: nothing is built at run time). */
const ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/view.js': { file: 'view.js', type: 'text/javascript; charset=utf-8' },
  '/view.css': { file: 'view.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/**
 * Everything the page may load comes from here; no inline script, so even markup that
 * slipped into the page could not run (the page itself only ever writes text).
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** The host of `host:port` (`[v6]:port`, or a host alone), lower case, without a final dot; undefined when malformed. */
function hostOf(authority: string): string | undefined {
  const bracket = authority.startsWith('[') ? authority.indexOf(']') : 0;
  if (bracket < 0) return undefined;
  return (bracket > 0 ? authority.slice(1, bracket) : authority.replace(/:\d*$/, '')).toLowerCase().replace(/\.$/, '');
}

/**
 * Whether a request's Host header names the view in a way DNS rebinding cannot forge. A
 * page of an attacker's site whose name was made to resolve to the view's address is
 * same-origin with it in the browser, and could read the index through a visitor; its
 * requests still name the attacker's host. So the view answers only requests for an IP
 * address literal (the browser was given the address), `localhost` or a name under
 * `.localhost` (browsers resolve those to loopback themselves, RFC 6761), or one of
 * `names` (this machine's own, and the one `--web` was given, if a name); and those
 * without a Host at all, which no browser sends.
 */
function isServedHost(header: string | undefined, names: ReadonlySet<string>): boolean {
  if (header === undefined || header === '') return true;
  const name = hostOf(header);
  if (name === undefined) return false;
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  return names.has(name);
}

/**
 * The registry's live web view: one static page (`/`, with its script and style) and
 * `/events`, a stream of server-sent events. A browser that connects gets a `snapshot`
 * (the whole view, the page's texts in the registry's language and the presence settings)
 * then every `change` as it happens, each with its id; one that reconnects sends the last
 * id it saw (Last-Event-ID, as EventSource does by itself) and gets exactly the changes it
 * missed, or a fresh snapshot when they are no longer kept. Read-only: nothing it serves
 * changes anything, and it shows no session token or ticket (the view holds none).
 */
export async function startWebView(options: WebViewOptions): Promise<HttpEndpoint> {
  const { view, lang } = options;
  const folder = join(__dirname, '..', 'web');
  const assets = new Map(Object.entries(ASSETS).map(([path, asset]) => [path, { body: readFileSync(join(folder, asset.file)), type: asset.type }]));
  const texts = Object.fromEntries(Object.entries(webTexts).map(([key, text]) => [key, text[lang]]));
  const settings = {
    lang,
    registry: options.registry,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    heartbeatMisses: options.heartbeatMisses,
    expiryMs: options.expiryMs,
  };

  const events = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const session = await createSession(request, response, { retry: 1000, keepAlive: 15_000, headers: { 'cache-control': 'no-store', ...SECURITY_HEADERS } });
    const query = new URL(request.url ?? '/', 'http://x').searchParams.get('lastEventId');
    const lastId = session.lastId !== '' ? session.lastId : (query ?? '');
    const missed = lastId === '' ? undefined : view.changesAfter(lastId);
    if (missed === undefined) {
      const snapshot = view.snapshot();
      session.push({ ...snapshot, settings, texts }, 'snapshot', snapshot.id);
    } else {
      for (const { id, change } of missed) session.push(change, 'change', id);
    }
    const forward = ({ id, change }: NumberedChange): void => {
      if (session.isConnected) session.push(change, 'change', id);
    };
    view.on('change', forward);
    session.once('disconnected', () => view.off('change', forward));
  };

  const machine = options.machine ?? hostname();
  const names = new Set([machine.toLowerCase(), hostOf(options.address) ?? ''].filter((name) => name !== '' && isIP(name) === 0));
  return startHttpEndpoint(options.address, (request, response) => {
    if (!isServedHost(request.headers.host, names)) {
      const text = render(serverTexts.webHostRefused, lang, { names: [...names].join(', '), host: quoteInput(request.headers.host ?? '') });
      response.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end(`${text}\n`);
      return;
    }
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
      return;
    }
    if (path === '/events') {
      events(request, response).catch((error: unknown) => {
        options.logger.warn({ err: error }, 'web view: event stream failed');
        if (!response.headersSent) response.writeHead(500).end();
        else response.destroy();
      });
      return;
    }
    const asset = assets.get(path);
    if (asset === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('not found\n');
      return;
    }
    response
      .writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS })
      .end(request.method === 'HEAD' ? undefined : asset.body);
  });
}

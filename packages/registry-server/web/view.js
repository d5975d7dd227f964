// The kompart registry's live view. Plain script, no build step, no dependency: it opens
// /events (server-sent events), draws the snapshot it gets first and applies every change
// after it. EventSource reconnects by itself and sends the id of the last event it saw, so
// the registry sends exactly what was missed (or a new snapshot).
//
// Every name here comes from the network (peer addresses, file names chosen by peers): it
// is only ever written as text (textContent, attribute values), never as markup.
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  /** How long an ended download keeps its arrow, ms. */
  const ENDED_LINGER_MS = 4000;
  const MAX_FILE_ROWS = 500;
  const MAX_FEED = 100;

  let texts = {};
  let settings = { lang: 'pt', heartbeatIntervalMs: 5000, heartbeatMisses: 2, expiryMs: 10500, registry: '' };
  /** Registry clock minus this browser's, ms. */
  let offset = 0;
  let filesCapped = false;
  const peers = new Map();
  const files = new Map();
  const transfers = new Map();
  const ended = new Map();
  let feed = [];
  let drawPending = false;

  const $ = (id) => document.getElementById(id);
  const t = (key, params = {}) => String(texts[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
  const now = () => Date.now() + offset;
  const fileKey = (peer, path) => `${peer}\n${path}`;
  const transferKey = (transfer) => `${transfer.downloader}\n${transfer.id}`;

  function el(tag, text, attributes = {}) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    return node;
  }

  function svg(tag, attributes = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function size(bytes) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    const digits = unit === 0 ? 0 : 1;
    return `${new Intl.NumberFormat(settings.lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
  }

  function clockTime(ms) {
    return new Date(ms - offset).toLocaleTimeString(settings.lang, { hour12: false });
  }

  function reset(snapshot) {
    texts = snapshot.texts;
    settings = snapshot.settings;
    offset = snapshot.serverTime - Date.now();
    filesCapped = snapshot.filesCapped;
    peers.clear();
    files.clear();
    transfers.clear();
    for (const peer of snapshot.peers) peers.set(peer.id, peer);
    for (const file of snapshot.files) files.set(fileKey(file.peer, file.path), file);
    for (const transfer of snapshot.transfers) transfers.set(transferKey(transfer), transfer);
    feed = snapshot.feed.slice(-MAX_FEED);
    document.documentElement.lang = settings.lang;
    document.title = t('title');
    for (const node of document.querySelectorAll('[data-text]')) node.textContent = t(node.getAttribute('data-text'));
    $('title').textContent = t('title');
    $('registry').textContent = t('registry', { address: settings.registry });
    $('graph-title').textContent = t('graphTitle');
    $('peers-title').textContent = t('peersTitle');
    $('files-title').textContent = t('filesTitle');
    $('transfers-title').textContent = t('transfersTitle');
    $('feed-title').textContent = t('feedTitle');
    $('filter').placeholder = t('filter');
    $('graph').setAttribute('aria-label', t('graphTitle'));
    // The stream opened before the texts came.
    if ($('connection').dataset.state === 'live') $('connection').textContent = t('live');
  }

  function apply(change) {
    switch (change.type) {
      case 'peer':
        peers.set(change.peer.id, change.peer);
        break;
      case 'peer-gone':
        peers.delete(change.peer);
        for (const [key, file] of files) if (file.peer === change.peer) files.delete(key);
        for (const [key, transfer] of transfers) if (transfer.downloader === change.peer) transfers.delete(key);
        break;
      case 'file':
        files.set(fileKey(change.file.peer, change.file.path), change.file);
        break;
      case 'file-gone':
        files.delete(fileKey(change.peer, change.path));
        break;
      case 'beat': {
        const peer = peers.get(change.peer);
        if (peer !== undefined) peers.set(change.peer, { ...peer, lastBeat: change.at });
        break;
      }
      case 'transfer': {
        const key = transferKey(change.transfer);
        if (change.transfer.state === 'active') transfers.set(key, change.transfer);
        else {
          transfers.delete(key);
          ended.set(key, { transfer: change.transfer, until: Date.now() + ENDED_LINGER_MS });
        }
        break;
      }
      case 'feed':
        feed.push(change.entry);
        if (feed.length > MAX_FEED * 2) feed = feed.slice(-MAX_FEED);
        break;
    }
  }

  function schedule() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      draw();
    });
  }

  function beatAge(peer) {
    return peer.lastBeat === undefined || peer.lastBeat === null ? undefined : Math.max(0, now() - peer.lastBeat);
  }

  function isLate(peer) {
    const age = beatAge(peer);
    return age !== undefined && age > settings.heartbeatIntervalMs * 1.5;
  }

  function sortedPeers() {
    return [...peers.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  function draw() {
    for (const [key, entry] of ended) if (entry.until <= Date.now()) ended.delete(key);
    const list = sortedPeers();
    $('summary').textContent = t('summary', { peers: list.length, files: [...peers.values()].reduce((sum, peer) => sum + peer.files, 0) });
    drawPeers(list);
    drawGraph(list);
    drawTransfers();
    drawFiles();
    drawFeed();
  }

  function drawPeers(list) {
    const body = $('peers').tBodies[0];
    body.replaceChildren(
      ...list.map((peer) => {
        const row = el('tr', undefined, { 'data-peer': peer.id });
        if (isLate(peer)) row.classList.add('late');
        const age = beatAge(peer);
        row.append(
          el('td', peer.id),
          el('td', String(peer.files)),
          el(
            'td',
            age === undefined
              ? t('beatElsewhere')
              : `${t('secondsAgo', { seconds: new Intl.NumberFormat(settings.lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(age / 1000) })}${isLate(peer) ? ` (${t('late')})` : ''}`,
            { class: 'beat' },
          ),
        );
        return row;
      }),
    );
    $('no-peers').textContent = list.length === 0 ? t('noPeers') : '';
  }

  function drawGraph(list) {
    const graph = $('graph');
    const defs = svg('defs');
    const marker = svg('marker', { id: 'head', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#2563eb' }));
    defs.append(marker);
    const where = new Map();
    const radius = list.length <= 1 ? 0 : 170;
    list.forEach((peer, index) => {
      const angle = (2 * Math.PI * index) / Math.max(1, list.length) - Math.PI / 2;
      where.set(peer.id, { x: radius * Math.cos(angle), y: radius * Math.sin(angle) });
    });
    const arrows = [];
    const shown = [...transfers.values(), ...[...ended.values()].map((entry) => entry.transfer)];
    for (const transfer of shown) {
      const from = where.get(transfer.holder);
      const to = where.get(transfer.downloader);
      if (from === undefined || to === undefined) continue;
      const dx = to.x - from.x;
      const dy = to.y - from.y;
      const length = Math.hypot(dx, dy) || 1;
      const pad = 24;
      const line = svg('line', {
        class: 'arrow',
        'data-from': transfer.holder,
        'data-to': transfer.downloader,
        'data-state': transfer.state,
        x1: from.x + (dx * pad) / length,
        y1: from.y + (dy * pad) / length,
        x2: to.x - (dx * pad) / length,
        y2: to.y - (dy * pad) / length,
      });
      const label = transfer.state === 'active' ? `${size(transfer.bytesPerSecond)}/s` : t(transfer.state === 'done' ? 'transferDone' : 'transferFailed');
      arrows.push(line, svg('text', { class: 'rate', x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 - 6 }, `${transfer.name} · ${label}`));
    }
    const nodes = list.map((peer) => {
      const { x, y } = where.get(peer.id);
      const group = svg('g', { class: isLate(peer) ? 'node late' : 'node', 'data-peer': peer.id, transform: `translate(${x} ${y})` });
      group.append(svg('circle', { r: 18 }), svg('text', { y: 34 }, peer.id), svg('text', { y: 5 }, String(peer.files)));
      return group;
    });
    graph.replaceChildren(defs, ...arrows, ...nodes);
  }

  function drawTransfers() {
    const shown = [...transfers.values(), ...[...ended.values()].map((entry) => entry.transfer)];
    $('transfers').replaceChildren(
      ...shown.map((transfer) => {
        const item = el('li', t('transfer', { holder: transfer.holder, downloader: transfer.downloader, name: transfer.name }), {
          'data-transfer': `${transfer.downloader}/${transfer.id}`,
          'data-state': transfer.state,
        });
        const bar = el('progress', undefined, { max: Math.max(1, transfer.size), value: transfer.received });
        const detail =
          transfer.state === 'active'
            ? `${size(transfer.received)} / ${size(transfer.size)}, ${size(transfer.bytesPerSecond)}/s`
            : t(transfer.state === 'done' ? 'transferDone' : 'transferFailed');
        item.append(bar, el('span', detail));
        return item;
      }),
    );
    $('no-transfers').textContent = shown.length === 0 ? t('noTransfers') : '';
  }

  function drawFiles() {
    const needle = $('filter').value.trim().toLowerCase();
    const matching = [...files.values()].filter(
      (file) => needle === '' || file.name.toLowerCase().includes(needle) || file.peer.includes(needle) || file.sha256.startsWith(needle),
    );
    $('files').tBodies[0].replaceChildren(
      ...matching.slice(0, MAX_FILE_ROWS).map((file) => {
        const row = el('tr', undefined, { 'data-file': file.path, 'data-holder': file.peer });
        row.append(
          el('td', file.peer),
          el('td', file.name, { title: file.path }),
          el('td', size(file.size)),
          el('td', file.sha256.slice(0, 16), { class: 'hash', title: file.sha256 }),
        );
        return row;
      }),
    );
    const notes = [];
    if (files.size === 0) notes.push(t('noFiles'));
    if (matching.length > MAX_FILE_ROWS) notes.push(t('moreFiles', { count: matching.length - MAX_FILE_ROWS }));
    if (filesCapped) notes.push(t('filesCapped', { count: files.size }));
    $('files-note').textContent = notes.join(' · ');
  }

  function feedText(entry) {
    switch (entry.type) {
      case 'peer-joined':
        return t('peerJoined', { peer: entry.peer });
      case 'peer-left':
        return t('peerLeft', { peer: entry.peer });
      case 'peer-expired':
        return t('peerExpired', { peer: entry.peer });
      case 'file-registered':
        return t('fileRegistered', { name: entry.name, peer: entry.peer });
      case 'file-unregistered':
        return t('fileUnregistered', { name: entry.name, peer: entry.peer });
      case 'transfer-started':
        return t('transferStarted', { downloader: entry.transfer.downloader, name: entry.transfer.name, holder: entry.transfer.holder });
      case 'transfer-ended':
        return t('transferEnded', {
          downloader: entry.transfer.downloader,
          name: entry.transfer.name,
          state: t(entry.transfer.state === 'done' ? 'transferDone' : 'transferFailed'),
        });
      default:
        return entry.type;
    }
  }

  function drawFeed() {
    $('feed').replaceChildren(
      ...feed
        .slice(-MAX_FEED)
        .reverse()
        .map((entry) => {
          const item = el('li', undefined, { 'data-type': entry.type });
          item.append(el('time', clockTime(entry.at)), document.createTextNode(feedText(entry)));
          return item;
        }),
    );
  }

  const source = new EventSource('/events');
  source.addEventListener('snapshot', (event) => {
    reset(JSON.parse(event.data));
    schedule();
  });
  source.addEventListener('change', (event) => {
    apply(JSON.parse(event.data));
    schedule();
  });
  source.addEventListener('open', () => {
    $('connection').dataset.state = 'live';
    $('connection').textContent = t('live');
  });
  source.addEventListener('error', () => {
    $('connection').dataset.state = 'reconnecting';
    $('connection').textContent = t('reconnecting');
  });
  $('filter').addEventListener('input', schedule);
  // Ages of the last beats move on by themselves.
  setInterval(schedule, 500);
})();

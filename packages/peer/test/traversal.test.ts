/**
 * Traversal suite (issue 7, item 3; DESIGN.md §5): every way a request could reach a file
 * that was not shared, and every way a name from the network could write outside the
 * downloads folder or over an existing file. All refused.
 *
 * FileService side, against real peers started through support/network.ts:
 * - `open` runs with `requireTickets: false`, so the path and hash checks stand alone
 *   there: each hostile request must be refused by them, with the exact code;
 * - `alice` requires tickets (the default). The same hostile requests carry a valid
 *   ticket for a file she really shares (obtained through a raw registry session): the
 *   ticket names the exact registered path and hash, so it never covers a hostile path;
 * - the registered file swapped or changed on disk after registration is asked by its
 *   exact path (and by its hash) with a ticket that is valid for it: only the pre-send
 *   re-checks (lstat, O_NOFOLLOW, fstat, inode/size/mtime, re-hash) stand in the way.
 * Every refusal: the expected code, no header, not one byte.
 *
 * Downloader side: names that would leave the downloads folder or overwrite a file, given
 * straight to the downloader or registered at the registry by a hostile holder. Nothing
 * outside the downloads folder changes; nothing inside it but the new file.
 */
import { status } from '@grpc/grpc-js';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Reason, type DownloadResponse } from '@kompart/protocol';
import { FileServiceClient } from '@kompart/grpc/testing';
import { fromServiceError } from '@kompart/grpc';
import { createDownloader } from '../src/transfer/download-file';
import { grpcDownloadSource } from '../src/transfer/grpc-download-source';
import type { Peer } from '../src/index';
import { CALM_PRESENCE, startNetwork, type TestNetwork } from './support/network';
import { encodeDownloadRequest, rawFileClient, type RawOutcome, type RawRequestFields } from './support/raw-file-client';
import { rawSession, type RawSession } from './support/raw-session';
import { startScriptedHolder, type ScriptedHolder } from './support/scripted-holder';
import { makeTempDir, type TempDir } from './support/temp-dir';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const isRoot = process.getuid?.() === 0;
/** One mtime for files that must look alike to a size + mtime check (whole seconds: exact in utimes). */
const SAME_MTIME = 1_600_000_000;

/** The files the FileService cases are about, known once the network is up. */
interface Layout {
  readonly root: string;
  /** Shared by alice and open. */
  readonly song: string;
  readonly songSha: string;
  /** Shared by alice and open, under an NFC name. */
  readonly cafe: string;
  readonly cafeSha: string;
  /** Never shared: what an attacker is after. */
  readonly secret: string;
  readonly secretSha: string;
  /** Shared by bob only. */
  readonly bobFile: string;
  readonly bobSha: string;
}

type Expected = [code: status, reason: string];
const INVALID: Expected = [status.INVALID_ARGUMENT, Reason.INVALID_ARGUMENT];
const UNAVAILABLE: Expected = [status.NOT_FOUND, Reason.FILE_UNAVAILABLE];

/** [label, request built from the layout, what a peer without tickets must answer]. */
const HOSTILE_REQUESTS: [string, (l: Layout) => RawRequestFields, Expected][] = [
  ['.. out of a shared folder', (l) => ({ path: `${l.root}/shared/../outside/secret.txt` }), INVALID],
  ['.. up to /etc/passwd', (l) => ({ path: `${l.root}/shared/../../../../../../etc/passwd` }), INVALID],
  ['/.. at the root', () => ({ path: '/../etc/passwd' }), INVALID],
  ['a trailing ..', (l) => ({ path: `${l.root}/shared/..` }), INVALID],
  ['/./ inside the registered path', (l) => ({ path: `${l.root}/shared/./song.txt` }), INVALID],
  ['a relative path with ..', () => ({ path: '../outside/secret.txt' }), INVALID],
  ['the registered path made relative', (l) => ({ path: l.song.slice(1) }), INVALID],
  ['a bare file name', () => ({ path: 'song.txt' }), INVALID],
  ['a path with backslash separators only', (l) => ({ path: `${l.root.replaceAll('/', '\\')}\\shared\\..\\outside\\secret.txt` }), INVALID],
  ['a NUL byte after the registered path', (l) => ({ path: `${l.song}\u0000../../secret.txt` }), INVALID],
  ['a NUL byte alone', () => ({ path: '\u0000' }), INVALID],
  ['a path longer than PATH_MAX', () => ({ path: '/' + 'a'.repeat(5000) }), INVALID],
  ['a 1 MiB path', () => ({ path: '/' + 'x/'.repeat(512 * 1024) }), INVALID],
  ['a hash that is not 64 hex digits', () => ({ sha256: 'g'.repeat(64) }), INVALID],
  ['a hash with a NUL byte', (l) => ({ sha256: `${l.songSha.slice(0, 63)}\u0000` }), INVALID],
  ['neither path nor hash', () => ({}), INVALID],
  ['an absolute unregistered path (/etc/passwd)', () => ({ path: '/etc/passwd' }), UNAVAILABLE],
  ['the outside file by its absolute path', (l) => ({ path: l.secret }), UNAVAILABLE],
  ['the outside file by its hash', (l) => ({ sha256: l.secretSha }), UNAVAILABLE],
  ['the registered hash with an outside path', (l) => ({ sha256: l.songSha, path: l.secret }), UNAVAILABLE],
  ['backslashes after a shared folder', (l) => ({ path: `${l.root}/shared/..\\outside\\secret.txt` }), UNAVAILABLE],
  ['URL-encoded %2e%2e/', (l) => ({ path: `${l.root}/shared/%2e%2e/outside/secret.txt` }), UNAVAILABLE],
  ['URL-encoded ..%2f', (l) => ({ path: `${l.root}/shared/..%2foutside%2fsecret.txt` }), UNAVAILABLE],
  ['fully URL-encoded and absolute', () => ({ path: '/%2e%2e%2f%2e%2e%2fetc%2fpasswd' }), UNAVAILABLE],
  ['double URL-encoding', (l) => ({ path: `${l.root}/shared/%252e%252e%252foutside/secret.txt` }), UNAVAILABLE],
  ['fullwidth ．．／', (l) => ({ path: `${l.root}/shared/．．／outside/secret.txt` }), UNAVAILABLE],
  ['U+2215 division slash', (l) => ({ path: `${l.root}/shared/..\u2215..\u2215outside\u2215secret.txt` }), UNAVAILABLE],
  ['U+2024 one-dot leaders', (l) => ({ path: `${l.root}/shared/\u2024\u2024/outside/secret.txt` }), UNAVAILABLE],
  ['overlong UTF-8 as it looks once decoded as Latin-1', (l) => ({ path: `${l.root}/shared/\u00c0\u00ae\u00c0\u00ae/outside/secret.txt` }), UNAVAILABLE],
  [
    'overlong UTF-8 bytes (C0 AE = ".", C0 AF = "/")',
    (l) => ({ path: Buffer.concat([Buffer.from(`${l.root}/shared/`), Buffer.from([0xc0, 0xae, 0xc0, 0xae, 0xc0, 0xaf]), Buffer.from('outside/secret.txt')]) }),
    UNAVAILABLE,
  ],
  ['invalid UTF-8 in place of a registered name', (l) => ({ path: Buffer.concat([Buffer.from(`${l.root}/shared/`), Buffer.from([0xff, 0xfe])]) }), UNAVAILABLE],
  ['the NFD form of a registered NFC name', (l) => ({ path: l.cafe.normalize('NFD') }), UNAVAILABLE],
  ['the registered name in upper case', (l) => ({ path: `${l.root}/shared/SONG.TXT` }), UNAVAILABLE],
  ['a zero-width space after the registered path', (l) => ({ path: `${l.song}\u200b` }), UNAVAILABLE],
  ['a trailing slash', (l) => ({ path: `${l.song}/` }), UNAVAILABLE],
  ['a double slash', (l) => ({ path: `${l.root}/shared//song.txt` }), UNAVAILABLE],
  ['a leading double slash', (l) => ({ path: `/${l.song}` }), UNAVAILABLE],
  ['the folder holding the registered file', (l) => ({ path: `${l.root}/shared` }), UNAVAILABLE],
  ['the root folder', () => ({ path: '/' }), UNAVAILABLE],
  ['the registered file through /proc/self/root', (l) => ({ path: `/proc/self/root${l.song}` }), UNAVAILABLE],
  ['/proc/self/environ', () => ({ path: '/proc/self/environ' }), UNAVAILABLE],
  ['/dev/zero', () => ({ path: '/dev/zero' }), UNAVAILABLE],
  ['/dev/urandom', () => ({ path: '/dev/urandom' }), UNAVAILABLE],
  ['an unregistered symbolic link to the outside file', (l) => ({ path: `${l.root}/shared/link-to-secret` }), UNAVAILABLE],
  ['a long path under the limit', (l) => ({ path: `${l.root}/shared/${'a/'.repeat(1900)}song.txt` }), UNAVAILABLE],
  ['a path registered by another peer', (l) => ({ path: l.bobFile }), UNAVAILABLE],
  ['a hash only another peer shares', (l) => ({ sha256: l.bobSha }), UNAVAILABLE],
];

describe('FileService: requests for anything but a registered file', () => {
  let net: TestNetwork;
  let alice: Peer;
  let open: Peer;
  let bob: Peer;
  let carol: RawSession;
  let layout: Layout;
  const song = randomBytes(40_000);
  const cafe = Buffer.from('café au lait');
  const secret = Buffer.from('TOP SECRET: never shared\n');
  const bobData = randomBytes(1000);

  beforeAll(async () => {
    net = await startNetwork(CALM_PRESENCE);
    alice = await net.addPeer('127.0.0.41', { plaintextTransfers: true });
    open = await net.addPeer('127.0.0.42', { plaintextTransfers: true, requireTickets: false });
    bob = await net.addPeer('127.0.0.43', { plaintextTransfers: true });
    await Promise.all([alice.registerPeer(), open.registerPeer(), bob.registerPeer()]);
    const root = net.dir.path;
    layout = {
      root,
      song: `${root}/shared/song.txt`,
      songSha: sha(song),
      cafe: `${root}/shared/caf\u00e9.txt`,
      cafeSha: sha(cafe),
      secret: `${root}/outside/secret.txt`,
      secretSha: sha(secret),
      bobFile: `${root}/bob/own.txt`,
      bobSha: sha(bobData),
    };
    for (const folder of ['shared', 'outside', 'bob']) mkdirSync(net.dir.join(folder));
    writeFileSync(layout.song, song);
    writeFileSync(layout.cafe, cafe);
    writeFileSync(layout.secret, secret);
    writeFileSync(layout.bobFile, bobData);
    symlinkSync(layout.secret, `${root}/shared/link-to-secret`);
    for (const peer of [alice, open]) {
      await peer.registerPath(layout.song);
      await peer.registerPath(layout.cafe);
    }
    await bob.registerPath(layout.bobFile);
    carol = await rawSession(net.registry.target, '127.0.0.44');
  });

  afterAll(async () => {
    carol.close();
    await net.close();
  });

  async function ask(peer: Peer, fields: RawRequestFields): Promise<RawOutcome> {
    const client = rawFileClient(peer.fileServiceTarget);
    try {
      return await client.download(encodeDownloadRequest(fields));
    } finally {
      client.close();
    }
  }

  function expectRefused(outcome: RawOutcome, [code, reason]: Expected): void {
    expect({ code: outcome.code, reason: outcome.error?.reason }).toEqual({ code, reason });
    expect(outcome.header).toBeUndefined();
    expect(outcome.messages).toBe(0);
    expect(outcome.data.length).toBe(0);
  }

  const ticketFor = async (holder: Peer, file: string): Promise<Uint8Array> => (await carol.locate(holder.id, file)).ticket;

  it('serves the registered files themselves (the control: what is refused below is refused for its content)', async () => {
    const ticket = await ticketFor(alice, layout.song);
    expect((await ask(alice, { path: layout.song, ticket })).data.equals(song)).toBe(true);
    expect((await ask(alice, { sha256: layout.songSha.toUpperCase(), ticket })).data.equals(song)).toBe(true);
    expect((await ask(alice, { path: layout.cafe, ticket: await ticketFor(alice, layout.cafe) })).data.equals(cafe)).toBe(true);
    expect((await ask(open, { path: layout.song })).data.equals(song)).toBe(true);
    expect((await ask(open, { path: layout.cafe })).data.equals(cafe)).toBe(true);
  });

  it.each(HOSTILE_REQUESTS)('refuses %s on the path and hash checks alone (peer without tickets)', async (_label, request, expected) => {
    expectRefused(await ask(open, request(layout)), expected);
  });

  it.each(HOSTILE_REQUESTS)('refuses %s even with a valid ticket for a shared file (ticket-checking peer)', async (_label, request) => {
    const ticket = await ticketFor(alice, layout.song);
    const outcome = await ask(alice, { ...request(layout), ticket });
    expectRefused(outcome, [status.UNAUTHENTICATED, Reason.TICKET_INVALID]);
    expect(outcome.error?.params['detail']).toBe('issued for another file');
  });

  const TICKET_CASES: [string, (l: Layout, tickets: { song: Uint8Array; bob: Uint8Array; openSong: Uint8Array }) => RawRequestFields, string][] = [
    ['a ticket for another of her files, asked by path', (l, t) => ({ path: l.cafe, ticket: t.song }), 'issued for another file'],
    ['a ticket for another of her files, asked by hash', (l, t) => ({ sha256: l.cafeSha, ticket: t.song }), 'issued for another file'],
    ["the ticket's hash with another registered path", (l, t) => ({ sha256: l.songSha, path: l.cafe, ticket: t.song }), 'issued for another file'],
    ["another holder's ticket for his own file, asked by his path", (l, t) => ({ path: l.bobFile, ticket: t.bob }), 'issued for another holder'],
    ["another holder's ticket for the same content", (l, t) => ({ path: l.song, ticket: t.openSong }), 'issued for another holder'],
    ['a ticket with one signature bit flipped', (l, t) => ({ path: l.song, ticket: flipLastBit(t.song) }), 'bad signature'],
    ['a ticket cut short', (l, t) => ({ path: l.song, ticket: t.song.subarray(0, t.song.length - 10) }), 'malformed'],
    ['no ticket at all', (l) => ({ path: l.song }), 'missing'],
  ];

  it.each(TICKET_CASES)('refuses %s', async (_label, request, detail) => {
    const tickets = { song: await ticketFor(alice, layout.song), bob: await ticketFor(bob, layout.bobFile), openSong: await ticketFor(open, layout.song) };
    const outcome = await ask(alice, request(layout, tickets));
    expectRefused(outcome, [status.UNAUTHENTICATED, Reason.TICKET_INVALID]);
    expect(outcome.error?.params['detail']).toBe(detail);
  });
});

function flipLastBit(ticket: Uint8Array): Uint8Array {
  const copy = Buffer.from(ticket);
  copy[copy.length - 1]! ^= 1;
  return copy;
}

/**
 * [label, what happens to the registered file after registration, root only]. `path` is
 * the registered file; `scratch` a folder of the case's own, outside the shared one.
 */
const SWAPS: [string, (path: string, scratch: string) => void, boolean][] = [
  ['a symbolic link to an outside file', (path, scratch) => swapIn(path, scratch, (tmp) => symlinkSync(outsideTwin(scratch, path, 'differs'), tmp)), false],
  ['a symbolic link to identical content', (path, scratch) => swapIn(path, scratch, (tmp) => symlinkSync(outsideTwin(scratch, path, 'same'), tmp)), false],
  ['a symbolic link to /dev/zero', (path, scratch) => swapIn(path, scratch, (tmp) => symlinkSync('/dev/zero', tmp)), false],
  ['a symbolic link to /dev/urandom', (path, scratch) => swapIn(path, scratch, (tmp) => symlinkSync('/dev/urandom', tmp)), false],
  [
    'a hard link to an outside file of the same size and mtime, renamed over it (only the inode differs)',
    (path, scratch) => swapIn(path, scratch, (tmp) => linkSync(outsideTwin(scratch, path, 'differs'), tmp)),
    false,
  ],
  [
    'a hard link to an outside file of another size',
    (path, scratch) =>
      swapIn(path, scratch, (tmp) => {
        writeFileSync(join(scratch, 'other'), 'something else entirely');
        linkSync(join(scratch, 'other'), tmp);
      }),
    false,
  ],
  [
    'a parent folder swapped for a symbolic link to an outside folder with a look-alike file',
    (path, scratch) => {
      const folder = dirname(path);
      const elsewhere = join(scratch, 'elsewhere');
      mkdirSync(elsewhere);
      const twin = outsideTwin(scratch, path, 'differs');
      renameSync(twin, join(elsewhere, basename(path)));
      renameSync(folder, `${folder}.old`);
      symlinkSync(elsewhere, folder);
    },
    false,
  ],
  [
    "a character device (/dev/zero's numbers) renamed over it",
    (path, scratch) => swapIn(path, scratch, (tmp) => execFileSync('mknod', [tmp, 'c', '1', '5'])),
    true,
  ],
  ['a FIFO renamed over it', (path, scratch) => swapIn(path, scratch, (tmp) => execFileSync('mkfifo', [tmp])), false],
  [
    'a folder in its place',
    (path) => {
      unlinkSync(path);
      mkdirSync(path);
    },
    false,
  ],
  ['its read permissions removed', (path) => chmodSync(path, 0), false],
  ['truncated to half', (path) => truncateSync(path, lstatSync(path).size / 2), false],
  ['truncated to nothing', (path) => truncateSync(path, 0), false],
  ['grown by one byte', (path) => appendFileSync(path, 'x'), false],
  ['rewritten with other bytes', (path) => writeFileSync(path, randomBytes(lstatSync(path).size)), false],
  ['deleted', (path) => unlinkSync(path), false],
];

/** Builds the replacement at a temporary name in the same folder, then renames it over `path` (atomic). */
function swapIn(path: string, scratch: string, build: (tmp: string) => void): void {
  const tmp = join(dirname(path), `.swap-${basename(scratch)}`);
  build(tmp);
  renameSync(tmp, path);
}

/** A file outside the shared folder with the same size and mtime as `path`, and the same or other bytes. */
function outsideTwin(scratch: string, path: string, content: 'same' | 'differs'): string {
  const twin = join(scratch, 'twin');
  const bytes = readFileSync(path);
  if (content === 'differs') bytes[0]! ^= 0xff;
  writeFileSync(twin, bytes);
  utimesSync(twin, SAME_MTIME, SAME_MTIME);
  return twin;
}

describe('FileService: a registered file swapped or changed after registration', () => {
  let net: TestNetwork;
  let alice: Peer;
  let carol: RawSession;
  let index = 0;

  beforeAll(async () => {
    net = await startNetwork(CALM_PRESENCE);
    alice = await net.addPeer('127.0.0.41', { plaintextTransfers: true, chunkBytes: 16 * 1024 });
    await alice.registerPeer();
    carol = await rawSession(net.registry.target, '127.0.0.44');
  });

  afterAll(async () => {
    carol.close();
    await net.close();
  });

  /** A fresh registered file of its own folder, its content, and a scratch folder outside. */
  async function registerVictim(size = 30_000): Promise<{ path: string; scratch: string; data: Buffer }> {
    index += 1;
    const folder = net.dir.join(`victim-${index}`, 'shared');
    const scratch = net.dir.join(`victim-${index}`, 'scratch');
    mkdirSync(folder, { recursive: true });
    mkdirSync(scratch);
    const path = join(folder, 'file.bin');
    const data = randomBytes(size);
    writeFileSync(path, data);
    utimesSync(path, SAME_MTIME, SAME_MTIME);
    await alice.registerPath(path);
    return { path, scratch, data };
  }

  async function ask(fields: RawRequestFields): Promise<RawOutcome> {
    const client = rawFileClient(alice.fileServiceTarget);
    try {
      return await client.download(encodeDownloadRequest(fields));
    } finally {
      client.close();
    }
  }

  for (const [label, mutate, needsRoot] of SWAPS) {
    const run = needsRoot && !isRoot ? it.skip : it;
    run(`refuses the registered path once ${label}, by path and by hash, with a valid ticket`, async () => {
      const victim = await registerVictim();
      const { ticket } = await carol.locate(alice.id, victim.path);
      expect((await ask({ path: victim.path, ticket })).data.equals(victim.data)).toBe(true); // served before the change
      mutate(victim.path, victim.scratch);
      for (const request of [
        { path: victim.path, ticket },
        { sha256: sha(victim.data), ticket },
      ]) {
        const outcome = await ask(request);
        expect({ code: outcome.code, reason: outcome.error?.reason }).toEqual({ code: status.NOT_FOUND, reason: Reason.FILE_UNAVAILABLE });
        expect(outcome.header).toBeUndefined();
        expect(outcome.data.length).toBe(0);
      }
    });
  }

  it('stops with FILE_UNAVAILABLE (not INTERNAL) when the file shrinks while it is being sent', async () => {
    const victim = await registerVictim(4 * 1024 * 1024);
    const { ticket } = await carol.locate(alice.id, victim.path);
    // The generated client's default flow-control window (64 KiB) holds the server back
    // while this client is paused, so most of the file is still unread when it shrinks.
    const client = new FileServiceClient(alice.fileServiceTarget, credentials.createInsecure());
    try {
      const call = client.download({ sha256: '', path: victim.path, offset: 0, ticket: Buffer.from(ticket), sealedStream: false });
      let received = 0;
      const ended = new Promise<unknown>((resolve) => {
        call.on('error', resolve);
        call.on('end', () => resolve(undefined));
      });
      await new Promise<void>((resolve) =>
        call.once('data', (first: DownloadResponse) => {
          expect(first.payload?.$case).toBe('header');
          call.pause();
          truncateSync(victim.path, 1024);
          resolve();
        }),
      );
      call.on('data', (message: DownloadResponse) => {
        if (message.payload?.$case === 'chunk') received += message.payload.value.length;
      });
      call.resume();
      const error = await ended;
      expect((error as { code?: number } | undefined)?.code).toBe(status.NOT_FOUND);
      expect(fromServiceError(error)).toMatchObject({ reason: Reason.FILE_UNAVAILABLE });
      expect(received).toBeLessThan(victim.data.length);
    } finally {
      client.close();
    }
  });
});

/** Everything under `root` (but `skip`): type, size, mtime, inode and content hash, or a link's target. */
function snapshot(root: string, skip: string[] = []): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (skip.includes(path)) continue;
      const stats = lstatSync(path, { bigint: true });
      const key = relative(root, path);
      if (stats.isSymbolicLink()) found.set(key, `link -> ${readlinkSync(path)}`);
      else if (stats.isDirectory()) {
        found.set(key, 'folder');
        walk(path);
      } else found.set(key, `file ${stats.size} ${stats.mtimeNs} ${stats.ino} ${sha(readFileSync(path))}`);
    }
  };
  walk(root);
  return found;
}

/** `after` is `before` plus exactly the entries named in `added`. */
function expectOnlyAdded(before: Map<string, string>, after: Map<string, string>, added: string[]): void {
  const expected = new Map(before);
  for (const key of added) expected.set(key, after.get(key) ?? 'missing');
  expect(Object.fromEntries(after)).toEqual(Object.fromEntries(expected));
  for (const key of added) expect(before.has(key)).toBe(false);
}

/** A safe base name: one component, no control or bidi characters, not hidden, not empty. */
function expectSafeName(name: string): void {
  expect(name.length).toBeGreaterThan(0);
  expect(name).not.toMatch(/[/\\\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  expect(name.startsWith('.')).toBe(false);
  expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
}

const HOSTILE_NAMES: [string, string][] = [
  ['../../', '../../escaped.txt'],
  ['../../../', '../../../escaped.txt'],
  ['.. in the middle', 'a/../../escaped.txt'],
  ['an absolute path into the sandbox', '<sandbox>/abs.txt'],
  ['an absolute path elsewhere', '/abs/x'],
  ['..', '..'],
  ['.', '.'],
  ['empty', ''],
  ['only dots', '...'],
  ['only spaces', '   '],
  ['a/b', 'a/b'],
  ['a\\b', 'a\\b'],
  ['..\\..\\', '..\\..\\escaped.txt'],
  ['a NUL byte', 'x\u0000y.txt'],
  ['only a NUL byte', '\u0000'],
  ['terminal escapes', '\u001b[31mred\u001b[0m.txt'],
  ['a newline', 'line\nbreak.txt'],
  ['a C1 control character', 'next\u0085line.txt'],
  ['a right-to-left override', '\u202etxt.exe'],
  ['a hidden file', '.bashrc'],
  ['a hidden file in a hidden folder', './.ssh/authorized_keys'],
  ['fullwidth ．．／', '．．／escaped.txt'],
  ['a 1000-character name', 'x'.repeat(1000) + '.txt'],
  ['a long multi-byte name', 'é'.repeat(300)],
  ['an existing file', 'report.txt'],
  ['an existing file through ../downloads/', '../downloads/report.txt'],
  ['an existing symbolic link', 'link.txt'],
];

describe('downloader: names that come from the network', () => {
  let sandbox: TempDir;
  let downloads: string;
  let holder: ScriptedHolder;

  beforeAll(async () => {
    sandbox = makeTempDir('kompart-names-');
    downloads = sandbox.join('deep', 'er', 'downloads');
    mkdirSync(downloads, { recursive: true });
    writeFileSync(join(downloads, 'report.txt'), "the user's own report");
    writeFileSync(join(downloads, 'report (1).txt'), 'an older download');
    writeFileSync(sandbox.join('target.txt'), 'a file outside the downloads folder');
    symlinkSync(sandbox.join('target.txt'), join(downloads, 'link.txt'));
    utimesSync(join(downloads, 'report.txt'), SAME_MTIME, SAME_MTIME);
    holder = await startScriptedHolder('127.0.0.45');
  });

  afterAll(() => {
    holder.close();
    sandbox.remove();
  });

  async function fetch(name: string, content: Buffer) {
    holder.serve(content);
    const sha256 = sha(content);
    const downloader = createDownloader({ downloadsDir: downloads });
    const source = grpcDownloadSource({ address: holder.target, holder: holder.target, sha256, name });
    return downloader.download({ name, sha256, size: content.length, holder: holder.target }, source);
  }

  it.each(HOSTILE_NAMES)('keeps a file named with %s inside the downloads folder, overwriting nothing', async (_label, raw) => {
    const name = raw.replace('<sandbox>', sandbox.path);
    const content = randomBytes(2000);
    const before = snapshot(sandbox.path);
    const result = await fetch(name, content);
    expect(result.status).toBe('downloaded');
    expect(dirname(result.path)).toBe(downloads);
    expectSafeName(basename(result.path));
    expect(readFileSync(result.path).equals(content)).toBe(true);
    expectOnlyAdded(before, snapshot(sandbox.path), [relative(sandbox.path, result.path)]);
    expect(existsSync('/abs')).toBe(false);
  });

  it('never writes into the part file of another download, whatever a name says', async () => {
    const movie = randomBytes(200_000);
    const partName = `movie.bin.${sha(movie).slice(0, 16)}.part`;
    // What an interrupted download of the movie leaves.
    writeFileSync(join(downloads, partName), movie.subarray(0, 50_000));
    const before = snapshot(sandbox.path);
    const impostor = await fetch(partName, randomBytes(3000));
    expect(impostor.path).not.toBe(join(downloads, partName));
    expectSafeName(basename(impostor.path));
    expectOnlyAdded(before, snapshot(sandbox.path), [relative(sandbox.path, impostor.path)]);
    // The real download still resumes from its own part file and verifies.
    const resumed = await fetch('movie.bin', movie);
    expect(resumed).toMatchObject({ status: 'downloaded', resumedFrom: 50_000, path: join(downloads, 'movie.bin') });
    expect(readFileSync(resumed.path).equals(movie)).toBe(true);
    expect(existsSync(join(downloads, partName))).toBe(false);
  });

  it('never takes a finished download named like a part file for a part file', async () => {
    const song = randomBytes(100_000);
    const lookalike = `song.bin.${sha(song).slice(0, 16)}.part`;
    const first = await fetch(lookalike, randomBytes(30_000));
    const before = snapshot(sandbox.path);
    const later = await fetch('song.bin', song);
    expect(later).toMatchObject({ status: 'downloaded', resumedFrom: 0 });
    expect(readFileSync(later.path).equals(song)).toBe(true);
    // The earlier download is untouched: not resumed into, truncated or deleted.
    expectOnlyAdded(before, snapshot(sandbox.path), [relative(sandbox.path, later.path)]);
    expect(existsSync(first.path)).toBe(true);
  });
});

describe('downloader: hostile names registered at the registry', () => {
  let net: TestNetwork;
  let bob: Peer;
  let holder: ScriptedHolder;
  let liar: RawSession;

  beforeAll(async () => {
    net = await startNetwork(CALM_PRESENCE);
    bob = await net.addPeer('127.0.0.47', { plaintextTransfers: true });
    await bob.registerPeer();
    holder = await startScriptedHolder('127.0.0.46');
    liar = await rawSession(net.registry.target, holder.target);
    mkdirSync(bob.downloadsDir, { recursive: true });
    writeFileSync(join(bob.downloadsDir, 'report.txt'), "bob's own report");
  });

  afterAll(async () => {
    liar.close();
    holder.close();
    await net.close();
  });

  // Names the registry accepts in a registered path (it refuses C0 controls, `.`, `..`).
  it.each([
    ['backslashes', '/srv/..\\..\\escaped.txt'],
    ['a right-to-left override', '/srv/\u202egnp.exe'],
    ['a C1 control character', '/srv/next\u0085line.txt'],
    ['a hidden name', '/srv/.bashrc'],
    ['only dots and spaces', '/srv/. .'],
    ['the name of a file bob has', '/srv/report.txt'],
    ['a part-file name', '/srv/report.txt.0123456789abcdef.part'],
  ])("get file keeps a file registered with %s inside bob's downloads, overwriting nothing", async (_label, path) => {
    const content = randomBytes(5000);
    holder.serve(content, basename(path));
    await liar.registerFile({ path, sha256: sha(content), size: content.length });
    const before = snapshot(dirname(bob.downloadsDir), [join(dirname(bob.downloadsDir), 'cache')]);
    const result = await bob.getFile(`${liar.peer}/${sha(content)}`);
    expect(dirname(result.path)).toBe(bob.downloadsDir);
    expectSafeName(basename(result.path));
    expect(readFileSync(result.path).equals(content)).toBe(true);
    expectOnlyAdded(before, snapshot(dirname(bob.downloadsDir), [join(dirname(bob.downloadsDir), 'cache')]), [
      relative(dirname(bob.downloadsDir), result.path),
    ]);
  });
});

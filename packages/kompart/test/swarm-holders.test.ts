/**
 * Swarm downloads by a real `kompart` peer from holders written in the test (see
 * support/piece-holder.ts), each made to misbehave in one way: a hostile holder that
 * serves wrong bytes for some pieces (detected, named, avoided; the saved file is right);
 * pieces that arrive out of order (a holder of the first pieces held back until another
 * holder finished); holders with other piece sizes or no piece fields (the download falls
 * back to the named holder alone); and a swarm download cancelled with Ctrl-C in a real
 * terminal, then resumed from its record of verified pieces without fetching them again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, stopAll } from '../../../test/support/program';
import { startPieceHolder, type PieceHolder, type ServedRange } from './support/piece-holder';
import { KEY, Terminal } from './support/terminal';

const NET = '127.18.152';
const PIECE = 256 * 1024;
const data = randomBytes(24 * PIECE + 4321);
const hash = createHash('sha256').update(data).digest('hex');
const shared = { path: '/srv/big.bin', data };
let work: string;
let server: string;
let next = 2;
const fakes: PieceHolder[] = [];
const terminals: Terminal[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kompart-swarm-holders-'));
  server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
}, 60_000);

afterEach(async () => {
  for (const terminal of terminals.splice(0)) terminal.close();
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

const host = (): string => `${NET}.${next++}`;

async function fake(behaviour: Parameters<typeof startPieceHolder>[3] = {}): Promise<PieceHolder> {
  const holder = await startPieceHolder(server, host(), shared, behaviour);
  fakes.push(holder);
  return holder;
}

async function getter(extra: string[] = []): Promise<{ program: Program; downloads: string }> {
  const address = host();
  const downloads = join(work, 'downloads', address);
  const program = new Program([server, 'p', address, '--no-cache-dir', '--downloads', downloads, '--json', ...extra], { cwd: work, env: cleanEnv() });
  await program.run('register peer', /registrado/);
  return { program, downloads };
}

interface JsonResult {
  status: string;
  sha256: string;
  holders?: { peer: string; bytes: number; outcome: string }[];
}

async function getFile(program: Program, ref: string): Promise<JsonResult> {
  const mark = program.mark('out');
  program.send(`get file ${ref}`);
  return JSON.parse(await program.waitFor(/"type":"result".*"command":"get file"/, { from: mark, timeoutMs: 60_000 })) as JsonResult;
}

/** The pieces (of PIECE bytes) a range covers. */
const piecesOf = (range: ServedRange): number[] => {
  const out: number[] = [];
  for (let p = Math.floor(range.offset / PIECE); p * PIECE < range.offset + range.length; p++) out.push(p);
  return out;
};

it('detects a holder serving wrong bytes, names it, takes its pieces from the others, and saves the right file', async () => {
  const honest = [await fake(), await fake()];
  const liar = await fake({ corrupt: (piece) => piece % 3 === 1 });
  const { program, downloads } = await getter();
  const result = await getFile(program, `${liar.id}/big.bin`);
  expect(result).toMatchObject({ status: 'downloaded', sha256: hash });
  expect(readFileSync(join(downloads, 'big.bin')).equals(data)).toBe(true);
  expect(readdirSync(downloads)).toEqual(['big.bin']);
  const liarShare = result.holders!.find((h) => h.peer === liar.id);
  expect(liarShare?.outcome).toBe('bad-piece');
  expect(result.holders!.filter((h) => honest.some((x) => x.id === h.peer)).map((h) => h.outcome)).toEqual(['done', 'done']);
  expect(result.holders!.reduce((sum, h) => sum + h.bytes, 0)).toBe(data.length);
  // Named in its own line, in the user's language.
  expect(program.transcript()).toContain(`"message":"Peer ${liar.id} descartado: enviou um pedaço inválido"`);
  // Avoided: once it sent a bad piece, it was asked for nothing more.
  const firstBad = liar.served.findIndex((range) => piecesOf(range).some((p) => p % 3 === 1));
  expect(firstBad).toBeGreaterThanOrEqual(0);
  expect(liar.served.slice(firstBad + 1)).toEqual([]);
  await program.stop();
}, 120_000);

it('drops a holder whose piece list does not match the registered root, asks it for no bytes, and saves the right file from the others', async () => {
  const honest = [await fake(), await fake()];
  const liar = await fake({ lieAboutPieces: true });
  const { program, downloads } = await getter();
  const result = await getFile(program, `${liar.id}/big.bin`);
  expect(result).toMatchObject({ status: 'downloaded', sha256: hash });
  expect(readFileSync(join(downloads, 'big.bin')).equals(data)).toBe(true);
  expect(result.holders!.find((h) => h.peer === liar.id)).toMatchObject({ outcome: 'bad-list', bytes: 0 });
  expect(result.holders!.filter((h) => honest.some((x) => x.id === h.peer)).map((h) => h.outcome)).toEqual(['done', 'done']);
  expect(liar.served).toEqual([]);
  await program.stop();
}, 120_000);

it('saves the right file when later pieces arrive before the first ones', async () => {
  // The holder asked for the start of the file sends nothing until the other holder has
  // finished a whole request of later pieces.
  const early = await fake();
  const late = await fake({ hold: (offset) => (offset === 0 ? early.firstComplete.then(() => undefined) : undefined) });
  const { program, downloads } = await getter(['--stall-timeout', '60000']);
  const result = await getFile(program, `${late.id}/big.bin`);
  expect(result).toMatchObject({ status: 'downloaded', sha256: hash });
  expect(readFileSync(join(downloads, 'big.bin')).equals(data)).toBe(true);
  // Out of order indeed: a range of later pieces was complete before the first piece came.
  expect(late.served[0]?.offset).toBe(0);
  expect((await early.firstComplete).offset).toBeGreaterThan(0);
  await program.stop();
}, 120_000);

it.each([
  ['another piece size', { pieceSize: 1024 * 1024 }],
  ['no piece fields (an older client)', { pieceSize: 'none' as const }],
])(
  'falls back to the named holder alone when the other holders registered %s',
  async (_what, other) => {
    const named = await fake();
    const others = [await fake(other), await fake(other)];
    const { program, downloads } = await getter();
    const result = await getFile(program, `${named.id}/big.bin`);
    expect(result).toMatchObject({ status: 'downloaded', sha256: hash });
    expect(result.holders).toBeUndefined();
    expect(program.transcript()).toMatch(/"message":"Arquivo big\.bin salvo em .*, SHA-256 verificado\)"/);
    expect(readFileSync(join(downloads, 'big.bin')).equals(data)).toBe(true);
    // One whole-file request to the named holder; none to the others.
    expect(named.served.map(({ offset, length }) => [offset, length])).toEqual([[0, data.length]]);
    expect(others.flatMap((holder) => holder.served)).toEqual([]);
    await program.stop();
  },
  120_000,
);

it('falls back to the named holder alone when it registered no piece fields and no other holder agrees with another', async () => {
  const named = await fake({ pieceSize: 'none' });
  const other = await fake({ pieceSize: 'none' });
  const { program, downloads } = await getter();
  const result = await getFile(program, `${named.id}/big.bin`);
  expect(result).toMatchObject({ status: 'downloaded', sha256: hash });
  expect(result.holders).toBeUndefined();
  expect(readFileSync(join(downloads, 'big.bin')).equals(data)).toBe(true);
  expect(other.served).toEqual([]);
  await program.stop();
}, 120_000);

/** Resolves with the name of the first file in `dir` whose name ends with `suffix` (watching the folder, not polling). */
function fileAppears(dir: string, suffix: string): Promise<string> {
  return new Promise((resolve) => {
    const look = (): boolean => {
      const found = readdirSync(dir).find((name) => name.endsWith(suffix));
      if (found === undefined) return false;
      watcher.close();
      resolve(found);
      return true;
    };
    const watcher = watch(dir, look);
    look();
  });
}

it('resumes a swarm download cancelled with Ctrl-C from its record of verified pieces, fetching none of them again', async () => {
  // Two holders that send two pieces of each request and then nothing.
  const holders = [await fake({ stallAfter: 2 * PIECE }), await fake({ stallAfter: 2 * PIECE })];
  const address = host();
  const downloads = join(work, 'downloads', address);
  const term = new Terminal([server, 'p', address, '--no-cache-dir', '--no-menu', '--downloads', downloads, '--stall-timeout', '60000'], { cwd: work });
  terminals.push(term);
  let at = await term.waitFor('kompart> ');
  term.type(`register peer${KEY.enter}`);
  at = await term.waitFor(`Peer ${address} registrado`, at);
  term.type(`get file ${hash}${KEY.enter}`);
  at = await term.waitFor('Baixando big.bin de ', at);
  await Promise.all(holders.map((holder) => holder.stalledRequests(1)));
  // The record (`<part>.pieces`) is written as soon as a first piece is verified, and again on cancelling.
  const recordName = await fileAppears(downloads, '.part.pieces');
  term.type(KEY.ctrlC);
  at = await term.waitFor('Download de big.bin cancelado; o parcial foi mantido para retomar', at);
  expect(existsSync(join(downloads, 'big.bin'))).toBe(false);
  const record = JSON.parse(readFileSync(join(downloads, recordName), 'utf8')) as { pieceSize: number; done: string };
  expect(record.pieceSize).toBe(PIECE);
  const bits = Buffer.from(record.done, 'base64');
  const verified = [...Array(Math.ceil(data.length / PIECE)).keys()].filter((p) => ((bits[p >> 3]! >> (p & 7)) & 1) === 1);
  expect(verified.length).toBeGreaterThan(0);

  // The holders serve fully now; the download resumes and fetches only what was missing.
  const before = holders.map((holder) => holder.served.length);
  for (const holder of holders) holder.behave({});
  term.type(`get file ${hash}${KEY.enter}`);
  at = await term.waitFor(/Retomando big\.bin de .* a partir de /, at);
  await term.waitFor(/Arquivo big\.bin salvo em .*cada pedaço e o SHA-256 verificados\)/, at, 60_000);
  expect(readFileSync(join(downloads, 'big.bin')).equals(data)).toBe(true);
  expect(readdirSync(downloads)).toEqual(['big.bin']);
  const fetchedAgain = holders.flatMap((holder, i) => holder.served.slice(before[i]).flatMap(piecesOf));
  expect(fetchedAgain.length).toBeGreaterThan(0);
  expect(fetchedAgain.filter((p) => verified.includes(p))).toEqual([]);
  term.type(`exit${KEY.enter}`);
  await term.exited;
}, 120_000);

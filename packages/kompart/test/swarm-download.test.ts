/**
 * Swarm downloads between real `kompart` processes: three holders of one file, each in
 * turn killed (SIGKILL) or stopped (SIGSTOP) mid-transfer; `get file <hash>` with no
 * holder named; `--single-source`; `--json` results with every holder's share.
 *
 * "Mid-transfer" without timing: once the downloader says the download started (its first
 * bytes arrived, not all of them), the downloader itself is frozen (SIGSTOP), so nothing
 * moves while the victim is killed or stopped; then it carries on (SIGCONT).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Program, cleanEnv, freePort, stopAll } from '../../../test/support/program';

const NET = '127.18.151';
const data = randomBytes(48 * 1024 * 1024 + 777);
const hash = createHash('sha256').update(data).digest('hex');
let work: string;
let server: string;
let file: string;
let next = 2;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kompart-swarm-'));
  mkdirSync(join(work, 'share'));
  file = join(work, 'share', 'big.bin');
  writeFileSync(file, data);
  server = `${NET}.1:${await freePort(`${NET}.1`)}`;
  const registry = new Program([server, 's']);
  await registry.waitFor(/ouvindo em/);
}, 60_000);

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

async function startPeer(extra: string[] = []): Promise<{ program: Program; address: string; downloads: string }> {
  const last = next++;
  const address = `${NET}.${last}:${await freePort(`${NET}.${last}`)}`;
  const downloads = join(work, 'downloads', String(last));
  const program = new Program([server, 'p', address, '--no-cache-dir', '--downloads', downloads, ...extra], { cwd: work, env: cleanEnv() });
  await program.run('register peer', /registrado|registered/);
  return { program, address, downloads };
}

async function startHolders(): Promise<{ program: Program; address: string }[]> {
  const holders = await Promise.all([startPeer(), startPeer(), startPeer()]);
  for (const holder of holders) await holder.program.run(`register file ${file}`, /registrado \(/, { timeoutMs: 60_000 });
  return holders;
}

describe('get file from every holder at once', () => {
  it.each([
    [0, 'SIGKILL'],
    [1, 'SIGKILL'],
    [2, 'SIGKILL'],
    [0, 'SIGSTOP'],
    [1, 'SIGSTOP'],
    [2, 'SIGSTOP'],
  ] as const)(
    'saves the verified file when holder %i gets %s mid-transfer',
    async (victim, signal) => {
      const holders = await startHolders();
      const getter = await startPeer(['--json', '--stall-timeout', '1500']);
      const mark = getter.program.mark('out');
      getter.program.send(`get file ${holders[0]!.address}/big.bin`);
      await getter.program.waitFor(/"message":"Baixando big\.bin de /, { from: mark, timeoutMs: 30_000 });
      getter.program.signal('SIGSTOP');
      holders[victim]!.program.signal(signal);
      getter.program.signal('SIGCONT');
      const line = await getter.program.waitFor(/"status":"downloaded"/, { from: mark, timeoutMs: 60_000 });
      const result = JSON.parse(line) as { holders: { peer: string; bytes: number; outcome: string }[]; sha256: string };
      expect(result.sha256).toBe(hash);
      expect(readFileSync(join(getter.downloads, 'big.bin')).equals(data)).toBe(true);
      expect(readdirSync(getter.downloads)).toEqual(['big.bin']);
      expect(result.holders.map((h) => h.peer).sort()).toEqual(holders.map((h) => h.address).sort());
      expect(result.holders.reduce((sum, h) => sum + h.bytes, 0)).toBe(data.length);
      // The others finished it; the victim was dropped, or its pieces were taken over from it.
      expect(result.holders.filter((_, index) => index !== victim).map((h) => h.outcome)).toEqual(['done', 'done']);
      // Killed: its stream broke (left). Stopped: silent for the stall timeout (stalled), or
      // its last pieces were taken over before that (done, with less than its share).
      if (signal === 'SIGKILL') expect(result.holders[victim]!.outcome).toBe('left');
      else expect(['stalled', 'done']).toContain(result.holders[victim]!.outcome);
      const outcome = result.holders[victim]!.outcome;
      if (outcome !== 'done') {
        expect(getter.program.transcript()).toContain(`"event":"holder-dropped","peer":"${holders[victim]!.address}","outcome":"${outcome}"`);
      }
      if (signal === 'SIGSTOP') holders[victim]!.program.signal('SIGCONT');
      await Promise.all([...holders.map((h) => h.program.stop()), getter.program.stop()]);
    },
    120_000,
  );

  it('gets a file by its hash alone, says how many holders sent how much, and --single-source takes one', async () => {
    const holders = await startHolders();
    const getter = await startPeer(['--lang', 'en']);
    const done = (await getter.program.run(`get file ${hash.slice(0, 12)}`, /saved as/, { timeoutMs: 60_000 })).at(-1);
    expect(done).toMatch(
      new RegExp(
        `^File big\\.bin saved as .*big\\.bin \\(48\\.0 MiB in .*, from [1-3] peers: ${NET.replace(/\./g, '\\.')}\\.\\d+:\\d+ .*; every piece and the SHA-256 verified\\)$`,
      ),
    );
    expect(readFileSync(join(getter.downloads, 'big.bin')).equals(data)).toBe(true);
    const single = await startPeer(['--lang', 'en', '--single-source']);
    const alone = (await single.program.run(`get file ${holders[1]!.address}/big.bin`, /saved as/, { timeoutMs: 60_000 })).at(-1);
    expect(alone).toMatch(/^File big\.bin saved as .*\(48\.0 MiB in .*, SHA-256 verified\)$/);
    await Promise.all([...holders.map((h) => h.program.stop()), getter.program.stop(), single.program.stop()]);
  }, 120_000);
});

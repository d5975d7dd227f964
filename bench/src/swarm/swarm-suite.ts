import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, type BenchContext } from '../lib/context.js';
import type { Row } from '../lib/report.js';
import { medianOf, spread } from '../lib/stats.js';
import { KompartProcess } from './kompart-process.js';

/**
 * Issue 18 item 6: swarm downloads between real `kompart` processes.
 *
 * - Network namespaces (as root): a registry, a downloader and five holders, each on its own
 *   host of a bridged /24, every holder's link shaped to RATE_MBIT with `tc tbf` (its egress,
 *   where the file's bytes leave it). `get file <hash>` with 1, 2, 3 and 5 holders online,
 *   alternated round by round; the figure is the download rate against the one-holder rate
 *   of the same run (target 0.8 x N). The downloader's peak RSS over every run is its own row
 *   (target < 150 MB).
 * - Loopback, one holder: `get file <holder>/<name>` by a peer with the swarm on (the
 *   default: LocateHolders, then the pieces path when two holders agree, else the holder
 *   alone) against a peer with --single-source, alternated (target >= 0.95x). Two holders,
 *   swarm against single-source, as a note (CPU-bound on a shared 2-core machine).
 */
const RATE_MBIT = 100;
const SUBNET = '10.78.0';
const LOOPBACK = '127.18.200';

/** The peers' identities (made on first start) in the run's folder, not in ~/.local/state. */
const stateHome = (dir: string): NodeJS.ProcessEnv => ({ XDG_STATE_HOME: join(dir, 'state') });

interface Run {
  readonly ms: number;
  /** MiB/s from the downloader's own result (bytes moved over its duration). */
  readonly mibps: number;
  /** Downloader CPU (ms) for the run. */
  readonly cpuMs: number;
  readonly senders: number;
}

export async function runSwarmSuite(context: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const rounds = context.rounds ?? (context.quick ? 2 : 3);
  const dir = join(context.tmpDir, `swarm-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    if (process.getuid?.() === 0 && hasNetns()) rows.push(...(await namespaces(context, dir, rounds)));
    else context.log('swarm: not root or no `ip netns`: the rate-limited multi-holder figures are skipped');
    rows.push(...(await loopback(context, dir, rounds)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function hasNetns(): boolean {
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    execFileSync('tc', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function writeSource(dir: string, bytes: number): { path: string; sha256: string } {
  const path = join(dir, 'swarm-source.bin');
  const hash = createHash('sha256');
  const block = 16 * 1024 * 1024;
  writeFileSync(path, '');
  for (let at = 0; at < bytes; at += block) {
    const chunk = randomBytes(Math.min(block, bytes - at));
    hash.update(chunk);
    writeFileSync(path, chunk, { flag: 'a' });
  }
  return { path, sha256: hash.digest('hex') };
}

/** A peer with its file registered (`register peer`, `register file`), kept online or taken off. */
class Holder {
  online = false;
  constructor(
    readonly program: KompartProcess,
    private readonly path: string,
  ) {}

  async setOnline(online: boolean): Promise<void> {
    if (online === this.online) return;
    const mark = this.program.mark();
    if (online) {
      this.program.send('register peer');
      await this.program.waitFor(/"type":"result".*"command":"register peer"/, mark);
      const next = this.program.mark();
      this.program.send(`register file ${this.path}`);
      await this.program.waitFor(/"type":"result".*"command":"register file"/, next);
    } else {
      this.program.send('disconnect');
      await this.program.waitFor(/"type":"result".*"command":"disconnect"/, mark);
    }
    this.online = online;
  }
}

async function download(getter: KompartProcess, ref: string, downloaded: string): Promise<Run> {
  rmSync(downloaded, { force: true });
  const cpu = getter.cpuMs();
  const mark = getter.mark();
  getter.send(`get file ${ref}`);
  const line = await getter.waitFor(/"type":"(result|error)".*"command":"get file"|"type":"error"/, mark);
  const result = JSON.parse(line) as { status?: string; durationMs: number; bytesPerSecond: number; holders?: { bytes: number }[] };
  if (result.status !== 'downloaded') throw new Error(`get file ${ref} failed: ${line}`);
  return {
    ms: result.durationMs,
    mibps: result.bytesPerSecond / 2 ** 20,
    cpuMs: getter.cpuMs() - cpu,
    senders: result.holders?.filter((h) => h.bytes > 0).length ?? 1,
  };
}

const describeRun = (run: Run): string =>
  `${run.mibps.toFixed(1)} MiB/s in ${(run.ms / 1000).toFixed(2)} s from ${run.senders}, ${(run.cpuMs / 1000).toFixed(2)} CPU-s`;

async function namespaces(context: BenchContext, dir: string, rounds: number): Promise<Row[]> {
  const bytes = (context.quick ? 64 : 256) * 2 ** 20;
  const source = writeSource(dir, bytes);
  const tag = String(process.pid);
  const sw = `kbsw-${tag}`;
  const names = ['reg', 'get', 'h1', 'h2', 'h3', 'h4', 'h5'];
  const created: string[] = [];
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const programs: KompartProcess[] = [];
  try {
    ip('netns', 'add', sw);
    created.push(sw);
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', sw, 'link', 'set', 'br0', 'up');
    const address = new Map<string, string>();
    names.forEach((name, index) => {
      const ns = `kb-${tag}-${name}`;
      const hostEnd = `kbh${tag}${index}`.slice(0, 15);
      const port = `kbs${tag}${index}`.slice(0, 15);
      ip('netns', 'add', ns);
      created.push(ns);
      ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', port);
      ip('link', 'set', hostEnd, 'netns', ns);
      ip('link', 'set', port, 'netns', sw);
      ip('-n', ns, 'link', 'set', hostEnd, 'name', 'eth0');
      ip('-n', ns, 'addr', 'add', `${SUBNET}.${10 + index}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', sw, 'link', 'set', port, 'master', 'br0');
      ip('-n', sw, 'link', 'set', port, 'up');
      if (name.startsWith('h')) {
        execFileSync('ip', [
          'netns',
          'exec',
          ns,
          'tc',
          'qdisc',
          'add',
          'dev',
          'eth0',
          'root',
          'tbf',
          'rate',
          `${RATE_MBIT}mbit`,
          'burst',
          '128kb',
          'latency',
          '50ms',
        ]);
      }
      address.set(name, `${SUBNET}.${10 + index}`);
    });
    const ns = (name: string): string => `kb-${tag}-${name}`;
    const registry = new KompartProcess([address.get('reg')!, 's'], { namespace: ns('reg'), env: stateHome(dir) });
    programs.push(registry);
    await registry.waitFor(/ouvindo em/);
    const holders: Holder[] = [];
    for (const name of ['h1', 'h2', 'h3', 'h4', 'h5']) {
      const program = new KompartProcess(
        [address.get('reg')!, 'p', address.get(name)!, '--json', '--cache-dir', join(dir, `cache-${name}`), '--downloads', join(dir, `dl-${name}`)],
        {
          namespace: ns(name),
          env: stateHome(dir),
        },
      );
      programs.push(program);
      holders.push(new Holder(program, source.path));
    }
    const downloads = join(dir, 'dl-get');
    const getter = new KompartProcess([address.get('reg')!, 'p', address.get('get')!, '--json', '--no-cache-dir', '--downloads', downloads], {
      namespace: ns('get'),
      env: stateHome(dir),
    });
    programs.push(getter);
    const mark = getter.mark();
    getter.send('register peer');
    await getter.waitFor(/"type":"result".*"command":"register peer"/, mark);
    const counts = [1, 2, 3, 5];
    context.log(`swarm: ${bytes / 2 ** 20} MiB, each holder's link ${RATE_MBIT} Mbit/s (tc tbf), ${rounds} rounds`);
    const results = await alternate(
      rounds,
      counts.map((n) => ({
        name: `${n} holders`,
        run: async () => {
          for (const [i, holder] of holders.entries()) await holder.setOnline(i < n);
          return download(getter, source.sha256, join(downloads, 'swarm-source.bin'));
        },
      })),
      context.log,
      describeRun,
    );
    const rate = (n: number): number => medianOf(results.get(`${n} holders`)!, (run) => run.mibps);
    const one = rate(1);
    const runsNote = (n: number): string => {
      const runs = results.get(`${n} holders`)!;
      const { min, max } = spread(runs, (run) => run.mibps);
      return `median of ${runs.length} (${min.toFixed(1)}–${max.toFixed(1)} MiB/s), downloader ${(medianOf(runs, (run) => run.cpuMs / run.ms) * 100).toFixed(0)} % of a core, ${medianOf(runs, (run) => run.cpuMs / 1000 / (bytes / 2 ** 30)).toFixed(1)} CPU-s/GiB`;
    };
    const rows: Row[] = [{ item: 6, figure: `swarm: 1 holder, its link ${RATE_MBIT} Mbit/s (netns, tc tbf)`, unit: 'MiB/s', kompart: one, note: runsNote(1) }];
    for (const n of [2, 3, 5]) {
      rows.push({
        item: 6,
        figure: `swarm: ${n} holders, each link ${RATE_MBIT} Mbit/s (netns)`,
        unit: 'MiB/s',
        kompart: rate(n),
        baseline: one,
        baselineName: '1 holder, same run',
        target: { on: 'ratio', op: '>=', limit: 0.8 * n, text: `>= ${(0.8 * n).toFixed(1)}x` },
        note: runsNote(n),
      });
    }
    rows.push({
      item: 6,
      figure: `swarm: downloader peak RSS over every run (${bytes / 2 ** 20} MiB, up to 5 holders)`,
      unit: 'MB',
      kompart: getter.peakRss() / 1e6,
      target: { on: 'value', op: '<', limit: 150, text: '< 150 MB' },
    });
    return rows;
  } finally {
    await Promise.all(programs.map((program) => program.stop()));
    for (const ns of created.reverse()) {
      try {
        ip('netns', 'delete', ns);
      } catch {
        // already gone
      }
    }
  }
}

async function loopback(context: BenchContext, dir: string, rounds: number): Promise<Row[]> {
  const bytes = (context.quick ? 256 : 1024) * 2 ** 20;
  const source = writeSource(dir, bytes);
  const programs: KompartProcess[] = [];
  try {
    const registryAddress = `${LOOPBACK}.1`;
    const registry = new KompartProcess([registryAddress, 's'], { env: stateHome(dir) });
    programs.push(registry);
    await registry.waitFor(/ouvindo em/);
    const holders: Holder[] = [];
    for (const n of [2, 3]) {
      const program = new KompartProcess(
        [registryAddress, 'p', `${LOOPBACK}.${n}`, '--json', '--cache-dir', join(dir, `cache-${n}`), '--downloads', join(dir, `dl-${n}`)],
        { env: stateHome(dir) },
      );
      programs.push(program);
      holders.push(new Holder(program, source.path));
    }
    const start = async (n: number, extra: string[]): Promise<{ program: KompartProcess; downloads: string }> => {
      const downloads = join(dir, `dl-${n}`);
      const program = new KompartProcess([registryAddress, 'p', `${LOOPBACK}.${n}`, '--json', '--no-cache-dir', '--downloads', downloads, ...extra], {
        env: stateHome(dir),
      });
      programs.push(program);
      const mark = program.mark();
      program.send('register peer');
      await program.waitFor(/"type":"result".*"command":"register peer"/, mark);
      return { program, downloads };
    };
    const swarm = await start(10, []);
    const single = await start(11, ['--single-source']);
    const ref = `${LOOPBACK}.2/swarm-source.bin`;
    context.log(`swarm on loopback: ${bytes / 2 ** 20} MiB, ${rounds} rounds`);
    const variants = (online: number) =>
      [
        { name: `swarm path, ${online} online`, who: swarm },
        { name: `--single-source, ${online} online`, who: single },
      ].map(({ name, who }) => ({
        name,
        run: async () => {
          for (const [i, holder] of holders.entries()) await holder.setOnline(i < online);
          return download(who.program, ref, join(who.downloads, 'swarm-source.bin'));
        },
      }));
    const one = await alternate(rounds, variants(1), context.log, describeRun);
    const two = await alternate(rounds, variants(2), context.log, describeRun);
    const rate = (results: Map<string, Run[]>, name: string): number => medianOf(results.get(name)!, (run) => run.mibps);
    const cpuNote = (results: Map<string, Run[]>, name: string): string =>
      `${medianOf(results.get(name)!, (run) => run.cpuMs / 1000 / (bytes / 2 ** 30)).toFixed(2)} CPU-s/GiB (downloader)`;
    return [
      {
        item: 6,
        figure: 'swarm on loopback, one holder: swarm path vs --single-source',
        unit: 'MiB/s',
        kompart: rate(one, 'swarm path, 1 online'),
        baseline: rate(one, '--single-source, 1 online'),
        baselineName: '--single-source',
        target: { on: 'ratio', op: '>=', limit: 0.95, text: '>= 0.95x' },
        note: `medians of ${rounds}, alternated; ${cpuNote(one, 'swarm path, 1 online')} vs ${cpuNote(one, '--single-source, 1 online')}`,
      },
      {
        item: 6,
        figure: 'swarm on loopback, two holders: swarm vs --single-source (one of them)',
        unit: 'MiB/s',
        kompart: rate(two, 'swarm path, 2 online'),
        baseline: rate(two, '--single-source, 2 online'),
        baselineName: '--single-source',
        note: `no target (every process shares the same cores); ${cpuNote(two, 'swarm path, 2 online')} vs ${cpuNote(two, '--single-source, 2 online')}`,
      },
      {
        item: 6,
        figure: `swarm on loopback: downloader peak RSS over every run (${bytes / 2 ** 20} MiB)`,
        unit: 'MB',
        kompart: swarm.program.peakRss() / 1e6,
        baseline: single.program.peakRss() / 1e6,
        baselineName: '--single-source',
        target: { on: 'value', op: '<', limit: 150, text: '< 150 MB' },
      },
    ];
  } finally {
    await Promise.all(programs.map((program) => program.stop()));
  }
}

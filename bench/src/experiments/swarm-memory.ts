import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSource } from '../swarm/swarm-suite.js';
import { KompartProcess } from '../swarm/kompart-process.js';

/**
 * Where a swarm downloader's memory goes: a registry and `--holders` peers on loopback
 * hold a 1 GiB file, a downloader started through the launcher fetches it `--rounds`
 * times from all of them, and at the peak of each download its /proc/<pid>/smaps is
 * summed by kind of mapping (glibc's main heap, V8's heap pages, node's own text, large
 * blocks). `--env NAME=VALUE` (repeatable) goes to every process, `--downloader-flags`
 * replace the launcher's node flags for the downloader only. Behind the launcher's
 * `--max-semi-space-size=1` (BENCHMARKS.md, "Swarm downloads", memory):
 *
 *   node bench/dist/experiments/swarm-memory.js [--holders 2] [--rounds 2]
 *     [--downloader-flags='--initial-old-space-size=64 --max-semi-space-size=16']
 *
 * Prints, per round: the rate, the downloader's CPU, its peak RSS and the split.
 */

const LOOPBACK = '127.18.203';
const { values } = parseArgs({
  options: {
    holders: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    env: { type: 'string', multiple: true, default: [] },
    'downloader-flags': { type: 'string' },
  },
});

/** Resident kB of each kind of mapping in an smaps text. */
function smapsSplit(text: string): Map<string, number> {
  const split = new Map<string, number>();
  let kind: string | undefined;
  for (const line of text.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header !== null) {
      const mib = (parseInt(header[2]!, 16) - parseInt(header[1]!, 16)) / 2 ** 20;
      const name = header[3]!;
      kind = name !== '' ? (name.split('/').pop() ?? name) : mib >= 1 ? 'anonymous, 1 MiB and more' : 'anonymous, under 1 MiB (V8 heap pages)';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null && kind !== undefined) split.set(kind, (split.get(kind) ?? 0) + Number(rss[1]));
  }
  return split;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kompart-swarm-memory-'));
  const env: NodeJS.ProcessEnv = { XDG_STATE_HOME: join(dir, 'state') };
  for (const pair of values.env) {
    const [name, value] = pair.split('=');
    if (name === undefined || value === undefined) throw new Error(`--env takes NAME=VALUE, not ${pair}`);
    env[name] = value;
  }
  const source = writeSource(dir, 1024 * 2 ** 20);
  const programs: KompartProcess[] = [];
  try {
    const registry = new KompartProcess([`${LOOPBACK}.1`, 's'], { env });
    programs.push(registry);
    await registry.waitFor(/ouvindo em/);
    for (let n = 2; n < 2 + Number(values.holders); n++) {
      const holder = new KompartProcess(
        [`${LOOPBACK}.1`, 'p', `${LOOPBACK}.${n}`, '--json', '--cache-dir', join(dir, `cache-${n}`), '--downloads', join(dir, `dl-${n}`)],
        { env },
      );
      programs.push(holder);
      for (const command of ['register peer', `register file ${source.path}`]) {
        const mark = holder.mark();
        holder.send(command);
        await holder.waitFor(/"type":"(result|error)"/, mark);
      }
    }
    const flags = values['downloader-flags'];
    const downloads = join(dir, 'dl-downloader');
    const downloader = new KompartProcess([`${LOOPBACK}.1`, 'p', `${LOOPBACK}.20`, '--json', '--no-cache-dir', '--downloads', downloads], {
      env: { ...env, ...(flags === undefined ? {} : { KOMPART_NODE_FLAGS: flags }) },
    });
    programs.push(downloader);
    let mark = downloader.mark();
    downloader.send('register peer');
    await downloader.waitFor(/"command":"register peer"/, mark);
    const pid = downloader.child.pid!;
    for (let round = 0; round < Number(values.rounds); round++) {
      rmSync(join(downloads, 'swarm-source.bin'), { force: true });
      const cpu = downloader.cpuMs();
      let peak = { rss: 0, smaps: '' };
      const sampler = setInterval(() => {
        const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        if (rss > peak.rss) peak = { rss, smaps: readFileSync(`/proc/${pid}/smaps`, 'utf8') };
      }, 200);
      mark = downloader.mark();
      downloader.send(`get file ${LOOPBACK}.2/swarm-source.bin`);
      const line = await downloader.waitFor(/"type":"(result|error)".*"command":"get file"/, mark);
      clearInterval(sampler);
      const result = JSON.parse(line) as { bytesPerSecond?: number };
      const split = [...smapsSplit(peak.smaps)]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([kind, kb]) => `${kind} ${(kb / 1024).toFixed(1)}`)
        .join(', ');
      console.log(
        `round ${round + 1}: ${((result.bytesPerSecond ?? 0) / 2 ** 20).toFixed(0)} MiB/s, ${((downloader.cpuMs() - cpu) / 1000).toFixed(2)} CPU-s, peak RSS ${(downloader.peakRss() / 1e6).toFixed(0)} MB; at the sampled peak (${(peak.rss / 1024).toFixed(0)} MB), MB: ${split}`,
      );
    }
  } finally {
    await Promise.all(programs.map((program) => program.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();

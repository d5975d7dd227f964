import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { alternate, type BenchContext } from '../lib/context.js';
import { startChild, type Child } from '../lib/ipc.js';
import type { Row } from '../lib/report.js';
import { median, medianOf } from '../lib/stats.js';
import type { KompartRegistryOps } from '../registry/kompart-registry-child.js';
import type { PeerOps } from './peer-child.js';
import { GiB, MiB, ensureSourceFile, mibPerSecond, remove } from './source-file.js';
import { asLaunched } from '../lib/launcher-env.js';

/**
 * Issue item 3: `register file` of a large file (streaming SHA-256 + RegisterFile) against
 * `sha256sum` of the same file, alternating; then re-registering the unchanged file from a
 * fresh peer process that shares the hash cache folder (what a restart does).
 */

export async function runHashingSuite(context: BenchContext): Promise<Row[]> {
  const { log } = context;
  const size = context.quick ? 256 * MiB : GiB;
  const label = context.quick ? '256 MiB' : '1 GiB';
  const rounds = context.rounds ?? (context.quick ? 3 : 5);
  const dir = join(context.tmpDir, 'hashing');
  const source = join(context.tmpDir, 'transfer', `source-${size}.bin`);
  await ensureSourceFile(source, size);
  const registry = startChild<KompartRegistryOps>('registry', join(__dirname, '..', 'registry', 'kompart-registry-child.js'), asLaunched());
  let peerIndex = 0;
  const runPeer = async <T>(cacheDir: string | null, work: (peer: Child<PeerOps>) => Promise<T>): Promise<T> => {
    const peer = startChild<PeerOps>(`hash-peer-${peerIndex}`, join(__dirname, 'peer-child.js'), asLaunched());
    try {
      await peer.call('start', { registry: target, address: `127.0.2.${(peerIndex++ % 250) + 1}:0`, downloadsDir: join(dir, 'downloads'), cacheDir });
      await peer.call('registerPeer');
      return await work(peer);
    } finally {
      await peer.stop();
    }
  };
  const { target } = await registry.call('start', { heartbeatIntervalMs: 5000 });
  try {
    log(`hashing: register file ${label} (new peer process, no hash cache) vs sha256sum, ${rounds} alternating rounds, file in the page cache`);
    await sha256sum(source);
    const results = await alternate(
      rounds,
      [
        {
          name: 'kompart',
          run: () =>
            runPeer(null, async (peer) => {
              const registered = await peer.call('registerPath', { path: source });
              if (registered.cached) throw new Error('expected a cold hash');
              return { ms: registered.ms, sha256: registered.sha256 };
            }),
        },
        { name: 'sha256sum', run: () => sha256sum(source) },
      ],
      log,
      (r) => `${(r.ms / 1000).toFixed(2)} s, ${mibPerSecond(size, r.ms).toFixed(0)} MiB/s`,
    );
    const k = results.get('kompart')!;
    const s = results.get('sha256sum')!;
    if (k[0]!.sha256 !== s[0]!.sha256) throw new Error(`hash differs: kompart ${k[0]!.sha256}, sha256sum ${s[0]!.sha256}`);
    const rate = (r: { ms: number }): number => mibPerSecond(size, r.ms);

    log(`hashing: re-register the unchanged file from a fresh peer process sharing the hash cache folder`);
    const cacheDir = join(dir, 'cache');
    await remove(cacheDir);
    const cold = await runPeer(cacheDir, (peer) => peer.call('registerPath', { path: source }));
    const warm: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const again = await runPeer(cacheDir, (peer) => peer.call('registerPath', { path: source }));
      if (!again.cached) throw new Error('the hash cache was not used');
      warm.push(again.ms);
    }
    log(`  first registration ${cold.ms.toFixed(0)} ms; again: ${warm.map((ms) => ms.toFixed(1)).join(', ')} ms`);
    return [
      {
        item: 3,
        figure: `register file ${label} (SHA-256 + RegisterFile), page cache warm`,
        unit: 'MiB/s',
        kompart: medianOf(k, rate),
        baseline: medianOf(s, rate),
        baselineName: 'sha256sum',
        target: { on: 'ratio', op: '>=', limit: 0.9, text: '>= 0.9x' },
        note: `median of ${rounds} alternating runs; each kompart run is a new peer process with an empty in-memory cache; the same digest as sha256sum`,
      },
      {
        item: 3,
        figure: `re-register the unchanged ${label} file (hash cache)`,
        unit: 'ms',
        kompart: median(warm),
        baseline: cold.ms,
        baselineName: 'first registration (hashing)',
        target: { on: 'value', op: '<', limit: 100, text: '< 100 ms (instant)' },
        note: `median of ${rounds}; each a fresh peer process that loads hash-cache.json, stats the file and calls RegisterFile`,
      },
    ];
  } finally {
    await registry.stop();
    await remove(dir);
  }
}

function sha256sum(file: string): Promise<{ ms: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('sha256sum', [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve({ ms: performance.now() - started, sha256: output.slice(0, 64) }) : reject(new Error(`sha256sum exited ${code}`)),
    );
  });
}

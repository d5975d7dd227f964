import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, stat } from 'node:fs/promises';
import { mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { alternate, profileDir, reportThreadProfiles, type BenchContext } from '../lib/context.js';
import { startChild, type Child } from '../lib/ipc.js';
import { asLaunched, asPlain, launcherSettingsText } from '../lib/launcher-env.js';
import type { WindowResult } from '../lib/probe.js';
import { MB, type Row } from '../lib/report.js';
import { median, medianOf } from '../lib/stats.js';
import { runMeasured } from '../lib/measured-command.js';
import { BenchNginx } from '../lib/nginx.js';
import type { KompartRegistryOps } from '../registry/kompart-registry-child.js';
import type { GrpcBareOps, Sink } from './grpc-bare-child.js';
import type { PeerOps } from './peer-child.js';
import { GiB, MiB, ensureSourceFile, freeBytes, mibPerSecond, remove } from './source-file.js';
import type { TcpOps } from './tcp-child.js';

/**
 * Issue items 1 (transfer throughput) and 2 (peak memory): `get file` between two kompart
 * peer processes on loopback, against what a user would pick instead, at its best: two
 * minimal Node processes piping the file over a plain TCP socket to disk with 1 MiB reads,
 * curl fetching it from Node's http server (`pipe`, 1 MiB reads), and curl fetching it from
 * nginx with `sendfile` (issue 16 item 1). Every run measures the CPU time of both sides
 * (the Node processes' own windows; curl's from bash's `times`, nginx's from /proc), quoted
 * as CPU-seconds per GiB, which a busy machine disturbs far less than wall time. The old
 * headline baseline (the TCP pipe with the stream default, 64 KiB reads) stays as an extra
 * row.
 * Files live under bench/out/tmp (same disk as the repository); the page cache is left
 * alone, so the source is read from memory after the first pass and the destination is
 * written into the page cache (writeback happens in the background, for all alike).
 */

const SENDER = '127.0.0.2:0';
const RECEIVER = '127.0.0.3:0';
/** The `kompart-plain` peers: the same library in a plain `node` process, glibc's defaults. */
const PLAIN_SENDER = '127.0.0.7:0';
const PLAIN_RECEIVER = '127.0.0.8:0';
/** The `kompart-tls` peers: encrypted, pinned transfers (the default of `kompart`). */
const TLS_SENDER = '127.0.0.9:0';
const TLS_RECEIVER = '127.0.0.10:0';
/** `kompart-tls-chunks`: a downloader that asks for no sealed stream (its bytes in gRPC chunks over TLS). */
const TLS_CHUNKS_RECEIVER = '127.0.0.13:0';
const TCP_HOST = '127.0.0.4';
/** Chunk sizes of the sweep (KiB list in KOMPART_BENCH_CHUNKS overrides, e.g. `120,1024`). */
const CHUNKS = (process.env['KOMPART_BENCH_CHUNKS'] ?? '64,120,256,512,1024').split(',').map((kib) => Number(kib) * 1024);

interface Moved {
  readonly ms: number;
  readonly bytes: number;
  readonly sender?: WindowResult;
  readonly receiver?: WindowResult;
  /** CPU of each side, ms, for sides that are not Node processes of the benchmark (curl, nginx). */
  readonly cpuMs?: { readonly sender: number; readonly receiver: number };
}

type Side = 'sender' | 'receiver';

/** CPU-seconds per GiB moved of one side of a run (its probe window, or the outside measure). */
function cpuPerGiB(m: Moved, side: Side): number {
  const window = m[side];
  const ms = window === undefined ? (m.cpuMs?.[side] ?? Number.NaN) : window.coreShare * window.ms;
  return ms / 1000 / (m.bytes / GiB);
}

/** Median CPU-seconds per GiB of one side, or of both together. */
function cpuOf(runs: readonly Moved[], side: Side | 'both'): number {
  return median(runs.map((m) => (side === 'both' ? cpuPerGiB(m, 'sender') + cpuPerGiB(m, 'receiver') : cpuPerGiB(m, side))));
}

/** `sender 1.05 + receiver 3.30 = 4.35 CPU-s/GiB` */
function cpuText(runs: readonly Moved[]): string {
  return `sender ${cpuOf(runs, 'sender').toFixed(2)} + receiver ${cpuOf(runs, 'receiver').toFixed(2)} = ${cpuOf(runs, 'both').toFixed(2)} CPU-s/GiB`;
}

/** The headline baselines' reads: what a user tuning a copy picks. */
const BASELINE_READ_BYTES = MiB;

/**
 * Before every measured run: `sync`, so that no run pays for the writeback of the one
 * before it. Each run writes the whole file into the page cache; without this, the run
 * after a fast one (curl) spent much of its time beside the kernel writing that file
 * back, and alternating in a fixed cyclic order always handed that cost to the same
 * variant (kompart ran at 0.62x TCP after curl and at 0.92-1.02x after TCP, same code).
 */
const writeBack = async (): Promise<void> => {
  await promisify(execFile)('sync');
};

const sizeLabel = (bytes: number): string => (bytes >= GiB ? `${bytes / GiB} GiB` : `${bytes / MiB} MiB`);
const chunkLabel = (bytes: number): string => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`);

export async function runTransferSuite(context: BenchContext): Promise<Row[]> {
  const { log } = context;
  const sizes = context.quick ? [256 * MiB] : context.sizesGiB.map((gib) => Math.round(gib * GiB));
  const dir = join(context.tmpDir, 'transfer');
  const downloads = join(dir, 'downloads');
  await mkdir(downloads, { recursive: true });
  const rows: Row[] = [];
  const registry = startChild<KompartRegistryOps>('registry', join(__dirname, '..', 'registry', 'kompart-registry-child.js'), asLaunched());
  const children: Child<never>[] = [];
  const track = <C>(child: C): C => {
    children.push(child as unknown as Child<never>);
    return child;
  };
  const peakRss: Record<string, { sender: number; receiver: number }> = {};
  try {
    const { target: registryTarget } = await registry.call('start', { heartbeatIntervalMs: 5000 });
    // Peers run with the `kompart` launcher's environment unless `plain`.
    const startPeerChild = async (
      name: string,
      address: string,
      options: { chunkBytes?: number; execArgv?: string[]; plain?: boolean; encrypted?: boolean; sealedStreams?: boolean } = {},
    ) => {
      const child = track(
        startChild<PeerOps>(name, join(__dirname, 'peer-child.js'), options.plain === true ? asPlain(options.execArgv) : asLaunched(options.execArgv, 'peer')),
      );
      const { id } = await child.call('start', {
        registry: registryTarget,
        address,
        downloadsDir: downloads,
        cacheDir: join(dir, 'hash-cache'),
        ...(options.chunkBytes === undefined ? {} : { chunkBytes: options.chunkBytes }),
        ...(options.encrypted === true ? { encrypted: true } : {}),
        ...(options.sealedStreams === false ? { sealedStreams: false } : {}),
      });
      await child.call('registerPeer');
      return { child, id };
    };

    for (const [index, size] of sizes.entries()) {
      const needed = size * 2.2 + GiB;
      if (freeBytes(context.tmpDir) < needed) {
        log(`transfer: skipping ${sizeLabel(size)}: ${(freeBytes(context.tmpDir) / GiB).toFixed(1)} GiB free, ${(needed / GiB).toFixed(1)} GiB needed`);
        continue;
      }
      const source = join(dir, `source-${size}.bin`);
      log(`transfer: ${sizeLabel(size)}: preparing the source file`);
      await ensureSourceFile(source, size);
      const big = size > 2 * GiB;
      const rounds = context.rounds ?? (context.quick ? 3 : big ? 2 : 5);

      const sender = await startPeerChild('sender', SENDER);
      const receiver = await startPeerChild('receiver', RECEIVER);
      const plainSender = await startPeerChild('plain-sender', PLAIN_SENDER, { plain: true });
      const plainReceiver = await startPeerChild('plain-receiver', PLAIN_RECEIVER, { plain: true });
      const tlsSender = await startPeerChild('tls-sender', TLS_SENDER, { encrypted: true });
      const tlsReceiver = await startPeerChild('tls-receiver', TLS_RECEIVER, { encrypted: true });
      const chunksReceiver = await startPeerChild('tls-chunks-receiver', TLS_CHUNKS_RECEIVER, { encrypted: true, sealedStreams: false });
      const registered = await sender.child.call('registerPath', { path: source });
      await plainSender.child.call('registerPath', { path: source });
      await tlsSender.child.call('registerPath', { path: source });
      log(`  sender ${sender.id} registered ${registered.name} (${registered.cached ? 'hash cache' : `hashed in ${registered.ms.toFixed(0)} ms`})`);
      const grpcSender = track(startChild<GrpcBareOps>('grpc-sender', join(__dirname, 'grpc-bare-child.js'), asLaunched([], 'peer')));
      const grpcReceiver = track(startChild<GrpcBareOps>('grpc-receiver', join(__dirname, 'grpc-bare-child.js'), asLaunched([], 'peer')));
      const { port: grpcPort } = await grpcSender.call('serveGrpc', {
        file: source,
        host: TCP_HOST,
        chunkBytes: MiB,
        windowBytes: 8 * MiB,
        serializer: 'preframed',
      });
      const tcpSender = track(startChild<TcpOps>('tcp-sender', join(__dirname, 'tcp-child.js'), asPlain()));
      const tcpReceiver = track(startChild<TcpOps>('tcp-receiver', join(__dirname, 'tcp-child.js'), asPlain()));
      const { port: tcpPort } = await tcpSender.call('serveTcp', { file: source, host: TCP_HOST, readBytes: BASELINE_READ_BYTES });
      const { port: tcp64Port } = await tcpSender.call('serveTcp', { file: source, host: TCP_HOST, readBytes: 64 * 1024 });
      const { port: httpPort } = await tcpSender.call('serveHttp', { file: source, host: TCP_HOST, readBytes: BASELINE_READ_BYTES });
      const { port: httpsPort } = await tcpSender.call('serveHttps', { file: source, host: TCP_HOST, readBytes: BASELINE_READ_BYTES });
      // The same baseline with the launcher's allocator settings too: like against like.
      const tunedTcpSender = track(startChild<TcpOps>('tuned-tcp-sender', join(__dirname, 'tcp-child.js'), asLaunched([], 'peer')));
      const tunedTcpReceiver = track(startChild<TcpOps>('tuned-tcp-receiver', join(__dirname, 'tcp-child.js'), asLaunched([], 'peer')));
      const { port: tunedTcpPort } = await tunedTcpSender.call('serveTcp', { file: source, host: TCP_HOST, readBytes: BASELINE_READ_BYTES });
      const nginx = BenchNginx.available() ? await BenchNginx.start(dir, TCP_HOST) : undefined;
      if (nginx === undefined) log('  nginx not installed (apt-get install nginx): no sendfile row');

      const kompartRun = async (from: { id: string }, to: Child<PeerOps>, senderChild: Child<PeerOps>): Promise<Moved> => {
        await Promise.all([senderChild.call('windowStart', { sampleMs: 20 }), to.call('windowStart', { sampleMs: 20 })]);
        const got = await to.call('getFile', { ref: `${from.id}/${registered.name}` });
        const [senderWindow, receiverWindow] = await Promise.all([senderChild.call('windowStop'), to.call('windowStop')]);
        await remove(got.path);
        if (got.status !== 'downloaded' || got.transferred !== size) throw new Error(`get file: ${got.status}, ${got.transferred} bytes`);
        return { ms: got.ms, bytes: size, sender: senderWindow, receiver: receiverWindow };
      };
      const tcpRunOn = async (from: Child<TcpOps>, to: Child<TcpOps>, port: number): Promise<Moved> => {
        const dest = join(downloads, 'tcp.bin');
        await Promise.all([from.call('windowStart', { sampleMs: 20 }), to.call('windowStart', { sampleMs: 20 })]);
        const got = await to.call('fetchTcp', { host: TCP_HOST, port, dest });
        const [senderWindow, receiverWindow] = await Promise.all([from.call('windowStop'), to.call('windowStop')]);
        await remove(dest);
        if (got.bytes !== size) throw new Error(`tcp: ${got.bytes} bytes`);
        return { ms: got.ms, bytes: size, sender: senderWindow, receiver: receiverWindow };
      };
      const tcpRun = (): Promise<Moved> => tcpRunOn(tcpSender, tcpReceiver, tcpPort);
      const grpcRun = async (): Promise<Moved> => {
        const dest = join(downloads, 'grpc.bin');
        await Promise.all([grpcSender.call('windowStart', { sampleMs: 20 }), grpcReceiver.call('windowStart', { sampleMs: 20 })]);
        const got = await grpcReceiver.call('fetchGrpc', { target: `${TCP_HOST}:${grpcPort}`, dest, windowBytes: 8 * MiB, sink: 'stream' });
        const [senderWindow, receiverWindow] = await Promise.all([grpcSender.call('windowStop'), grpcReceiver.call('windowStop')]);
        await remove(dest);
        if (got.bytes !== size) throw new Error(`bare gRPC: ${got.bytes} bytes`);
        return { ms: got.ms, bytes: size, sender: senderWindow, receiver: receiverWindow };
      };
      /** curl -o from a server: Node http (its probe window) or nginx (its CPU from /proc). */
      // HTTPS: --insecure, since the certificate is self-signed (checking it costs nothing per byte).
      // `verify`: then `openssl dgst -sha256` over the file written, what a curl user does to
      // check what kompart checks (the floor of any verified download on this machine).
      const curlRun = async (url: string, server: { window: Child<TcpOps> } | { nginx: BenchNginx }, verify = false): Promise<Moved> => {
        const dest = join(downloads, 'curl.bin');
        const nginxBefore = 'nginx' in server ? server.nginx.cpuMs() : 0;
        if ('window' in server) await server.window.call('windowStart', { sampleMs: 20 });
        const insecure = url.startsWith('https:') ? ['--insecure'] : [];
        const curl = await runMeasured('curl', ['-sS', '--fail', '--max-time', '900', ...insecure, '-o', dest, url]);
        const senderWindow = 'window' in server ? await server.window.call('windowStop') : undefined;
        const senderCpuMs = 'nginx' in server ? server.nginx.cpuMs() - nginxBefore : senderWindow!.coreShare * senderWindow!.ms;
        const digest = verify ? await runMeasured('openssl', ['dgst', '-sha256', dest]) : { ms: 0, cpuMs: 0 };
        const bytes = (await stat(dest)).size;
        await remove(dest);
        if (bytes !== size) throw new Error(`curl: ${bytes} bytes`);
        return { ms: curl.ms + digest.ms, bytes: size, cpuMs: { sender: senderCpuMs, receiver: curl.cpuMs + digest.cpuMs } };
      };
      const variants = [
        { name: 'kompart', run: () => kompartRun(sender, receiver.child, sender.child) },
        { name: 'kompart-plain', run: () => kompartRun(plainSender, plainReceiver.child, plainSender.child) },
        { name: 'kompart-tls', run: () => kompartRun(tlsSender, tlsReceiver.child, tlsSender.child) },
        { name: 'kompart-tls-chunks', run: () => kompartRun(tlsSender, chunksReceiver.child, tlsSender.child) },
        ...(process.env['KOMPART_BENCH_SPLIT'] === '1'
          ? [
              { name: 'kompart-launched-sender-only', run: () => kompartRun(sender, plainReceiver.child, sender.child) },
              { name: 'kompart-launched-receiver-only', run: () => kompartRun(plainSender, receiver.child, plainSender.child) },
            ]
          : []),
        { name: 'grpc', run: grpcRun },
        { name: 'tcp', run: tcpRun },
        { name: 'tcp-64k', run: () => tcpRunOn(tcpSender, tcpReceiver, tcp64Port) },
        { name: 'tcp-tuned', run: () => tcpRunOn(tunedTcpSender, tunedTcpReceiver, tunedTcpPort) },
        { name: 'curl', run: () => curlRun(`http://${TCP_HOST}:${httpPort}/file`, { window: tcpSender }) },
        { name: 'curl-https', run: () => curlRun(`https://${TCP_HOST}:${httpsPort}/file`, { window: tcpSender }) },
        { name: 'curl-https-verified', run: () => curlRun(`https://${TCP_HOST}:${httpsPort}/file`, { window: tcpSender }, true) },
        ...(nginx === undefined ? [] : [{ name: 'curl-nginx', run: () => curlRun(`http://${TCP_HOST}:${nginx.port}/${basename(source)}`, { nginx }) }]),
      ];
      // KOMPART_BENCH_VARIANTS=kompart,tcp runs only those (for profiling one side with perf);
      // the rows then are not written.
      const only = process.env['KOMPART_BENCH_VARIANTS']?.split(',');
      const chosen = only === undefined ? variants : variants.filter((variant) => only.includes(variant.name));
      const describe = (m: Moved): string =>
        `${mibPerSecond(m.bytes, m.ms).toFixed(0)} MiB/s (${(m.ms / 1000).toFixed(2)} s)${m.sender ? `; sender ${describeSide(m, m.sender)}; receiver ${describeSide(m, m.receiver)}` : ''}`;
      if (!big) {
        log(`  warm-up`);
        for (const variant of chosen) await variant.run();
      }
      log(
        `transfer: ${sizeLabel(size)}, ${rounds} alternating rounds (kompart get file as launched and in a plain process, plaintext and encrypted, bare gRPC, raw TCP with 1 MiB and 64 KiB reads and with the launcher's settings, curl from Node http and from nginx)`,
      );
      // The end of every size, with or without rows: sweeps (first size), processes, big source.
      const finishSize = async (): Promise<void> => {
        if (index === 0 && (!context.quick || context.rounds !== undefined) && process.env['KOMPART_BENCH_NO_SWEEPS'] !== '1') {
          rows.push(...(await chunkSweep(context, size, source, registered.name, startPeerChild, receiver.child, tcpRun)));
          if (process.env['KOMPART_BENCH_CHUNKS'] === undefined) rows.push(...(await windowSweep(context, size, source, registered.sha256, downloads, track)));
        }
        await Promise.all([
          sender.child.stop(),
          receiver.child.stop(),
          plainSender.child.stop(),
          plainReceiver.child.stop(),
          tlsSender.child.stop(),
          tlsReceiver.child.stop(),
          chunksReceiver.child.stop(),
          tcpSender.stop(),
          tcpReceiver.stop(),
          tunedTcpSender.stop(),
          tunedTcpReceiver.stop(),
          grpcSender.stop(),
          grpcReceiver.stop(),
          nginx?.stop(),
        ]);
        if (big) await remove(source);
      };
      const label = sizeLabel(size);
      const profileTransfers = async (): Promise<void> => {
        if (!context.profile || index !== 0) return;
        // One folder per process, Node's default file names: the receiver's writer thread
        // writes a profile of its own beside the main thread's.
        const dirOf = (side: string): string => {
          const dir = join(profileDir(context), `transfer-${side}`);
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir, { recursive: true });
          return dir;
        };
        // Plaintext and encrypted (the default) transfers, each pair of peers profiled apart.
        for (const [kind, encrypted, senderAddress, receiverAddress] of [
          ['plaintext', false, '127.0.0.5:0', '127.0.0.6:0'],
          ['encrypted', true, '127.0.0.11:0', '127.0.0.12:0'],
        ] as const) {
          const senderDir = dirOf(`${kind}-sender`);
          const receiverDir = dirOf(`${kind}-receiver`);
          const profSender = await startPeerChild(`prof-${kind}-sender`, senderAddress, { encrypted, execArgv: ['--cpu-prof', `--cpu-prof-dir=${senderDir}`] });
          const profReceiver = await startPeerChild(`prof-${kind}-receiver`, receiverAddress, {
            encrypted,
            execArgv: ['--cpu-prof', `--cpu-prof-dir=${receiverDir}`],
          });
          await profSender.child.call('registerPath', { path: source });
          const moved = await kompartRun(profSender, profReceiver.child, profSender.child);
          log(`  profiled ${kind} transfer (node --cpu-prof on both peers): ${describe(moved)}`);
          await Promise.all([profSender.child.stop(), profReceiver.child.stop()]);
          await reportThreadProfiles(context, `profile: get file ${label}, ${kind}, sender peer (node --cpu-prof)`, senderDir);
          await reportThreadProfiles(context, `profile: get file ${label}, ${kind}, receiver peer (node --cpu-prof)`, receiverDir);
        }
      };
      const results = await alternate(rounds, chosen, log, describe, { before: writeBack });
      if (only !== undefined) {
        log(`  KOMPART_BENCH_VARIANTS set: ${chosen.map((variant) => variant.name).join(', ')} only, no rows`);
        await profileTransfers();
        await finishSize();
        continue;
      }
      const k = results.get('kompart')!;
      const kp = results.get('kompart-plain')!;
      const g = results.get('grpc')!;
      const t = results.get('tcp')!;
      const t64 = results.get('tcp-64k')!;
      const tt = results.get('tcp-tuned')!;
      const c = results.get('curl')!;
      const ks = results.get('kompart-tls')!;
      const cs = results.get('curl-https')!;
      const cv = results.get('curl-https-verified')!;
      const cn = results.get('curl-nginx');
      const rate = (m: Moved): number => mibPerSecond(m.bytes, m.ms);
      const runs = `median of ${k.length} alternating runs; both peers started with the launcher's ${launcherSettingsText()}; chunks of the default size, flow-control window per TRANSFER_CHANNEL_OPTIONS; kompart sender/receiver CPU ${pctOf(k, 'sender')}/${pctOf(k, 'receiver')} of a core, TCP ${pctOf(t, 'sender')}/${pctOf(t, 'receiver')}; machine busy ${median(k.map((m) => m.machineBusy)).toFixed(2)} cores`;
      rows.push({
        item: 1,
        figure: `get file ${label}, loopback, hash verified, plaintext transfers, peers as \`kompart\` starts them (vs Node TCP pipe, 1 MiB reads)`,
        unit: 'MiB/s',
        kompart: medianOf(k, rate),
        baseline: medianOf(t, rate),
        baselineName: 'Node TCP pipe to disk, 1 MiB reads',
        target: { on: 'ratio', op: '>=', limit: 1.0, text: '>= 1.0x' },
        note: `${runs}; kompart ${cpuText(k)}, TCP pipe ${cpuText(t)}`,
      });
      rows.push({
        item: 1,
        figure: `  CPU per GiB, both sides together (vs the same TCP pipe)`,
        unit: 's',
        kompart: cpuOf(k, 'both'),
        baseline: cpuOf(t, 'both'),
        baselineName: 'Node TCP pipe, 1 MiB reads',
        target: { on: 'ratio', op: '<=', limit: 1.3, text: '<= 1.3x' },
        note: `CPU-seconds per GiB moved (user + system, each process's own window); kompart ${cpuText(k)}, TCP pipe ${cpuText(t)}`,
      });
      rows.push({
        item: 1,
        figure: `get file ${label} (vs curl -o from Node http, pipe, 1 MiB reads)`,
        unit: 'MiB/s',
        kompart: medianOf(k, rate),
        baseline: medianOf(c, rate),
        baselineName: 'curl <- Node http',
        target: { on: 'ratio', op: '>=', limit: 0.7, text: '>= 0.7x' },
        note: `median of ${c.length} alternating runs; curl + Node http ${cpuText(c)} (curl's CPU from bash's times, the server's from its window)`,
      });
      rows.push({
        item: 1,
        figure: `  CPU per GiB, both sides together (vs curl from Node http)`,
        unit: 's',
        kompart: cpuOf(k, 'both'),
        baseline: cpuOf(c, 'both'),
        baselineName: 'curl <- Node http',
        note: `kompart ${cpuText(k)}; curl + Node http ${cpuText(c)}`,
      });
      rows.push({
        item: 1,
        figure: `get file ${label}, encrypted and pinned (TLS 1.3 and a sealed stream, the default; issue 20) vs curl over HTTPS from Node https`,
        unit: 'MiB/s',
        kompart: medianOf(ks, rate),
        baseline: medianOf(cs, rate),
        baselineName: 'curl <- Node https (TLS 1.3, 1 MiB reads)',
        target: { on: 'ratio', op: '>=', limit: 0.8, text: '>= 0.8x' },
        note: `median of ${ks.length} alternating runs; encrypted kompart ${cpuText(ks)} (${(medianOf(ks, rate) / medianOf(k, rate)).toFixed(2)}x the plaintext path's rate); curl + Node https ${cpuText(cs)}`,
      });
      rows.push({
        item: 1,
        figure: `  CPU per GiB, both sides together, encrypted (vs curl over HTTPS from Node https)`,
        unit: 's',
        kompart: cpuOf(ks, 'both'),
        baseline: cpuOf(cs, 'both'),
        baselineName: 'curl <- Node https',
        note: `kompart encrypted ${cpuText(ks)}, plaintext ${cpuText(k)}; curl + Node https ${cpuText(cs)}`,
      });
      const kc = results.get('kompart-tls-chunks');
      if (kc !== undefined) {
        rows.push({
          item: 1,
          figure: `  the same, sealed stream vs the bytes in gRPC chunks over TLS (before sealed streams)`,
          unit: 'MiB/s',
          kompart: medianOf(ks, rate),
          baseline: medianOf(kc, rate),
          baselineName: 'kompart, gRPC chunks over TLS',
          note: `context: sealed ${cpuText(ks)}; chunks ${cpuText(kc)}`,
        });
      }
      rows.push({
        item: 1,
        figure: `get file ${label}, encrypted, vs curl over HTTPS then \`openssl dgst -sha256\` of the file (a download verified as kompart verifies it)`,
        unit: 'MiB/s',
        kompart: medianOf(ks, rate),
        baseline: medianOf(cv, rate),
        baselineName: 'curl <- Node https, then openssl dgst',
        note: `context for the row above: the same curl plus the SHA-256 every kompart download computes; curl + openssl ${cpuText(cv)} (curl alone ${cpuText(cs)})`,
      });
      if (cn !== undefined) {
        rows.push({
          item: 1,
          figure: `get file ${label} (vs curl -o from nginx, sendfile)`,
          unit: 'MiB/s',
          kompart: medianOf(k, rate),
          baseline: medianOf(cn, rate),
          baselineName: 'curl <- nginx sendfile',
          note: `median of ${cn.length} alternating runs; curl + nginx ${cpuText(cn)} (nginx's master and worker from /proc)`,
        });
        rows.push({
          item: 1,
          figure: `  CPU per GiB, both sides together (vs curl from nginx)`,
          unit: 's',
          kompart: cpuOf(k, 'both'),
          baseline: cpuOf(cn, 'both'),
          baselineName: 'curl <- nginx sendfile',
          note: `kompart ${cpuText(k)}; curl + nginx ${cpuText(cn)}`,
        });
      }
      rows.push({
        item: 1,
        figure: `get file ${label} (vs the old baseline: Node TCP pipe with the stream default, 64 KiB reads)`,
        unit: 'MiB/s',
        kompart: medianOf(k, rate),
        baseline: medianOf(t64, rate),
        baselineName: 'Node TCP pipe, 64 KiB reads',
        note: `kept for comparison with earlier runs, not the headline; TCP pipe 64 KiB ${cpuText(t64)}`,
      });
      rows.push({
        item: 1,
        figure: `get file ${label}, the same against a TCP pipe started with the launcher's settings`,
        unit: 'MiB/s',
        kompart: medianOf(k, rate),
        baseline: medianOf(tt, rate),
        baselineName: 'Node TCP pipe to disk, 1 MiB reads, launcher settings',
        note: `like against like: the TCP processes started with ${launcherSettingsText()} too (${(medianOf(tt, rate) / medianOf(t, rate)).toFixed(2)}x the plain TCP pipe); ${cpuText(tt)}`,
      });
      rows.push({
        item: 1,
        figure: `get file ${label}, peer library in a plain \`node\` process, glibc's defaults (vs raw TCP pipe)`,
        unit: 'MiB/s',
        kompart: medianOf(kp, rate),
        baseline: medianOf(t, rate),
        baselineName: 'Node TCP pipe to disk',
        note: `what the launcher's settings are worth: launched ${(medianOf(k, rate) / medianOf(kp, rate)).toFixed(2)}x plain; plain sender/receiver CPU ${pctOf(kp, 'sender')}/${pctOf(kp, 'receiver')}, minor page faults per MiB ${faultsOf(kp, 'sender')}/${faultsOf(kp, 'receiver')} (launched ${faultsOf(k, 'sender')}/${faultsOf(k, 'receiver')}), full GCs per GiB ${gcsOf(kp, 'sender')}/${gcsOf(kp, 'receiver')} (launched ${gcsOf(k, 'sender')}/${gcsOf(k, 'receiver')})`,
      });
      rows.push({
        item: 1,
        figure: `get file ${label} (vs bare grpc-js stream, same chunks and window, no hashing)`,
        unit: 'MiB/s',
        kompart: medianOf(k, rate),
        baseline: medianOf(g, rate),
        baselineName: 'bare gRPC to disk',
        note: `what gRPC itself allows here: 1 MiB pre-framed chunks, 8 MiB window, chunk taken as a view, WriteStream; bare gRPC vs TCP ${(medianOf(g, rate) / medianOf(t, rate)).toFixed(2)}x; bare sender/receiver CPU ${pctOf(g, 'sender')}/${pctOf(g, 'receiver')}`,
      });
      const peak = (runs: readonly Moved[], side: 'sender' | 'receiver'): number => Math.max(...runs.map((m) => m[side]!.peakRss)) / MB;
      peakRss[label] = { sender: peak(k, 'sender'), receiver: peak(k, 'receiver') };
      for (const side of ['sender', 'receiver'] as const) {
        rows.push({
          item: 2,
          figure: `${side} peak RSS, ${label}`,
          unit: 'MB',
          kompart: peak(k, side),
          baseline: peak(t, side),
          baselineName: `TCP ${side}`,
          target: { on: 'value', op: '<', limit: 150, text: '< 150 MB' },
          note: `highest 20 ms sample over ${k.length} transfers; process-life peak (ru_maxrss) ${(Math.max(...k.map((m) => m[side]!.maxRss)) / MB).toFixed(0)} MB`,
        });
      }

      await profileTransfers();
      await finishSize();
    }
    const labels = Object.keys(peakRss);
    if (labels.length >= 2) {
      const small = peakRss[labels[0]!]!;
      const large = peakRss[labels[labels.length - 1]!]!;
      for (const side of ['sender', 'receiver'] as const) {
        rows.push({
          item: 2,
          figure: `${side} peak RSS, ${labels[labels.length - 1]} vs ${labels[0]} (growth with file size)`,
          unit: 'MB',
          kompart: large[side],
          baseline: small[side],
          baselineName: `same, ${labels[0]}`,
          target: { on: 'ratio', op: '<=', limit: 1.15, text: '<= 1.15x (no growth)' },
        });
      }
    }
  } finally {
    await Promise.all(children.map((child) => child.stop(3000)));
    await registry.stop();
  }
  return rows;
}

/** Minor page faults per MiB moved: fresh memory touched per byte, the mark of allocation churn. */
function faultsPerMiB(moved: Moved, side: WindowResult | undefined): number {
  return side === undefined ? Number.NaN : side.minorFaults / (moved.bytes / MiB);
}

/** Median faults per MiB of one side over runs. */
function faultsOf(runs: readonly Moved[], side: 'sender' | 'receiver'): string {
  return median(runs.map((m) => faultsPerMiB(m, m[side]))).toFixed(1);
}

/** Full garbage collections per GiB moved. */
function gcsPerGiB(moved: Moved, side: WindowResult | undefined): number {
  return side === undefined ? Number.NaN : side.majorGcs / (moved.bytes / GiB);
}

/** Median full garbage collections per GiB of one side over runs. */
function gcsOf(runs: readonly Moved[], side: 'sender' | 'receiver'): string {
  return median(runs.map((m) => gcsPerGiB(m, m[side]))).toFixed(1);
}

/** One side of a run for the log: CPU, peak RSS, faults per MiB, full GCs (and their pauses) per GiB. */
function describeSide(moved: Moved, side: WindowResult | undefined): string {
  if (side === undefined) return '?';
  const pct = (share: number): string => (share * 100).toFixed(0);
  return `CPU ${pct(side.coreShare)} % (user ${pct(side.userShare)} %) peak RSS ${(side.peakRss / MB).toFixed(0)} MB ${faultsPerMiB(moved, side).toFixed(1)} faults/MiB ${gcsPerGiB(moved, side).toFixed(1)} (${(side.majorGcMs / (moved.bytes / GiB)).toFixed(0)} ms) major GCs/GiB`;
}

function pctOf(runs: readonly Moved[], side: 'sender' | 'receiver'): string {
  return `${(median(runs.map((m) => m[side]?.coreShare ?? Number.NaN)) * 100).toFixed(0)} %`;
}

/** kompart `get file` with several Download chunk sizes (the sender's `chunkBytes`), each against TCP. */
async function chunkSweep(
  context: BenchContext,
  size: number,
  source: string,
  name: string,
  startPeerChild: (name: string, address: string, options?: { chunkBytes?: number }) => Promise<{ child: Child<PeerOps>; id: string }>,
  receiver: Child<PeerOps>,
  tcpRun: () => Promise<Moved>,
): Promise<Row[]> {
  const { log } = context;
  const rounds = context.rounds ?? 3;
  const rows: Row[] = [];
  log(`transfer: chunk-size sweep, ${sizeLabel(size)}, ${rounds} alternating rounds each against raw TCP`);
  for (const [i, chunkBytes] of CHUNKS.entries()) {
    const sender = await startPeerChild(`sender-chunk-${chunkBytes}`, `127.0.1.${i + 1}:0`, { chunkBytes });
    await sender.child.call('registerPath', { path: source });
    await remove((await receiver.call('getFile', { ref: `${sender.id}/${name}` })).path); // warm-up, not measured
    const results = await alternate(
      rounds,
      [
        {
          name: 'kompart',
          run: async (): Promise<Moved> => {
            const got = await receiver.call('getFile', { ref: `${sender.id}/${name}` });
            await remove(got.path);
            return { ms: got.ms, bytes: size };
          },
        },
        { name: 'tcp', run: tcpRun },
      ],
      log,
      (m) => `${mibPerSecond(m.bytes, m.ms).toFixed(0)} MiB/s`,
      { before: writeBack },
    );
    await sender.child.stop();
    const rate = (m: Moved): number => mibPerSecond(m.bytes, m.ms);
    rows.push({
      item: 1,
      figure: `  sweep: get file ${sizeLabel(size)}, chunk ${chunkLabel(chunkBytes)}`,
      unit: 'MiB/s',
      kompart: medianOf(results.get('kompart')!, rate),
      baseline: medianOf(results.get('tcp')!, rate),
      baselineName: 'TCP',
      note: `median of ${rounds} alternating runs`,
    });
  }
  return rows;
}

/**
 * Bare gRPC (the same generated FileService, pre-framed 1 MiB chunks as the kompart holder
 * sends them, chunks taken as views on receipt, no checks): first the HTTP/2 flow-control
 * window and chunk size with a plain WriteStream receiver, then the receiver's order of
 * work (write, then hash; overlap the two; pipeline several writes). All configurations run
 * round-robin within each round, so a busy moment of the machine hits them alike.
 */
async function windowSweep(context: BenchContext, size: number, source: string, sha256: string, downloads: string, track: <C>(child: C) => C): Promise<Row[]> {
  const { log } = context;
  const rounds = context.rounds ?? 3;
  const sender = track(startChild<GrpcBareOps>('grpc-sweep-sender', join(__dirname, 'grpc-bare-child.js'), asLaunched([], 'peer')));
  const receiver = track(startChild<GrpcBareOps>('grpc-sweep-receiver', join(__dirname, 'grpc-bare-child.js'), asLaunched([], 'peer')));
  const configs: { label: string; chunkBytes: number; windowBytes: number | undefined; sink: Sink }[] = [];
  const windowLabel = (bytes: number | undefined): string => (bytes === undefined ? 'default 64 KiB' : chunkLabel(bytes));
  for (const windowBytes of [undefined, MiB, 2 * MiB, 8 * MiB, 32 * MiB])
    configs.push({ label: `chunk 1 MiB, window ${windowLabel(windowBytes)}, no hashing`, chunkBytes: MiB, windowBytes, sink: 'stream' });
  for (const windowBytes of [undefined, MiB, 8 * MiB])
    configs.push({ label: `chunk 64 KiB, window ${windowLabel(windowBytes)}, no hashing`, chunkBytes: 64 * 1024, windowBytes, sink: 'stream' });
  for (const windowBytes of [MiB, 8 * MiB]) {
    for (const sink of ['serial-hash', 'overlap-hash', 'pipelined-hash'] as const)
      configs.push({ label: `chunk 1 MiB, window ${windowLabel(windowBytes)}, ${sink} receiver`, chunkBytes: MiB, windowBytes, sink });
  }
  const variants = [];
  for (const config of configs) {
    const windowOption = config.windowBytes === undefined ? {} : { windowBytes: config.windowBytes };
    const { port } = await sender.call('serveGrpc', { file: source, host: TCP_HOST, chunkBytes: config.chunkBytes, serializer: 'preframed', ...windowOption });
    variants.push({
      name: config.label,
      run: async (): Promise<Moved> => {
        const dest = join(downloads, 'grpc-sweep.bin');
        const got = await receiver.call('fetchGrpc', { target: `${TCP_HOST}:${port}`, dest, sink: config.sink, ...windowOption });
        await remove(dest);
        if (got.bytes !== size) throw new Error(`bare gRPC moved ${got.bytes} bytes`);
        if (got.sha256 !== '' && got.sha256 !== sha256) throw new Error(`bare gRPC (${config.label}) delivered different bytes`);
        return { ms: got.ms, bytes: size };
      },
    });
  }
  log(`transfer: bare gRPC sweep, ${sizeLabel(size)}, ${configs.length} configurations round-robin, ${rounds} rounds`);
  const results = await alternate(rounds, variants, log, (m) => `${mibPerSecond(m.bytes, m.ms).toFixed(0)} MiB/s`, { before: writeBack });
  return configs.map((config) => {
    const runs = results.get(config.label)!;
    const rates = runs.map((m) => mibPerSecond(m.bytes, m.ms));
    return {
      item: 1,
      figure: `  sweep: bare gRPC ${sizeLabel(size)}, ${config.label}`,
      unit: 'MiB/s' as const,
      kompart: median(rates),
      note: `pre-framed chunks, chunk views on receipt; median of ${rounds} round-robin runs (${rates.map((r) => r.toFixed(0)).join(', ')})`,
    };
  });
}

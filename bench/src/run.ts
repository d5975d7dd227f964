import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchContext, Suite } from './lib/context.js';
import { markdownTable, textTable, type Row } from './lib/report.js';
import { runClusterSuite } from './cluster/cluster-suite.js';
import { runEvidenceSuite } from './experiments/evidence/evidence-suite.js';
import { runPresenceSuite } from './presence/presence-suite.js';
import { runRegistrySuite } from './registry/registry-suite.js';
import { runSwarmSuite } from './swarm/swarm-suite.js';
import { runHashingSuite } from './transfer/hashing-suite.js';
import { runTransferSuite } from './transfer/transfer-suite.js';

/**
 * `npm run bench` / `npm run bench:quick`: runs the suites, prints the table, writes the raw
 * results to bench/out/. Options:
 *
 *   --quick                smaller sizes and fewer rounds (a smoke run, minutes not tens of)
 *   --only a,b             suites to run: registry, presence, transfer, hashing, cluster, swarm, evidence (default: all)
 *   --rounds N             A/B rounds per figure (default per suite)
 *   --profile              also take CPU profiles of the servers (separate runs) and summarize them
 *   --populate rpc         fill the registry through RegisterFile RPCs instead of in-process
 *   --sizes 1,8            transfer sizes in GiB (full run; quick uses 64 MiB and 256 MiB)
 *   --tmp DIR              where transfer files go (default bench/out/tmp, same disk as the repo)
 *   --keep-tmp             keep the generated source files for the next run
 */

interface Options {
  quick: boolean;
  only: Set<string>;
  rounds: number | undefined;
  profile: boolean;
  populate: 'direct' | 'rpc';
  sizesGiB: number[];
  tmp: string | undefined;
  keepTmp: boolean;
}

const SUITES: Record<string, Suite> = {
  registry: runRegistrySuite,
  presence: runPresenceSuite,
  transfer: runTransferSuite,
  hashing: runHashingSuite,
  cluster: runClusterSuite,
  swarm: runSwarmSuite,
  evidence: runEvidenceSuite,
};

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      rounds: { type: 'string' },
      profile: { type: 'boolean', default: false },
      populate: { type: 'string', default: 'direct' },
      sizes: { type: 'string', default: '1,8' },
      tmp: { type: 'string' },
      'keep-tmp': { type: 'boolean', default: false },
    },
  });
  const only = new Set(values.only === undefined ? Object.keys(SUITES) : values.only.split(','));
  for (const name of only) if (!(name in SUITES)) throw new Error(`unknown suite ${name} (${Object.keys(SUITES).join(', ')})`);
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1)) throw new Error('--rounds must be a positive integer');
  if (values.populate !== 'rpc' && values.populate !== 'direct') throw new Error('--populate is rpc or direct');
  const sizesGiB = values.sizes.split(',').map(Number);
  if (sizesGiB.some((size) => !(size > 0))) throw new Error('--sizes takes GiB numbers, e.g. 1,8');
  return { quick: values.quick, only, rounds, profile: values.profile, populate: values.populate, sizesGiB, tmp: values.tmp, keepTmp: values['keep-tmp'] };
}

function machine(): Record<string, string> {
  const run = (command: string, args: string[]): string => {
    try {
      return execFileSync(command, args, { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free)`,
    kernel: release(),
    node: process.version,
    grpcJs: (JSON.parse(readFileSync(join(dirname(require.resolve('@grpc/grpc-js')), '..', '..', 'package.json'), 'utf8')) as { version: string }).version,
    disk: run('df', ['-h', '--output=source,fstype,size,avail', '.']).split('\n').pop() ?? 'unknown',
    load: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const root = resolve(__dirname, '..', '..');
  const outDir = join(root, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logLines: string[] = [];
  const log = (message: string): void => {
    const line = `[${new Date().toISOString().slice(11, 19)}] ${message}`;
    logLines.push(line);
    console.log(line);
  };
  const profiles: { name: string; text: string }[] = [];
  const context: BenchContext = {
    quick: options.quick,
    rounds: options.rounds,
    profile: options.profile,
    outDir,
    tmpDir: options.tmp ?? join(outDir, 'tmp'),
    populate: options.populate,
    sizesGiB: options.sizesGiB,
    log,
    addProfile: (name, text) => profiles.push({ name, text }),
  };
  const host = machine();
  log(
    `kompart benchmarks${options.quick ? ' (quick)' : ''}: ${Object.entries(host)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`,
  );

  const rows: Row[] = [];
  const failures: string[] = [];
  for (const [name, suite] of Object.entries(SUITES)) {
    if (!options.only.has(name)) continue;
    log(
      `=== ${name} (load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')})`,
    );
    try {
      rows.push(...(await suite(context)));
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(`${name}: ${message}`);
      log(`!!! suite ${name} failed: ${message}`);
    }
  }
  if (!options.keepTmp) rmSync(context.tmpDir, { recursive: true, force: true });
  rows.sort((a, b) => a.item - b.item);
  const endLoad = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

  console.log(`\n${textTable(rows)}\n`);
  for (const row of rows) if (row.note) console.log(`- ${row.figure}: ${row.note}`);
  if (failures.length > 0) console.log(`\nsuites that failed:\n${failures.join('\n')}`);

  const base = join(outDir, `results-${options.quick ? 'quick-' : ''}${stamp}`);
  writeFileSync(
    `${base}.json`,
    JSON.stringify({ options: { ...options, only: [...options.only] }, machine: host, endLoad, rows, failures, profiles }, null, 2),
  );
  const notes = rows.filter((row) => row.note).map((row) => `- ${row.figure}: ${row.note}`);
  const profileText = profiles.map((p) => `### ${p.name}\n\n\`\`\`\n${p.text}\n\`\`\``);
  writeFileSync(`${base}.md`, [markdownTable(rows), '', ...notes, '', ...profileText, ''].join('\n'));
  writeFileSync(`${base}.log`, `${logLines.join('\n')}\n`);
  console.log(`\nresults: ${base}.{json,md,log}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});

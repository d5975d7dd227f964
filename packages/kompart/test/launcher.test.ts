import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, Program, cleanEnv, freePort, stopAll } from '../../../test/support/program';

/**
 * The `kompart` command npm links is a sh launcher (packages/kompart/bin/kompart): it sets
 * glibc's allocator up, with the chunk size a holder sends that goes with it
 * (KOMPART_CHUNK_BYTES), starts V8's old generation at 64 MB (BENCHMARKS.md, item 1) and
 * keeps a peer's young generation small (1 MB semi-spaces: "Swarm downloads", memory),
 * and execs `node <flag> dist/bin.js`, so the process a user starts, signals and waits for
 * is the program itself.
 */

afterAll(stopAll);

/** NUL-separated strings of a /proc file of a running process. */
function procStrings(pid: number | undefined, file: 'environ' | 'cmdline'): string[] {
  if (pid === undefined) throw new Error('no pid');
  return readFileSync(`/proc/${pid}/${file}`, 'latin1')
    .split('\0')
    .filter((entry) => entry !== '');
}

it('runs the program in its own process with glibc told to keep freed memory in two arenas, 256 KiB chunks, a 64 MB initial old generation and, for a peer, 1 MB semi-spaces, and SIGTERM stops it cleanly', async () => {
  const server = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const registry = new Program([server, 's'], {
    launcher: true,
    env: cleanEnv({ MALLOC_MMAP_THRESHOLD_: undefined, MALLOC_TRIM_THRESHOLD_: undefined, MALLOC_ARENA_MAX: undefined }),
  });
  await registry.waitFor(/ouvindo em/);

  const commandLine = procStrings(registry.pid, 'cmdline');
  expect(commandLine.slice(1)).toEqual(['--initial-old-space-size=64', BIN, server, 's']);
  expect(commandLine[0]).toMatch(/node$/);
  const environment = procStrings(registry.pid, 'environ');
  expect(environment).toContain('MALLOC_MMAP_THRESHOLD_=16777216');
  expect(environment).toContain('MALLOC_TRIM_THRESHOLD_=268435456');
  expect(environment).toContain('MALLOC_ARENA_MAX=2');
  expect(environment).toContain('KOMPART_CHUNK_BYTES=262144');

  // A peer's young generation is kept small as well (not the registry's).
  const peer = new Program([server, 'p', '127.0.0.2', '--no-cache-dir', '--downloads', mkdtempSync(join(tmpdir(), 'kompart-launcher-'))], {
    launcher: true,
    env: cleanEnv(),
  });
  await peer.waitFor(/pronto: servidor/);
  expect(procStrings(peer.pid, 'cmdline').slice(1, 4)).toEqual(['--initial-old-space-size=64', '--max-semi-space-size=1', BIN]);
  peer.send('exit');
  expect(await peer.exit()).toEqual({ code: 0, signal: null });

  registry.signal('SIGTERM');
  expect(await registry.exit()).toEqual({ code: 0, signal: null });
});

it('keeps the allocator, chunk and node flag settings the user chose', async () => {
  const server = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const registry = new Program([server, 's'], {
    launcher: true,
    env: cleanEnv({ MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_ARENA_MAX: '8', KOMPART_CHUNK_BYTES: '65536', KOMPART_NODE_FLAGS: '--max-semi-space-size=16' }),
  });
  await registry.waitFor(/ouvindo em/);
  expect(procStrings(registry.pid, 'cmdline').slice(1)).toEqual(['--max-semi-space-size=16', BIN, server, 's']);
  const environment = procStrings(registry.pid, 'environ');
  expect(environment).toContain('MALLOC_TRIM_THRESHOLD_=131072');
  expect(environment).toContain('MALLOC_ARENA_MAX=8');
  expect(environment).toContain('KOMPART_CHUNK_BYTES=65536');
  expect(environment).toContain('MALLOC_MMAP_THRESHOLD_=16777216');
  await registry.stop();
});

it('passes arguments, output and the exit status through unchanged', async () => {
  const direct = new Program(['127.0.0.1', 'x'], { env: cleanEnv() });
  const launched = new Program(['127.0.0.1', 'x'], { launcher: true, env: cleanEnv() });
  const [directExit, launchedExit] = await Promise.all([direct.exit(), launched.exit()]);
  expect(directExit.code).toBe(2);
  expect(launchedExit).toEqual(directExit);
  expect(launched.err).toEqual(direct.err);
  expect(launched.out).toEqual(direct.out);
});

it('starts a peer without loading the registry, its Redis client and its web view (about 10 MB of heap), which a registry loads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kompart-modules-'));
  // Written by each process as it exits: every CommonJS module it loaded.
  const preload = join(dir, 'modules.cjs');
  writeFileSync(preload, "process.on('exit', () => require('node:fs').writeFileSync(process.env.MODULES_FILE, Object.keys(require.cache).join('\\n')));\n");
  const loaded = (name: string): string[] => readFileSync(join(dir, name), 'utf8').split('\n');
  const server = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const registry = new Program([server, 's'], {
    launcher: true,
    env: cleanEnv({ NODE_OPTIONS: `--require ${preload}`, MODULES_FILE: join(dir, 'registry.txt') }),
  });
  await registry.waitFor(/ouvindo em/);
  const peer = new Program([server, 'p', '127.0.0.2', '--no-cache-dir', '--downloads', dir], {
    launcher: true,
    env: cleanEnv({ NODE_OPTIONS: `--require ${preload}`, MODULES_FILE: join(dir, 'peer.txt') }),
  });
  await peer.waitFor(/pronto: servidor/);
  peer.send('exit');
  expect(await peer.exit()).toEqual({ code: 0, signal: null });
  registry.signal('SIGTERM');
  expect(await registry.exit()).toEqual({ code: 0, signal: null });

  const inPackage = (modules: string[], pkg: string): string[] => modules.filter((path) => path.includes(`/packages/${pkg}/dist/`));
  const peerModules = loaded('peer.txt');
  expect(inPackage(peerModules, 'peer').length).toBeGreaterThan(0);
  expect(inPackage(peerModules, 'registry-server')).toEqual([join(__dirname, '..', '..', 'registry-server', 'dist', 'config.js')]);
  expect(peerModules.filter((path) => path.includes('/node_modules/@redis/'))).toEqual([]);
  const registryModules = loaded('registry.txt');
  expect(inPackage(registryModules, 'registry-server').length).toBeGreaterThan(10);
  expect(registryModules.filter((path) => path.includes('/node_modules/@redis/')).length).toBeGreaterThan(0);
});

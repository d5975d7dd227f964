import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StartOptions } from './ipc.js';

/**
 * How the `kompart` command starts the program: its sh launcher
 * (packages/kompart/bin/kompart) sets glibc's allocator up and execs node with a heap
 * flag. The benchmarks start kompart's servers and peers as library code in child
 * processes, so they read both from the launcher itself (one source) and pass them on, to
 * measure the program as users run it.
 */
const LAUNCHER = join(__dirname, '..', '..', '..', 'packages', 'kompart', 'bin', 'kompart');

interface LauncherSettings {
  /** Allocator variables and the chunk size that goes with them, e.g. { MALLOC_TRIM_THRESHOLD_: '268435456', KOMPART_CHUNK_BYTES: '262144', … }. */
  readonly env: Readonly<Record<string, string>>;
  /** Node/V8 flags put before the program, e.g. ['--initial-old-space-size=64']. */
  readonly nodeFlags: readonly string[];
  /** The flags a peer gets besides (`kompart <server ip> p …`), e.g. ['--max-semi-space-size=1']. */
  readonly peerFlags: readonly string[];
}

function readLauncherSettings(): LauncherSettings {
  const text = readFileSync(LAUNCHER, 'utf8');
  const env: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/^: "\$\{(MALLOC_[A-Z_]+|KOMPART_CHUNK_BYTES):=(\d+)\}"$/gm)) env[name!] = value!;
  if (!Object.keys(env).some((name) => name.startsWith('MALLOC_'))) throw new Error(`no MALLOC_* default found in ${LAUNCHER}`);
  if (env['KOMPART_CHUNK_BYTES'] === undefined) throw new Error(`no KOMPART_CHUNK_BYTES default found in ${LAUNCHER}`);
  const flagsOf = (name: string): string[] => {
    const line = new RegExp(`^${name}='([^']*)'$`, 'm').exec(text);
    if (line === null) throw new Error(`no ${name}='…' line found in ${LAUNCHER}`);
    return line[1]!.split(' ').filter((flag) => flag !== '');
  };
  return { env, nodeFlags: flagsOf('node_flags'), peerFlags: flagsOf('peer_flags') };
}

const LAUNCHER_SETTINGS = readLauncherSettings();

/** What a child stands for: a registry (and the load generators, the default) or a peer, which the launcher gives its peer flags too. */
export type LaunchedAs = 'registry' | 'peer';

const flagsFor = (as: LaunchedAs): string[] => [...LAUNCHER_SETTINGS.nodeFlags, ...(as === 'peer' ? LAUNCHER_SETTINGS.peerFlags : [])];

/** `--flag MALLOC_X_=…, …` for notes (a peer's, unless told). */
export const launcherSettingsText = (as: LaunchedAs = 'peer'): string =>
  [...flagsFor(as), ...Object.entries(LAUNCHER_SETTINGS.env).map(([name, value]) => `${name}=${value}`)].join(' ');

/** Start options of a child started as `kompart` starts the program; `execArgv` go after the launcher's flags. */
export function asLaunched(execArgv: readonly string[] = [], as: LaunchedAs = 'registry'): StartOptions {
  return { env: { ...process.env, ...LAUNCHER_SETTINGS.env }, execArgv: [...flagsFor(as), ...execArgv] };
}

/** Start options of a plain `node` child: no launcher flags, its variables removed (glibc's defaults) whatever the shell set. */
export function asPlain(execArgv: readonly string[] = []): StartOptions {
  const env = { ...process.env };
  for (const name of Object.keys(LAUNCHER_SETTINGS.env)) delete env[name];
  return { env, execArgv };
}

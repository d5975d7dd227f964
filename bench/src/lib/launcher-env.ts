import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The environment the `kompart` command gives the program: its sh launcher
 * (packages/kompart/bin/kompart) sets glibc's allocator up before it execs node. The
 * benchmarks start kompart's servers and peers as library code in child processes, so
 * they read the settings from the launcher itself (one source) and pass them on, to
 * measure the program as users run it.
 */
const LAUNCHER = join(__dirname, '..', '..', '..', 'packages', 'kompart', 'bin', 'kompart');

function readLauncherSettings(): Readonly<Record<string, string>> {
  const settings: Record<string, string> = {};
  for (const [, name, value] of readFileSync(LAUNCHER, 'utf8').matchAll(/^: "\$\{(MALLOC_[A-Z_]+):=(\d+)\}"$/gm)) settings[name!] = value!;
  if (Object.keys(settings).length === 0) throw new Error(`no MALLOC_* default found in ${LAUNCHER}`);
  return settings;
}

/** The launcher's allocator variables, e.g. { MALLOC_TRIM_THRESHOLD_: '268435456', … }. */
export const LAUNCHER_SETTINGS = readLauncherSettings();

/** `MALLOC_X_=…, …` for notes. */
export const launcherSettingsText = (): string =>
  Object.entries(LAUNCHER_SETTINGS)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');

/** This process's environment plus the launcher's settings: a child started as `kompart` starts. */
export function launchedEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...LAUNCHER_SETTINGS };
}

/** This process's environment without them (glibc's defaults), whatever the shell set. */
export function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(LAUNCHER_SETTINGS)) delete env[name];
  return env;
}

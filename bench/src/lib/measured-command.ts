import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** What one run of an outside program cost: wall time, and the CPU time of it and its children. */
export interface MeasuredCommand {
  readonly ms: number;
  /** User + system CPU time, ms (bash's `times`: every process the command started, once it ended). */
  readonly cpuMs: number;
  readonly stdout: string;
}

/** `0m1.234s` (bash's `times`) in ms. */
const minutesSeconds = (text: string): number => {
  const match = /^(\d+)m([\d.]+)s$/.exec(text);
  if (match === null) throw new Error(`unexpected times output: ${text}`);
  return (Number(match[1]) * 60 + Number(match[2])) * 1000;
};

/**
 * Runs `command args…` under bash and reads its CPU time from bash's `times` builtin (the
 * children's user and system time, which the kernel sums up when they are reaped): the
 * cost of a curl or an openssl run, which the benchmark cannot ask to measure itself.
 * The command's own standard output is returned; `times` writes to standard error.
 */
export function runMeasured(command: string, args: readonly string[]): Promise<MeasuredCommand> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('bash', ['-c', '"$@"; code=$?; times >&2; exit $code', 'bash', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('exit', (code) => {
      const ms = performance.now() - started;
      const lines = stderr.trimEnd().split('\n');
      if (code !== 0) return reject(new Error(`${command} exited ${code}: ${lines.slice(0, -2).join('\n')}`));
      // `times`: the shell's own user/system time, then its children's.
      const [user, system] = (lines.at(-1) ?? '').trim().split(/\s+/);
      resolve({ ms, cpuMs: minutesSeconds(user ?? '') + minutesSeconds(system ?? ''), stdout });
    });
  });
}

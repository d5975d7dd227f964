import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { PeerShell } from './peer-shell.js';

/** Why a front end returned. */
export type FrontEndEnd = 'exit' | 'eof' | 'stopped' | 'menu' | 'prompt';

/**
 * Standard input that is not a terminal (a pipe, a file, --json): one command per line,
 * run one after the other, nothing but result lines printed. Returns at `exit`, at the
 * end of input once the last command finished, or when `stop` aborts (the command
 * running then is cancelled through the same signal).
 */
export async function runScript(shell: PeerShell, input: Readable, stop: AbortSignal): Promise<FrontEndEnd> {
  const lines = createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  const onStop = (): void => lines.close();
  stop.addEventListener('abort', onStop, { once: true });
  try {
    for await (const line of lines) {
      if (stop.aborted) return 'stopped';
      const outcome = await shell.executeLine(line, stop);
      if (stop.aborted) return 'stopped';
      if (outcome === 'exit') return 'exit';
    }
    return stop.aborted ? 'stopped' : 'eof';
  } finally {
    stop.removeEventListener('abort', onStop);
    lines.close();
  }
}

/**
 * The `--do` commands, in order, as if they were piped in; standard input is not read.
 * Returns at `exit`, after the last one, or when `stop` aborts.
 */
export async function runCommands(shell: PeerShell, commands: readonly string[], stop: AbortSignal): Promise<FrontEndEnd> {
  for (const command of commands) {
    if (stop.aborted) return 'stopped';
    const outcome = await shell.executeLine(command, stop);
    if (stop.aborted) return 'stopped';
    if (outcome === 'exit') return 'exit';
  }
  return 'eof';
}

import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { render, sharedTexts, type Lang } from '@kompart/core';
import { parseArguments } from './config.js';
import { ExitCode } from './exit-codes.js';
import type { ProgramIo, StopSignal } from './io.js';
import { helpText, usageText, versionText } from './usage.js';

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * The `kompart` program: reads the command line and the environment into one config,
 * runs the server or the peer, and exits with its code. The only place that touches
 * `process.exit`; everything it calls gets the process through ProgramIo.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<never> {
  let lang: Lang = 'pt';
  let debug = false;
  // A closed pipe (`kompart … | head -1`) must not end in a stack trace.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const fail = (error: unknown): never => {
    const detail = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${render(sharedTexts.unexpected, lang, { detail })}\n`);
    if (debug && error instanceof Error && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    return exit(ExitCode.Failed);
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);

  try {
    const parsed = parseArguments(argv, env);
    if (!parsed.ok) {
      process.stderr.write(`${parsed.errorMessage}\n\n${usageText(parsed.lang)}\n`);
      return await flushAndExit(ExitCode.Usage);
    }
    if (parsed.action === 'help') {
      process.stdout.write(`${helpText(parsed.lang)}\n`);
      return await flushAndExit(ExitCode.Ok);
    }
    if (parsed.action === 'version') {
      process.stdout.write(`${versionText(parsed.lang)}\n`);
      return await flushAndExit(ExitCode.Ok);
    }
    if (parsed.action !== 'run') return await flushAndExit(ExitCode.Ok);
    const { config } = parsed;
    lang = config.lang;
    debug = config.logLevel === 'debug';
    // grpc-js prints its own English lines to stderr ("E No address added…"); they are
    // for developers: shown with --log-level debug or GRPC_VERBOSITY, hidden otherwise.
    if (env['GRPC_VERBOSITY'] === undefined) setLogVerbosity(debug ? logVerbosity.ERROR : logVerbosity.NONE);
    const io = processIo(env);
    // Each mode loads only its own code: a peer never loads the registry, its Redis client
    // and its web view (about 10 MB of a peer's heap), a registry never loads the menu.
    const code =
      config.mode === 'server' ? await (await import('./run-server.js')).runServer(config, io) : await (await import('./run-peer.js')).runPeer(config, io);
    return await flushAndExit(code);
  } catch (error) {
    return fail(error);
  }
}

function processIo(env: NodeJS.ProcessEnv): ProgramIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env,
    onSignal(handler) {
      const listeners = STOP_SIGNALS.map((signal) => {
        const listener = (): void => handler(signal);
        process.on(signal, listener);
        return [signal, listener] as const;
      });
      return () => {
        for (const [signal, listener] of listeners) process.off(signal, listener);
      };
    },
    exitNow: exit,
  };
}

/** Lets what was written reach the pipe or terminal, then ends the process. */
async function flushAndExit(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
  return exit(code);
}

function exit(code: number): never {
  process.exit(code);
}

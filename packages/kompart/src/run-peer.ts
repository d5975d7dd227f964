import { rmSync, writeFileSync } from 'node:fs';
import { createColors } from 'picocolors';
import { isKompartError, render, type Lang } from '@kompart/core';
import { ListenFailure } from '@kompart/grpc';
import { PeerErrorCode, createPeer, peerError } from '@kompart/peer';
import type { PeerConfig } from './config.js';
import { ExitCode } from './exit-codes.js';
import type { ProgramIo, StopSignal } from './io.js';
import { ForegroundCommands } from './foreground.js';
import { createLineLogger } from './line-logger.js';
import { downloadsProblem, unresolvedNames } from './start-checks.js';
import { readTlsFiles } from './tls-files.js';
import { runMenu } from './menu.js';
import { Output } from './output.js';
import { PeerShell } from './peer-shell.js';
import { createJsonProgress, createTerminalProgress, noProgress } from './progress.js';
import { runCommands, runScript, type FrontEndEnd } from './script-input.js';
import { cliTexts } from './texts.js';
import { runTypedPrompt } from './typed-prompt.js';

type FrontEnd = 'menu' | 'prompt' | 'script' | 'commands';

/**
 * `kompart <server ip> p <host ip>`: starts the FileService, then reads commands from the
 * menu (terminal, default), the typed prompt (terminal, --no-menu) or standard input
 * (anything else, or --json), one at a time, or runs the `--do` commands and leaves.
 * Start-up work (--register, --share) runs first.
 *
 * Leaving: `exit`, Ctrl-D or the end of input leave after the command in progress;
 * SIGTERM and SIGHUP cancel it (a download keeps its `.part` and says so), and so does
 * Ctrl-C when standard input is not a terminal. On a terminal Ctrl-C follows Node's REPL
 * (see the typed prompt and the menu): it cancels the running command, and a second one
 * at an empty prompt leaves. Either way a registered peer disconnects before the process
 * ends. A signal while already leaving quits at once.
 *
 * Exit code: 0, or 1 when standard input is not a terminal and a command failed; 3 when
 * the FileService cannot listen.
 */
export async function runPeer(config: PeerConfig, io: ProgramIo): Promise<number> {
  const { lang } = config;
  const registryId = config.registry.map((endpoint) => endpoint.id).join(',');
  const logger = createLineLogger({ level: config.logLevel, json: config.json, write: (line) => io.stderr.write(`${line}\n`) });
  const onTerminal = io.stdout.isTTY === true;
  const oneShot = config.commands.length > 0;
  const interactive = !oneShot && io.stdin.isTTY === true && onTerminal && !config.json;
  // Colours on a terminal unless NO_COLOR is set (https://no-color.org): errors red, results green.
  const colours = createColors(onTerminal && !config.json && (io.env['NO_COLOR'] ?? '') === '');
  const output = new Output({
    json: config.json,
    write: (chunk) => io.stdout.write(chunk),
    writeError: onTerminal || config.json ? undefined : (chunk) => io.stderr.write(chunk),
    paint: { error: colours.red, result: colours.green },
  });
  const tls = readTlsFiles(config.tls, lang);
  if (!tls.ok) {
    io.stderr.write(`${tls.message}\n`);
    return ExitCode.Usage;
  }
  const downloads = downloadsProblem(config.downloadsDir, lang);
  if (downloads !== undefined) {
    io.stderr.write(`${downloads}\n`);
    return ExitCode.Usage;
  }
  // A registry name that does not resolve: one line; fatal unless start-up registration
  // will wait for the registry anyway (containers whose names appear as they start).
  const unresolved = await unresolvedNames(config.registry, lang);
  for (const line of unresolved) io.stderr.write(`${line}\n`);
  if (unresolved.length > 0 && !config.registerAtStart) return ExitCode.Usage;
  const peer = createPeer(
    {
      registry: config.registry,
      address: config.host.id,
      downloadsDir: config.downloadsDir,
      cacheDir: config.cacheDir ?? null,
      lang,
      requireTickets: config.requireTickets,
      plaintextTransfers: config.plaintextTransfers,
      ...(config.identityDir === undefined ? {} : { identityDir: config.identityDir }),
      watchShares: config.watchShares,
      maxDownloadsPerRequester: config.maxDownloadsPerRequester,
      serveIdleTimeoutMs: config.serveIdleTimeoutMs,
      singleSource: config.singleSource,
      stallTimeoutMs: config.stallTimeoutMs,
      ...(config.listen === undefined ? {} : { listen: config.listen.target }),
      ...(tls.tls === undefined ? {} : { tls: tls.tls }),
      ...(config.registryFingerprint !== undefined
        ? { registryTrust: { fingerprint: config.registryFingerprint } }
        : config.tlsMode === 'auto'
          ? { registryTrust: {} }
          : {}),
      ...(config.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: config.heartbeatIntervalMs }),
      ...(config.chunkBytes === undefined ? {} : { chunkBytes: config.chunkBytes }),
      ...(config.metrics === undefined ? {} : { metricsAddress: config.metrics.target }),
    },
    { logger, cwd: io.cwd },
  );
  const shell = new PeerShell({
    peer,
    output,
    progress: config.json ? createJsonProgress(output) : onTerminal ? createTerminalProgress(output, io.stdout, lang) : noProgress,
    lang,
    server: registryId,
    menuAvailable: interactive,
    logger,
    cwd: io.cwd,
  });

  const stopping = new AbortController();
  const foreground = new ForegroundCommands(stopping.signal);
  const requestStop = (signal: StopSignal): void => {
    // On a terminal Ctrl-C cancels the command running, as in Node's REPL; the peer stays.
    // (The typed prompt reads Ctrl-C as a key; a real SIGINT comes while no prompt reads.)
    if (signal === 'SIGINT' && interactive && !stopping.signal.aborted && foreground.interrupt()) return;
    if (stopping.signal.aborted) {
      output.print('info', render(cliTexts.forcedExit, lang), { event: 'forced-exit' });
      io.exitNow(ExitCode.Interrupted);
    }
    const text = signal === 'SIGINT' ? render(cliTexts.interrupted, lang) : render(cliTexts.signalReceived, lang, { signal });
    output.print('info', text, { event: 'signal', signal });
    stopping.abort(peerError(PeerErrorCode.NOT_RUNNING, { state: 'closing' }));
  };
  const removeHandler = io.onSignal(requestStop);

  try {
    try {
      await peer.start();
    } catch (error) {
      if (isKompartError(error, ...Object.values(ListenFailure))) {
        io.stderr.write(`${error.render(lang)}\n`);
        return ExitCode.Unavailable;
      }
      throw error;
    }
    const removeEvents = peer.events.onAny((event) => shell.printEvent(event));
    try {
      output.print(
        'info',
        render(cliTexts.peerReady, lang, { peer: peer.id, server: registryId, address: peer.fileServiceTarget, downloads: peer.downloadsDir }),
        { event: 'ready', peer: peer.id, server: registryId, address: peer.fileServiceTarget, downloads: peer.downloadsDir },
      );
      if (config.registerAtStart && !stopping.signal.aborted && (await shell.registerAtStart(stopping.signal)) === 'ok') {
        // A script that registers the peer too is not wrong: --share already did.
        shell.registeredAtStart = true;
        for (const path of config.share) {
          if (stopping.signal.aborted) break;
          await shell.execute({ name: 'register-file', path }, stopping.signal);
        }
      }
      // Start-up work done: a container's health check may now count this peer as ready.
      if (config.readyFile !== undefined && !stopping.signal.aborted) writeFileSync(config.readyFile, `${peer.id}\n`);
      await readCommands(shell, output, config, io, interactive, stopping.signal, foreground, lang);
      await shell.disconnectIfRegistered();
    } finally {
      if (config.readyFile !== undefined) rmSync(config.readyFile, { force: true });
      await peer.close();
      removeEvents();
    }
    return !interactive && shell.failures > 0 ? ExitCode.Failed : ExitCode.Ok;
  } finally {
    removeHandler();
  }
}

/** Runs the front ends until the user leaves, switching between menu and prompt on request. */
async function readCommands(
  shell: PeerShell,
  output: Output,
  config: PeerConfig,
  io: ProgramIo,
  interactive: boolean,
  stop: AbortSignal,
  foreground: ForegroundCommands,
  lang: Lang,
): Promise<void> {
  let frontEnd: FrontEnd = config.commands.length > 0 ? 'commands' : !interactive ? 'script' : config.menu === false ? 'prompt' : 'menu';
  const history: string[] = [];
  if (frontEnd === 'prompt') output.print('info', render(cliTexts.promptHint, lang));
  for (;;) {
    if (stop.aborted) return;
    let end: FrontEndEnd;
    switch (frontEnd) {
      case 'commands':
        end = await runCommands(shell, config.commands, stop);
        break;
      case 'script':
        end = await runScript(shell, io.stdin, stop);
        break;
      case 'prompt':
        end = await runTypedPrompt({ shell, output, lang, input: io.stdin, terminal: io.stdout, stop, foreground, history, menuAvailable: true, cwd: io.cwd });
        break;
      case 'menu':
        end = await runMenu({ shell, output, lang, input: io.stdin, terminal: io.stdout, stop, foreground, cwd: io.cwd });
        break;
    }
    if (end === 'menu') {
      frontEnd = 'menu';
      continue;
    }
    if (end === 'prompt') {
      frontEnd = 'prompt';
      output.print('info', render(cliTexts.menuToPrompt, lang));
      continue;
    }
    if (end === 'eof' && config.keepRunning && !stop.aborted) {
      output.print('info', render(cliTexts.keepRunning, lang), { event: 'end-of-input' });
      await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
    }
    return;
  }
}

import { isKompartError, render } from '@kompart/core';
import { ListenFailure } from '@kompart/grpc';
import { startRegistryServer } from '@kompart/registry-server';
import type { ServerConfig } from './config.js';
import { ExitCode } from './exit-codes.js';
import type { ProgramIo, StopSignal } from './io.js';
import { createLineLogger } from './line-logger.js';
import { cliTexts } from './texts.js';
import { readTlsFiles } from './tls-files.js';

/**
 * `kompart <server ip> s`: runs the registry until SIGINT, SIGTERM or SIGHUP, logging
 * each event readably (or as JSON lines with --json) on standard output. A second signal
 * during the shutdown stops at once. The address being in use is one line on standard
 * error and exit code 3.
 */
export async function runServer(config: ServerConfig, io: ProgramIo): Promise<number> {
  const logger = createLineLogger({ level: config.logLevel, json: config.json, write: (line) => io.stdout.write(`${line}\n`) });
  const tls = readTlsFiles(config.tls, config.lang);
  if (!tls.ok) {
    io.stderr.write(`${tls.message}\n`);
    return ExitCode.Usage;
  }
  let received: StopSignal | undefined;
  let wake: ((signal: StopSignal) => void) | undefined;
  const removeHandler = io.onSignal((signal) => {
    if (received !== undefined) io.exitNow(ExitCode.Interrupted);
    received = signal;
    wake?.(signal);
  });
  try {
    let registry;
    try {
      registry = await startRegistryServer({
        address: config.listen.target,
        lang: config.lang,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        heartbeatMisses: config.heartbeatMisses,
        maxFilesPerPeer: config.maxFilesPerPeer,
        summaryIntervalMs: config.summaryIntervalMs,
        trustPeerAddresses: config.trustPeerAddresses,
        maxRequestsPerSecond: config.maxRequestsPerSecond,
        ticketTtlMs: config.ticketTtlMs,
        maxMessageBytes: config.maxMessageBytes,
        maxPathBytes: config.maxPathBytes,
        tls: tls.tls,
        logger,
      });
    } catch (error) {
      if (isKompartError(error, ListenFailure.AddressInUse, ListenFailure.ListenFailed)) {
        io.stderr.write(`${error.render(config.lang)}\n`);
        return ExitCode.Unavailable;
      }
      throw error;
    }
    const signal = received ?? (await new Promise<StopSignal>((resolve) => (wake = resolve)));
    logger.info({ event: 'signal', signal }, render(cliTexts.signalReceived, config.lang, { signal }));
    await registry.close();
    return ExitCode.Ok;
  } finally {
    removeHandler();
  }
}

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, isKompartError, render, type Lang } from '@kompart/core';
import { ListenFailure } from '@kompart/grpc';
import { stateHome } from '@kompart/peer';
import { RedisStore, redactedUrl, serverTexts, startRegistryServer, type RegistryStore } from '@kompart/registry-server';
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
  const ticketKey = readTicketKey(config.ticketKey, config.lang);
  if (!ticketKey.ok) {
    io.stderr.write(`${ticketKey.message}\n`);
    return ExitCode.Usage;
  }
  let received: StopSignal | undefined;
  let wake: ((signal: StopSignal) => void) | undefined;
  const stopWaiting = new AbortController();
  const removeHandler = io.onSignal((signal) => {
    if (received !== undefined) io.exitNow(ExitCode.Interrupted);
    received = signal;
    stopWaiting.abort();
    wake?.(signal);
  });
  try {
    let store: RegistryStore | undefined;
    if (config.store !== 'memory') {
      logger.info({ event: 'store-connecting' }, render(serverTexts.storeConnecting, config.lang, { store: redactedUrl(config.store) }));
      // Waits for Redis as long as it takes (containers start together); a signal ends the wait.
      store = await RedisStore.connect({ url: config.store, logger, signal: stopWaiting.signal }).catch((error: unknown) => {
        if (stopWaiting.signal.aborted) return undefined;
        throw error;
      });
      if (store === undefined) return ExitCode.Ok;
    }
    let registry;
    try {
      registry = await startRegistryServer({
        ...(store === undefined ? {} : { store }),
        ...(ticketKey.pem === undefined ? {} : { ticketKey: ticketKey.pem }),
        address: config.listen.target,
        lang: config.lang,
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        heartbeatMisses: config.heartbeatMisses,
        maxFilesPerPeer: config.maxFilesPerPeer,
        summaryIntervalMs: config.summaryIntervalMs,
        trustPeerAddresses: config.trustPeerAddresses,
        maxRequestsPerSecond: config.maxRequestsPerSecond,
        maxRegistrationsPerMinute: config.maxRegistrationsPerMinute,
        maxSessionsPerIp: config.maxSessionsPerIp,
        maxPeers: config.maxPeers,
        maxFiles: config.maxFiles,
        ticketTtlMs: config.ticketTtlMs,
        maxMessageBytes: config.maxMessageBytes,
        maxPathBytes: config.maxPathBytes,
        tls: tls.tls,
        autoTls: config.tlsMode === 'auto' ? { identityDir: registryIdentityDir(config, store === undefined) } : undefined,
        metricsAddress: config.metrics?.target,
        webAddress: config.web?.target,
        logger,
      });
    } catch (error) {
      if (isKompartError(error, ...Object.values(ListenFailure))) {
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

/**
 * Where `--tls auto` keeps the registry's identity: `--identity DIR`; by default
 * `$XDG_STATE_HOME/kompart/registry/<address>` with the memory store, and the store itself
 * with Redis (every replica the same certificate). `--no-identity`: the store's, which
 * for the memory store is a new one every run.
 */
function registryIdentityDir(config: ServerConfig, memoryStore: boolean): string | undefined {
  if (config.identityDir === null) return undefined;
  if (config.identityDir !== undefined) return config.identityDir;
  if (!memoryStore) return undefined;
  return join(stateHome(), 'kompart', 'registry', config.listen.target.replace(/[^0-9A-Za-z._-]/g, '_'));
}

/** The ticket key file (--ticket-key), checked to hold an Ed25519 private key; none: the store's. */
function readTicketKey(path: string | undefined, lang: Lang): { ok: true; pem: string | undefined } | { ok: false; message: string } {
  if (path === undefined) return { ok: true, pem: undefined };
  try {
    const pem = readFileSync(path, 'utf8');
    const type = createPrivateKey(pem).asymmetricKeyType;
    if (type !== 'ed25519') throw new Error(`a ${type ?? 'unknown'} key`);
    return { ok: true, pem };
  } catch (error) {
    const detail = errnoCode(error) ?? (error instanceof Error ? error.message : String(error));
    return { ok: false, message: render(cliTexts.usageBadTicketKey, lang, { path, detail }) };
  }
}

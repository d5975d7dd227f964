import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PEER_PORT, DEFAULT_REGISTRY_PORT } from '@kompart/protocol';
import { render, type Lang } from '@kompart/core';
import { cliTexts } from './texts.js';
import { DEFAULTS } from './config.js';

/** The short usage printed after a usage error: the seed syntax first. */
export function usageText(lang: Lang): string {
  return render(cliTexts.usage, lang, { registryPort: DEFAULT_REGISTRY_PORT, peerPort: DEFAULT_PEER_PORT });
}

/** `kompart --help`: the seed syntax, every option with its variable, the peer commands, exit codes. */
export function helpText(lang: Lang): string {
  return render(cliTexts.help, lang, {
    registryPort: DEFAULT_REGISTRY_PORT,
    peerPort: DEFAULT_PEER_PORT,
    heartbeatMs: DEFAULTS.heartbeatIntervalMs,
    misses: DEFAULTS.heartbeatMisses,
    summaryMs: DEFAULTS.summaryIntervalMs,
    maxRequests: DEFAULTS.maxRequestsPerSecond,
    ticketTtl: DEFAULTS.ticketTtlMs,
    maxMessage: DEFAULTS.maxMessageBytes,
    maxPath: DEFAULTS.maxPathBytes,
    commands: render(cliTexts.commandList, lang),
  });
}

/** `kompart --version`. */
export function versionText(lang: Lang): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
  return render(cliTexts.version, lang, { version: manifest.version ?? '?' });
}

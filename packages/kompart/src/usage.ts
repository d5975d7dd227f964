import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PEER_PORT, DEFAULT_REGISTRY_PORT } from '@kompart/protocol';
import { render, type Lang } from '@kompart/core';
import { optionsHelp } from './option-table.js';
import { ACTION_FLAGS, METAVARS, OPTIONS } from './options.js';
import { cliTexts } from './texts.js';

/** The short usage printed after a usage error: the seed syntax first. */
export function usageText(lang: Lang): string {
  return render(cliTexts.usage, lang, { registryPort: DEFAULT_REGISTRY_PORT, peerPort: DEFAULT_PEER_PORT });
}

/** `kompart --help`: the seed syntax, every option with its variable (from the option table), the peer commands, exit codes. */
export function helpText(lang: Lang): string {
  return render(cliTexts.help, lang, {
    registryPort: DEFAULT_REGISTRY_PORT,
    peerPort: DEFAULT_PEER_PORT,
    options: optionsHelp(OPTIONS, ACTION_FLAGS, lang, METAVARS),
    commands: render(cliTexts.commandList, lang),
  });
}

/** `kompart --version`. */
export function versionText(lang: Lang): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
  return render(cliTexts.version, lang, { version: manifest.version ?? '?' });
}

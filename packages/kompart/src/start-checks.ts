import { accessSync, constants, statSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { render, type Endpoint, type Lang } from '@kompart/core';
import { cliTexts } from './texts.js';

/**
 * What a peer can tell is wrong before it starts, as one line in the user's language:
 * a downloads folder that is not a folder (or not writable), and registry names that do
 * not resolve. Nothing is created or changed.
 */

/** Why `--downloads` cannot be used, or undefined when it can (it need not exist yet). */
export function downloadsProblem(path: string, lang: Lang): string | undefined {
  // The folder itself, or the nearest existing folder it would be made in.
  for (let current = path; ; current = dirname(current)) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(current).isDirectory();
    } catch {
      if (dirname(current) === current) return undefined;
      continue;
    }
    if (!isDirectory) return render(cliTexts.downloadsNotFolder, lang, { path, found: current });
    try {
      accessSync(current, constants.W_OK | constants.X_OK);
    } catch {
      return render(cliTexts.downloadsNotWritable, lang, { path, found: current });
    }
    return undefined;
  }
}

/** The registry host names among `endpoints` that do not resolve, each as a line. */
export async function unresolvedNames(endpoints: readonly Endpoint[], lang: Lang): Promise<string[]> {
  const names = [...new Set(endpoints.map((endpoint) => endpoint.host).filter((host) => isIP(host) === 0))];
  const problems = await Promise.all(
    names.map(async (host) => {
      try {
        await lookup(host);
        return undefined;
      } catch {
        return render(cliTexts.registryNameNotFound, lang, { host });
      }
    }),
  );
  return problems.filter((problem): problem is string => problem !== undefined);
}

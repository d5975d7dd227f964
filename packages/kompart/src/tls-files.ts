import { readFileSync } from 'node:fs';
import { errnoCode, render, type Lang } from '@kompart/core';
import type { TlsMaterial } from '@kompart/grpc';
import { cliTexts } from './texts.js';

/** Paths as given on the command line (`--tls-cert`, `--tls-key`, `--tls-ca`), absolute. */
export interface TlsFiles {
  readonly cert?: string;
  readonly key?: string;
  readonly ca?: string;
}

/** The TLS files read, or the line that says which one could not be. */
export type TlsReading = { readonly ok: true; readonly tls: TlsMaterial | undefined } | { readonly ok: false; readonly message: string };

/** Reads the PEM files named by --tls-cert/--tls-key/--tls-ca (none: plaintext). */
export function readTlsFiles(files: TlsFiles | undefined, lang: Lang): TlsReading {
  if (files === undefined) return { ok: true, tls: undefined };
  const material: { cert?: Buffer; key?: Buffer; ca?: Buffer } = {};
  for (const part of ['cert', 'key', 'ca'] as const) {
    const path = files[part];
    if (path === undefined) continue;
    try {
      material[part] = readFileSync(path);
    } catch (error) {
      const detail = errnoCode(error) ?? (error instanceof Error ? error.message : String(error));
      return { ok: false, message: render(cliTexts.tlsUnreadable, lang, { path, detail }) };
    }
  }
  return { ok: true, tls: material };
}

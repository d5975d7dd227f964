import type { Lang } from '@kompart/core';

/**
 * Formatting shared by every output: sizes, rates, durations, addresses. Deterministic
 * (no system locale): the language chooses the decimal separator (`1,5 MiB` in pt,
 * `1.5 MiB` in en), nothing else, so tests compare these strings exactly.
 */

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** One decimal, with the language's separator. */
function decimal(value: number, lang: Lang): string {
  const text = value.toFixed(1);
  return lang === 'pt' ? text.replace('.', ',') : text;
}

/**
 * A byte count for people: `512 B` below 1 KiB, then one decimal in binary units
 * (`1.5 KiB`, `3.2 MiB`, `12.0 GiB`; `1,5 KiB` in pt).
 */
export function formatBytes(bytes: number, lang: Lang): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes))} B`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.95 KiB would print as "1024.0 KiB": move to the next unit instead.
  if (Number(value.toFixed(1)) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${decimal(value, lang)} ${UNITS[unit]}`;
}

/** A transfer rate: `formatBytes(bytesPerSecond)/s`. */
export function formatRate(bytesPerSecond: number, lang: Lang): string {
  return `${formatBytes(bytesPerSecond, lang)}/s`;
}

/**
 * How long something took, for a finish line: `0.4 s` and `3.2 s` below 10 s (`3,2 s` in
 * pt), then as formatDuration (`42s`, `3m05s`).
 */
export function formatElapsed(ms: number, lang: Lang): string {
  const seconds = Math.max(0, ms) / 1000;
  return seconds < 10 ? `${decimal(seconds, lang)} s` : formatDuration(seconds);
}

/** A duration in whole seconds: `42s`, `3m05s`, `1h02m`; `--` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** The address part of a gRPC peer string: `ipv4:127.0.0.3:41234` → `127.0.0.3`. */
export function clientAddress(grpcPeer: string): string {
  const text = grpcPeer.replace(/^ipv[46]:/, '');
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (v6 !== null) return v6[1]!;
  const v4 = /^([^:]+):\d+$/.exec(text);
  return v4 === null ? text : v4[1]!;
}

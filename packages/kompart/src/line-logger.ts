import type { Logger } from '@kompart/core';

/** Log levels, most verbose first; `silent` prints nothing. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Level = Exclude<LogLevel, 'silent'>;

export interface LineLoggerOptions {
  /** Lines below this level are dropped. */
  readonly level: LogLevel;
  /** One JSON object per line instead of `HH:MM:SS LEVEL message`. */
  readonly json: boolean;
  /** Receives each finished line, without its newline. */
  readonly write: (line: string) => void;
  /** Wall clock (ms since the epoch), injectable for tests. */
  readonly clock?: () => number;
}

const LABELS: Readonly<Record<Level, string>> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };

/**
 * A Logger that writes one line per record, synchronously, in the order of the calls:
 *
 * - readable: `14:03:07 INFO Peer 127.0.0.2 registrado` (local time). An `err` field adds
 *   its message in parentheses; other fields stay out of the way (they are in --json).
 * - JSON: `{"time":"2026-11-27T14:03:07.120Z","level":"info","msg":"…",…fields}`, with
 *   errors as `{type, message, stack}` (operators' logs may carry stacks; users' output never does).
 */
export function createLineLogger(options: LineLoggerOptions): Logger {
  const clock = options.clock ?? Date.now;
  const threshold = LOG_LEVELS.indexOf(options.level);
  const log =
    (level: Level) =>
    (fields: Record<string, unknown>, message: string): void => {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      const now = clock();
      options.write(options.json ? jsonLine(now, level, fields, message) : textLine(now, level, fields, message));
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function textLine(now: number, level: Level, fields: Record<string, unknown>, message: string): string {
  const time = new Date(now);
  const clock = [time.getHours(), time.getMinutes(), time.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
  const cause = fields['err'] ?? fields['error'];
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a log field holds anything; a non-Error is shown as String() writes it
  const detail = cause === undefined ? '' : ` (${cause instanceof Error ? cause.message : String(cause)})`;
  return `${clock} ${LABELS[level]} ${message}${detail}`;
}

function jsonLine(now: number, level: Level, fields: Record<string, unknown>, message: string): string {
  const record: Record<string, unknown> = { time: new Date(now).toISOString(), level };
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'time' || key === 'level' || key === 'msg') continue;
    record[key] = value;
  }
  record['msg'] = message;
  return JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) return { type: value.name, message: value.message, stack: value.stack };
    return value;
  });
}

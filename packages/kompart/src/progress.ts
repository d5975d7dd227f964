import { MultiBar, type Options, type Params } from 'cli-progress';
import type { Lang } from '@kompart/core';
import { formatBytes, formatDuration, formatRate } from './format.js';
import type { Output } from './output.js';

/** One running task's progress. */
export interface ProgressTask {
  /** Bytes done so far (of the task's total); `label` replaces the label. */
  update(bytes: number, label?: string): void;
  /** Removes the bar (idempotent). */
  stop(): void;
}

/** Creates progress displays for hashing and downloads. */
export interface Progress {
  /** `kind` names the work in --json records (`hashing`, `download`). */
  start(label: string, total: number, initial?: number, kind?: string): ProgressTask;
}

/** Where progress is not shown (pipes): start/finish lines are printed by the caller. */
export const noProgress: Progress = {
  start: () => ({ update: () => undefined, stop: () => undefined }),
};

/** Widest bar; it shrinks to leave room for the figures on a narrow terminal. */
const BAR_WIDTH = 24;
const MIN_BAR_WIDTH = 5;

interface Payload {
  label: string;
  /** Bytes present when the task began (a resumed download): not counted in the rate. */
  initial: number;
}

/**
 * Progress bars for a terminal (cli-progress), one line per running task, all in one
 * MultiBar: `label [█████░░░░░] 48% 12,0 MiB/25,0 MiB 310,2 MiB/s ETA 1s`. Each line fits
 * the terminal's width: the bar shrinks first, then the label is cut (with `…`), so the
 * rate and the ETA are never cut off. While bars are shown, lines printed through
 * `output` appear above them.
 */
export function createTerminalProgress(output: Output, stream: NodeJS.WriteStream, lang: Lang): Progress {
  let bars: MultiBar | undefined;
  let pop: (() => void) | undefined;
  let running = 0;
  const open = (): MultiBar => {
    if (bars !== undefined) return bars;
    const options: Options = {
      stream,
      hideCursor: true,
      clearOnComplete: true,
      stopOnComplete: false,
      fps: 8,
      format: (_options: Options, params: Params, payload: Payload) => renderBar(params, payload, stream.columns, lang),
    };
    const created = new MultiBar(options);
    bars = created;
    // Lines printed meanwhile go above the bars, at once (and are never lost at stop()).
    pop = output.push({
      write(line) {
        created.log(`${line}\n`);
        created.update();
      },
    });
    return created;
  };
  return {
    start(label, total, initial = 0) {
      const multi = open();
      const bar = multi.create(Math.max(total, 0), initial, { label, initial } satisfies Payload);
      running++;
      let stopped = false;
      return {
        update(bytes, newLabel) {
          if (stopped) return;
          bar.update(bytes, newLabel === undefined ? {} : { label: newLabel });
        },
        stop() {
          if (stopped) return;
          stopped = true;
          multi.remove(bar);
          if (--running > 0) return;
          pop?.();
          multi.stop();
          bars = undefined;
          pop = undefined;
        },
      };
    },
  };
}

/**
 * Progress as --json records: every second while a task runs, one line of type
 * `progress` with `kind`, `label`, `bytes`, `total` and `bytesPerSecond` (since the task
 * began, bytes present at its start not counted).
 */
export function createJsonProgress(output: Output, intervalMs = 1000): Progress {
  return {
    start(label, total, initial = 0, kind = 'task') {
      const started = Date.now();
      let bytes = initial;
      let current = label;
      const report = (): void => {
        const seconds = Math.max((Date.now() - started) / 1000, 0.001);
        output.print('progress', current, { kind, label: current, bytes, total, bytesPerSecond: Math.round((bytes - initial) / seconds) });
      };
      const timer = setInterval(report, intervalMs);
      timer.unref();
      return {
        update(done, newLabel) {
          bytes = done;
          if (newLabel !== undefined) current = newLabel;
        },
        stop() {
          clearInterval(timer);
        },
      };
    },
  };
}

/** One bar's line, fitted to `columns` (80 when unknown). */
function renderBar(params: Params, payload: Payload, columns: number | undefined, lang: Lang): string {
  const total = params.total;
  const fraction = total > 0 ? Math.min(1, params.value / total) : 1;
  const seconds = Math.max((Date.now() - params.startTime) / 1000, 0.001);
  const rate = Math.max(0, params.value - payload.initial) / seconds;
  const eta = rate > 0 ? (total - params.value) / rate : Number.POSITIVE_INFINITY;
  const figures = [
    `${Math.floor(fraction * 100)}%`,
    `${formatBytes(params.value, lang)}/${formatBytes(total, lang)}`,
    formatRate(rate, lang),
    `ETA ${formatDuration(eta)}`,
  ].join(' ');
  // One column spare: a line exactly as wide as the terminal wraps on some of them.
  const room = Math.max(20, (columns ?? 80) - 1);
  const barWidth = Math.max(MIN_BAR_WIDTH, Math.min(BAR_WIDTH, room - figures.length - payload.label.length - 4));
  const labelRoom = Math.max(1, room - figures.length - barWidth - 4);
  const label = [...payload.label].length <= labelRoom ? payload.label : `${[...payload.label].slice(0, Math.max(0, labelRoom - 1)).join('')}…`;
  const filled = Math.round(fraction * barWidth);
  return `${label} [${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}] ${figures}`;
}

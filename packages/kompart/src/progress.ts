import { MultiBar, type Options, type Params } from 'cli-progress';
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
  start(label: string, total: number, initial?: number): ProgressTask;
}

/** Where progress is not shown (pipes, --json): start/finish lines are printed by the caller. */
export const noProgress: Progress = {
  start: () => ({ update: () => undefined, stop: () => undefined }),
};

const BAR_WIDTH = 24;

interface Payload {
  label: string;
  /** Bytes present when the task began (a resumed download): not counted in the rate. */
  initial: number;
}

/**
 * Progress bars for a terminal (cli-progress): `label [█████░░░░░] 48% 12.0 MiB/25.0 MiB
 * 310.2 MiB/s ETA 1s`. While a bar is shown, lines printed through `output` appear above it.
 */
export function createTerminalProgress(output: Output, stream: NodeJS.WriteStream): Progress {
  return {
    start(label, total, initial = 0) {
      const options: Options = {
        stream,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
        fps: 8,
        format: (_options: Options, params: Params, payload: Payload) => renderBar(params, payload),
      };
      const bars = new MultiBar(options);
      const bar = bars.create(Math.max(total, 0), initial, { label, initial } satisfies Payload);
      // Lines printed meanwhile go above the bar, at once (and are never lost at stop()).
      const pop = output.push({
        write(line) {
          bars.log(`${line}\n`);
          bars.update();
        },
      });
      let stopped = false;
      return {
        update(bytes, newLabel) {
          if (stopped) return;
          bar.update(bytes, newLabel === undefined ? {} : { label: newLabel });
        },
        stop() {
          if (stopped) return;
          stopped = true;
          pop();
          bars.stop();
        },
      };
    },
  };
}

function renderBar(params: Params, payload: Payload): string {
  const total = params.total;
  const fraction = total > 0 ? Math.min(1, params.value / total) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const seconds = Math.max((Date.now() - params.startTime) / 1000, 0.001);
  const rate = Math.max(0, params.value - payload.initial) / seconds;
  const eta = rate > 0 ? (total - params.value) / rate : Number.POSITIVE_INFINITY;
  return [
    payload.label,
    `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`,
    `${Math.floor(fraction * 100)}%`,
    `${formatBytes(params.value)}/${formatBytes(total)}`,
    formatRate(rate),
    `ETA ${formatDuration(eta)}`,
  ].join(' ');
}

/** Result rows and the table printed at the end of a run (and pasted into BENCHMARKS.md). */

export type Unit = 'calls/s' | 'ms' | 's' | 'µs' | 'B' | 'MB' | 'MiB/s' | '% core' | 'x' | 'peers';

export interface Row {
  /** Issue item (1–6; 7 for the registry cluster, issue 15 item 8) the row answers. */
  readonly item: number;
  readonly figure: string;
  readonly unit: Unit;
  readonly kompart: number;
  /** The same figure for the baseline, measured in the same run; undefined when none applies. */
  readonly baseline?: number | undefined;
  readonly baselineName?: string | undefined;
  /** What the target compares: the ratio kompart/baseline, or kompart's absolute value. */
  readonly target?: { readonly on: 'ratio' | 'value'; readonly op: '>=' | '<=' | '<'; readonly limit: number; readonly text: string } | undefined;
  /** Runs behind the medians, and anything a reader needs to interpret them. */
  readonly note?: string | undefined;
}

function ratioOf(row: Row): number | undefined {
  return row.baseline === undefined || row.baseline === 0 ? undefined : row.kompart / row.baseline;
}

function verdict(row: Row): 'pass' | 'FAIL' | '' {
  if (row.target === undefined) return '';
  const value = row.target.on === 'ratio' ? ratioOf(row) : row.kompart;
  if (value === undefined || Number.isNaN(value)) return 'FAIL';
  const { op, limit } = row.target;
  const ok = op === '>=' ? value >= limit : op === '<=' ? value <= limit : value < limit;
  return ok ? 'pass' : 'FAIL';
}

function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return unit === 'x' ? `${text}x` : `${text} ${unit}`;
}

function cells(row: Row): string[] {
  const r = ratioOf(row);
  return [
    String(row.item),
    row.figure,
    formatValue(row.kompart, row.unit),
    row.baseline === undefined ? '—' : `${formatValue(row.baseline, row.unit)}${row.baselineName ? ` (${row.baselineName})` : ''}`,
    r === undefined ? '—' : `${r.toFixed(2)}x`,
    row.target?.text ?? '—',
    verdict(row),
  ];
}

const HEADER = ['#', 'figure', 'kompart', 'baseline', 'ratio', 'target', 'result'];

export function textTable(rows: readonly Row[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, c) => Math.max(...table.map((line) => line[c]!.length)));
  const line = (values: string[]): string =>
    values
      .map((v, c) => v.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((row) => line(cells(row)))].join('\n');
}

export function markdownTable(rows: readonly Row[]): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|');
  const line = (values: string[]): string => `| ${values.map(escape).join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map((row) => line(cells(row)))].join('\n');
}

export const MB = 1_000_000;

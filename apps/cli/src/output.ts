import Table from 'cli-table3';
import YAML from 'yaml';
import { UsageError } from './errors';
import type { Term } from './term';

export const FORMATS = ['table', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

export function formatOf(raw: string | undefined): Format {
  const f = (raw ?? 'table').toLowerCase();
  if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`-o/--output: "${raw}" is not one of ${FORMATS.join(', ')}`);
  return f as Format;
}

/** A column of a table: its header and how a row shows in it. */
export interface Column<T> {
  header: string;
  get: (row: T) => string | number | boolean | null | undefined;
}

/** Rows as kubectl prints them: upper-case headers, columns padded with spaces, no borders. */
export function table<T>(rows: T[], columns: Column<T>[], term: Term): string {
  const t = new Table({
    head: columns.map((c) => c.header.toUpperCase()),
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   ' },
    style: { head: term.color ? ['bold'] : [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
  });
  for (const r of rows) t.push(columns.map((c) => cell(c.get(r))));
  return t
    .toString()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}
const cell = (v: string | number | boolean | null | undefined) => (v === null || v === undefined || v === '' ? '-' : String(v));

/**
 * Prints as `format` asks: a table of `rows` in `columns`, or, for JSON and YAML, `raw` (default:
 * the rows) as the API answered it. `empty` is said (on stderr) when a table has no rows.
 */
export function print<T>(term: Term, format: Format, rows: T | T[], columns: Column<T>[], opts: { raw?: unknown; empty?: string } = {}): void {
  const raw = 'raw' in opts ? opts.raw : rows;
  if (format === 'json') return term.out(JSON.stringify(raw, null, 2));
  if (format === 'yaml') return term.out(YAML.stringify(raw).trimEnd());
  const list = Array.isArray(rows) ? rows : [rows];
  if (list.length === 0) return term.note(opts.empty ?? 'nothing found');
  term.out(table(list, columns, term));
}

/** A time as a short age ("5m", "3h", "2d"), as kubectl's AGE column. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { CropsError } from '../../../src/core/errors.ts';
import { csvRecords } from './csv-records.ts';
import { quoteLongIntegers, strictUtf8 } from './strict-utf8.ts';

/**
 * Typed reading of log tables from CSV, JSONL or Parquet with errors that point at the bad cell.
 * Dataset plugins describe the columns they need; every value is checked as it is read, and a bad
 * row either stops the load (`fail`, naming file:line:col, the column, what was expected and what
 * was found) or is skipped and counted (`skip`).
 */

/** `int` accepts integer-valued numbers in any notation (`1.684742e+12`, `60792.0`). */
export type ColumnType = 'int' | 'number' | 'bool' | 'string' | 'int-list';
export type Cell = number | boolean | string | number[] | undefined;

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** missing column or empty cell gives undefined instead of an error */
  optional?: boolean;
  /** for strings: the allowed values */
  oneOf?: readonly string[];
}

/**
 * Thrown from an `onRow` callback when a row is well-formed but unusable (an id that points
 * nowhere); handled like a bad cell of `column`.
 */
export class RowProblem extends Error {
  constructor(
    readonly column: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`column '${column}': expected ${expected}, got ${got}`);
  }
}

export type TableFormat = 'csv' | 'jsonl' | 'parquet';
export type OnBadRow = 'fail' | 'skip';

export interface ReadReport {
  rows: number;
  skipped: number;
  /** the first skipped row's problem, for the summary line */
  firstProblem?: string;
}

/** A bad cell: where, which column, what was expected, what was there. Bad input: exit code 2. */
export class BadCell extends CropsError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    readonly column: string,
    readonly expected: string,
    readonly got: string,
  ) {
    super([{ message: `${file}:${line}:${col}: column '${column}': expected ${expected}, got ${got}` }]);
    this.name = 'BadCell';
  }
}

const INT_LIST = /^\s*\[\s*(-?\d+(\s*,\s*-?\d+)*)?\s*\]\s*$/;

/** Converts one raw value; throws a message "expected X, got Y" on mismatch. */
export function convertCell(raw: unknown, type: ColumnType): Cell {
  const shown = () => (typeof raw === 'string' ? JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw) : typeof raw === 'bigint' ? String(raw) : JSON.stringify(raw));
  const fail = (expected: string): never => {
    throw new Error(`expected ${expected}|${shown()}`);
  };
  switch (type) {
    case 'string':
      return typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'bigint' ? String(raw) : fail('a string');
    case 'int':
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return fail(type === 'int' ? 'an integer' : 'a number');
      if (type === 'int' && !Number.isInteger(n)) return fail('an integer');
      // past 2^53 a double cannot tell neighbouring integers apart: refuse rather than round
      if (type === 'int' && !Number.isSafeInteger(n)) return fail('an integer within ±9007199254740991 (use a string column for larger ids)');
      return n;
    }
    case 'bool': {
      if (typeof raw === 'bigint') raw = Number(raw);
      if (raw === true || raw === 1 || raw === '1' || raw === 'true' || raw === 'True') return true;
      if (raw === false || raw === 0 || raw === '0' || raw === 'false' || raw === 'False') return false;
      return fail('0/1 or true/false');
    }
    case 'int-list': {
      if (Array.isArray(raw) && raw.every((x) => Number.isInteger(Number(x)))) return raw.map(Number);
      if (typeof raw === 'string' && INT_LIST.test(raw)) return raw.replace(/[[\]\s]/g, '').split(',').filter(Boolean).map(Number);
      return fail('a list of integers like [20, 34, 3]');
    }
  }
}

/**
 * Reads `file` and calls `onRow` with the typed values of each good row, in file order. Throws a
 * CropsError listing the expected columns when one is missing, and a BadCell for a bad value
 * under `fail`. Returns how many rows were read and skipped.
 */
export async function readTable(
  file: string,
  format: TableFormat,
  columns: readonly ColumnSpec[],
  onRow: (row: Record<string, Cell>, line: number) => void,
  onBadRow: OnBadRow = 'fail',
): Promise<ReadReport> {
  if (!existsSync(file)) throw new CropsError(`${file}: file not found (expected columns: ${columns.map((c) => c.name).join(', ')})`);
  const report: ReadReport = { rows: 0, skipped: 0 };
  const handle: RowHandler = (values, line) => {
    try {
      const row = typedRow(file, line, columns, values);
      try {
        onRow(row, line);
      } catch (e) {
        if (!(e instanceof RowProblem)) throw e;
        throw new BadCell(file, line, values(e.column)?.col ?? 1, e.column, e.expected, e.got);
      }
    } catch (e) {
      if (!(e instanceof BadCell) || onBadRow === 'fail') throw e;
      report.skipped++;
      report.firstProblem ??= e.message;
      return;
    }
    report.rows++;
  };
  if (format === 'csv') await readCsv(file, columns, handle);
  else if (format === 'jsonl') await readJsonl(file, handle, onBadRow, report);
  else await readParquet(file, columns, handle);
  return report;
}

/** The typed values of one row; throws a BadCell at the first cell that does not fit its column. */
function typedRow(file: string, line: number, columns: readonly ColumnSpec[], values: CellLookup): Record<string, Cell> {
  const row: Record<string, Cell> = {};
  for (const c of columns) {
    const cell = values(c.name);
    if (cell === undefined || cell.raw === '' || cell.raw === null || cell.raw === undefined) {
      if (c.optional) continue;
      throw new BadCell(file, line, cell?.col ?? 1, c.name, describeType(c.type), 'an empty value');
    }
    try {
      row[c.name] = convertCell(cell.raw, c.type);
    } catch (e) {
      const [expected, got] = (e as Error).message.slice('expected '.length).split('|');
      throw new BadCell(file, line, cell.col, c.name, expected!, got!);
    }
    if (c.oneOf && !c.oneOf.includes(row[c.name] as string)) {
      throw new BadCell(file, line, cell.col, c.name, `one of ${c.oneOf.join(', ')}`, JSON.stringify(row[c.name]));
    }
  }
  return row;
}

function describeType(type: ColumnType): string {
  return { int: 'an integer', number: 'a number', bool: '0/1 or true/false', string: 'a string', 'int-list': 'a list of integers' }[type];
}

type CellLookup = (name: string) => { raw: unknown; col: number } | undefined;
type RowHandler = (values: CellLookup, line: number) => void;

function missingColumns(file: string, present: readonly string[], columns: readonly ColumnSpec[]): void {
  const missing = columns.filter((c) => !c.optional && !present.includes(c.name)).map((c) => c.name);
  if (missing.length === 0) return;
  throw new CropsError(
    `${file}:1:1: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}; ` +
      `expected ${columns.map((c) => c.name + (c.optional ? '?' : '')).join(', ')} (? = optional), found ${present.join(', ') || 'no header'}`,
  );
}

async function readCsv(file: string, columns: readonly ColumnSpec[], handle: RowHandler): Promise<void> {
  let header: string[] | undefined;
  let index = new Map<string, number>();
  for await (const rec of csvRecords(file)) {
    if (!header) {
      header = rec.fields.map((f) => f.trim());
      missingColumns(file, header, columns);
      index = new Map(header.map((h, i) => [h, i]));
      continue;
    }
    handle((name) => {
      const i = index.get(name);
      return i === undefined || i >= rec.fields.length ? undefined : { raw: rec.fields[i], col: rec.cols[i]! };
    }, rec.line);
  }
  if (!header) missingColumns(file, [], columns);
}

async function readJsonl(file: string, handle: RowHandler, onBadRow: OnBadRow, report: ReadReport): Promise<void> {
  let line = 0;
  for await (const text of createInterface({ input: Readable.from(strictUtf8(file)), crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let obj: unknown;
    try {
      // integers of 16+ digits are kept as their exact text: ids above 2^53 must not collide
      obj = JSON.parse(quoteLongIntegers(text));
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error('not an object');
    } catch (e) {
      const problem = `${file}:${line}:1: expected one JSON object per line, got ${JSON.stringify(text.slice(0, 40))} (${(e as Error).message})`;
      if (onBadRow === 'fail') throw new CropsError(problem);
      report.skipped++;
      report.firstProblem ??= problem;
      continue;
    }
    const record = obj as Record<string, unknown>;
    handle((name) => (name in record ? { raw: record[name], col: text.indexOf(JSON.stringify(name)) + 1 || 1 } : undefined), line);
  }
}

/** Parquet goes through DuckDB; positions are row numbers (line = 1-based row), column 1. */
async function readParquet(file: string, columns: readonly ColumnSpec[], handle: RowHandler): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
    const present = described.getRowObjects().map((r) => String(r.column_name));
    missingColumns(file, present, columns);
    wrongParquetTypes(file, described.getRowObjects().map((r) => [String(r.column_name), String(r.column_type)] as const), columns);
    const wanted = columns.filter((c) => present.includes(c.name));
    const reader = await connection.runAndReadAll(`SELECT ${wanted.map((c) => `"${c.name.replace(/"/g, '""')}"`).join(', ') || '1'} FROM read_parquet(${sqlString(file)})`);
    const rows = reader.getRowObjectsJS();
    rows.forEach((r, i) => handle((name) => (name in r ? { raw: normaliseParquet(r[name]), col: 1 } : undefined), i + 1));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const PARQUET_INT = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const PARQUET_NUMBER = /^(FLOAT|DOUBLE|REAL|DECIMAL(\(\d+,\s*\d+\))?)$/;
const PARQUET_TIME = /^(TIMESTAMP|TIMESTAMP WITH TIME ZONE|TIMESTAMP_MS|TIMESTAMP_S|TIMESTAMP_NS|DATE)/;

/** Which Parquet (DuckDB) column types can hold each column type; checked once, before any row. */
const PARQUET_ACCEPTS: Record<ColumnType, { ok: (t: string) => boolean; want: string }> = {
  int: { ok: (t) => PARQUET_INT.test(t) || PARQUET_NUMBER.test(t) || PARQUET_TIME.test(t), want: 'an integer type (INT32/INT64), or a timestamp' },
  number: { ok: (t) => PARQUET_INT.test(t) || PARQUET_NUMBER.test(t), want: 'a numeric type (INT32/INT64, FLOAT, DOUBLE, DECIMAL)' },
  bool: { ok: (t) => t === 'BOOLEAN' || PARQUET_INT.test(t), want: 'BOOLEAN or an integer 0/1' },
  string: { ok: (t) => t === 'VARCHAR' || PARQUET_INT.test(t), want: 'a string (BYTE_ARRAY UTF8) or an integer id' },
  'int-list': { ok: (t) => /\[\]$/.test(t) || t === 'VARCHAR', want: 'a list of integers, or a string like [20, 34, 3]' },
};

function wrongParquetTypes(file: string, described: ReadonlyArray<readonly [string, string]>, columns: readonly ColumnSpec[]): void {
  const types = new Map(described);
  const problems = columns.flatMap((c) => {
    const t = types.get(c.name);
    return t === undefined || PARQUET_ACCEPTS[c.type].ok(t) ? [] : [`column '${c.name}' has Parquet type ${t}; expected ${PARQUET_ACCEPTS[c.type].want}`];
  });
  if (problems.length > 0) throw new CropsError(problems.map((p) => ({ message: `${file}: ${p}` })));
}

function normaliseParquet(v: unknown): unknown {
  // BIGINT stays exact: a string column gets its digits, a number column checks it fits
  if (typeof v === 'bigint') return v;
  if (v instanceof Date) return v.getTime();
  return v;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

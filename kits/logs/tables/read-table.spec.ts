import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CropsError } from '../../../src/core/errors.ts';
import { csvRecords } from './csv-records.ts';
import { convertCell, readTable, RowProblem, type Cell, type ColumnSpec } from './read-table.ts';

const dir = mkdtempSync(join(tmpdir(), 'tables-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const records = async (file: string) => {
  const out = [];
  for await (const r of csvRecords(file)) out.push(r);
  return out;
};

describe('csvRecords', () => {
  it('parses quotes, escaped quotes, embedded commas and newlines, CRLF and blank lines', async () => {
    const file = write('a.csv', 'a,b,c\r\n1,"x, y","say ""hi"""\r\n\r\n2,"two\nlines",\n3,,z');
    const got = await records(file);
    expect(got.map((r) => r.fields)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', ''],
      ['3', '', 'z'],
    ]);
    expect(got.map((r) => r.line)).toEqual([1, 2, 4, 6]);
    expect(got[1]!.cols).toEqual([1, 3, 10]);
  });

  it('keeps positions right across read chunks', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => `${i},"q ${i}",${i % 7}`);
    const got = await records(write('big.csv', `id,q,k\n${rows.join('\n')}\n`));
    expect(got).toHaveLength(30_001);
    expect(got[25_000]!).toEqual({ line: 25_001, fields: ['24999', 'q 24999', String(24999 % 7)], cols: [1, 7, 17] });
  });

  it('reports a quote that never closes at the line it opened', async () => {
    await expect(records(write('open.csv', 'a,b\n1,"never\n2,3\n'))).rejects.toThrow(/open\.csv:2:3: column 'b': a quoted field opened here is never closed/);
  });
});

describe('convertCell', () => {
  it('accepts integer-valued numbers in any notation and rejects the rest with what it got', () => {
    expect(convertCell('1.684742e+12', 'int')).toBe(1_684_742_000_000);
    expect(convertCell('60792.0', 'int')).toBe(60792);
    expect(() => convertCell('1.5', 'int')).toThrow('expected an integer|"1.5"');
    expect(convertCell('[20, 34, 3]', 'int-list')).toEqual([20, 34, 3]);
    expect(convertCell('[]', 'int-list')).toEqual([]);
    expect(() => convertCell('[a]', 'int-list')).toThrow(/list of integers/);
    expect(convertCell('1', 'bool')).toBe(true);
    expect(() => convertCell('yes', 'bool')).toThrow(/0\/1/);
  });
});

describe('readTable', () => {
  const columns: ColumnSpec[] = [
    { name: 'id', type: 'int' },
    { name: 'stage', type: 'string', oneOf: ['shown', 'ranked_not_shown'] },
    { name: 'note', type: 'string', optional: true },
  ];
  const collect = async (file: string, format: 'csv' | 'jsonl', onBadRow: 'fail' | 'skip' = 'fail', check?: (r: Record<string, Cell>) => void) => {
    const rows: Array<Record<string, Cell>> = [];
    const report = await readTable(file, format, columns, (r) => (check?.(r), rows.push(r)), onBadRow);
    return { rows, report };
  };

  it('reads CSV and JSONL into the same typed rows', async () => {
    const csv = await collect(write('t.csv', 'stage,id,extra\nshown,1,x\nranked_not_shown,2,y\n'), 'csv');
    const jsonl = await collect(write('t.jsonl', '{"id": 1, "stage": "shown"}\n\n{"stage": "ranked_not_shown", "id": "2"}\n'), 'jsonl');
    expect(csv.rows).toEqual([{ id: 1, stage: 'shown' }, { id: 2, stage: 'ranked_not_shown' }]);
    expect(jsonl.rows).toEqual(csv.rows);
    expect(csv.report).toEqual({ rows: 2, skipped: 0 });
  });

  it('fails at the first bad cell with file:line:col, or skips and counts', async () => {
    const file = write('bad.csv', 'id,stage\n1,shown\n2,seen\nx,shown\n');
    await expect(collect(file, 'csv')).rejects.toThrow(/bad\.csv:3:3: column 'stage': expected one of shown, ranked_not_shown, got "seen"/);
    const { rows, report } = await collect(file, 'csv', 'skip');
    expect(rows).toEqual([{ id: 1, stage: 'shown' }]);
    expect(report.skipped).toBe(2);
    expect(report.firstProblem).toMatch(/bad\.csv:3:3/);
    const jsonl = write('bad.jsonl', '{"id": 1, "stage": "shown"}\n{"id": 1.5, "stage": "shown"}\nnot json\n');
    await expect(collect(jsonl, 'jsonl')).rejects.toThrow(/bad\.jsonl:2:2: column 'id': expected an integer, got 1\.5/);
    expect((await collect(jsonl, 'jsonl', 'skip')).report).toMatchObject({ rows: 1, skipped: 2 });
  });

  it('turns a RowProblem from the row callback into a positioned bad row', async () => {
    const file = write('ref.csv', 'id,stage\n1,shown\n7,shown\n');
    const check = (r: Record<string, Cell>) => {
      if (r.id === 7) throw new RowProblem('id', 'an id listed in items', '7');
    };
    await expect(collect(file, 'csv', 'fail', check)).rejects.toThrow(/ref\.csv:3:1: column 'id': expected an id listed in items, got 7/);
  });

  it('lists the expected columns when one is missing, and the file when it is absent', async () => {
    await expect(collect(write('nocol.csv', 'id,note\n1,a\n'), 'csv')).rejects.toThrow(/nocol\.csv:1:1: missing column 'stage'; expected id, stage, note\? .*found id, note/);
    await expect(collect(join(dir, 'absent.csv'), 'csv')).rejects.toThrow(/absent\.csv: file not found \(expected columns: id, stage, note\)/);
  });

  it('reads Parquet through DuckDB', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const file = join(dir, 't.parquet');
    await con.run(`COPY (SELECT * FROM (VALUES (1, 'shown'), (2, 'ranked_not_shown')) v(id, stage)) TO '${file}' (FORMAT parquet)`);
    con.closeSync();
    db.closeSync();
    const rows: Array<Record<string, Cell>> = [];
    await readTable(file, 'parquet', columns, (r) => rows.push(r));
    expect(rows).toEqual([{ id: 1, stage: 'shown' }, { id: 2, stage: 'ranked_not_shown' }]);
  });

  it('names the column and both types when a Parquet column has the wrong type', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const file = join(dir, 'typed.parquet');
    await con.run(`COPY (SELECT * FROM (VALUES ('one', 1.5)) v(id, stage)) TO '${file}' (FORMAT parquet)`);
    con.closeSync();
    db.closeSync();
    const err = await readTable(file, 'parquet', columns, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CropsError);
    expect((err as Error).message).toMatch(/typed\.parquet: column 'id' has Parquet type VARCHAR; expected an integer type/);
    expect((err as Error).message).toMatch(/typed\.parquet: column 'stage' has Parquet type (DECIMAL\(2,1\)|DOUBLE); expected a string/);
  });

  it('makes a bad cell bad input (exit code 2), like every other input error', async () => {
    const err = await collect(write('badcell.csv', 'id,stage\nx,shown\n'), 'csv').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CropsError);
    expect((err as CropsError).exitCode).toBe(2);
  });
});

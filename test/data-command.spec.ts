import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { writeKuaisarFolder } from './support/kuaisar-fixture.ts';

const QUICKSTART = resolve(import.meta.dirname, '../experiments/quickstart.yaml');

interface DataReport {
  trials: string[];
  sources: string[];
  queries: number;
  origins: Record<string, number>;
  grades: Record<string, number>;
  notes: string[];
  exported?: string;
}

async function parquetRows(file: string): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const r = await con.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${file}')`);
  const n = Number(r.getRowObjectsJS()[0]!.n);
  con.closeSync();
  db.closeSync();
  return n;
}

describe('crops data', () => {
  it('mines the quickstart once, prints counts per origin and grade, and exports what training sees', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'data-'));
    const res = runCli(['data', QUICKSTART, '--export', 'out', '--json'], { cwd, timeoutMs: 180_000 });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const reports = JSON.parse(res.stdout) as DataReport[];
    expect(reports.map((r) => r.trials)).toEqual([['labelScheme=binary,loss=info-nce'], ['labelScheme=hla,loss=h-info-nce']]);
    // both trials mine the same sources: the second takes them from the cache
    expect(reports.map((r) => r.sources)).toEqual([['search-clicks (mined)'], ['search-clicks (memory)']]);
    expect(reports[1]!.origins).toEqual(reports[0]!.origins);
    const [binary, hla] = reports;
    expect(Object.keys(hla!.grades).sort()).toEqual(['1', '2', '3', '4']);
    expect(binary!.grades['1']).toBe(hla!.grades['4']);
    for (const r of reports) {
      const csv = readFileSync(join(r.exported!, 'samples.csv'), 'utf8').trim().split('\n');
      expect(csv[0]).toBe('query,item_id,pseudo,item_text,origin,grade,user_id,source_query,session_id,gap_ms');
      const total = Object.values(r.grades).reduce((a, b) => a + b, 0);
      expect(csv.length - 1).toBe(total);
      expect(await parquetRows(join(r.exported!, 'samples.parquet'))).toBe(total);
      expect(new Set(csv.slice(1).map((l) => l.split(',')[0])).size).toBe(r.queries);
    }
    // a second invocation reads the mined candidates from disk
    const again = JSON.parse(runCli(['data', QUICKSTART, '--json', '--only', 'hla'], { cwd, timeoutMs: 120_000 }).stdout) as DataReport[];
    expect(again[0]!.sources).toEqual(['search-clicks (disk)']);
    expect(again[0]!.grades).toEqual(hla!.grades);
  }, 240_000);

  it('works on a KuaiSAR folder and says what such logs lack', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'data-kuaisar-'));
    const dir = writeKuaisarFolder();
    writeFileSync(
      join(cwd, 'kuaisar.yaml'),
      [
        'name: kuaisar-data',
        `dataset: { use: kuaisar, params: { dir: ${JSON.stringify(dir)} } }`,
        'positiveSource: [search-clicks, recommendation-feed]',
        'discriminator: lexical',
        'labelScheme: hla',
        'loss: h-info-nce',
        'eval: { metrics: [recall@10/ct] }',
      ].join('\n'),
    );
    const res = runCli(['data', 'kuaisar.yaml'], { cwd, timeoutMs: 120_000 });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('sources: search-clicks (mined), recommendation-feed (mined)');
    expect(res.stdout).toMatch(/training queries: 1\b/);
    expect(res.stdout).toMatch(/search-click\s+1\n/);
    expect(res.stdout).toMatch(/shown-not-clicked\s+2\n/);
    expect(res.stdout).toContain('note: stageNegatives: absent');
  }, 120_000);

  it('exits 2 for a bad cell and for an unknown id, naming file:line:col and the column', () => {
    for (const [row, message] of [
      ['14358,1,2023-05-22 09:00:00,soon,"[20]",USER_INPUT,103656000000,1,VIDEO', /src_inter\.csv:7:\d+: column 'search_session_timestamp': expected an integer, got "soon"/],
      ['14358,1,2023-05-22 09:00:00,1684717200000,"[20]",USER_INPUT,999,1,VIDEO', /src_inter\.csv:7:\d+: column 'item_id': expected an item listed in item_features\.csv, got 999/],
    ] as const) {
      const cwd = mkdtempSync(join(tmpdir(), 'data-bad-'));
      writeFileSync(join(cwd, 'bad.yaml'), [`dataset: { use: kuaisar, params: { dir: ${JSON.stringify(writeKuaisarFolder([row]))} } }`, 'eval: { metrics: [recall@10/ct] }'].join('\n'));
      const res = runCli(['data', 'bad.yaml'], { cwd, timeoutMs: 120_000 });
      expect(res.status, res.stderr).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).not.toMatch(/stack trace/);
    }
  }, 240_000);
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDatasetConformance } from '../../test/conformance/data-conformance.ts';
import plugin, { LogFilesDataset, LogFilesParams } from './log-files-dataset.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 2, 1);

/** The same small log as rows per table; written as CSV, JSONL or Parquet by the tests. */
const TABLES: Record<string, Array<Record<string, string | number | boolean>>> = {
  items: [
    { item_id: 'v9', caption: 'red fox', tags: 'animal|wild', text: '' },
    { item_id: 'v2', text: 'blue whale song' },
    { item_id: 'v5', text: 'fox den, "night"' },
  ],
  search_sessions: [
    { session_id: 's1', user_id: 1, ts_ms: T0 + 1000, query: 'fox', source: 'typed' },
    { session_id: 's2', user_id: 1, ts_ms: T0 + 40_000, query: 'red fox', source: 'suggested' },
    { session_id: 's3', user_id: 2, ts_ms: T0 + DAY + 5000, query: 'whale', source: 'typed' },
  ],
  impressions: [
    { session_id: 's1', item_id: 'v5', stage: 'shown', position: 0, clicked: false, liked: false, play_ms: 0 },
    { session_id: 's1', item_id: 'v9', stage: 'ranked_not_shown', position: 7, clicked: false, liked: false, play_ms: 0 },
    { session_id: 's2', item_id: 'v9', stage: 'shown', position: 0, clicked: true, liked: true, play_ms: 9000 },
    { session_id: 's3', item_id: 'v2', stage: 'shown', position: 1, clicked: true, liked: false, play_ms: 100 },
  ],
  rec_interactions: [{ user_id: 1, item_id: 'v5', ts_ms: T0 + 60_000, play_ms: 5000, duration_ms: 6000, clicked: true, liked: false }],
  judgments: [{ query: 'whale', item_id: 'v2', grade: 3 }],
};

function csvCell(v: string | number | boolean): string {
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function writeLogs(format: 'csv' | 'jsonl' | 'parquet'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `logs-${format}-`));
  for (const [table, rows] of Object.entries(TABLES)) {
    const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    if (format === 'csv') writeFileSync(join(dir, `${table}.csv`), [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c] ?? '')).join(','))].join('\n') + '\n');
    else writeFileSync(join(dir, `${table}.jsonl`), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  if (format === 'parquet') {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    for (const table of Object.keys(TABLES)) {
      await con.run(`COPY (SELECT * FROM read_json_auto('${join(dir, `${table}.jsonl`)}')) TO '${join(dir, `${table}.parquet`)}' (FORMAT parquet)`);
    }
    con.closeSync();
    db.closeSync();
    const only = join(dir, 'parquet-only');
    mkdirSync(only);
    const { renameSync } = await import('node:fs');
    for (const table of Object.keys(TABLES)) renameSync(join(dir, `${table}.parquet`), join(only, `${table}.parquet`));
    return only;
  }
  return dir;
}

const load = (dir: string, params: Partial<LogFilesParams> = {}) => new LogFilesDataset(LogFilesParams.parse({ dir, ...params })).load();

describe('log-files dataset', () => {
  it('reads the canonical tables, maps ids densely and splits by time', async () => {
    const store = await load(await writeLogs('csv'));
    expect(store.items.map((i) => [i.id, i.text])).toEqual([
      [0, 'red fox animal wild'],
      [1, 'blue whale song'],
      [2, 'fox den, "night"'],
    ]);
    expect(store.train.sessions.map((s) => s.query)).toEqual(['fox', 'red fox']);
    expect(store.test.sessions.map((s) => s.query)).toEqual(['whale']);
    expect(store.train.impressions.map((i) => [i.sessionId, i.itemId, i.stage, i.position, i.clicked, i.liked, i.playMs])).toEqual([
      [0, 2, 'shown', 0, false, false, 0],
      [0, 0, 'ranked_not_shown', 7, false, false, 0],
      [1, 0, 'shown', 0, true, true, 9000],
    ]);
    expect(store.externalUserIds).toEqual(['1', '2']);
    expect(store.train.recInteractions).toEqual([{ userId: 0, itemId: 2, tsMs: T0 + 60_000, playMs: 5000, durationMs: 6000, clicked: true, liked: false }]);
    expect(store.judgments).toEqual([{ query: 'whale', itemId: 1, grade: 3 }]);
    expect(store.description!.testFrom).toBe(new Date(T0 + DAY).toISOString());
  });

  it('gives the same logs from CSV, JSONL and Parquet', async () => {
    const [csv, jsonl, parquet] = await Promise.all([writeLogs('csv'), writeLogs('jsonl'), writeLogs('parquet')]);
    const strip = (s: Awaited<ReturnType<typeof load>>) => JSON.stringify([s.items.map((i) => i.text), s.train, s.test, s.judgments]);
    const a = strip(await load(csv));
    expect(strip(await load(jsonl, { format: 'jsonl' }))).toBe(a);
    expect(strip(await load(parquet))).toBe(a);
  });

  it('splits where testFrom says', async () => {
    const store = await load(await writeLogs('jsonl'), { testFrom: new Date(T0 + 30_000).toISOString() });
    expect(store.train.sessions.map((s) => s.query)).toEqual(['fox']);
    expect(store.test.sessions.map((s) => s.query)).toEqual(['red fox', 'whale']);
  });

  it('refuses rows pointing at unknown items or sessions, with their position', async () => {
    const dir = await writeLogs('csv');
    writeFileSync(join(dir, 'impressions.csv'), 'session_id,item_id,stage,position,clicked\ns1,v9,shown,0,1\ns1,nope,shown,1,0\n');
    await expect(load(dir)).rejects.toThrow(/impressions\.csv:3:4: column 'item_id': expected an item_id present in the items table, got "nope"/);
    const store = await load(dir, { onBadRow: 'skip' });
    expect(store.description!['skippedRows.impressions']).toBe(1);
    await expect(load(join(dir, 'nothing-here'))).rejects.toThrow(/items\{\.csv,\.jsonl,\.parquet\} not found/);
  });
});

describeDatasetConformance(plugin, { dir: await writeLogs('csv') });

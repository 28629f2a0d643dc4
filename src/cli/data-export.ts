import { unlink } from 'node:fs/promises';
import { isDiskFull, writeError, writeWhole } from '../core/atomic-write.ts';
import { join } from 'node:path';
import type { ResolvedSample } from '../runner/labelling.ts';

const COLUMNS = ['query', 'item_id', 'pseudo', 'item_text', 'origin', 'grade', 'user_id', 'source_query', 'session_id', 'gap_ms'] as const;
const PARQUET_TYPES: Record<(typeof COLUMNS)[number], string> = {
  query: 'VARCHAR',
  item_id: 'VARCHAR',
  pseudo: 'BOOLEAN',
  item_text: 'VARCHAR',
  origin: 'VARCHAR',
  grade: 'INTEGER',
  user_id: 'VARCHAR',
  source_query: 'VARCHAR',
  session_id: 'BIGINT',
  gap_ms: 'BIGINT',
};

/**
 * Writes the labelled samples a trial trains on (queries with a positive, every graded pair, the
 * origin that set its grade and, for P1/P2 pairs, the user behaviour behind it) as `samples.csv`
 * and `samples.parquet`. Items and users carry the ids of the user's own data (as text, exactly as
 * written there); pseudo-items are `pseudo-N` with their text.
 */
export async function writeSamples(
  dir: string,
  resolved: { texts: string[]; corpusSize: number; pairs: Map<string, Map<number, ResolvedSample>> },
  positiveGrade: number,
  /** the user's own ids of dense items and users (see external-ids.ts); pseudo-items keep their training number */
  ids: { item: (id: number) => string; user: (id: number) => string } = { item: String, user: String },
): Promise<number> {
  const lines = [COLUMNS.join(',')];
  for (const query of [...resolved.pairs.keys()].sort()) {
    const items = [...resolved.pairs.get(query)!].sort(([ia, a], [ib, b]) => b.grade - a.grade || ia - ib);
    if (items.length === 0 || items[0]![1].grade < positiveGrade) continue;
    for (const [itemId, { grade, candidate }] of items) {
      const v = candidate.via;
      const pseudo = itemId >= resolved.corpusSize;
      const shownId = pseudo ? `pseudo-${itemId - resolved.corpusSize}` : ids.item(itemId);
      const row = [query, shownId, pseudo, resolved.texts[itemId] ?? '', candidate.origin, grade, v === undefined ? undefined : ids.user(v.userId), v?.sourceQuery, v?.sessionId, v?.gapMs];
      lines.push(row.map(csvCell).join(','));
    }
  }
  const csv = join(dir, 'samples.csv');
  await writeWhole(csv, `${lines.join('\n')}\n`, 'exported samples');
  const parquet = join(dir, 'samples.parquet');
  await csvToParquet(csv, parquet).catch(async (e: unknown) => {
    if (!isDiskFull(e)) throw e;
    // a half-written Parquet file next to a whole CSV would pass for a complete export
    await Promise.all([csv, parquet].map((f) => unlink(f).catch(() => undefined)));
    throw writeError('exported samples', parquet, e);
  });
  return lines.length - 1;
}

function csvCell(v: string | number | boolean | undefined): string {
  if (v === undefined) return '';
  const s = typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function csvToParquet(csv: string, parquet: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const types = `{${COLUMNS.map((c) => `${q(c)}: ${q(PARQUET_TYPES[c])}`).join(', ')}}`;
  try {
    await con.run(`COPY (SELECT * FROM read_csv(${q(csv)}, header = true, columns = ${types}, quote = '"', escape = '"')) TO ${q(parquet)} (FORMAT parquet)`);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

import datasetPlugin, { type SyntheticWorldDataset } from '../plugins/dataset/synthetic-world-dataset.ts';
import queryReformulation from '../plugins/positive-source/query-reformulation-positive-source.ts';
import recommendationFeed from '../plugins/positive-source/recommendation-feed-positive-source.ts';
import { closeLogDb, LogDb, type LogTable } from '../kits/logs/log-db.ts';
import { Discriminator } from '../src/extension-points/discriminator.ts';
import type { PositiveSource } from '../src/extension-points/positive-source.ts';
import { instantiate } from '../test/support/instantiate.ts';
import type { BenchContext, Figure, Measurement } from './common.ts';

type Preset = 'tiny' | 'small' | 'medium' | 'large';

const SOURCES = [
  { id: 'reformulation', plugin: queryReformulation, tables: ['train.search_sessions', 'train.impressions'] as LogTable[] },
  { id: 'feed', plugin: recommendationFeed, tables: ['train.search_sessions', 'train.rec_interactions'] as LogTable[] },
];

/**
 * Mining throughput of P1 and P2 on one synthetic-world preset, in rows of the tables read per
 * second: copying the logs into DuckDB, then each source with a discriminator that accepts
 * everything (the engine's own cost), and again with one that reads the world's true meaning of
 * each text (what a cheap real discriminator adds).
 */
export async function measureMining(preset: Preset): Promise<Figure[]> {
  const dataset = instantiate(datasetPlugin, { preset }) as SyntheticWorldDataset;
  const store = await dataset.load();
  const knowledge = dataset.knowledge();
  const discriminator: Discriminator = { score: (query, text) => knowledge.textGrade(query, text) / 3 };
  const figures: Figure[] = [];
  const rssBeforeDb = process.memoryUsage().rss;
  try {
    const db = await LogDb.of(store);
    const tables = [...new Set(SOURCES.flatMap((s) => s.tables))];
    const t0 = performance.now();
    await db.require(...tables);
    const loadS = (performance.now() - t0) / 1000;
    const rowsOf = async (names: LogTable[]) => (await Promise.all(names.map((t) => db.count(t)))).reduce((a, b) => a + b, 0);
    const loadedRows = await rowsOf(tables);
    figures.push({
      id: `mining.${preset}.loadRowsPerSecond`,
      label: `log tables into DuckDB, ${preset} (${loadedRows.toLocaleString('en-US')} rows)`,
      value: loadedRows / loadS,
      unit: 'rows/s',
      target: { op: '>=', value: 1_000_000 },
      note: `${loadS.toFixed(1)} s for train sessions, impressions and feed`,
    });
    const accept: Discriminator = { score: () => 1 };
    for (const source of SOURCES) {
      const timed = async (d: Discriminator) => {
        const miner = instantiate<PositiveSource>(source.plugin, {}, { bind: (c) => c.bind(Discriminator).toConstantValue(d) });
        const t1 = performance.now();
        const { candidates } = await miner.mine(store);
        return { seconds: (performance.now() - t1) / 1000, candidates: candidates.length };
      };
      const engine = await timed(accept);
      const full = await timed(discriminator);
      const rows = await rowsOf(source.tables);
      figures.push({
        id: `mining.${preset}.${source.id}.rowsPerSecond`,
        label: `  ${source.plugin.name} mining (${rows.toLocaleString('en-US')} rows)`,
        value: rows / engine.seconds,
        unit: 'rows/s',
        target: { op: '>=', value: 1_000_000 },
        note:
          `SQL + candidate pass ${engine.seconds.toFixed(2)} s (${engine.candidates.toLocaleString('en-US')} pairs); ` +
          `with the meaning discriminator ${full.seconds.toFixed(2)} s (${full.candidates.toLocaleString('en-US')} kept)`,
      });
    }
    figures.push(...(await memoryFigures(preset, db, rssBeforeDb)));
  } finally {
    await closeLogDb(store);
  }
  return figures;
}

export const mining: Measurement = {
  name: 'mining',
  needsPeak: false,
  run: (ctx: BenchContext) => measureMining(ctx.quick ? 'tiny' : 'small'),
};

/** The scale check: the `large` world (over 10 million log rows); opt-in, as generating it takes minutes. */
export const miningLarge: Measurement = {
  name: 'mining-large',
  needsPeak: false,
  optIn: true,
  run: () => measureMining('large'),
};

const GIB = 2 ** 30;

/** Memory after mining: DuckDB's own (the engine's cost) and the process peak (which includes the simulated world held in JS). */
async function memoryFigures(preset: Preset, db: LogDb, rssBeforeDb: number): Promise<Figure[]> {
  const [row] = await db.query<{ bytes: number | null }>('SELECT sum(memory_usage_bytes) AS bytes FROM duckdb_memory()');
  const peak = process.resourceUsage().maxRSS * 1024;
  return [
    {
      id: `mining.${preset}.duckdbMemoryGiB`,
      label: `  DuckDB memory after loading and mining, ${preset}`,
      value: Number(row?.bytes ?? 0) / GIB,
      unit: 'GiB',
      target: { op: '<=', value: 4 },
      note: 'duckdb_memory(): the log tables and query state',
    },
    {
      id: `mining.${preset}.peakRssGiB`,
      label: `  process peak RSS, ${preset}`,
      value: peak / GIB,
      unit: 'GiB',
      note: `${(rssBeforeDb / GIB).toFixed(2)} GiB before DuckDB: the simulated world and its logs as JS objects`,
    },
  ];
}

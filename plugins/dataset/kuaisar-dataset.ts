import { inject, injectable, optional } from 'inversify';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginLogger, PluginParams } from '../../src/core/services.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import { LogStoreBuilder } from '../../kits/logs/log-store-builder.ts';
import { readTable, RowProblem, type ColumnSpec, type ReadReport } from '../../kits/logs/tables/read-table.ts';
import type { Dataset } from '../../src/extension-points/dataset.ts';

export const KuaisarParams = z
  .object({
    dir: z.string().min(1).default('data/kuaisar').describe('folder (relative to the working directory) in the public KuaiSAR layout: src_inter.csv, rec_inter.csv, item_features.csv (user_features.csv is not needed)'),
    testFrom: z
      .union([z.string(), z.number()])
      .default('last-day')
      .describe("start of the test split: ISO date/time, epoch ms, or 'last-day' (midnight UTC of the last search day)"),
    itemTypes: z.array(z.string()).default(['VIDEO']).describe('search results of these item_type values are kept (others are users, lives, ads...)'),
    tokenPrefix: z.string().default('w').describe('anonymised token ids become words `<prefix><id>`, shared by queries and captions'),
    categories: z.boolean().default(true).describe('append the English category names to the item text'),
    onBadRow: z.enum(['fail', 'skip']).default('fail').describe('a malformed row stops the load (naming file:line:col) or is skipped and counted'),
  })
  .strict();
export type KuaisarParams = z.output<typeof KuaisarParams>;

const ITEM_COLUMNS: ColumnSpec[] = [
  { name: 'item_id', type: 'int' },
  { name: 'caption', type: 'int-list', optional: true },
  { name: 'upload_time', type: 'string', optional: true },
  { name: 'first_level_category_name_en', type: 'string', optional: true },
  { name: 'second_level_category_name_en', type: 'string', optional: true },
];
const SEARCH_COLUMNS: ColumnSpec[] = [
  { name: 'user_id', type: 'int' },
  { name: 'search_session_id', type: 'int' },
  { name: 'search_session_timestamp', type: 'int' },
  { name: 'keyword', type: 'int-list' },
  { name: 'search_source', type: 'string', optional: true },
  { name: 'item_id', type: 'int' },
  { name: 'click_cnt', type: 'int' },
  { name: 'item_type', type: 'string', optional: true },
];
const REC_COLUMNS: ColumnSpec[] = [
  { name: 'user_id', type: 'int' },
  { name: 'item_id', type: 'int' },
  { name: 'timestamp', type: 'int' },
  { name: 'playing_time', type: 'number', optional: true },
  { name: 'duration_ms', type: 'number', optional: true },
  { name: 'click', type: 'bool' },
  { name: 'like', type: 'bool', optional: true },
];

const EMPTY_CATEGORY = new Set(['', 'empty', 'unknown']);

/**
 * The public KuaiSAR dataset (Kuaishou's unified search and recommendation logs) mapped onto the
 * canonical logs: each (user, search session) is a session whose shown items are impressions at
 * their row order, clicked when `click_cnt > 0`; feed rows become recommendation interactions.
 * Token-id lists become words so queries and captions share a vocabulary. KuaiSAR logs only
 * shown items, so there are no stage negatives and no judged pairs: the description says so.
 */
@injectable()
export class KuaisarDataset implements Dataset {
  private store?: Promise<LogStore>;

  constructor(
    @inject(PluginParams) private readonly params: KuaisarParams,
    @inject(PluginLogger) @optional() private readonly logger?: Logger,
  ) {}

  load(): Promise<LogStore> {
    this.store ??= this.read();
    return this.store;
  }

  private async read(): Promise<LogStore> {
    const p = KuaisarParams.parse(this.params);
    const words = (ids: number[] | undefined) => (ids ?? []).map((t) => `${p.tokenPrefix}${t}`).join(' ');
    const b = new LogStoreBuilder();
    const reports: Record<string, ReadReport> = {};

    reports.item_features = await readTable(join(p.dir, 'item_features.csv'), 'csv', ITEM_COLUMNS, (r) => {
      const cats = p.categories ? [r.first_level_category_name_en, r.second_level_category_name_en].filter((c): c is string => typeof c === 'string' && !EMPTY_CATEGORY.has(c.toLowerCase())) : [];
      const caption = words(r.caption as number[] | undefined);
      const upload = typeof r.upload_time === 'string' ? Date.parse(`${r.upload_time.slice(0, 10)}T00:00:00+08:00`) : NaN;
      b.addItem(r.item_id as number, [caption, ...cats].filter(Boolean).join(' '), {
        fields: { caption, tags: cats },
        ...(Number.isFinite(upload) && upload > 0 ? { uploadTs: upload } : {}),
      });
    }, p.onBadRow);

    let otherTypes = 0;
    const position = new Map<number, number>();
    reports.src_inter = await readTable(join(p.dir, 'src_inter.csv'), 'csv', SEARCH_COLUMNS, (r) => {
      if (typeof r.item_type === 'string' && !p.itemTypes.includes(r.item_type)) return void otherTypes++;
      const itemId = b.itemIndex(r.item_id as number);
      if (itemId === undefined) throw new RowProblem('item_id', 'an item listed in item_features.csv', String(r.item_id));
      const source = r.search_source === undefined || r.search_source === 'USER_INPUT' ? 'typed' : 'suggested';
      const sessionId = b.session(`${r.user_id}/${r.search_session_id}`, r.user_id as number, r.search_session_timestamp as number, words(r.keyword as number[]), source);
      const pos = position.get(sessionId) ?? 0;
      position.set(sessionId, pos + 1);
      b.impression(sessionId, itemId, 'shown', pos, (r.click_cnt as number) > 0);
    }, p.onBadRow);

    reports.rec_inter = await readTable(join(p.dir, 'rec_inter.csv'), 'csv', REC_COLUMNS, (r) => {
      const itemId = b.itemIndex(r.item_id as number);
      if (itemId === undefined) throw new RowProblem('item_id', 'an item listed in item_features.csv', String(r.item_id));
      b.recInteraction({
        userId: r.user_id as number,
        itemId,
        tsMs: r.timestamp as number,
        playMs: (r.playing_time as number | undefined) ?? 0,
        durationMs: (r.duration_ms as number | undefined) ?? 0,
        clicked: r.click as boolean,
        liked: (r.like as boolean | undefined) ?? false,
      });
    }, p.onBadRow);

    const skipped: Record<string, number> = {};
    for (const [table, rep] of Object.entries(reports)) {
      skipped[`skippedRows.${table}`] = rep.skipped;
      if (rep.skipped > 0) this.logger?.warn(`${table}: skipped ${rep.skipped} bad rows; first: ${rep.firstProblem}`);
    }
    return b.build(p.testFrom, {
      dataset: 'kuaisar',
      stageNegatives: 'absent: KuaiSAR logs only shown items, so no ranked-not-shown or pre-rank-filtered origins',
      judgedPairs: 'absent: KuaiSAR has no relevance judgments, so judged-set metrics have no queries',
      searchRowsOfOtherItemTypes: otherTypes,
      ...skipped,
    });
  }
}

export default definePlugin({
  kind: 'dataset',
  name: 'kuaisar',
  summary: 'the public KuaiSAR search + recommendation logs (a folder in its CSV layout), mapped onto the canonical logs',
  schema: KuaisarParams,
  implementation: KuaisarDataset,
});

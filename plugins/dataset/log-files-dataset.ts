import { inject, injectable, optional } from 'inversify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CropsError } from '../../src/core/errors.ts';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginLogger, PluginParams } from '../../src/core/services.ts';
import type { FunnelStage, LogStore } from '../../src/extension-points/log-store.ts';
import { LogStoreBuilder } from '../../kits/logs/log-store-builder.ts';
import { readTable, RowProblem, type Cell, type ColumnSpec, type TableFormat } from '../../kits/logs/tables/read-table.ts';
import type { Dataset } from '../../src/extension-points/dataset.ts';

export const LogFilesParams = z
  .object({
    dir: z.string().min(1).default('data/logs').describe('folder (relative to the working directory) with items, search_sessions, impressions and optionally rec_interactions and judgments (see docs/data-formats.md)'),
    format: z.enum(['auto', 'csv', 'jsonl', 'parquet']).default('auto').describe('file format; auto picks each table by its extension (.csv, .jsonl, .parquet)'),
    testFrom: z
      .union([z.string(), z.number()])
      .default('last-day')
      .describe("start of the test split: ISO date/time, epoch ms, or 'last-day' (midnight UTC of the last search day)"),
    onBadRow: z.enum(['fail', 'skip']).default('fail').describe('a malformed row stops the load (naming file:line:col) or is skipped and counted'),
  })
  .strict();
export type LogFilesParams = z.output<typeof LogFilesParams>;

const STAGES: readonly FunnelStage[] = ['prerank_filtered', 'ranked_not_shown', 'shown'];

/** The canonical tables and their columns (architecture §3); `?` columns are optional. */
export const LOG_TABLES: Record<string, { required: boolean; columns: ColumnSpec[] }> = {
  items: {
    required: true,
    columns: [
      { name: 'item_id', type: 'string' },
      { name: 'text', type: 'string', optional: true },
      { name: 'caption', type: 'string', optional: true },
      { name: 'tags', type: 'string', optional: true },
      { name: 'cover', type: 'string', optional: true },
      { name: 'keywords', type: 'string', optional: true },
      { name: 'upload_ts', type: 'int', optional: true },
    ],
  },
  search_sessions: {
    required: true,
    columns: [
      { name: 'session_id', type: 'string' },
      // read as exact text: user ids may be strings or integers of any size
      { name: 'user_id', type: 'string' },
      { name: 'ts_ms', type: 'int' },
      { name: 'query', type: 'string' },
      { name: 'source', type: 'string', optional: true, oneOf: ['typed', 'suggested'] },
    ],
  },
  impressions: {
    required: true,
    columns: [
      { name: 'session_id', type: 'string' },
      { name: 'item_id', type: 'string' },
      { name: 'stage', type: 'string', oneOf: STAGES },
      { name: 'position', type: 'int' },
      { name: 'clicked', type: 'bool' },
      { name: 'liked', type: 'bool', optional: true },
      { name: 'play_ms', type: 'number', optional: true },
    ],
  },
  rec_interactions: {
    required: false,
    columns: [
      { name: 'user_id', type: 'string' },
      { name: 'item_id', type: 'string' },
      { name: 'ts_ms', type: 'int' },
      { name: 'play_ms', type: 'number', optional: true },
      { name: 'duration_ms', type: 'number', optional: true },
      { name: 'clicked', type: 'bool', optional: true },
      { name: 'liked', type: 'bool', optional: true },
    ],
  },
  judgments: {
    required: false,
    columns: [
      { name: 'query', type: 'string' },
      { name: 'item_id', type: 'string' },
      { name: 'grade', type: 'int' },
    ],
  },
};

const EXTENSIONS: Record<TableFormat, string> = { csv: '.csv', jsonl: '.jsonl', parquet: '.parquet' };

/**
 * Real logs already in the canonical schema, one file per table, in CSV, JSONL or Parquet. Ids
 * may be any strings or integers; items get dense ids in file order. Sessions and feed rows are
 * split into train and test by time.
 */
@injectable()
export class LogFilesDataset implements Dataset {
  private store?: Promise<LogStore>;

  constructor(
    @inject(PluginParams) private readonly params: LogFilesParams,
    @inject(PluginLogger) @optional() private readonly logger?: Logger,
  ) {}

  load(): Promise<LogStore> {
    this.store ??= this.read();
    return this.store;
  }

  private locate(table: string): { file: string; format: TableFormat } | undefined {
    const { dir, format } = this.params;
    const formats = format === 'auto' ? (Object.keys(EXTENSIONS) as TableFormat[]) : [format];
    for (const f of formats) {
      const file = join(dir, `${table}${EXTENSIONS[f]}`);
      if (existsSync(file)) return { file, format: f };
    }
    if (!LOG_TABLES[table]!.required) return undefined;
    throw new CropsError(`log-files: ${join(dir, table)}{${formats.map((f) => EXTENSIONS[f]).join(',')}} not found; the folder needs items, search_sessions and impressions tables (see docs/data-formats.md)`);
  }

  private async read(): Promise<LogStore> {
    const p = this.params;
    const b = new LogStoreBuilder();
    const sessions = new Map<string, number>();
    const timestamps = new TimestampUnits();
    const item = (r: Record<string, Cell>) => {
      const id = b.itemIndex(r.item_id as string);
      if (id === undefined) throw new RowProblem('item_id', 'an item_id present in the items table', JSON.stringify(r.item_id));
      return id;
    };
    const handlers: Record<string, (r: Record<string, Cell>) => void> = {
      items: (r) => {
        // a repeated id would silently merge two rows; under onBadRow: skip the first row is kept and the rest counted
        if (b.itemIndex(r.item_id as string) !== undefined) throw new RowProblem('item_id', 'an item_id not already used by an earlier row', JSON.stringify(r.item_id));
        const fields = { caption: r.caption as string | undefined, tags: splitList(r.tags), cover: r.cover as string | undefined, keywords: splitList(r.keywords) };
        const text = (r.text as string | undefined) ?? [fields.caption, ...(fields.tags ?? []), fields.cover, ...(fields.keywords ?? [])].filter(Boolean).join(' ');
        b.addItem(r.item_id as string, text, { fields, ...(r.upload_ts !== undefined ? { uploadTs: r.upload_ts as number } : {}) });
      },
      search_sessions: (r) => {
        timestamps.see('search_sessions', 'ts_ms', r.ts_ms as number);
        const id = b.session(r.session_id as string, b.userIndex(r.user_id as string), r.ts_ms as number, r.query as string, (r.source as 'typed' | 'suggested' | undefined) ?? 'typed');
        sessions.set(r.session_id as string, id);
      },
      impressions: (r) => {
        const sessionId = sessions.get(r.session_id as string);
        if (sessionId === undefined) throw new RowProblem('session_id', 'a session_id present in the search_sessions table', JSON.stringify(r.session_id));
        b.impression(sessionId, item(r), r.stage as FunnelStage, r.position as number, r.clicked as boolean, (r.liked as boolean) ?? false, (r.play_ms as number) ?? 0);
      },
      rec_interactions: (r) => {
        timestamps.see('rec_interactions', 'ts_ms', r.ts_ms as number);
        b.recInteraction({
          userId: b.userIndex(r.user_id as string),
          itemId: item(r),
          tsMs: r.ts_ms as number,
          playMs: (r.play_ms as number) ?? 0,
          durationMs: (r.duration_ms as number) ?? 0,
          clicked: (r.clicked as boolean) ?? false,
          liked: (r.liked as boolean) ?? false,
        });
      },
      judgments: (r) => {
        const grade = r.grade as number;
        if (grade < 0 || grade > 3) throw new RowProblem('grade', 'a grade from 0 to 3', String(grade));
        b.judgment({ query: r.query as string, itemId: item(r), grade });
      },
    };
    const facts: Record<string, number | string> = { dataset: 'log-files' };
    for (const table of Object.keys(LOG_TABLES)) {
      const where = this.locate(table);
      if (!where) {
        facts[`${table}`] = 'absent';
        continue;
      }
      const report = await readTable(where.file, where.format, LOG_TABLES[table]!.columns, handlers[table]!, p.onBadRow);
      timestamps.check(table, where.file);
      facts[`skippedRows.${table}`] = report.skipped;
      if (report.skipped > 0) this.logger?.warn(`${where.file}: skipped ${report.skipped} bad rows; first: ${report.firstProblem}`);
    }
    return b.build(p.testFrom, facts);
  }
}

/**
 * Catches times written in seconds (or another unit) where milliseconds are expected: every value
 * below 1e11 ms (1973-03-03) is a log from the 1970s, or, far likelier, seconds. Left alone, such a
 * table puts every session on 1970-01-20 and a trial fails much later with "no training query has
 * a positive"; it is reported at the load instead, with the file, column and a value.
 */
class TimestampUnits {
  private readonly seen = new Map<string, { column: string; max: number; example: number }>();

  see(table: string, column: string, value: number): void {
    const s = this.seen.get(table);
    if (!s) this.seen.set(table, { column, max: value, example: value });
    else s.max = Math.max(s.max, value);
  }

  check(table: string, file: string): void {
    const s = this.seen.get(table);
    if (!s || s.max >= 1e11 || s.max <= 0) return;
    const asMs = new Date(s.max).toISOString().slice(0, 10);
    const asSeconds = s.max * 1000 < 8.64e15 ? new Date(s.max * 1000).toISOString().slice(0, 10) : 'out of range';
    throw new CropsError(
      `log-files: ${file}: column '${s.column}' must be epoch milliseconds, but its largest value ${s.max} is ${asMs} as milliseconds ` +
        `(${asSeconds} as seconds): the times look like seconds. Multiply them by 1000 (e.g. ${s.example} -> ${s.example * 1000}).`,
    );
  }
}

/** Tags and keywords may be written `a|b|c` or as a JSON list. */
function splitList(v: Cell): string[] | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  if (v.startsWith('[')) {
    try {
      return (JSON.parse(v) as unknown[]).map(String);
    } catch {
      // not JSON after all: fall through to the separator form
    }
  }
  return v.split('|').map((s) => s.trim()).filter(Boolean);
}

export default definePlugin({
  kind: 'dataset',
  name: 'log-files',
  summary: 'real logs in the canonical tables (items, search_sessions, impressions, rec_interactions, judgments) as CSV, JSONL or Parquet',
  schema: LogFilesParams,
  implementation: LogFilesDataset,
});

/**
 * The canonical logs as tables of an embedded DuckDB database, so positive sources mine them with
 * SQL (window functions per user over time, range joins) instead of loops over JS arrays. The
 * same queries then serve a simulator's logs and real logs read from CSV or Parquet.
 *
 * Tables (see docs/data-engine.md): `items`, `judgments`, and per split the schemas `train` and
 * `test` with `search_sessions`, `impressions` and `rec_interactions`. A table is copied from the
 * LogStore the first time a query asks for it, so a source that reads only the train sessions
 * never pays for the test day's impressions. The copy is not refreshed: a store is treated as
 * immutable once loaded, as every dataset hands it out.
 */
import {
  BIGINT,
  BOOLEAN,
  DuckDBDataChunk,
  DuckDBInstance,
  ENUM,
  INTEGER,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { FunnelStage, Impression, Item, Judgment, LogSplit, LogStore, RecInteraction, SearchSession } from '../../src/extension-points/log-store.ts';

/** A table of the canonical schema, qualified by its split where it has one. */
export type LogTable =
  | 'items'
  | 'judgments'
  | `${'train' | 'test'}.${'search_sessions' | 'impressions' | 'rec_interactions'}`;

interface Column<R> {
  name: string;
  type: DuckDBType;
  value: (row: R) => DuckDBValue;
}

const int = <R>(name: string, value: (row: R) => number): Column<R> => ({ name, type: INTEGER, value: (r) => int32(value(r), name) });
// timestamps in ms overflow 32 bits
const bigint = <R>(name: string, value: (row: R) => number): Column<R> => ({ name, type: BIGINT, value: (r) => BigInt(value(r)) });
const bool = <R>(name: string, value: (row: R) => boolean): Column<R> => ({ name, type: BOOLEAN, value });
const text = <R>(name: string, value: (row: R) => string | undefined): Column<R> => ({ name, type: VARCHAR, value: (r) => value(r) ?? null });
// a closed set of labels: stored as small integers, which loads faster than strings
const label = <R>(name: string, values: readonly string[], value: (row: R) => string): Column<R> => ({ name, type: ENUM(values), value });

function int32(v: number, column: string): number {
  // DuckDB's INTEGER vectors are Int32Arrays: anything else would wrap around silently
  if ((v | 0) !== v) throw new Error(`log-db: column ${column} needs 32-bit integers (got ${v})`);
  return v;
}

const SESSION_COLUMNS: Column<SearchSession>[] = [
  int('session_id', (s) => s.sessionId),
  int('user_id', (s) => s.userId),
  bigint('ts_ms', (s) => s.tsMs),
  text('query', (s) => s.query),
  label('source', ['typed', 'suggested'] satisfies Array<SearchSession['source']>, (s) => s.source),
];
const IMPRESSION_COLUMNS: Column<Impression>[] = [
  int('session_id', (i) => i.sessionId),
  int('item_id', (i) => i.itemId),
  label('stage', ['prerank_filtered', 'ranked_not_shown', 'shown'] satisfies FunnelStage[], (i) => i.stage),
  int('position', (i) => i.position),
  bool('clicked', (i) => i.clicked),
  bool('liked', (i) => i.liked),
  int('play_ms', (i) => i.playMs),
];
const REC_COLUMNS: Column<RecInteraction>[] = [
  int('user_id', (r) => r.userId),
  int('item_id', (r) => r.itemId),
  bigint('ts_ms', (r) => r.tsMs),
  int('play_ms', (r) => r.playMs),
  int('duration_ms', (r) => r.durationMs),
  bool('clicked', (r) => r.clicked),
  bool('liked', (r) => r.liked),
];
const ITEM_COLUMNS: Column<Item>[] = [
  int('item_id', (i) => i.id),
  text('text', (i) => i.text),
  { name: 'upload_ts', type: BIGINT, value: (i) => (i.uploadTs === undefined ? null : BigInt(i.uploadTs)) },
];
const JUDGMENT_COLUMNS: Column<Judgment>[] = [text('query', (j) => j.query), int('item_id', (j) => j.itemId), int('grade', (j) => j.grade)];

/** Rows of one chunk handed to the appender; DuckDB's vector size. */
const CHUNK_ROWS = 2048;

function source(store: LogStore, table: LogTable): { rows: readonly unknown[]; columns: Column<never>[] } {
  if (table === 'items') return { rows: store.items, columns: ITEM_COLUMNS as Column<never>[] };
  if (table === 'judgments') return { rows: store.judgments, columns: JUDGMENT_COLUMNS as Column<never>[] };
  const [split, name] = table.split('.') as ['train' | 'test', string];
  const logs: LogSplit = store[split];
  if (name === 'search_sessions') return { rows: logs.sessions, columns: SESSION_COLUMNS as Column<never>[] };
  if (name === 'impressions') return { rows: logs.impressions, columns: IMPRESSION_COLUMNS as Column<never>[] };
  return { rows: logs.recInteractions, columns: REC_COLUMNS as Column<never>[] };
}

/** A DuckDB database holding one LogStore's tables; get it with {@link LogDb.of}. */
export class LogDb {
  private readonly loaded = new Map<LogTable, Promise<void>>();
  // one connection runs one statement at a time: loads and queries of concurrent callers queue here
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly store: LogStore,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** The database of `store`, opened on first use and shared by every caller holding the same store object. */
  static of(store: LogStore): Promise<LogDb> {
    let db = OPEN.get(store);
    if (!db) {
      db = LogDb.open(store);
      OPEN.set(store, db);
      const opened = db;
      void db.then((d) => OPENED.set(d, opened), () => undefined);
      // a failed open must not stay cached
      db.catch(() => OPEN.delete(store));
    }
    return db;
  }

  private static async open(store: LogStore): Promise<LogDb> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run('CREATE SCHEMA train; CREATE SCHEMA test;');
    return new LogDb(store, instance, connection);
  }

  /** Copies the given tables from the LogStore unless an earlier call already did. */
  async require(...tables: LogTable[]): Promise<void> {
    await Promise.all(
      tables.map((table) => {
        let done = this.loaded.get(table);
        if (!done) this.loaded.set(table, (done = this.serially(() => this.load(table))));
        return done;
      }),
    );
  }

  /** Rows of `sql` as objects keyed by column name; BIGINT values come back as numbers. */
  async query<Row extends Record<string, unknown>>(sql: string, params?: Record<string, DuckDBValue>): Promise<Row[]> {
    const reader = await this.serially(() => this.connection.runAndReadAll(sql, params));
    // converting column by column and zipping is several times faster than the reader's row objects
    const columns = Object.entries(reader.getColumnsObjectJS()).map(([name, values]) => [name, values.map((v) => (typeof v === 'bigint' ? Number(v) : v))] as const);
    const rows: Record<string, unknown>[] = [];
    for (let r = 0; r < reader.currentRowCount; r++) {
      const row: Record<string, unknown> = {};
      for (const [name, values] of columns) row[name] = values[r];
      rows.push(row);
    }
    return rows as Row[];
  }

  /** Number of rows currently loaded in a table (0 when it was never required). */
  async count(table: LogTable): Promise<number> {
    if (!this.loaded.has(table)) return 0;
    const [row] = await this.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
    return row!.n;
  }

  /** Frees the database; later {@link LogDb.of} calls for the same store open a fresh one. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // only forget the cache entry if it is this database, not one opened after it was closed
    if (OPEN.get(this.store) === OPENED.get(this)) OPEN.delete(this.store);
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async load(table: LogTable): Promise<void> {
    const { rows, columns } = source(this.store, table);
    const ddl = columns.map((c) => `${c.name} ${c.type.toString()}`).join(', ');
    await this.connection.run(`CREATE TABLE ${table} (${ddl})`);
    const [schema, name] = table.includes('.') ? table.split('.') : ['main', table];
    const appender = await this.connection.createAppender(name!, schema);
    const types = columns.map((c) => c.type);
    try {
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, rows.length - start);
        const chunk = DuckDBDataChunk.create(types, n);
        columns.forEach((column, c) => {
          const vector = chunk.getColumnVector(c);
          for (let r = 0; r < n; r++) vector.setItem(r, column.value(rows[start + r] as never));
          vector.flush();
        });
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      this.assertOpen();
      return task();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('log-db: the database was closed');
  }
}

// keyed weakly: a store that is no longer referenced takes its database with it
const OPEN = new WeakMap<LogStore, Promise<LogDb>>();
const OPENED = new WeakMap<LogDb, Promise<LogDb>>();

/** Closes the database opened for `store`, if any (e.g. when a sweep is done with a dataset). */
export async function closeLogDb(store: LogStore): Promise<void> {
  const db = OPEN.get(store);
  if (db) (await db).close();
}

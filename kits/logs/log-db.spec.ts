import { describe, expect, it } from 'vitest';
import { toyLogs } from '../../test/support/toy-logs.ts';
import { closeLogDb, LogDb } from './log-db.ts';

describe('LogDb', () => {
  it('loads the canonical tables on demand, with every column of the LogStore', async () => {
    const store = toyLogs();
    const db = await LogDb.of(store);
    expect(await db.count('train.impressions')).toBe(0);
    await db.require('train.search_sessions', 'train.impressions', 'train.rec_interactions', 'items', 'judgments');
    expect(await db.count('train.impressions')).toBe(store.train.impressions.length);
    expect(await db.count('test.search_sessions')).toBe(0);
    const sessions = await db.query<{ session_id: number; user_id: number; ts_ms: number; query: string; source: string }>(
      'SELECT * FROM train.search_sessions ORDER BY session_id',
    );
    expect(sessions).toEqual(store.train.sessions.map((s) => ({ session_id: s.sessionId, user_id: s.userId, ts_ms: s.tsMs, query: s.query, source: s.source })));
    const [imp] = await db.query('SELECT * FROM train.impressions WHERE session_id = $id AND item_id = $item', { id: 2, item: 0 });
    expect(imp).toEqual({ session_id: 2, item_id: 0, stage: 'shown', position: 0, clicked: true, liked: true, play_ms: 20_000 });
    const [feed] = await db.query('SELECT * FROM train.rec_interactions ORDER BY ts_ms LIMIT 1');
    expect(feed).toEqual({ user_id: 1, item_id: 5, ts_ms: store.train.recInteractions[0]!.tsMs, play_ms: 15_000, duration_ms: 20_000, clicked: true, liked: false });
    expect(await db.query('SELECT item_id, text, upload_ts FROM items WHERE item_id = 3')).toEqual([{ item_id: 3, text: 'phone battery swap', upload_ts: null }]);
    expect(await db.query('SELECT sum(grade) AS g FROM judgments')).toEqual([{ g: 7 }]);
    await closeLogDb(store);
  });

  it('opens one database per store object, shared by concurrent callers, and a fresh one after closing', async () => {
    const store = toyLogs();
    const [a, b] = await Promise.all([LogDb.of(store), LogDb.of(store)]);
    expect(a).toBe(b);
    // concurrent requests for the same tables load them once
    await Promise.all([a.require('train.search_sessions'), b.require('train.search_sessions', 'items')]);
    expect(await a.count('train.search_sessions')).toBe(3);
    expect(await LogDb.of(toyLogs())).not.toBe(a);
    await closeLogDb(store);
    await expect(a.query('SELECT 1')).rejects.toThrow(/closed/);
    const c = await LogDb.of(store);
    expect(c).not.toBe(a);
    a.close(); // closing an old handle again leaves the new one cached and open
    expect(await LogDb.of(store)).toBe(c);
    expect(await c.query('SELECT 42 AS x')).toEqual([{ x: 42 }]);
    c.close();
  });

  it('refuses ids that do not fit a 32-bit column instead of wrapping them', async () => {
    const store = toyLogs();
    store.train.sessions[0]!.userId = 2 ** 31;
    const db = await LogDb.of(store);
    await expect(db.require('train.search_sessions')).rejects.toThrow(/user_id needs 32-bit integers/);
    db.close();
  });

  it('copies many rows quickly through the appender', async () => {
    const store = toyLogs();
    const base = store.train.impressions[0]!;
    store.train.impressions = Array.from({ length: 200_000 }, (_, i) => ({ ...base, sessionId: i, position: i % 50 }));
    const db = await LogDb.of(store);
    const t0 = performance.now();
    await db.require('train.impressions');
    const seconds = (performance.now() - t0) / 1000;
    expect(await db.query('SELECT count(*) AS n, max(position) AS p FROM train.impressions')).toEqual([{ n: 200_000, p: 49 }]);
    // row-by-row INSERTs take minutes for this; the appender a fraction of a second
    expect(seconds).toBeLessThan(10);
    db.close();
  });
});

import type { FunnelStage, Impression, Item, Judgment, LogSplit, LogStore, RecInteraction, SearchSession } from '../../src/extension-points/log-store.ts';

const DAY_MS = 86_400_000;

/** Where the test split starts: an ISO date/time, epoch milliseconds, or the last day of the logs. */
export type SplitAt = string | number | 'last-day';

/**
 * Assembles a canonical LogStore from rows of real logs: maps external item ids (any integers or
 * strings) to the dense ids the engine uses, numbers sessions, and splits everything by time into
 * train (before `testFrom`) and test (from `testFrom` on). Rows that point at unknown items are
 * refused (`undefined` from {@link itemIndex}) so the caller can count or report them.
 */
export class LogStoreBuilder {
  private readonly items: Item[] = [];
  private readonly itemIds = new Map<string | number, number>();
  private readonly sessions: SearchSession[] = [];
  private readonly sessionIds = new Map<string, number>();
  private readonly impressions: Impression[] = [];
  private readonly rec: RecInteraction[] = [];
  private readonly judgments: Judgment[] = [];
  private readonly userIds = new Map<string, number>();
  private readonly externalUsers: string[] = [];

  /** Adds a corpus item; a repeated external id keeps its first row. Returns its dense id. */
  addItem(externalId: string | number, text: string, extra: Omit<Item, 'id' | 'text'> = {}): number {
    const known = this.itemIds.get(externalId);
    if (known !== undefined) return known;
    const id = this.items.length;
    this.items.push({ id, text, ...extra, externalId: String(externalId) });
    this.itemIds.set(externalId, id);
    return id;
  }

  /**
   * The dense number of a user id written as a string (any text, or an integer of any size, kept
   * exactly); the store maps it back through `externalUserIds`.
   */
  userIndex(externalId: string): number {
    const known = this.userIds.get(externalId);
    if (known !== undefined) return known;
    const id = this.externalUsers.length;
    this.externalUsers.push(externalId);
    this.userIds.set(externalId, id);
    return id;
  }

  itemIndex(externalId: string | number): number | undefined {
    return this.itemIds.get(externalId);
  }

  get itemCount(): number {
    return this.items.length;
  }

  /** Adds (or finds) the session with this external key; the first row fixes its user, time and query. */
  session(externalKey: string, userId: number, tsMs: number, query: string, source: SearchSession['source']): number {
    const known = this.sessionIds.get(externalKey);
    if (known !== undefined) return known;
    const sessionId = this.sessions.length;
    this.sessions.push({ sessionId, userId, tsMs, query, source });
    this.sessionIds.set(externalKey, sessionId);
    return sessionId;
  }

  impression(sessionId: number, itemId: number, stage: FunnelStage, position: number, clicked: boolean, liked = false, playMs = 0): void {
    this.impressions.push({ sessionId, itemId, stage, position, clicked, liked, playMs });
  }

  recInteraction(r: RecInteraction): void {
    this.rec.push(r);
  }

  judgment(j: Judgment): void {
    this.judgments.push(j);
  }

  /** The store, split at `testFrom`; `description` is attached as given plus the split's facts. */
  build(testFrom: SplitAt, description: Record<string, number | string> = {}): LogStore {
    const splitMs = this.splitMs(testFrom);
    const inTest = (ts: number) => ts >= splitMs;
    const sessionTest = this.sessions.map((s) => inTest(s.tsMs));
    const split = (test: boolean): LogSplit => ({
      sessions: this.sessions.filter((_, i) => sessionTest[i] === test).sort((a, b) => a.tsMs - b.tsMs || a.sessionId - b.sessionId),
      impressions: this.impressions.filter((imp) => sessionTest[imp.sessionId] === test),
      recInteractions: this.rec.filter((r) => inTest(r.tsMs) === test).sort((a, b) => a.tsMs - b.tsMs || a.userId - b.userId || a.itemId - b.itemId),
    });
    const train = split(false);
    const test = split(true);
    return {
      items: this.items,
      train,
      test,
      judgments: this.judgments,
      ...(this.externalUsers.length > 0 ? { externalUserIds: this.externalUsers } : {}),
      description: {
        ...description,
        items: this.items.length,
        testFrom: Number.isFinite(splitMs) ? new Date(splitMs).toISOString() : 'none',
        trainSessions: train.sessions.length,
        testSessions: test.sessions.length,
        trainImpressions: train.impressions.length,
        testImpressions: test.impressions.length,
        trainFeedInteractions: train.recInteractions.length,
        testFeedInteractions: test.recInteractions.length,
        judgments: this.judgments.length,
      },
    };
  }

  private splitMs(at: SplitAt): number {
    if (typeof at === 'number') return at;
    if (at !== 'last-day') {
      const ms = /^\d+$/.test(at) ? Number(at) : Date.parse(at);
      if (!Number.isFinite(ms)) throw new Error(`testFrom: expected an ISO date/time or epoch milliseconds, got ${JSON.stringify(at)}`);
      return ms;
    }
    let last = -Infinity;
    for (const s of this.sessions) last = Math.max(last, s.tsMs);
    return Number.isFinite(last) ? Math.floor(last / DAY_MS) * DAY_MS : Infinity;
  }
}

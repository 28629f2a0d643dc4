/**
 * The engine works on dense item and user numbers; every file a user reads (exported samples,
 * TREC runs and qrels) carries the ids of their own data instead. These map one to the other.
 */
import type { LogStore } from '../extension-points/log-store.ts';

/** The user's id of dense item `id`; pseudo-items (past the corpus) and datasets without ids keep the number. */
export function externalItemId(store: Pick<LogStore, 'items'>, id: number): string {
  return store.items[id]?.externalId ?? String(id);
}

/** The user's id of dense user `id`, when the dataset numbered its users itself. */
export function externalUserId(store: Pick<LogStore, 'externalUserIds'>, id: number): string {
  return store.externalUserIds?.[id] ?? String(id);
}

/**
 * A TREC docno for an item: trec_eval splits lines on whitespace, so whitespace and `%` inside an
 * id are percent-encoded (`a b` -> `a%20b`); every other id is written as it is.
 */
export function trecDocno(store: Pick<LogStore, 'items'>, id: number): string {
  return externalItemId(store, id).replace(/[\s%]/gu, (c) => `%${c.codePointAt(0)!.toString(16).toUpperCase().padStart(2, '0')}`);
}

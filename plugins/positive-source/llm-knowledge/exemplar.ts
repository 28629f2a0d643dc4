import type { Item, LogStore } from '../../../src/extension-points/log-store.ts';

/** How the one-shot example of a query is chosen from the train logs. */
export type ExemplarPolicy = 'most-clicked' | 'most-clicked-or-shown' | 'none';

/**
 * Per train query, the item shown as the prompt's example: the item clicked (or liked) most often
 * under the query, ties to the better best position, then the lower id. `most-clicked-or-shown`
 * falls back to the most often shown item for queries without a click; under `most-clicked` such
 * queries have no exemplar and are not prompted. `none` gives every query a null exemplar.
 */
export function pickExemplars(store: LogStore, policy: ExemplarPolicy): Map<string, number | null> {
  const queryOf = new Map(store.train.sessions.map((s) => [s.sessionId, s.query]));
  const out = new Map<string, number | null>();
  if (policy === 'none') {
    for (const q of queryOf.values()) out.set(q, null);
    return out;
  }
  // query -> item -> [clicks, shows, best position]
  const stats = new Map<string, Map<number, [number, number, number]>>();
  for (const imp of store.train.impressions) {
    const query = queryOf.get(imp.sessionId);
    if (query === undefined || imp.stage !== 'shown') continue;
    let items = stats.get(query);
    if (!items) stats.set(query, (items = new Map()));
    const s = items.get(imp.itemId) ?? [0, 0, Infinity];
    if (imp.clicked || imp.liked) s[0]++;
    s[1]++;
    s[2] = Math.min(s[2], imp.position);
    items.set(imp.itemId, s);
  }
  for (const [query, items] of stats) {
    const ranked = [...items].sort(([ia, a], [ib, b]) => b[0] - a[0] || b[1] - a[1] || a[2] - b[2] || ia - ib);
    const [itemId, [clicks]] = ranked[0]!;
    if (clicks > 0 || policy === 'most-clicked-or-shown') out.set(query, itemId);
  }
  return out;
}

/** The exemplar as a JSON object in the format the prompt asks for, from the item's fields or its text. */
export function exemplarJson(item: Item | undefined): string {
  if (!item) return '(no example available)';
  const f = item.fields ?? {};
  const video = {
    caption: f.caption ?? item.text,
    tags: f.tags ?? [],
    coverText: f.cover ?? '',
    keywords: f.keywords ?? [],
  };
  return JSON.stringify(video);
}

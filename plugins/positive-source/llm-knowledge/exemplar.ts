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

/**
 * The same choice on a judged collection without logs (BEIR), where a relevance judgment stands in
 * for a click: per train query with a positive judgment, its highest-graded judged item (ties to
 * the lower id). `most-clicked` and `most-clicked-or-shown` both pick it; `none` gives a null
 * exemplar. Queries judged only non-relevant (grade 0) are not prompted.
 */
export function pickJudgedExemplars(store: LogStore, policy: ExemplarPolicy): Map<string, number | null> {
  const best = new Map<string, { itemId: number; grade: number }>();
  for (const j of store.trainJudgments ?? []) {
    if (j.grade <= 0) continue;
    const known = best.get(j.query);
    if (!known || j.grade > known.grade || (j.grade === known.grade && j.itemId < known.itemId)) best.set(j.query, { itemId: j.itemId, grade: j.grade });
  }
  return new Map([...best].map(([query, b]) => [query, policy === 'none' ? null : b.itemId]));
}

/** Characters of an exemplar document's body put in a prompt; longer bodies are cut at a word. */
const EXEMPLAR_BODY_CHARS = 1500;

/** The exemplar as a `{"title", "text"}` object, the format of the document prompt. */
export function exemplarDocumentJson(item: Item | undefined): string {
  if (!item) return '(no example available)';
  const title = item.fields?.caption ?? '';
  // BEIR items hold "title text"; the title goes in its own field
  let body = title !== '' && item.text.startsWith(title) ? item.text.slice(title.length).trim() : item.text;
  if (body.length > EXEMPLAR_BODY_CHARS) body = `${body.slice(0, body.lastIndexOf(' ', EXEMPLAR_BODY_CHARS) > 0 ? body.lastIndexOf(' ', EXEMPLAR_BODY_CHARS) : EXEMPLAR_BODY_CHARS)} …`;
  return JSON.stringify({ title, text: body });
}

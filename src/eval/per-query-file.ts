/**
 * The per-query metric values of one trial, attached to its run as `per-query.json`, so
 * `crops report` can test differences between methods over queries (paired tests, query
 * bootstrap) without re-running anything.
 *
 * Queries carry the ids the TREC files use (the dataset's own ids where it has them, else the
 * position in the set's sorted query list). Each set also carries a fingerprint of its queries
 * and judgments: two trials' values for a query are paired only when they were scored against the
 * same test set, so runs on different worlds (another dataset seed) are never paired query by query.
 */
import { configHash } from '../core/hash.ts';
import type { Evaluation } from './evaluate.ts';
import type { TestSet } from './test-sets.ts';
import { qidOf } from './trec-files.ts';

export const PER_QUERY_ARTIFACT = 'per-query.json';

export interface PerQueryFile {
  version: 1;
  /** set name -> its query ids (in the set's query order) and the fingerprint of queries + qrels */
  sets: Record<string, { fingerprint: string; qids: string[] }>;
  /** `metric@k/set` -> one value per query id of its set, same order */
  values: Record<string, number[]>;
}

/** A set's identity: its queries with their judged items and grades, hashed. */
export function testSetFingerprint(set: TestSet): string {
  return configHash(set.queries.map((q) => [q, [...(set.byQuery.get(q) ?? new Map<number, number>())].sort((a, b) => a[0] - b[0])]));
}

/** The per-query file of an evaluation; sets without queries are left out. */
export function formatPerQuery(evaluation: Evaluation, sets: ReadonlyMap<string, TestSet>): string {
  const file: PerQueryFile = { version: 1, sets: {}, values: {} };
  for (const [key, byQuery] of evaluation.perQuery) {
    const setName = key.slice(key.lastIndexOf('/') + 1);
    const set = sets.get(setName);
    if (!set || set.queries.length === 0) continue;
    file.sets[setName] ??= { fingerprint: testSetFingerprint(set), qids: set.queries.map((_, i) => set.qids?.[i] ?? qidOf(i)) };
    file.values[key] = set.queries.map((q) => byQuery.get(q) ?? 0);
  }
  return `${JSON.stringify(file)}\n`;
}

/**
 * `metric@k/set` -> (query key -> value), where a query key is `<set fingerprint>:<query id>`, so
 * keys are equal exactly when the query and its judgments are. Throws on a malformed file.
 */
export function parsePerQuery(text: string): Map<string, Map<string, number>> {
  const file = JSON.parse(text) as Partial<PerQueryFile>;
  if (file.version !== 1 || typeof file.sets !== 'object' || typeof file.values !== 'object' || file.sets === null || file.values === null) {
    throw new Error(`not a ${PER_QUERY_ARTIFACT} file of version 1`);
  }
  const out = new Map<string, Map<string, number>>();
  for (const [key, values] of Object.entries(file.values)) {
    const set = file.sets[key.slice(key.lastIndexOf('/') + 1)];
    if (!set || !Array.isArray(values) || values.length !== set.qids.length) throw new Error(`${PER_QUERY_ARTIFACT}: ${key} does not match its set's query list`);
    out.set(key, new Map(set.qids.map((qid, i) => [`${set.fingerprint}:${qid}`, values[i]!])));
  }
  return out;
}

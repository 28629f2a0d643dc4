export const Metric = Symbol.for('crops.Metric');

/**
 * Scores one query's ranked list against its graded relevant items, following trec_eval's
 * definitions (grade > 0 is relevant). The evaluator averages over the qrels' queries
 * (queries missing from the run score 0, like `trec_eval -c`).
 */
export interface Metric {
  /** measure name at cutoff k as shown in tables, e.g. `recall@100`, `ndcg@4` */
  label(k: number): string;
  score(ranked: ArrayLike<number>, relevant: Map<number, number>, k: number): number;
}

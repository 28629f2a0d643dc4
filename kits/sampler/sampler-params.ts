import { z } from 'zod';

/**
 * Param fields shared by the bundled samplers, so each default and description is stated once.
 * Spread them into a sampler's strict zod object.
 */
export const inBatchFields = {
  candidatesPerQuery: z
    .number()
    .int()
    .positive()
    .default(8)
    .describe("own candidates per query and step: positives first (highest grades), then a random sample of the query's lower grades"),
  separateBudgets: z
    .object({
      positives: z.number().int().nonnegative().describe("the query's positives (grade at or above the label scheme's positive grade) per query and step, highest grades first, random within a grade"),
      negatives: z
        .number()
        .int()
        .nonnegative()
        .describe("the query's other own items (funnel-stage negatives, whatever their grade below the positives) per query and step, a random sample"),
    })
    .strict()
    .optional()
    .describe('when set, replaces candidatesPerQuery with two budgets, so adding a positive source never takes a slot from a negative'),
};

/** How many of its own candidates a query brings to a step: one shared budget, or one per side. */
export type CandidateBudget = number | { positives: number; negatives: number };

/** The budget the `inBatchFields` params ask for. */
export function candidateBudget(params: { candidatesPerQuery: number; separateBudgets?: { positives: number; negatives: number } }): CandidateBudget {
  return params.separateBudgets ?? params.candidatesPerQuery;
}

/** BM25 settings for lexical hard negatives; the defaults match the `bm25` retriever. */
export const bm25Fields = {
  k1: z.number().nonnegative().default(0.9).describe('BM25 term-frequency saturation of the hard-negative search'),
  b: z.number().min(0).max(1).default(0.4).describe('BM25 document-length normalisation of the hard-negative search (0 none, 1 full)'),
};

/** Model-based mining: how deep, how often, and in what chunks the corpus is encoded and searched. */
export const miningFields = {
  topK: z.number().int().positive().default(200).describe("depth of each query's ranking over the whole corpus that negatives are drawn from (its relevant items are skipped)"),
  refreshEvery: z.number().int().positive().default(50).describe('steps between two re-encodings of the corpus with the current model'),
  encodeChunk: z.number().int().positive().default(1024).describe('texts per encoder call while encoding the corpus and the queries'),
  itemChunk: z.number().int().positive().default(32768).describe('items per matMul and top-k while mining'),
  queryChunk: z.number().int().positive().default(256).describe('queries per matMul while mining; a score block is queryChunk x itemChunk floats'),
};

import type { Logger } from '../../src/core/logger.ts';
import { candidateBudget } from './sampler-params.ts';
import type { Rng } from '../../src/core/rng.ts';
import { InBatchBatches, protectedItems, type PreparedQuery } from './in-batch-batches.ts';
import type { Batch, ItemTexts, TrainingSet } from '../../src/extension-points/samples.ts';
import type { SamplerContext } from '../../src/extension-points/sampler.ts';
import { DenseCorpusIndex, encodeInChunks, type DenseIndexChunks, type EncodeFn } from './dense-corpus-index.ts';

/** How often and how deep {@link RefreshedNegatives} mines. */
export interface RefreshSettings {
  /** items kept per query from the model's ranking (after removing the query's own relevant items) */
  topK: number;
  /** steps between two refreshes; the first refresh serves steps 0..refreshEvery-1 */
  refreshEvery: number;
  chunks: DenseIndexChunks;
}

/** What one refresh saw: per training query its mined items, and the embeddings they came from. */
export interface MinedSnapshot {
  /** refresh number: floor(step / refreshEvery) */
  round: number;
  /** per query (training-set order): the top-k corpus items that are not its relevant ones, best first */
  pools: Array<{ ids: number[]; scores: number[] }>;
  dim: number;
  /** `[queries, dim]` query embeddings, training-set order */
  queryEmbeddings: Float32Array;
  /** the embedding of any item id, pseudo-items included */
  itemEmbedding(id: number): Float32Array;
}

/**
 * Negatives from the model being trained (ANCE): every `refreshEvery` steps the whole corpus and all
 * training queries are encoded with the current towers and each query's top-k is retrieved exactly,
 * skipping the items its own list marks relevant. Between refreshes the pools are stale on purpose,
 * like ANCE's asynchronously rebuilt index. Each refresh's duration is logged.
 */
export class RefreshedNegatives {
  private snapshot: MinedSnapshot | undefined;
  private items: ItemTexts | undefined;
  private queries: readonly PreparedQuery[] = [];
  private encode: EncodeFn | undefined;

  constructor(
    private readonly settings: RefreshSettings,
    private readonly logger: Logger,
    private readonly owner: string,
  ) {}

  /** Remembers what to mine over; needs the trial's encoder. */
  init(items: ItemTexts, queries: readonly PreparedQuery[], encode: EncodeFn | undefined): void {
    if (!encode) throw new Error(`${this.owner}: mining negatives needs the trial's encoder (SamplerContext.encode)`);
    this.items = items;
    this.queries = queries;
    this.encode = encode;
    this.snapshot = undefined;
  }

  /** The snapshot serving `step`, refreshing first when `step` starts a new round. */
  async at(step: number): Promise<MinedSnapshot> {
    const round = Math.floor(step / this.settings.refreshEvery);
    if (this.snapshot?.round !== round) this.snapshot = await this.refresh(round, step);
    return this.snapshot;
  }

  private async refresh(round: number, step: number): Promise<MinedSnapshot> {
    const { items, encode } = this;
    if (!items || !encode) throw new Error(`${this.owner}: next() called before init()`);
    const started = performance.now();
    const { chunks, topK } = this.settings;
    const corpus = await DenseCorpusIndex.build(encode, items.texts.slice(0, items.corpusSize), chunks);
    try {
      const { values: queryEmbeddings } = await encodeInChunks(encode, this.queries.map((q) => q.list.query), 'query', chunks.encode);
      const pools = await corpus.searchExcluding(queryEmbeddings, this.queries.map(protectedItems), topK);
      // pseudo-items are never mined, but samplers may need their scores as positives
      const { values: pseudo } = await encodeInChunks(encode, items.texts.slice(items.corpusSize), 'item', chunks.encode);
      const { dim, embeddings } = corpus;
      const itemEmbedding = (id: number) =>
        id < items.corpusSize ? embeddings.subarray(id * dim, (id + 1) * dim) : pseudo.subarray((id - items.corpusSize) * dim, (id - items.corpusSize + 1) * dim);
      const ms = performance.now() - started;
      this.logger.info(`refresh ${round} at step ${step}: ${corpus.size} items and ${this.queries.length} queries encoded, top-${topK} mined in ${ms.toFixed(0)} ms`);
      return { round, pools, dim, queryEmbeddings, itemEmbedding };
    } finally {
      corpus.dispose();
    }
  }
}

/** The params a {@link ModelMinedBatches} reads (see `inBatchFields` and `miningFields`). */
export interface ModelMiningParams {
  candidatesPerQuery: number;
  separateBudgets?: { positives: number; negatives: number };
  topK: number;
  refreshEvery: number;
  encodeChunk: number;
  itemChunk: number;
  queryChunk: number;
}

/** Picks a query's extra negatives of one step from the current snapshot (`qi`: training-set index). */
export type PickMined = (snapshot: MinedSnapshot, query: PreparedQuery, qi: number, rng: Rng) => readonly number[];

/** `in-batch` batches whose queries each get extra negatives picked from {@link RefreshedNegatives}. */
export class ModelMinedBatches {
  private readonly batches: InBatchBatches;
  private readonly mined: RefreshedNegatives;

  constructor(rng: Rng, params: ModelMiningParams, logger: Logger, owner: string) {
    this.batches = new InBatchBatches(rng, candidateBudget(params));
    const { topK, refreshEvery, encodeChunk, itemChunk, queryChunk } = params;
    this.mined = new RefreshedNegatives({ topK, refreshEvery, chunks: { encode: encodeChunk, items: itemChunk, queries: queryChunk } }, logger, owner);
  }

  init(data: TrainingSet, ctx: SamplerContext, positiveGrade: number | undefined): void {
    this.batches.init(data.lists, ctx.batchQueries, positiveGrade);
    this.mined.init(data.items, this.batches.queries, ctx.encode);
  }

  async next(step: number, pick: PickMined): Promise<Batch> {
    const snapshot = await this.mined.at(step);
    return this.batches.next(step, (qi, rng) => pick(snapshot, this.batches.queries[qi]!, qi, rng));
  }
}

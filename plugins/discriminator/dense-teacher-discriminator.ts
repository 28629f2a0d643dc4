import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { NestedTrainer, PluginCreator, PluginLogger, PluginParams } from '../../src/core/services.ts';
import type { Logger } from '../../src/core/logger.ts';
import type { Loss } from '../../src/extension-points/loss.ts';
import type { MinedCandidates, PositiveSource } from '../../src/extension-points/positive-source.ts';
import type { Sampler } from '../../src/extension-points/sampler.ts';
import type { TrainingSet } from '../../src/extension-points/samples.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import { ENCODER_REF_FILE, TOWERS_ARTIFACT, type Encoder, type Side } from '../../src/extension-points/encoder.ts';

const pluginRef = z.object({ use: z.string().min(1), params: z.record(z.string(), z.unknown()).default({}) }).strict();

const TeacherTraining = z
  .object({
    encoder: pluginRef.describe("the teacher's towers, freshly initialised (e.g. the trial's own encoder settings)"),
    source: z.string().min(1).default('search-clicks').describe('positive source whose clicked pairs (origin search-click) the teacher learns from'),
    loss: pluginRef.default({ use: 'info-nce', params: {} }).describe('loss of the teacher'),
    sampler: pluginRef.default({ use: 'in-batch', params: {} }).describe('sampler of the teacher (in-batch: the other queries\' clicks are the negatives)'),
    steps: z.number().int().positive().default(1000).describe('training steps of the teacher'),
    batchQueries: z.number().int().positive().default(64).describe('queries per batch'),
    lr: z.number().positive().default(0.003).describe('Adam learning rate'),
  })
  .strict();

const schema = z
  .object({
    path: z
      .string()
      .min(1)
      .optional()
      .describe(`folder (relative to the working directory) of saved towers: the ${TOWERS_ARTIFACT}/ artifact folder of a run trained with train.saveTowers, e.g. mlruns/<experiment id>/<run id>/artifacts/${TOWERS_ARTIFACT} (default ${TOWERS_ARTIFACT}); not with train`),
    train: TeacherTraining.optional().describe("instead of path: train the teacher in the trial on the logs' own clicks (the train split the trial trains on), before mining"),
    low: z.number().min(-1).max(1).default(0).describe('cosine that scores 0; lower cosines are clamped to 0 (-1 with high 1 gives (cos + 1) / 2)'),
    high: z.number().min(-1).max(1).default(1).describe('cosine that scores 1; scores rise linearly from low to high'),
  })
  .strict()
  .refine((p) => p.low < p.high, { path: ['high'], message: 'must be greater than low' })
  .refine((p) => !(p.path !== undefined && p.train !== undefined), { path: ['train'], message: 'give either path (saved towers) or train (learn them here), not both' });
type Params = z.output<typeof schema>;

/** Texts embedded on demand are kept up to this many, then forgotten wholesale. */
const MEMO_LIMIT = 100_000;

/**
 * A two-tower model as the relevance judge, either saved by an earlier run (`path`) or trained here
 * on the logs' clicks (`train`): the cosine of the query's and the text's embeddings, mapped
 * linearly so that `low` scores 0 and `high` scores 1 (clamped). The default (0 -> 0, 1 -> 1) reads
 * a negative cosine as "unrelated"; the paper's threshold 0.6 then keeps pairs whose cosine
 * exceeds 0.6.
 *
 * With `path`, `init` rebuilds the encoder the run recorded in `encoder.json` (any encoder plugin
 * with `load`) and loads the towers. With `train`, it builds a fresh `train.encoder`, mines the
 * positive source's clicked pairs from the store it is given (the trial's train split, without its
 * dev queries) and trains on them with the core loop for `steps` steps: a teacher learnt from the
 * online data alone, like the paper's pre-trained judge, with no ground truth, seeded by the
 * trial's RNG stream for this slot. Either way `init` then embeds every corpus item and every
 * logged query once (on a judged collection without logs such as BEIR, every train query). Texts
 * equal to a logged query go through the query tower (P1 compares two queries); items and any
 * other text (a generated pseudo-video or pseudo-document) through the item tower. Unseen texts
 * are embedded on demand with the encoder's `encodeSync`. Needs no ground truth; how well it judges
 * depends on what it learnt from, so it is usually trained on clicks alone and then used to filter
 * the other sources.
 */
@injectable()
export class DenseTeacherDiscriminator implements Discriminator {
  private encoder?: Encoder;
  private encoderName = '';
  private readonly embedded = new Map<string, Float32Array>();
  private readonly memo = new Map<string, Float32Array>();
  private readonly loggedQueries = new Set<string>();

  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(PluginCreator) private readonly create: PluginCreator,
    @inject(NestedTrainer) @optional() private readonly trainNested?: NestedTrainer,
    @inject(PluginLogger) @optional() private readonly logger?: Logger,
  ) {}

  async init(store: LogStore): Promise<void> {
    if (this.params.train) await this.trainTeacher(store, this.params.train);
    else await this.loadTeacher(resolve(this.params.path ?? TOWERS_ARTIFACT));
    const items = [...new Set(store.items.map((i) => i.text))];
    for (const s of [...store.train.sessions, ...store.test.sessions]) this.loggedQueries.add(s.query);
    // a judged collection without logs (BEIR): its train queries are the ones sources ask about
    for (const j of store.trainJudgments ?? []) this.loggedQueries.add(j.query);
    await this.embedAll(items, 'item');
    await this.embedAll([...this.loggedQueries], 'query');
  }

  private async trainTeacher(store: LogStore, settings: z.output<typeof TeacherTraining>): Promise<void> {
    if (!this.trainNested) throw new Error('dense-teacher: train needs the core training service, which this context does not provide');
    const ref = settings.encoder;
    const data = clickedPairs(await this.create<PositiveSource>('positiveSource', { use: settings.source, params: {} }, 'discriminator.teacher.source').mine(store), store);
    if (data.lists.length === 0) throw new Error(`dense-teacher: positive source '${settings.source}' found no clicked (search-click) pairs to train the teacher on`);
    this.encoderName = ref.use;
    this.encoder = this.create<Encoder>('encoder', ref, 'discriminator.teacher');
    const loss = this.create<Loss>('loss', settings.loss, 'discriminator.teacher.loss');
    const sampler = this.create<Sampler>('sampler', settings.sampler, 'discriminator.teacher.sampler');
    try {
      await sampler.init(data, { batchQueries: settings.batchQueries, steps: settings.steps });
      const t0 = Date.now();
      const done = await this.trainNested({ encoder: this.encoder, loss, sampler, items: data.items, steps: settings.steps, batchQueries: settings.batchQueries, lr: settings.lr, positiveGrade: 1 });
      this.logger?.info(`trained the teacher (${ref.use}) on ${data.lists.length} queries' clicks: ${settings.steps} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s, final loss ${done.finalLoss.toFixed(4)}`);
    } finally {
      sampler.dispose?.();
      loss.dispose?.();
    }
  }

  private async loadTeacher(dir: string): Promise<void> {
    const refText = await readFile(join(dir, ENCODER_REF_FILE), 'utf8').catch(() => {
      throw new Error(`dense-teacher: no ${ENCODER_REF_FILE} in ${dir}; expected the ${TOWERS_ARTIFACT}/ artifact folder of a run trained with train.saveTowers`);
    });
    const ref = JSON.parse(refText) as { use: string; params: unknown };
    this.encoderName = ref.use;
    this.encoder = this.create<Encoder>('encoder', ref, 'discriminator.teacher');
    if (!this.encoder.load) throw new Error(`dense-teacher: encoder '${ref.use}' cannot load saved towers`);
    await this.encoder.load(dir);
  }

  score(query: string, text: string, itemId?: number): number {
    const side: Side = itemId === undefined && this.loggedQueries.has(text) ? 'query' : 'item';
    const q = this.embedding(query, 'query');
    const t = this.embedding(text, side);
    let cos = 0;
    for (let d = 0; d < q.length; d++) cos += q[d]! * t[d]!;
    const { low, high } = this.params;
    return Math.min(1, Math.max(0, (cos - low) / (high - low)));
  }

  dispose(): void {
    this.encoder?.dispose();
  }

  private async embedAll(texts: string[], side: Side): Promise<void> {
    const vectors = await this.encoder!.encode(texts, side);
    const dim = this.encoder!.dim;
    texts.forEach((text, i) => this.embedded.set(key(text, side), vectors.subarray(i * dim, (i + 1) * dim)));
  }

  private embedding(text: string, side: Side): Float32Array {
    if (!this.encoder) throw new Error('dense-teacher: score before init(store); the towers are loaded there');
    const k = key(text, side);
    const known = this.embedded.get(k) ?? this.memo.get(k);
    if (known) return known;
    if (!this.encoder.encodeSync) throw new Error(`dense-teacher: encoder '${this.encoderName}' cannot embed new texts synchronously, and ${JSON.stringify(text)} is neither a corpus item nor a logged query`);
    const v = this.encoder.encodeSync([text], side);
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(k, v);
    return v;
  }
}

/** One list per query of its clicked items (grade 1), over the store's corpus; every other pair is left to the sampler's in-batch negatives. */
function clickedPairs({ candidates }: MinedCandidates, store: LogStore): TrainingSet {
  const byQuery = new Map<string, Set<number>>();
  for (const c of candidates) {
    if (c.origin !== 'search-click' || c.itemId >= store.items.length) continue;
    let ids = byQuery.get(c.query);
    if (!ids) byQuery.set(c.query, (ids = new Set()));
    ids.add(c.itemId);
  }
  const lists = [...byQuery].map(([query, ids]) => ({ query, itemIds: [...ids], grades: [...ids].map(() => 1) }));
  const pairs = lists.reduce((n, l) => n + l.itemIds.length, 0);
  return { items: { texts: store.items.map((i) => i.text), corpusSize: store.items.length }, lists, originCounts: { 'search-click': pairs }, gradeCounts: { '1': pairs } };
}

const key = (text: string, side: Side) => `${side === 'query' ? 'q' : 'i'}${text}`;

export default definePlugin({
  kind: 'discriminator',
  name: 'dense-teacher',
  summary: "cosine of a two-tower model, saved by an earlier run (train.saveTowers) or trained here on the logs' clicks, mapped to [0, 1]",
  schema,
  implementation: DenseTeacherDiscriminator,
  provides: ['discriminator'],
});

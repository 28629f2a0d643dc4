import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginCreator, PluginParams } from '../../src/core/services.ts';
import type { LogStore } from '../../src/extension-points/log-store.ts';
import type { Discriminator } from '../../src/extension-points/discriminator.ts';
import { ENCODER_REF_FILE, TOWERS_ARTIFACT, type Encoder, type Side } from '../../src/extension-points/encoder.ts';

const schema = z
  .object({
    path: z
      .string()
      .min(1)
      .default(TOWERS_ARTIFACT)
      .describe(`folder (relative to the working directory) of saved towers: the ${TOWERS_ARTIFACT}/ artifact folder of a run trained with train.saveTowers, e.g. mlruns/<experiment id>/<run id>/artifacts/${TOWERS_ARTIFACT}`),
    low: z.number().min(-1).max(1).default(0).describe('cosine that scores 0; lower cosines are clamped to 0 (-1 with high 1 gives (cos + 1) / 2)'),
    high: z.number().min(-1).max(1).default(1).describe('cosine that scores 1; scores rise linearly from low to high'),
  })
  .strict()
  .refine((p) => p.low < p.high, { path: ['high'], message: 'must be greater than low' });
type Params = z.output<typeof schema>;

/** Texts embedded on demand are kept up to this many, then forgotten wholesale. */
const MEMO_LIMIT = 100_000;

/**
 * A two-tower model trained by an earlier run as the relevance judge: the cosine of the query's and
 * the text's embeddings, mapped linearly so that `low` scores 0 and `high` scores 1 (clamped). The
 * default (0 -> 0, 1 -> 1) reads a negative cosine as "unrelated"; the paper's threshold 0.6 then
 * keeps pairs whose cosine exceeds 0.6.
 *
 * `init` rebuilds the encoder the run recorded in `encoder.json` (any encoder plugin with `load`),
 * loads the towers and embeds every corpus item and every logged query once (on a judged
 * collection without logs such as BEIR, every train query). Texts equal to a logged query go
 * through the query tower (P1 compares two queries); items and any other text (a generated
 * pseudo-video or pseudo-document) through the item tower. Unseen texts are embedded on demand with the encoder's
 * `encodeSync`. Needs no ground truth; how well it judges depends on the run it comes from, so it is
 * usually trained on clicks alone and then used to filter the other sources of a later experiment.
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
  ) {}

  async init(store: LogStore): Promise<void> {
    const dir = resolve(this.params.path);
    const refText = await readFile(join(dir, ENCODER_REF_FILE), 'utf8').catch(() => {
      throw new Error(`dense-teacher: no ${ENCODER_REF_FILE} in ${dir}; expected the ${TOWERS_ARTIFACT}/ artifact folder of a run trained with train.saveTowers`);
    });
    const ref = JSON.parse(refText) as { use: string; params: unknown };
    this.encoderName = ref.use;
    this.encoder = this.create<Encoder>('encoder', ref, 'discriminator.teacher');
    if (!this.encoder.load) throw new Error(`dense-teacher: encoder '${ref.use}' cannot load saved towers`);
    await this.encoder.load(dir);
    const items = [...new Set(store.items.map((i) => i.text))];
    for (const s of [...store.train.sessions, ...store.test.sessions]) this.loggedQueries.add(s.query);
    // a judged collection without logs (BEIR): its train queries are the ones sources ask about
    for (const j of store.trainJudgments ?? []) this.loggedQueries.add(j.query);
    await this.embedAll(items, 'item');
    await this.embedAll([...this.loggedQueries], 'query');
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

const key = (text: string, side: Side) => `${side === 'query' ? 'q' : 'i'}${text}`;

export default definePlugin({
  kind: 'discriminator',
  name: 'dense-teacher',
  summary: 'cosine of a two-tower model saved by an earlier run (train.saveTowers), mapped to [0, 1]',
  schema,
  implementation: DenseTeacherDiscriminator,
  provides: ['discriminator'],
});

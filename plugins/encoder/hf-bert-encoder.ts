import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable, optional } from 'inversify';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Rng } from '../../src/core/rng.ts';
import { CacheDir, PluginParams, TrialRng } from '../../src/core/services.ts';
import type { Encoder, PreparedInput, Side } from '../../src/extension-points/encoder.ts';
import { l2Normalize } from '../../kits/encoder/mlp.ts';
import { masksFor } from '../../kits/encoder/replayed-masks.ts';
import { BertModel, type TokenIds } from '../../kits/encoder/bert/bert-model.ts';
import { EmbeddingCache } from '../../kits/encoder/bert/embedding-cache.ts';
import { readHfBertDirectory, writeHfBertDirectory, type HfBertDirectory, type Pooling } from '../../kits/encoder/bert/hf-directory.ts';
import { WordPieceTokenizer } from '../../kits/encoder/bert/wordpiece.ts';

export const HfBertParams = z
  .object({
    model: z.string().min(1).default('~/.cache/crops-lab/models/all-MiniLM-L6-v2').describe('Hugging Face model directory (config.json, model.safetensors, tokenizer.json; sentence-transformers modules.json and 1_Pooling optional); ~ is the home folder'),
    maxQueryLength: z.number().int().min(2).default(64).describe('tokens per query, [CLS] and [SEP] included; longer queries are truncated'),
    maxItemLength: z.number().int().min(2).nullable().default(null).describe("tokens per item text; null takes the model's max_seq_length (sentence_bert_config.json), else 512"),
    sharedTowers: z.boolean().default(true).describe('one network for queries and items (sentence-transformers style); false gives each side its own copy, both starting from the checkpoint'),
    pooling: z.enum(['model', 'mean', 'cls', 'max']).default('model').describe("sentence vector from the token states: 'model' as 1_Pooling/config.json says (mean when absent), or forced"),
    freezeEmbeddings: z.boolean().default(false).describe('keep the word, position and token-type embeddings fixed while training'),
    freezeLayers: z.number().int().min(0).default(0).describe('keep the bottom N transformer layers fixed while training'),
    dropout: z.number().min(0).max(0.9).nullable().default(null).describe("hidden dropout while training; null takes the model's hidden_dropout_prob"),
    attentionDropout: z.number().min(0).max(0.9).nullable().default(null).describe("dropout on the attention probabilities while training; null takes the model's attention_probs_dropout_prob, 0 turns it off"),
    bodyLrMultiplier: z.number().min(0).default(1).describe("the pretrained body's learning rate is train.lr times this (weight decay included); other trained weights, e.g. a loss's temperature, keep train.lr; 0 keeps the body fixed"),
    encodeBatch: z.number().int().positive().default(32).describe('most texts per forward pass at inference (a pass also stops at 1024 padded tokens); texts are sorted by length so each pass pads little'),
  })
  .strict();
export type HfBertParams = z.output<typeof HfBertParams>;

interface BertInput {
  batch: TokenIds;
}

/**
 * Most padded tokens in one inference pass (unless a single text is longer). Measured on the native
 * backend: at 256 tokens, passes of 4 texts encode about 1.5x faster than passes of 32, whose
 * [tokens, 1536] feed-forward activations no longer fit the caches; the values are the same.
 */
const PASS_TOKENS = 1024;

/** Texts per call from which encoding reports progress and uses the disk cache. */
const LARGE_CALL = 512;
const PROGRESS_EVERY_MS = 15_000;

/**
 * A pretrained BERT-family tower (e.g. sentence-transformers' all-MiniLM-L6-v2) loaded from a
 * Hugging Face directory: tokenizer.json through tokenizers.js, the safetensors weights, the
 * sentence-transformers pooling; outputs unit vectors. Trains with every loss and sampler as a
 * dense encoder (all weights are tf variables; no host-side tables). `save` writes a directory
 * sentence-transformers loads. Large `encode` calls (a corpus) show progress and ETA on stderr and
 * are cached on disk by (weights, lengths, pooling, texts).
 */
@injectable()
export class HfBertEncoder implements Encoder {
  dim = 0;
  private source?: HfBertDirectory;
  private tokenizer?: WordPieceTokenizer;
  private towers?: Record<Side, BertModel>;
  private pooling: Pooling = 'mean';
  private maxLen: Record<Side, number> = { query: 64, item: 256 };
  /** weight hashes per side, dropped whenever training may have changed the weights */
  private weightHash = new Map<Side, string>();
  private readonly dropoutRng: Rng;
  private readonly attentionDropoutRng: Rng;
  private readonly cache: EmbeddingCache;

  constructor(
    @inject(PluginParams) private readonly params: HfBertParams,
    @inject(TrialRng) rng: Rng,
    @inject(CacheDir) @optional() cacheDir?: string,
  ) {
    this.dropoutRng = rng.fork('hf-bert:dropout');
    // a stream of its own, so turning attention dropout on or off leaves the hidden masks as they were
    this.attentionDropoutRng = rng.fork('hf-bert:attention-dropout');
    this.cache = new EmbeddingCache(cacheDir ? join(cacheDir, 'embeddings') : undefined);
    // read at construction (about a second for MiniLM): the Encoder contract's methods are synchronous
    this.loadFrom(expandHome(params.model));
  }

  private loadFrom(dir: string): void {
    const src = readHfBertDirectory(dir);
    this.source = src;
    this.tokenizer = new WordPieceTokenizer(src.tokenizerJson, src.tokenizerConfig);
    this.dim = src.config.hidden;
    this.pooling = this.params.pooling === 'model' ? src.pooling : this.params.pooling;
    const itemLen = this.params.maxItemLength ?? src.maxSeqLength ?? 512;
    this.maxLen = { query: Math.min(this.params.maxQueryLength, src.config.maxPositions), item: Math.min(itemLen, src.config.maxPositions) };
    const query = BertModel.fromWeights(src.config, src.weights);
    src.weights.clear();
    this.towers?.query.dispose();
    if (this.towers && this.towers.item !== this.towers.query) this.towers.item.dispose();
    this.towers = { query, item: this.params.sharedTowers ? query : query.copy() };
    this.weightHash.clear();
  }

  private get model(): Record<Side, BertModel> {
    if (!this.towers) throw new Error('hf-bert: the encoder was disposed');
    return this.towers;
  }

  /** Token ids of texts padded to the longest (at least 1 position). */
  private tokenize(texts: readonly string[], side: Side): TokenIds {
    const rows = texts.map((t) => this.tokenizer!.encode(t, this.maxLen[side]));
    const lengths = Int32Array.from(rows, (r) => r.length);
    const L = Math.max(1, ...lengths);
    const ids = new Int32Array(texts.length * L);
    rows.forEach((r, b) => ids.set(r, b * L));
    return { ids, lengths, L };
  }

  prepare(texts: string[], side: Side): PreparedInput {
    return { side, size: texts.length, leaves: [], state: { batch: this.tokenize(texts, side) } satisfies BertInput };
  }

  embed(input: PreparedInput): tf.Tensor2D {
    // embed is the training path: the weights are about to change
    this.weightHash.clear();
    const { batch } = input.state as BertInput;
    const rate = this.params.dropout ?? this.source!.config.hiddenDropout;
    const attentionRate = this.params.attentionDropout ?? this.source!.config.attentionDropout;
    const pooled = this.model[input.side].forward(batch, {
      pooling: this.pooling,
      dropout: rate > 0 ? { rate, rng: masksFor(input.state as BertInput, this.dropoutRng) } : undefined,
      attentionDropout: attentionRate > 0 ? { rate: attentionRate, rng: masksFor(input.state as BertInput, this.attentionDropoutRng) } : undefined,
    });
    return tf.tidy(() => l2Normalize(pooled));
  }

  variables(): tf.Variable[] {
    const { query, item } = this.model;
    const { freezeEmbeddings, freezeLayers } = this.params;
    return [...query.variables(freezeEmbeddings, freezeLayers), ...(item === query ? [] : item.variables(freezeEmbeddings, freezeLayers))];
  }

  learningRateMultiplier(variable: tf.Variable): number {
    // every variable of the towers is pretrained body; anything else (the loss's) keeps train.lr
    const { query, item } = this.model;
    return query.owns(variable) || item.owns(variable) ? this.params.bodyLrMultiplier : 1;
  }

  applySparse(): void {
    // every weight is a dense variable: nothing lives on the host
  }

  async encode(texts: string[], side: Side): Promise<Float32Array> {
    const large = texts.length >= LARGE_CALL;
    const key = large ? EmbeddingCache.key(await this.hashOf(side), { maxLen: this.maxLen[side], pooling: this.pooling }, texts) : '';
    const cached = large ? this.cache.get(key, texts.length * this.dim) : undefined;
    if (cached) return cached;
    const out = new Float32Array(texts.length * this.dim);
    const started = performance.now();
    let lastReport = started;
    for (const { chunk, y, done, total } of this.inferenceBatches(texts, side)) {
      const values = await y.data();
      y.dispose();
      chunk.forEach((i, row) => out.set(values.subarray(row * this.dim, (row + 1) * this.dim), i * this.dim));
      const now = performance.now();
      if (large && now - lastReport > PROGRESS_EVERY_MS) {
        lastReport = now;
        // batches grow longer as the sort proceeds, so the ETA is a lower bound
        const eta = ((now - started) / done) * (total - done);
        process.stderr.write(`[encoder:hf-bert] encoding ${side}s: ${done}/${total} texts, ${((done * 1000) / (now - started)).toFixed(1)} texts/s, ETA ≥ ${formatSeconds(eta / 1000)}\n`);
      }
    }
    if (large) this.cache.put(key, out);
    return out;
  }

  /** `encode` without waiting (the `dense-teacher` discriminator judging generated texts); the same batches, so the same values. */
  encodeSync(texts: string[], side: Side): Float32Array {
    const out = new Float32Array(texts.length * this.dim);
    for (const { chunk, y } of this.inferenceBatches(texts, side)) {
      const values = y.dataSync();
      y.dispose();
      chunk.forEach((i, row) => out.set(values.subarray(row * this.dim, (row + 1) * this.dim), i * this.dim));
    }
    return out;
  }

  /**
   * Unit vectors of `texts` a batch at a time, texts sorted by token count so each batch pads
   * little: `chunk` holds the batch's indices into `texts`, `y` its rows (the caller disposes it).
   */
  private *inferenceBatches(texts: string[], side: Side): Generator<{ chunk: number[]; y: tf.Tensor2D; done: number; total: number }> {
    const lengths = texts.map((t) => this.tokenizer!.encode(t, this.maxLen[side]).length);
    const order = Array.from(texts.keys()).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
    for (let start = 0; start < order.length; ) {
      // sorted by length, so a pass pads to its last text's length
      let end = start + 1;
      while (end < order.length && end - start < this.params.encodeBatch && (end - start + 1) * lengths[order[end]!]! <= PASS_TOKENS) end++;
      const chunk = order.slice(start, end);
      start = end;
      const y = tf.tidy(() => l2Normalize(this.model[side].forward(this.tokenize(chunk.map((i) => texts[i]!), side), { pooling: this.pooling, inference: true })));
      yield { chunk, y, done: end, total: order.length };
    }
  }

  async save(dir: string): Promise<void> {
    if (!this.params.sharedTowers) await this.writeTower(join(dir, 'item'), 'item');
    await this.writeTower(this.params.sharedTowers ? dir : join(dir, 'query'), 'query');
  }

  private async writeTower(dir: string, side: Side): Promise<void> {
    await writeHfBertDirectory(dir, this.source!, await this.model[side].weights(), { pooling: this.pooling, maxSeqLength: this.maxLen.item });
  }

  async load(dir: string): Promise<void> {
    if (this.params.sharedTowers) {
      this.loadFrom(dir);
      return;
    }
    const query = readHfBertDirectory(join(dir, 'query'));
    const item = readHfBertDirectory(join(dir, 'item'));
    this.towers!.query.dispose();
    this.towers!.item.dispose();
    this.towers = { query: BertModel.fromWeights(query.config, query.weights), item: BertModel.fromWeights(item.config, item.weights) };
    this.weightHash.clear();
  }

  parameterCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    if (!this.towers) return;
    this.towers.query.dispose();
    if (this.towers.item !== this.towers.query) this.towers.item.dispose();
    this.towers = undefined;
  }

  /** sha256 of a tower's weight bytes (cached until training touches them). */
  private async hashOf(side: Side): Promise<string> {
    const known = this.weightHash.get(side);
    if (known) return known;
    const h = createHash('sha256');
    for (const v of this.model[side].allVariables()) {
      const d = (await v.data()) as Float32Array;
      h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
    const hex = h.digest('hex');
    this.weightHash.set(side, hex);
    return hex;
  }
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

function formatSeconds(s: number): string {
  return s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export default definePlugin({
  kind: 'encoder',
  name: 'hf-bert',
  summary: 'a pretrained BERT-family tower (e.g. all-MiniLM-L6-v2) from a Hugging Face directory: WordPiece, safetensors, sentence-transformers pooling',
  schema: HfBertParams,
  implementation: HfBertEncoder,
});

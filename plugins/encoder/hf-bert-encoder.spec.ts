import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainSettings } from '../../src/config/trial-config.ts';
import { CacheDir } from '../../src/core/services.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import { train } from '../../src/training/trainer.ts';
import * as tf from '@tensorflow/tfjs-core';
import { instantiate } from '../../test/support/instantiate.ts';
import { useBackend } from '../../test/support/tf.ts';
import { tinyBertTask, writeTinyBert } from '../../test/support/tiny-bert.ts';
import { ToySampler } from '../../test/support/toy-task.ts';
import { readSafetensors } from '../../kits/encoder/bert/safetensors.ts';
import { WordPieceTokenizer } from '../../kits/encoder/bert/wordpiece.ts';
import infoNce from '../loss/info-nce-loss.ts';
import plugin, { HfBertEncoder } from './hf-bert-encoder.ts';

const tiny = await writeTinyBert();
const MODELS = process.env.CROPS_MODELS_DIR ?? join(homedir(), '.cache', 'crops-lab', 'models');
const MINILM = join(MODELS, 'all-MiniLM-L6-v2');
const REF_PYTHON = join(MODELS, '..', 'venv-ref', 'bin', 'python');
// CI fetches the model and the reference venv (test/support/fetch-minilm.sh) and sets this, so there
// the oracle tests cannot be skipped
const REQUIRE = process.env.CROPS_REQUIRE_MINILM === '1';
const haveMiniLm = existsSync(join(MINILM, 'model.safetensors')) && existsSync(REF_PYTHON);
if (REQUIRE && !haveMiniLm) throw new Error(`CROPS_REQUIRE_MINILM=1 but ${MINILM} or ${REF_PYTHON} is missing: run test/support/fetch-minilm.sh`);

// The shared encoder conformance assumes randomly initialised towers (outputs vary with the seed);
// a pretrained tower starts from its checkpoint whatever the seed, so its checks are spelled out here.

const make = (params: Record<string, unknown> = {}) => instantiate<Encoder>(plugin, { model: tiny, ...params }) as HfBertEncoder;

/** The independent numpy forward pass of test/reference/bert_reference.py. */
function reference(model: string, maxLen: number, texts: string[]): { ids: number[][]; embeddings: number[][] } {
  const out = execFileSync(REF_PYTHON, [join(import.meta.dirname, '../../test/reference/bert_reference.py')], { input: JSON.stringify({ model, maxLen, texts }), maxBuffer: 1 << 28 });
  return JSON.parse(out.toString()) as { ids: number[][]; embeddings: number[][] };
}

function cosines(mine: Float32Array, ref: number[][], dim: number): number[] {
  return ref.map((r, i) => r.reduce((s, x, j) => s + x * mine[i * dim + j]!, 0) / Math.hypot(...r) / Math.hypot(...mine.subarray(i * dim, (i + 1) * dim)));
}

describe('hf-bert encoder', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('has a params schema that accepts {} and rejects unknown keys', () => {
    expect(plugin.schema.safeParse({}).success).toBe(true);
    expect(plugin.schema.safeParse({ noSuchParam: 1 }).success).toBe(false);
  });

  for (const params of [{}, { sharedTowers: false, pooling: 'cls' }, { pooling: 'max' }]) {
    it(`encodes unit rows that embed (without dropout) matches, and learns along the gradient (${JSON.stringify(params)})`, async () => {
      const enc = make({ ...params, dropout: 0, attentionDropout: 0 });
      const texts = ['red fox den', 'blue whale song', 'owl at night', ''];
      const out = await enc.encode(texts, 'item');
      expect(out.length).toBe(texts.length * enc.dim);
      for (let i = 0; i < texts.length; i++) expect(Math.hypot(...out.subarray(i * enc.dim, (i + 1) * enc.dim))).toBeCloseTo(1, 4);
      const input = enc.prepare(texts, 'item');
      const rows = tf.tidy(() => enc.embed(input).arraySync());
      rows.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(out[i * enc.dim + j]!, 5)));
      expect((await enc.encode([], 'query')).length).toBe(0);
      const step = () => {
        const q = enc.prepare(['red fox', 'whale song'], 'query');
        const d = enc.prepare(['red fox den', 'blue whale song'], 'item');
        // matching pairs up, crossed pairs down
        const sign = tf.tensor2d([[-1, 1], [1, -1]]);
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.matMul(enc.embed(q), enc.embed(d), false, true), sign)) as tf.Scalar, enc.variables());
        sign.dispose();
        const loss = value.dataSync()[0]!;
        tf.tidy(() => {
          for (const v of enc.variables()) if (grads[v.name]) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.02)));
        });
        tf.dispose([value, ...Object.values(grads)]);
        return loss;
      };
      const first = step();
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 4; i++) step();
      // no tensors leak across steps
      expect(tf.memory().numTensors).toBe(tensors);
      expect(step()).toBeLessThan(first);
      const before = tf.memory().numTensors;
      enc.dispose();
      expect(tf.memory().numTensors).toBeLessThan(before);
    });
  }

  it('draws dropout masks from the trial seed: equal seeds give equal training outputs, others differ', () => {
    const rows = (seed: number) => {
      const enc = instantiate<Encoder>(plugin, { model: tiny, dropout: 0.2 }, { seed }) as HfBertEncoder;
      const input = enc.prepare(['red fox den'], 'item');
      const r = tf.tidy(() => enc.embed(input).arraySync());
      enc.dispose();
      return r;
    };
    expect(rows(5)).toEqual(rows(5));
    expect(rows(6)).not.toEqual(rows(5));
  });

  it('drops attention probabilities only while training: evaluation is unchanged, training outputs differ', async () => {
    const texts = ['red fox den', 'blue whale song at night', 'owl'];
    const plain = make({ dropout: 0, attentionDropout: 0 });
    const dropped = make({ dropout: 0, attentionDropout: 0.3 });
    // inference never drops: the same bits with or without attention dropout
    expect(Array.from(await dropped.encode(texts, 'item'))).toEqual(Array.from(await plain.encode(texts, 'item')));
    const rows = (e: HfBertEncoder) => tf.tidy(() => e.embed(e.prepare(texts, 'item')).arraySync());
    const trainingRows = rows(dropped);
    expect(trainingRows).not.toEqual(rows(plain));
    // the masks come from the trial seed
    expect(rows(make({ dropout: 0, attentionDropout: 0.3 }))).toEqual(trainingRows);
    // null takes the checkpoint's attention_probs_dropout_prob (0.1 in the tiny model)
    expect(rows(make({ dropout: 0 }))).toEqual(rows(make({ dropout: 0, attentionDropout: 0.1 })));
    expect(rows(make({ dropout: 0 }))).not.toEqual(rows(plain));
  });

  it('scales the body learning rate: multiplier 0 keeps every tower weight bit-identical while the loss temperature trains; 1 is the default', { timeout: 60_000 }, async () => {
    const task = tinyBertTask();
    const fineTune = async (params: Record<string, unknown>) => {
      const enc = make({ dropout: 0, attentionDropout: 0, ...params });
      const loss = instantiate(infoNce, { temperature: 0.1 });
      const settings = TrainSettings.parse({ steps: 3, batchQueries: 8, lr: 0.01, weightDecay: 0.1 });
      await train({ encoder: enc, loss, sampler: new ToySampler(task, 8), items: task.items, settings, lossContext: { positiveGrade: 1 } });
      const body = enc.variables().map((v) => Array.from(v.dataSync()));
      const tau = loss.stats().temperature!;
      enc.dispose();
      loss.dispose?.();
      return { body, tau };
    };
    const untouched = make();
    const start = untouched.variables().map((v) => Array.from(v.dataSync()));
    untouched.dispose();
    const frozen = await fineTune({ bodyLrMultiplier: 0 });
    expect(frozen.body).toEqual(start);
    expect(frozen.tau).not.toBe(0.1);
    const byDefault = await fineTune({});
    const one = await fineTune({ bodyLrMultiplier: 1 });
    expect(one.body).toEqual(byDefault.body);
    expect(one.tau).toBe(byDefault.tau);
    expect(one.body).not.toEqual(start);
    // a smaller rate moves the body less far from the checkpoint
    const half = await fineTune({ bodyLrMultiplier: 0.1 });
    const distance = (b: number[][]) => Math.hypot(...b.flatMap((w, i) => w.map((x, j) => x - start[i]![j]!)));
    expect(distance(half.body)).toBeGreaterThan(0);
    expect(distance(half.body)).toBeLessThan(distance(one.body));
  });

  it('encodes synchronously to the same bits as encode (the dense-teacher path for generated texts)', async () => {
    const enc = make({ encodeBatch: 2 });
    const texts = ['the blue whale song at night', 'red fox', '', 'owl hunting at night , a red fox den'];
    for (const side of ['query', 'item'] as const) expect(Array.from(enc.encodeSync(texts, side))).toEqual(Array.from(await enc.encode(texts, side)));
    enc.dispose();
  });

  it('gives a text the same embedding alone or padded in a batch with longer texts', async () => {
    const enc = make();
    const alone = await enc.encode(['red fox'], 'query');
    const batched = await enc.encode(['the blue whale song at night , a red owl hunting', 'red fox'], 'query');
    for (let j = 0; j < enc.dim; j++) expect(batched[enc.dim + j]!).toBeCloseTo(alone[j]!, 5);
    enc.dispose();
  });

  it('trains only what is not frozen', async () => {
    const count = (p: Record<string, unknown>) => {
      const e = make(p);
      const n = e.variables().length;
      e.dispose();
      return n;
    };
    const all = count({});
    expect(count({ freezeEmbeddings: true })).toBe(all - 5);
    expect(count({ freezeLayers: 1 })).toBe(all - 16);
    expect(count({ sharedTowers: false })).toBe(2 * all);
  });

  it('fine-tunes with the trainer and a loss, saves a Hugging Face directory, and reloads it to bit-identical embeddings', { timeout: 60_000 }, async () => {
    const task = tinyBertTask();
    const enc = make({ freezeLayers: 1, dropout: 0 });
    const frozenBefore = readSafetensors(join(tiny, 'model.safetensors')).get('encoder.layer.0.attention.self.query.weight')!.data.slice();
    const loss = instantiate(infoNce, { temperature: 0.1 });
    const settings = TrainSettings.parse({ steps: 6, batchQueries: 8, lr: 0.01 });
    const result = await train({ encoder: enc, loss, sampler: new ToySampler(task, 8), items: task.items, settings, lossContext: { positiveGrade: 1 } });
    expect(Number.isFinite(result.finalLoss)).toBe(true);

    const out = mkdtempSync(join(tmpdir(), 'crops-hf-save-'));
    await enc.save(out);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'modules.json', '1_Pooling/config.json', 'sentence_bert_config.json']) expect(existsSync(join(out, f))).toBe(true);
    const saved = readSafetensors(join(out, 'model.safetensors'));
    // the frozen bottom layer kept its checkpoint values; a trained one moved
    expect(Array.from(saved.get('encoder.layer.0.attention.self.query.weight')!.data)).toEqual(Array.from(frozenBefore));
    const original = readSafetensors(join(tiny, 'model.safetensors'));
    expect(Array.from(saved.get('encoder.layer.1.attention.self.query.weight')!.data)).not.toEqual(Array.from(original.get('encoder.layer.1.attention.self.query.weight')!.data));
    expect(JSON.parse(readFileSync(join(out, 'modules.json'), 'utf8')).map((m: { type: string }) => m.type.split('.').at(-1))).toEqual(['Transformer', 'Pooling', 'Normalize']);

    const texts = ['red fox den', 'blue whale song', '', 'owl hunting at night'];
    const trained = await enc.encode(texts, 'item');
    const reloaded = make({ model: out });
    expect(Array.from(await reloaded.encode(texts, 'item'))).toEqual(Array.from(trained));
    // the other way in: load() into an encoder built from the original checkpoint
    const other = make();
    await other.load(out);
    expect(Array.from(await other.encode(texts, 'item'))).toEqual(Array.from(trained));
    if (haveMiniLm) {
      // the saved directory, read by the independent reference, gives the same embeddings
      const ref = reference(out, 32, texts);
      for (const c of cosines(trained, ref.embeddings, enc.dim)) expect(c).toBeGreaterThan(0.9999);
    }
    [enc, reloaded, other].forEach((e) => e.dispose());
    loss.dispose?.();
  });

  it('caches large encode calls on disk by weights, settings and texts, and misses once training moved the weights', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'crops-hf-cache-'));
    const withCache = (p: Record<string, unknown> = {}) => instantiate<Encoder>(plugin, { model: tiny, dropout: 0, ...p }, { bind: (c) => c.bind(CacheDir).toConstantValue(cacheDir) }) as HfBertEncoder;
    const words = ['fox', 'den', 'red', 'blue', 'whale', 'song', 'owl', 'night'];
    const texts = Array.from({ length: 600 }, (_, i) => `${words[i % 8]} ${words[(i >> 3) % 8]} ${words[(i >> 6) % 8]}`);
    const a = withCache();
    const first = await a.encode(texts, 'item');
    const files = () => readdirSync(join(cacheDir, 'embeddings')).length;
    expect(files()).toBe(1);
    // a second encoder with the same checkpoint reads the file: same values, no new entry
    const b = withCache();
    expect(Array.from(await b.encode(texts, 'item'))).toEqual(Array.from(first));
    expect(files()).toBe(1);
    // other lengths are another entry
    await withCache({ maxItemLength: 3 }).encode(texts, 'item');
    expect(files()).toBe(2);
    // after a training step the weights differ, so the cached values are not reused
    const input = b.prepare(['red fox'], 'query');
    const { value, grads } = tf.variableGrads(() => tf.sum(b.embed(input)) as tf.Scalar, b.variables());
    tf.tidy(() => {
      for (const v of b.variables()) if (grads[v.name]) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.5)));
    });
    tf.dispose([value, ...Object.values(grads)]);
    const moved = await b.encode(texts, 'item');
    expect(files()).toBe(3);
    expect(Array.from(moved)).not.toEqual(Array.from(first));
    a.dispose();
    b.dispose();
  });

  it('refuses a directory that is not a BERT encoder, naming the file and the reason', () => {
    expect(() => make({ model: join(tiny, 'nope') })).toThrow(/config\.json not found/);
  });
});

const TEXTS = [
  'Obesity decreases life quality.',
  '0-dimensional biomaterials show inductive properties.',
  'Héllo wörld, naïve café façade — crème brûlée',
  'Ångström-scale résumé of Müller’s Zürich experiment',
  '你好，世界。这是一个测试。',
  '日本語のテキストと漢字',
  '한국어 문장입니다',
  'Emoji 🙂🚀🧬 in a sentence 👩‍🔬',
  '',
  '   ',
  'IL-6 and TNF-α levels were 3.5-fold higher (p<0.05) in KO mice vs. WT.',
  'ALL CAPS SHOUTING ABOUT DNA METHYLATION',
  'tabs\tand\nnewlines\r\nmixed',
  'ﬁnancial ligatures and ½ fractions ²',
  'Ελληνικά και русский текст вместе',
  'مرحبا بالعالم',
  'a',
  'antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis',
  'The quick brown fox jumps over the lazy dog. '.repeat(40),
  'Long abstract past the maximum length: ' + 'microglia modulate synaptic pruning during development and disease; '.repeat(30),
  'Mutations in HNF4A are associated with diabetes.',
  'word '.repeat(300),
];

describe.runIf(haveMiniLm)('hf-bert on all-MiniLM-L6-v2 against an independent numpy forward pass', () => {
  beforeAll(async () => {
    await useBackend();
  });

  it('tokenises like Hugging Face tokenizers and embeds every text with cosine >= 0.9999', { timeout: 300_000 }, async () => {
    const enc = instantiate<Encoder>(plugin, { model: MINILM, maxQueryLength: 128, encodeBatch: 8 }) as HfBertEncoder;
    const mine = await enc.encode(TEXTS, 'query');
    const ref = reference(MINILM, 128, TEXTS);
    expect(ref.ids.some((ids) => ids.length === 128)).toBe(true);
    expect(ref.ids[8]).toEqual([101, 102]);
    const tokenizer = new WordPieceTokenizer(JSON.parse(readFileSync(join(MINILM, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(MINILM, 'tokenizer_config.json'), 'utf8')));
    TEXTS.forEach((t, i) => expect(Array.from(tokenizer.encode(t, 128)), `token ids of text ${i}`).toEqual(ref.ids[i]));
    const cos = cosines(mine, ref.embeddings, enc.dim);
    cos.forEach((c, i) => expect(c, `text ${i}: ${JSON.stringify(TEXTS[i]!.slice(0, 40))}`).toBeGreaterThanOrEqual(0.9999));
    enc.dispose();
  });
});

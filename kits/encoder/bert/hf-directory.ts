import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type StoredTensor } from './safetensors.ts';

/**
 * A Hugging Face model directory holding a BERT-family encoder (BERT, MiniLM, and other checkpoints
 * whose `config.json` says `model_type: bert`) with its sentence-transformers settings.
 */

export type Pooling = 'mean' | 'cls' | 'max';

export interface BertConfig {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenDropout: number;
  attentionDropout: number;
}

export interface HfBertDirectory {
  dir: string;
  config: BertConfig;
  /** the raw config.json, written back unchanged on save */
  rawConfig: Record<string, unknown>;
  weights: Map<string, StoredTensor>;
  /** parsed tokenizer.json and tokenizer_config.json */
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** from 1_Pooling/config.json (mean when absent) */
  pooling: Pooling;
  /** a `Normalize` module follows pooling */
  normalize: boolean;
  /** sentence_bert_config.json's max_seq_length, when given */
  maxSeqLength?: number;
}

const readJson = (file: string): Record<string, unknown> => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  }
};

/** Reads and checks a model directory; anything that is not a BERT encoder is refused, saying why. */
export function readHfBertDirectory(dir: string): HfBertDirectory {
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) {
    if (!existsSync(join(dir, f))) throw new Error(`${join(dir, f)} not found: a Hugging Face model directory needs config.json, model.safetensors and tokenizer.json (pytorch_model.bin is not read; convert it to safetensors)`);
  }
  const raw = readJson(join(dir, 'config.json'));
  const refuse = (why: string) => new Error(`${join(dir, 'config.json')}: ${why}; only BERT-family encoders (model_type 'bert', absolute positions, GELU) are supported`);
  if (raw.model_type !== 'bert') throw refuse(`model_type is ${JSON.stringify(raw.model_type)}`);
  if ((raw.position_embedding_type ?? 'absolute') !== 'absolute') throw refuse(`position_embedding_type is ${JSON.stringify(raw.position_embedding_type)}`);
  if ((raw.hidden_act ?? 'gelu') !== 'gelu') throw refuse(`hidden_act is ${JSON.stringify(raw.hidden_act)}`);
  const num = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number') throw refuse(`${key} is missing`);
    return v;
  };
  const config: BertConfig = {
    vocabSize: num('vocab_size'),
    hidden: num('hidden_size'),
    layers: num('num_hidden_layers'),
    heads: num('num_attention_heads'),
    intermediate: num('intermediate_size'),
    maxPositions: num('max_position_embeddings', 512),
    typeVocabSize: num('type_vocab_size', 2),
    layerNormEps: num('layer_norm_eps', 1e-12),
    hiddenDropout: num('hidden_dropout_prob', 0.1),
    attentionDropout: num('attention_probs_dropout_prob', 0.1),
  };
  const stored = readSafetensors(join(dir, 'model.safetensors'));
  // BertForMaskedLM / BertForPreTraining checkpoints prefix the encoder's weights with `bert.`
  const weights = new Map<string, StoredTensor>();
  for (const [name, t] of stored) weights.set(name.startsWith('bert.') ? name.slice(5) : name, t);

  let pooling: Pooling = 'mean';
  let normalize = false;
  if (existsSync(join(dir, 'modules.json'))) {
    const modules = JSON.parse(readFileSync(join(dir, 'modules.json'), 'utf8')) as Array<{ type: string; path: string }>;
    normalize = modules.some((m) => m.type.endsWith('.Normalize'));
    const pool = modules.find((m) => m.type.endsWith('.Pooling'));
    if (pool && existsSync(join(dir, pool.path, 'config.json'))) {
      const p = readJson(join(dir, pool.path, 'config.json'));
      pooling = p.pooling_mode_cls_token ? 'cls' : p.pooling_mode_max_tokens ? 'max' : 'mean';
      if (p.pooling_mode_mean_sqrt_len_tokens || p.pooling_mode_weightedmean_tokens || p.pooling_mode_lasttoken) throw new Error(`${join(dir, pool.path, 'config.json')}: only mean, cls and max pooling are supported`);
    }
  }
  const st = existsSync(join(dir, 'sentence_bert_config.json')) ? readJson(join(dir, 'sentence_bert_config.json')) : {};
  return {
    dir,
    config,
    rawConfig: raw,
    weights,
    tokenizerJson: readJson(join(dir, 'tokenizer.json')),
    tokenizerConfig: existsSync(join(dir, 'tokenizer_config.json')) ? readJson(join(dir, 'tokenizer_config.json')) : {},
    pooling,
    normalize,
    ...(typeof st.max_seq_length === 'number' ? { maxSeqLength: st.max_seq_length } : {}),
  };
}

/** Files copied unchanged from the source directory when present (tokenizer and model card data). */
const COPIED = ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json', 'config_sentence_transformers.json'];

/**
 * Writes a directory sentence-transformers and Hugging Face load: config.json, model.safetensors,
 * the tokenizer files, modules.json with Pooling (and Normalize), sentence_bert_config.json.
 */
export async function writeHfBertDirectory(out: string, source: HfBertDirectory, weights: ReadonlyMap<string, StoredTensor>, settings: { pooling: Pooling; maxSeqLength: number }): Promise<void> {
  await mkdir(join(out, '1_Pooling'), { recursive: true });
  await writeFile(join(out, 'config.json'), JSON.stringify({ ...source.rawConfig, architectures: ['BertModel'] }, null, 2) + '\n');
  await writeSafetensors(join(out, 'model.safetensors'), weights);
  for (const f of COPIED) if (existsSync(join(source.dir, f))) await copyFile(join(source.dir, f), join(out, f));
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    // crops-lab towers always output unit vectors, so the saved model does too
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ];
  await writeFile(join(out, 'modules.json'), JSON.stringify(modules, null, 2) + '\n');
  await mkdir(join(out, '2_Normalize'), { recursive: true });
  const p = settings.pooling;
  await writeFile(
    join(out, '1_Pooling', 'config.json'),
    JSON.stringify({ word_embedding_dimension: source.config.hidden, pooling_mode_cls_token: p === 'cls', pooling_mode_mean_tokens: p === 'mean', pooling_mode_max_tokens: p === 'max', pooling_mode_mean_sqrt_len_tokens: false }, null, 2) + '\n',
  );
  await writeFile(join(out, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: settings.maxSeqLength, do_lower_case: false }, null, 2) + '\n');
}

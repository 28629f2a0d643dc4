import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.ts';
import { writeSafetensors, type StoredTensor } from '../../kits/encoder/bert/safetensors.ts';
import { toyTask } from './toy-task.ts';

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = ['fox', 'den', 'red', 'blue', 'whale', 'song', 'owl', 'night', 'hunt', '##s', '##ing', 'the', 'a', 'at', 'cafe', 'naive', '.', ','];

/**
 * Writes a tiny BERT with random weights in the Hugging Face layout (config.json, model.safetensors,
 * tokenizer.json with a WordPiece vocabulary of a few words, sentence-transformers modules.json and
 * mean pooling), for tests that must stay fast and need no download.
 */
export async function writeTinyBert(opts: { hidden?: number; layers?: number; heads?: number; seed?: number; prefix?: string } = {}): Promise<string> {
  const hidden = opts.hidden ?? 16;
  const layers = opts.layers ?? 2;
  const heads = opts.heads ?? 4;
  const inter = hidden * 2;
  const vocab = [...SPECIAL, ...WORDS];
  const rng = new Rng(opts.seed ?? 7);
  const dir = mkdtempSync(join(tmpdir(), 'crops-tiny-bert-'));
  const tensors = new Map<string, StoredTensor>();
  const prefix = opts.prefix ?? '';
  const put = (name: string, shape: number[], fill?: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    tensors.set(prefix + name, { shape, data: Float32Array.from({ length: n }, () => fill ?? (rng.next() - 0.5) * 0.4) });
  };
  put('embeddings.word_embeddings.weight', [vocab.length, hidden]);
  put('embeddings.position_embeddings.weight', [64, hidden]);
  put('embeddings.token_type_embeddings.weight', [2, hidden]);
  put('embeddings.LayerNorm.weight', [hidden]);
  put('embeddings.LayerNorm.bias', [hidden]);
  for (let i = 0; i < layers; i++) {
    const p = `encoder.layer.${i}`;
    for (const m of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      put(`${p}.${m}.weight`, [hidden, hidden]);
      put(`${p}.${m}.bias`, [hidden]);
    }
    put(`${p}.intermediate.dense.weight`, [inter, hidden]);
    put(`${p}.intermediate.dense.bias`, [inter]);
    put(`${p}.output.dense.weight`, [hidden, inter]);
    put(`${p}.output.dense.bias`, [hidden]);
    for (const ln of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      put(`${p}.${ln}.weight`, [hidden]);
      put(`${p}.${ln}.bias`, [hidden]);
    }
  }
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  const config = {
    architectures: ['BertModel'], model_type: 'bert', hidden_size: hidden, num_hidden_layers: layers, num_attention_heads: heads, intermediate_size: inter,
    max_position_embeddings: 64, type_vocab_size: 2, vocab_size: vocab.length, layer_norm_eps: 1e-12, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, position_embedding_type: 'absolute',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const special = (t: string) => ({ id: vocab.indexOf(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  const sep = { SpecialToken: { id: '[SEP]', type_id: 0 } };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({
    version: '1.0', truncation: null, padding: null,
    added_tokens: SPECIAL.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'TemplateProcessing', single: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep], pair: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } } },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((t, i) => [t, i])) },
  }));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]', tokenize_chinese_chars: true, strip_accents: null, tokenizer_class: 'BertTokenizer' }));
  writeFileSync(join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  writeFileSync(join(dir, 'modules.json'), JSON.stringify([
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ]));
  mkdirSync(join(dir, '1_Pooling'));
  writeFileSync(join(dir, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: hidden, pooling_mode_cls_token: false, pooling_mode_mean_tokens: true, pooling_mode_max_tokens: false, pooling_mode_mean_sqrt_len_tokens: false }));
  writeFileSync(join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 32, do_lower_case: false }));
  return dir;
}

/** The toy task (16 items of 4 words) in words of the tiny model's vocabulary, so WordPiece sees no unknown tokens. */
export function tinyBertTask(): ReturnType<typeof toyTask> {
  const task = toyTask({ items: 16, words: 4, vocabulary: 10 });
  const words = ['fox', 'den', 'red', 'blue', 'whale', 'song', 'owl', 'night', 'hunt', 'cafe'];
  task.items.texts = task.items.texts.map((t) => t.split(' ').map((w) => words[w.charCodeAt(1) % words.length]).join(' '));
  task.queries = task.items.texts.map((t) => t.split(' ').slice(0, 2).join(' '));
  return task;
}

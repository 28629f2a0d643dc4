import { Tokenizer } from '@huggingface/tokenizers';

/**
 * The model's own `tokenizer.json` run by Hugging Face's tokenizers.js (the JavaScript port of the
 * Rust `tokenizers` library): normalisation, pre-tokenisation, WordPiece and the `[CLS] … [SEP]`
 * template. Truncation is applied here, as BertTokenizerFast does for one sequence: the first
 * `maxLen - 2` word pieces between the special tokens.
 */
export class WordPieceTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly sepId: number;

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>) {
    // padding and truncation in tokenizer.json are the exporter's settings, not the model's: ours apply
    this.tokenizer = new Tokenizer({ ...tokenizerJson, padding: null, truncation: null } as never, tokenizerConfig as never);
    const sep = this.tokenizer.token_to_id(String(tokenizerConfig.sep_token ?? '[SEP]'));
    if (sep === undefined) throw new Error('tokenizer: no [SEP] token in the vocabulary');
    this.sepId = sep;
  }

  /** Token ids of `text` with special tokens, at most `maxLen` of them. */
  encode(text: string, maxLen: number): Int32Array {
    const ids = this.tokenizer.encode(text, { add_special_tokens: true }).ids;
    if (ids.length <= maxLen) return Int32Array.from(ids);
    const out = Int32Array.from(ids.slice(0, maxLen));
    out[maxLen - 1] = this.sepId;
    return out;
  }
}

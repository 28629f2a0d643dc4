export const Llm = Symbol.for('crops.Llm');

export interface LlmRequest {
  /** the rendered one-shot prompt */
  prompt: string;
  query: string;
  /** how many independent generations */
  n: number;
  temperature: number;
}

/**
 * Generates pseudo-video metadata for a query (P3). Returns raw texts; the `llm-knowledge` source
 * parses and validates them. Providers that call a network endpoint must cache by
 * (model, prompt, sampling params) and read secrets from environment variables only.
 */
export interface Llm {
  generate(request: LlmRequest): Promise<string[]>;
}

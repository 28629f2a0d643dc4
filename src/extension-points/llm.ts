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
 * Generates pseudo-video metadata for a query (P3). Returns raw texts, at most `n` (fewer when a
 * provider skipped replies it could not use); the `llm-knowledge` source parses and validates them.
 * Providers that call a network endpoint must cache by (model, prompt, sampling params) and read
 * secrets from environment variables only. Deterministic providers return equal texts for equal
 * requests. Providers declare `provides: ['llm']` so sources can require one.
 *
 * @example
 * ```ts
 * @injectable()
 * class EchoLlm implements Llm {
 *   async generate({ query, n }: LlmRequest) {
 *     return Array.from({ length: n }, (_, i) => JSON.stringify({ caption: `${query} video ${i}` }));
 *   }
 * }
 * export default definePlugin({ kind: 'llm', name: 'echo', summary: 'echoes the query as captions',
 *   schema: z.object({}).strict(), implementation: EchoLlm, provides: ['llm'] });
 * ```
 */
export interface Llm {
  generate(request: LlmRequest): Promise<string[]>;
  /** counters worth reporting (requests, cache hits, skipped replies, ...), read after mining */
  stats?(): Record<string, number>;
}

import { inject, injectable } from 'inversify';
import { z } from 'zod';
import { DiskCache } from '../../src/core/disk-cache.ts';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import { registerSecret, scrubSecrets } from '../../src/core/secrets.ts';
import type { Rng } from '../../src/core/rng.ts';
import { CacheDir, PluginLogger, PluginParams, TrialRng } from '../../src/core/services.ts';
import type { Llm, LlmRequest } from '../../src/extension-points/llm.ts';
import { ChatCompletionsClient, type ChatRequest } from './openai/chat-completions-client.ts';
import { ConcurrencyLimiter } from './openai/limiter.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Params of `openai-compatible`. The config names the environment variable; the key never enters it. */
export const OpenAiCompatibleParams = z
  .object({
    baseUrl: z.url().default('https://api.openai.com/v1').describe('API root that serves POST /chat/completions, e.g. http://localhost:8000/v1 (vLLM) or http://localhost:11434/v1 (Ollama)'),
    model: z.string().min(1).default('gpt-4o-mini').describe('model name sent with every request; part of the cache key'),
    apiKeyEnv: z
      .string()
      .min(1)
      .default('OPENAI_API_KEY')
      .describe('name of the environment variable holding the API key; when it is unset no Authorization header is sent'),
    systemPrompt: z.string().optional().describe('optional system message sent before the rendered prompt; part of the cache key'),
    maxTokens: z.number().int().positive().default(512).describe('max_tokens of each completion'),
    requestSeed: z
      .number()
      .int()
      .min(0)
      .nullable()
      .default(0)
      .describe('generation i of a request is sent with seed requestSeed + i, for servers that honour it; null sends none'),
    concurrency: z.number().int().positive().default(4).describe('most requests in flight at once'),
    timeoutMs: z.number().int().positive().default(60_000).describe('per-request deadline for the whole reply'),
    maxReplyBytes: z
      .number()
      .int()
      .positive()
      .default(1_000_000)
      .describe('a reply body past this many bytes is cut off unread and treated as malformed (retried, then skipped); completions are kilobytes'),
    maxRetries: z.number().int().min(0).default(5).describe('retries after connection errors, timeouts, HTTP 429 and 5xx; then the trial fails'),
    malformedRetries: z.number().int().min(0).default(2).describe('retries after a reply without a usable completion; then that generation is skipped and counted'),
    backoffMs: z.number().int().min(0).default(500).describe('first retry delay; doubles per retry, with jitter, unless the server sends Retry-After'),
    maxBackoffMs: z.number().int().min(0).default(30_000).describe('cap of the exponential retry delay'),
  })
  .strict()
  // checked on the whole object so the error shows "(got a mapping)" and never echoes a pasted key
  .superRefine((p, ctx) => {
    if (!ENV_NAME.test(p.apiKeyEnv)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'apiKeyEnv must be the NAME of an environment variable holding the key (e.g. OPENAI_API_KEY), not the key itself' });
    }
  });
export type OpenAiCompatibleParams = z.output<typeof OpenAiCompatibleParams>;

/** Cache key of one generation: everything that determines what the model is asked. */
interface GenerationKey {
  model: string;
  messages: ChatRequest['messages'];
  temperature: number;
  maxTokens: number;
  seed: number | null;
  /** which of the n generations, so repeated samples of one prompt are cached apart */
  generation: number;
}

/** Cached value; `query` lets a cache directory be replayed with the `replay` LLM. */
interface CachedGeneration {
  query: string;
  text: string;
}

/**
 * An LLM served over the OpenAI chat-completions protocol (OpenAI, vLLM, Ollama, llama.cpp, ...).
 * Each of the n generations of a request is one completion, cached on disk under the plugin's
 * cache directory by (model, messages, temperature, maxTokens, seed, generation index): a re-run
 * sends nothing and reproduces the first run exactly. Requests share a concurrency bound; transient
 * failures are retried with back-off, malformed replies retried and then skipped (see `stats()`).
 * The API key is read from the environment variable named by `apiKeyEnv` and never logged or cached.
 */
@injectable()
export class OpenAiCompatibleLlm implements Llm {
  private readonly params: OpenAiCompatibleParams;
  private readonly client: ChatCompletionsClient;
  private readonly cache: DiskCache<GenerationKey, CachedGeneration>;
  private readonly counts = { generations: 0, cacheHits: 0 };
  private readonly apiKey: string | undefined;

  constructor(
    @inject(PluginParams) params: OpenAiCompatibleParams,
    @inject(TrialRng) rng: Rng,
    @inject(PluginLogger) logger: Logger,
    @inject(CacheDir) cacheDir: string,
  ) {
    this.params = params;
    const p = this.params;
    const apiKey = process.env[p.apiKeyEnv] || undefined;
    // scrubbed from every log line, cache entry and mined file from now on
    registerSecret(apiKey);
    this.apiKey = apiKey;
    if (!apiKey) logger.warn(`environment variable ${p.apiKeyEnv} is not set: requests carry no Authorization header`);
    this.cache = new DiskCache(cacheDir);
    this.client = new ChatCompletionsClient({
      baseUrl: p.baseUrl,
      apiKey,
      timeoutMs: p.timeoutMs,
      maxReplyBytes: p.maxReplyBytes,
      maxRetries: p.maxRetries,
      malformedRetries: p.malformedRetries,
      backoff: { baseMs: p.backoffMs, maxMs: p.maxBackoffMs },
      rng: rng.fork('retry-jitter'),
      logger,
      limiter: new ConcurrencyLimiter(p.concurrency),
    });
  }

  async generate(request: LlmRequest): Promise<string[]> {
    const p = this.params;
    const messages: ChatRequest['messages'] = [];
    if (p.systemPrompt !== undefined) messages.push({ role: 'system', content: p.systemPrompt });
    messages.push({ role: 'user', content: request.prompt });
    const texts = await Promise.all(
      Array.from({ length: request.n }, async (_, generation) => {
        const seed = p.requestSeed === null ? null : p.requestSeed + generation;
        const key: GenerationKey = { model: p.model, messages, temperature: request.temperature, maxTokens: p.maxTokens, seed, generation };
        this.counts.generations++;
        const cached = await this.cache.get(key);
        if (cached !== undefined) {
          this.counts.cacheHits++;
          return cached.text;
        }
        const body: ChatRequest = { model: p.model, messages, temperature: request.temperature, max_tokens: p.maxTokens };
        if (seed !== null) body.seed = seed;
        const reply = await this.client.complete(body, `query '${request.query}' generation ${generation + 1}/${request.n}`);
        // a server that echoes the key into the completion must not get it into the cache or mined files
        const text = reply === undefined ? undefined : scrubSecrets(reply, [this.apiKey]);
        // skipped generations are not cached, so a later run asks again
        if (text !== undefined) await this.cache.set(key, { query: request.query, text });
        return text;
      }),
    );
    return texts.filter((t): t is string => t !== undefined);
  }

  /** Generations asked for, served from cache, HTTP requests, retries, malformed and skipped replies. */
  stats(): Record<string, number> {
    return { ...this.counts, ...this.client.counts };
  }
}

export default definePlugin({
  kind: 'llm',
  name: 'openai-compatible',
  summary: 'chat completions over HTTP (OpenAI, vLLM, Ollama), cached on disk, key read from an environment variable',
  schema: OpenAiCompatibleParams,
  implementation: OpenAiCompatibleLlm,
  provides: ['llm'],
});

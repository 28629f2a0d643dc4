import type { Logger } from '../../../src/core/logger.ts';
import { redact, redactAndCut } from '../../../src/core/secrets.ts';
import type { Rng } from '../../../src/core/rng.ts';
import { backoffMs, retryAfterMs, sleep, type BackoffPolicy } from './backoff.ts';
import type { ConcurrencyLimiter } from './limiter.ts';

/** The request body fields crops-lab sends (OpenAI chat-completions protocol). */
export interface ChatRequest {
  model: string;
  messages: Array<{ role: 'system' | 'user'; content: string }>;
  temperature: number;
  max_tokens: number;
  seed?: number;
}

export interface ChatClientOptions {
  /** e.g. `https://api.openai.com/v1` or `http://localhost:8000/v1`; `/chat/completions` is appended */
  baseUrl: string;
  /** sent as a bearer token; never logged, and removed from any server text that is logged */
  apiKey?: string;
  timeoutMs: number;
  /** a reply body longer than this is cut off unread and counts as malformed (a completion is kilobytes) */
  maxReplyBytes: number;
  /** retries after connection errors, timeouts, 429 and 5xx before giving up with an error */
  maxRetries: number;
  /** retries after a 200 reply that is not a usable completion before skipping the generation */
  malformedRetries: number;
  backoff: BackoffPolicy;
  /** jitter only: it changes when a retry happens, never what is generated */
  rng: Rng;
  logger: Logger;
  limiter: ConcurrencyLimiter;
}

/** Running totals since the client was made. */
export interface ChatCounts {
  /** HTTP requests sent, retries included */
  httpRequests: number;
  /** retries after connection errors, timeouts, 429 or 5xx */
  retries: number;
  /** 200 replies without a usable completion (each one, retried or not) */
  malformed: number;
  /** generations given up after `malformedRetries` malformed replies */
  skipped: number;
}

/** A reply that ends the request: a status that retrying cannot fix, or retries used up. */
export class ChatRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ChatRequestError';
  }
}

const MAX_RETRY_AFTER_MS = 600_000;

type Attempt = { kind: 'ok'; text: string } | { kind: 'malformed'; why: string } | { kind: 'retry'; why: string; waitMs?: number };

/**
 * A client for `POST {baseUrl}/chat/completions` as served by OpenAI, vLLM, Ollama, llama.cpp and
 * others. One call is one completion: it waits for a slot of the shared limiter, then retries
 * transient failures with exponential back-off (honouring `Retry-After`) and malformed replies a
 * bounded number of times, in which case it returns undefined and counts the skip.
 */
export class ChatCompletionsClient {
  readonly counts: ChatCounts = { httpRequests: 0, retries: 0, malformed: 0, skipped: 0 };
  private readonly url: string;

  constructor(private readonly opts: ChatClientOptions) {
    this.url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  /** The completion's text, or undefined when every attempt got a malformed reply. */
  complete(request: ChatRequest, label: string): Promise<string | undefined> {
    return this.opts.limiter.run(() => this.completeNow(request, label));
  }

  private async completeNow(request: ChatRequest, label: string): Promise<string | undefined> {
    const { maxRetries, malformedRetries, backoff, rng, logger } = this.opts;
    let transient = 0;
    let malformed = 0;
    for (;;) {
      const attempt = await this.attempt(request);
      if (attempt.kind === 'ok') return attempt.text;
      if (attempt.kind === 'malformed') {
        this.counts.malformed++;
        if (malformed >= malformedRetries) {
          this.counts.skipped++;
          logger.warn(`${label}: skipped after ${malformed + 1} malformed replies (last: ${attempt.why})`);
          return undefined;
        }
        logger.debug(`${label}: malformed reply (${attempt.why}); retrying`);
        await sleep(backoffMs(malformed++, backoff, rng));
        continue;
      }
      if (transient >= maxRetries) {
        throw new ChatRequestError(`${this.url}: ${label}: gave up after ${transient + 1} attempts (last: ${attempt.why})`);
      }
      const waitMs = attempt.waitMs ?? backoffMs(transient, backoff, rng);
      this.counts.retries++;
      transient++;
      logger.debug(`${label}: ${attempt.why}; retry ${transient}/${maxRetries} in ${waitMs} ms`);
      await sleep(waitMs);
    }
  }

  private async attempt(request: ChatRequest): Promise<Attempt> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    this.counts.httpRequests++;
    let status: number;
    let retryAfter: string | null;
    let body: string;
    try {
      // one deadline for the headers and the body: a server that stalls mid-body is as slow as one that never answers
      const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify(request), signal: AbortSignal.timeout(this.opts.timeoutMs) });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      const read = await readCapped(res, this.opts.maxReplyBytes);
      if (read === undefined) return { kind: 'malformed', why: `reply larger than ${this.opts.maxReplyBytes} bytes (maxReplyBytes); not read further` };
      body = read;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const why = err.name === 'TimeoutError' || err.name === 'AbortError' ? `no reply within ${this.opts.timeoutMs} ms` : `connection failed (${err.cause?.code ?? err.message})`;
      return { kind: 'retry', why: this.redact(why) };
    }
    if (status === 429 || status === 408 || status >= 500) {
      const asked = retryAfterMs(retryAfter);
      // honoured as sent, up to ten minutes: a proxy asking for hours should fail the trial, not hang it
      return { kind: 'retry', why: `HTTP ${status}`, waitMs: asked === undefined ? undefined : Math.min(asked, MAX_RETRY_AFTER_MS) };
    }
    if (status < 200 || status >= 300) {
      throw new ChatRequestError(`${this.url} answered HTTP ${status}: ${redactAndCut(body, 300, [this.opts.apiKey])}`, status);
    }
    return this.readCompletion(body);
  }

  private readCompletion(body: string): Attempt {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { kind: 'malformed', why: 'reply is not JSON' };
    }
    const choice = (parsed as { choices?: Array<{ message?: { content?: unknown } }> } | null)?.choices?.[0];
    const content = choice?.message?.content;
    if (typeof content !== 'string') return { kind: 'malformed', why: 'no choices[0].message.content string' };
    if (content.trim() === '') return { kind: 'malformed', why: 'empty completion' };
    return { kind: 'ok', text: content };
  }

  /** Server text can echo what it was sent (an invalid key in a 401 body, say); strip the key. */
  private redact(text: string): string {
    return redact(text, [this.opts.apiKey]);
  }
}

/**
 * The body as text, or undefined once it passes `max` bytes: the rest is never read, so a runaway
 * or hostile server cannot fill memory or the cache (eight 20 MB replies once took 2.7 GB).
 */
async function readCapped(res: Response, max: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

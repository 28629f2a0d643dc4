import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configHash } from '../../src/core/hash.ts';

/** One scripted answer: status, raw body (JSON-encoded when not a string), headers, delay. */
export interface ScriptedReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: { model?: string; messages?: Array<{ role: string; content: string }>; temperature?: number; seed?: number; max_tokens?: number };
  path: string;
}

/** A chat-completions reply whose content is `content`. */
export const completion = (content: string) => ({
  id: 'chatcmpl-test',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
});

/**
 * The default answer: a pseudo-video JSON object built from the last line of the user message (the
 * query in the bundled template) and a hash of the whole request, so equal requests get equal
 * answers and different seeds different ones.
 */
export function defaultContent(body: ReceivedRequest['body']): string {
  const user = body.messages?.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  const query = user.trim().split('\n').at(-1)!.replace(/^.*:\s*/, '');
  const h = configHash({ user, seed: body.seed, t: body.temperature }, 6);
  return JSON.stringify({ caption: `${query} explained in one minute ${h}`, tags: [query, `t${h}`], coverText: query, keywords: [query], relatedQueries: [`${query} tips`] });
}

/**
 * A local HTTP server speaking `POST /v1/chat/completions`. Replies come from `script` in arrival
 * order while it lasts (then the default answer); it records every request and the most requests
 * it ever had in flight at once.
 */
export class FakeChatServer {
  readonly requests: ReceivedRequest[] = [];
  script: ScriptedReply[] = [];
  /** answer delay of unscripted replies, so concurrent requests overlap */
  defaultDelayMs = 0;
  /** content of unscripted replies (default: a pseudo-video, {@link defaultContent}) */
  content: (body: ReceivedRequest['body']) => string = defaultContent;
  maxInFlight = 0;
  private inFlight = 0;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        let body: ReceivedRequest['body'] = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // recorded as empty; the client under test always sends JSON
        }
        this.requests.push({ headers: req.headers, body, path: req.url ?? '' });
        const reply = this.script.shift() ?? { body: completion(this.content(body)), delayMs: this.defaultDelayMs };
        const send = () => {
          this.inFlight--;
          if (res.destroyed) return;
          const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
          res.writeHead(req.url === '/v1/chat/completions' ? (reply.status ?? 200) : 404, { 'content-type': 'application/json', ...reply.headers });
          res.end(text);
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  reset(): void {
    this.requests.length = 0;
    this.script = [];
    this.maxInFlight = 0;
    this.defaultDelayMs = 0;
    this.content = defaultContent;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.ts';
import { Rng } from '../../src/core/rng.ts';
import { CacheDir } from '../../src/core/services.ts';
import { describeLlmConformance } from '../../test/conformance/llm-conformance.ts';
import { completion, FakeChatServer } from '../../test/support/fake-chat-server.ts';
import plugin, { OpenAiCompatibleLlm, OpenAiCompatibleParams } from './openai-compatible-llm.ts';

const KEY_ENV = 'CROPS_TEST_LLM_KEY';
const KEY = 'sk-test-7f3a9c1e5b2d-never-log-me';
const server = new FakeChatServer();
const logs: string[] = [];
const cacheDirs: string[] = [];

beforeAll(async () => {
  process.env[KEY_ENV] = KEY;
  await server.start();
});
afterAll(async () => {
  delete process.env[KEY_ENV];
  await server.stop();
});
beforeEach(() => server.reset());

function make(params: Partial<OpenAiCompatibleParams> = {}, cacheDir = mkdtempSync(join(tmpdir(), 'crops-llm-'))) {
  cacheDirs.push(cacheDir);
  const parsed = OpenAiCompatibleParams.parse({ baseUrl: server.url, model: 'test-model', apiKeyEnv: KEY_ENV, backoffMs: 5, maxBackoffMs: 20, ...params });
  const logger = createLogger('llm:openai-compatible', 'debug', (l) => logs.push(l));
  return { llm: new OpenAiCompatibleLlm(parsed, new Rng(1), logger, cacheDir), cacheDir };
}
const ask = (query: string, n = 1) => ({ prompt: `# Query\n${query}`, query, n, temperature: 0.7 });
const malformed = { body: 'this is {not json' };

describe('openai-compatible llm against a local chat-completions server', () => {
  it('sends one authorised completion request per generation and returns the contents', async () => {
    const { llm } = make({ maxTokens: 64 });
    const texts = await llm.generate(ask('pasta', 3));
    expect(texts).toHaveLength(3);
    expect(new Set(texts).size).toBe(3);
    expect(JSON.parse(texts[0]!).caption).toContain('pasta');
    expect(server.requests).toHaveLength(3);
    for (const r of server.requests) {
      expect(r.path).toBe('/v1/chat/completions');
      expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(r.body).toMatchObject({ model: 'test-model', temperature: 0.7, max_tokens: 64, messages: [{ role: 'user', content: '# Query\npasta' }] });
    }
    expect(server.requests.map((r) => r.body.seed).sort()).toEqual([0, 1, 2]);
  });

  it('sends no Authorization header when the named variable is unset', async () => {
    const { llm } = make({ apiKeyEnv: 'CROPS_TEST_UNSET_KEY' });
    expect(await llm.generate(ask('soup'))).toHaveLength(1);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('retries a reply slower than the timeout', async () => {
    server.script = [{ delayMs: 600, body: completion('{"caption":"LATE-REPLY"}') }];
    const { llm } = make({ timeoutMs: 150 });
    const texts = await llm.generate(ask('slow'));
    expect(texts).toHaveLength(1);
    expect(texts[0]).not.toContain('LATE-REPLY');
    expect(llm.stats()).toMatchObject({ httpRequests: 2, retries: 1, skipped: 0 });
  });

  it('retries HTTP 500 and then succeeds', async () => {
    server.script = [{ status: 500, body: { error: 'boom' } }];
    const { llm } = make();
    expect(await llm.generate(ask('five hundred'))).toHaveLength(1);
    expect(llm.stats()).toMatchObject({ httpRequests: 2, retries: 1 });
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    server.script = [{ status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } }];
    const { llm } = make({ backoffMs: 1, maxBackoffMs: 1 });
    const t0 = Date.now();
    expect(await llm.generate(ask('rate limited'))).toHaveLength(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(llm.stats()).toMatchObject({ httpRequests: 2, retries: 1 });
  });

  it('retries a malformed reply, then skips and counts a generation that stays malformed', async () => {
    server.script = [malformed, { body: { choices: [] } }];
    const { llm } = make({ malformedRetries: 2 });
    expect(await llm.generate(ask('flaky'))).toHaveLength(1);
    expect(llm.stats()).toMatchObject({ malformed: 2, skipped: 0, httpRequests: 3 });

    server.script = [malformed, malformed, malformed];
    const before = logs.length;
    const texts = await llm.generate(ask('broken'));
    expect(texts).toEqual([]);
    expect(llm.stats()).toMatchObject({ malformed: 5, skipped: 1, httpRequests: 6 });
    expect(logs.slice(before).some((l) => /warn: .*skipped after 3 malformed replies/.test(l))).toBe(true);
  });

  it('fails with the status when retrying cannot help, and after the retries run out', async () => {
    server.script = [{ status: 401, body: { error: `invalid api key ${KEY}` } }];
    await expect(make().llm.generate(ask('denied'))).rejects.toThrow(/HTTP 401: .*invalid api key \*\*\*/);
    server.script = [{ status: 503 }, { status: 503 }, { status: 503 }];
    await expect(make({ maxRetries: 2 }).llm.generate(ask('down'))).rejects.toThrow(/gave up after 3 attempts \(last: HTTP 503\)/);
  });

  it('redacts the key before cutting an error body, so no part of it straddles the cut', async () => {
    // the key starts 10 characters before the 300-character cut: cutting first would leave its head
    for (const offset of [290, 295, 299]) {
      const body = `${'x'.repeat(offset)}${KEY} trailing text`;
      server.script = [{ status: 401, body }];
      const err = (await make().llm.generate(ask(`cut-${offset}`)).catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/HTTP 401/);
      expect(err.message).not.toContain(KEY.slice(0, 8));
    }
  });

  it('scrubs a key the server echoes into the completion from the result and the cache', async () => {
    server.script = [{ body: completion(`{"caption":"echo ${KEY} back"}`) }];
    const { llm, cacheDir } = make();
    const texts = await llm.generate(ask('echo'));
    expect(texts[0]).toBe('{"caption":"echo *** back"}');
    const sub = readdirSync(cacheDir)[0]!;
    const entry = readFileSync(join(cacheDir, sub, readdirSync(join(cacheDir, sub))[0]!), 'utf8');
    expect(entry).toContain('echo *** back');
    expect(entry).not.toContain(KEY);
  });

  it('cuts off a reply past maxReplyBytes unread, skips the generation and caches nothing', async () => {
    const huge = completion('x'.repeat(3_000_000));
    server.script = [{ body: huge }, { body: huge }, { body: huge }];
    const before = logs.length;
    const { llm, cacheDir } = make({ maxReplyBytes: 100_000, malformedRetries: 2 });
    expect(await llm.generate(ask('huge'))).toEqual([]);
    expect(llm.stats()).toMatchObject({ malformed: 3, skipped: 1 });
    expect(logs.slice(before).some((l) => /skipped after 3 malformed replies \(last: reply larger than 100000 bytes/.test(l))).toBe(true);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    server.defaultDelayMs = 60;
    const { llm } = make({ concurrency: 2 });
    const texts = await Promise.all([llm.generate(ask('a', 4)), llm.generate(ask('b', 4))]);
    expect(texts.flat()).toHaveLength(8);
    expect(server.requests).toHaveLength(8);
    expect(server.maxInFlight).toBe(2);
  });

  it('serves a second run from the disk cache without any HTTP request', async () => {
    const first = make();
    const a = await first.llm.generate(ask('cached', 3));
    expect(server.requests).toHaveLength(3);
    server.reset();
    const second = make({}, first.cacheDir);
    expect(await second.llm.generate(ask('cached', 3))).toEqual(a);
    expect(server.requests).toHaveLength(0);
    expect(second.llm.stats()).toMatchObject({ generations: 3, cacheHits: 3, httpRequests: 0 });
    // another temperature is another generation
    await second.llm.generate({ ...ask('cached', 1), temperature: 0.2 });
    expect(server.requests).toHaveLength(1);
  });

  it('never writes the key to its logs or cache files', () => {
    expect(logs.length).toBeGreaterThan(3);
    expect(logs.join('\n')).not.toContain(KEY);
    let files = 0;
    for (const dir of cacheDirs) {
      for (const sub of readdirSync(dir)) {
        for (const f of readdirSync(join(dir, sub))) {
          files++;
          expect(readFileSync(join(dir, sub, f), 'utf8')).not.toContain(KEY);
        }
      }
    }
    expect(files).toBeGreaterThan(5);
  });

  it('rejects a key pasted where the variable name belongs, without repeating it', () => {
    const res = OpenAiCompatibleParams.safeParse({ apiKeyEnv: 'sk-abc123-def' });
    expect(res.success).toBe(false);
    expect(res.error!.issues).toHaveLength(1);
    expect(res.error!.issues[0]!.path).toEqual([]);
    expect(JSON.stringify(res.error!.issues)).not.toContain('sk-abc123-def');
  });
});

describeLlmConformance(plugin, {
  params: () => ({ baseUrl: server.url, model: 'conformance', apiKeyEnv: KEY_ENV }),
  queries: ['pasta', 'bike repair'],
  bind: (c) => c.bind(CacheDir).toConstantValue(mkdtempSync(join(tmpdir(), 'crops-llm-conf-'))),
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeLlmConformance } from '../../test/conformance/llm-conformance.ts';
import plugin, { ReplayLlm, ReplayParams } from './replay-llm.ts';

const dir = mkdtempSync(join(tmpdir(), 'crops-replay-'));
const file = join(dir, 'generations.jsonl');
const video = (caption: string) => JSON.stringify({ caption, tags: ['t'] });
writeFileSync(
  file,
  [
    JSON.stringify({ query: 'pasta', text: video('pasta one') }),
    JSON.stringify({ query: 'bike repair', texts: [video('bike one'), video('bike two'), video('bike three')] }),
    '',
    JSON.stringify({ query: 'pasta', texts: [video('pasta two')] }),
    // a line of an openai-compatible cache file
    JSON.stringify({ key: { model: 'm', generation: 2 }, value: { query: 'pasta', text: video('pasta three') } }),
  ].join('\n'),
);

const make = (params: Partial<ReplayParams> = {}) => new ReplayLlm(ReplayParams.parse({ file, ...params }));
const ask = (query: string, n: number) => ({ prompt: 'any prompt', query, n, temperature: 0.7 });

describe('replay llm', () => {
  it('returns the first n generations recorded for the query, in file order, from every line shape', async () => {
    const llm = make();
    expect(await llm.generate(ask('pasta', 3))).toEqual([video('pasta one'), video('pasta two'), video('pasta three')]);
    expect(await llm.generate(ask('bike repair', 2))).toEqual([video('bike one'), video('bike two')]);
  });

  it('returns what there is for a short or unknown query and counts it, or fails when asked to', async () => {
    const llm = make();
    expect(await llm.generate(ask('pasta', 5))).toHaveLength(3);
    expect(await llm.generate(ask('unknown', 2))).toEqual([]);
    expect(llm.stats()).toEqual({ requests: 2, generations: 3, short: 2 });
    await expect(make({ onMissing: 'fail' }).generate(ask('unknown', 1))).rejects.toThrow(/holds 0 generations for query 'unknown'; 1 were asked for/);
  });

  it('names the file and line of a bad line, and a missing file', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ query: 'a', text: 'x' })}\n{"query": 3}\n`);
    await expect(make({ file: bad }).generate(ask('a', 1))).rejects.toThrow(/bad\.jsonl:2: expected/);
    await expect(make({ file: join(dir, 'none.jsonl') }).generate(ask('a', 1))).rejects.toThrow(/cannot read .*none\.jsonl/);
  });
});

describeLlmConformance(plugin, { params: { file }, queries: ['bike repair', 'pasta'] });

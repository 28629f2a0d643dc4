import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowFileStore } from '../src/tracking/file-store.ts';
import { completion, FakeChatServer } from './support/fake-chat-server.ts';
import { spawnCli } from './support/cli.ts';

const BIN = resolve(import.meta.dirname, '../bin/crops-dev.js');
const KEY_ENV = 'CROPS_E2E_LLM_KEY';
const KEY = 'sk-e2e-5d8e2b7a91c4-must-stay-secret';

/** Runs the CLI without blocking this process, so the local server keeps answering. */
function runCli(args: string[], cwd: string): Promise<{ status: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawnCli([BIN, ...args], { cwd, env: { ...process.env, MLFLOW_TRACKING_URI: '', [KEY_ENV]: KEY } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => done({ status, out }));
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('P3 with an openai-compatible endpoint, end to end through the real CLI', () => {
  const server = new FakeChatServer();
  const cwd = mkdtempSync(join(tmpdir(), 'crops-e2e-llm-'));
  beforeAll(async () => {
    const url = await server.start();
    writeFileSync(
      join(cwd, 'p3.yaml'),
      [
        `extends: ${resolve('experiments/_base/tiny-world.yaml')}`,
        'name: p3-secrets',
        'seeds: [1]',
        'positiveSource:',
        '  - search-clicks',
        '  - { use: llm-knowledge, params: { maxQueries: 12, n: 2 } }',
        `llm: { use: openai-compatible, params: { baseUrl: '${url}', model: fake-model, apiKeyEnv: ${KEY_ENV}, backoffMs: 5 } }`,
        'train: { steps: 10 }',
      ].join('\n'),
    );
  });
  afterAll(() => server.stop());

  it('trains on pseudo-items from the endpoint, authorised by the key from the environment', { timeout: 240_000 }, async () => {
    // a failure and a malformed reply along the way put retry and skip paths in the (verbose) log
    server.script = [{ status: 500, body: { error: `upstream rejected ${KEY}` } }, { body: 'garbage' }, { body: completion('not a pseudo-video') }];
    const res = await runCli(['run', 'p3.yaml', '--verbose'], cwd);
    expect(res.status, res.out).toBe(0);
    expect(server.requests.length).toBe(24 + 2);
    for (const r of server.requests) expect(r.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(res.out).toMatch(/12 queries, 24 generations \(0 missing, 1 invalid\)/);
    expect(res.out).toMatch(/retry 1\/5/);

    const [run] = (await new MlflowFileStore(join(cwd, 'mlruns')).listRuns('p3-secrets')).filter((r) => r.tags['crops.role'] !== 'sweep');
    expect(run!.status).toBe('FINISHED');
    expect(run!.params['llm.params.apiKeyEnv']).toBe(KEY_ENV);
    expect(Number(run!.params['data.origin.llm'])).toBe(23);
    expect(res.out).not.toContain(KEY);
  });

  it('re-runs from the cache without a single request', { timeout: 240_000 }, async () => {
    server.reset();
    // without the mined-candidate cache, so the provider's own generation cache is what serves
    rmSync(join(cwd, '.crops-cache', 'mined'), { recursive: true, force: true });
    const res = await runCli(['run', 'p3.yaml', '--force', '--verbose'], cwd);
    expect(res.status, res.out).toBe(0);
    expect(server.requests).toHaveLength(0);
    expect(res.out).toMatch(/cacheHits=24 httpRequests=0/);
    expect(res.out).not.toContain(KEY);
  });

  it('refuses a key pasted into the config without printing it back', { timeout: 120_000 }, async () => {
    // in a directory of its own: this file holds the key on purpose
    const elsewhere = mkdtempSync(join(tmpdir(), 'crops-e2e-pasted-'));
    writeFileSync(join(elsewhere, 'pasted.yaml'), readFileSync(join(cwd, 'p3.yaml'), 'utf8').replace(`apiKeyEnv: ${KEY_ENV}`, `apiKeyEnv: ${KEY}`));
    const res = await runCli(['validate', 'pasted.yaml'], elsewhere);
    expect(res.status).toBe(2);
    expect(res.out).toMatch(/pasted\.yaml:7:\d+ error llm\.params: apiKeyEnv must be the NAME of an environment variable/);
    expect(res.out).not.toContain(KEY);
  });

  it('leaves the key in no file the trials wrote: runs, params, tags, artifacts, cache', () => {
    const files = filesUnder(cwd);
    expect(files.some((f) => f.includes('.crops-cache'))).toBe(true);
    expect(files.some((f) => f.includes('artifacts'))).toBe(true);
    for (const f of files) expect(readFileSync(f, 'latin1').includes(KEY), f).toBe(false);
  });
});

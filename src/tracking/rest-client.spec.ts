import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CropsError } from '../core/errors.ts';
import { MlflowApiError, MlflowRestClient, MlflowUnavailableError, authHeader } from './rest-client.ts';
import { RestTracker } from './rest-tracker.ts';
import { RunSpool, removeRunSpool } from './spool.ts';

/** A local HTTP server answering from `handler`; records every request. */
async function serve(handler: (req: IncomingMessage, body: string, n: number) => [number, unknown]) {
  const seen: Array<{ method: string; url: string; auth?: string; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      const [status, json] = handler(req, body, seen.length);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  servers.push(server);
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, seen };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const quick = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

describe('MLflow REST client', () => {
  it('sends a bearer token, or basic credentials, from MLflow environment variables', async () => {
    expect(authHeader({ MLFLOW_TRACKING_TOKEN: 't0k', MLFLOW_TRACKING_USERNAME: 'u' })).toBe('Bearer t0k');
    expect(authHeader({ MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw' })).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
    expect(authHeader({})).toBeUndefined();
    const { url, seen } = await serve(() => [200, { experiment: { experiment_id: '7' } }]);
    expect(await new MlflowRestClient(url, quick, { MLFLOW_TRACKING_TOKEN: 'secret' }).getExperimentId('e')).toBe('7');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get-by-name?experiment_name=e', auth: 'Bearer secret' });
  });

  it('retries 429 and 5xx, but not a 400, and says when the server stays unavailable', async () => {
    const { url, seen } = await serve((_req, _body, n) => (n === 1 ? [503, {}] : n === 2 ? [429, {}] : [200, {}]));
    const client = new MlflowRestClient(url, quick, {});
    await client.setTag('r1', 'k', 'v');
    expect(seen).toHaveLength(3);
    expect(JSON.parse(seen[2]!.body)).toEqual({ run_id: 'r1', key: 'k', value: 'v' });

    const bad = await serve(() => [400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Changing param values is not allowed' }]);
    const err = await new MlflowRestClient(bad.url, quick, {}).logBatch('r1', { params: [{ key: 'a', value: '1' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowApiError);
    expect((err as MlflowApiError).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(bad.seen).toHaveLength(1);

    const down = await serve(() => [500, {}]);
    await expect(new MlflowRestClient(down.url, quick, {}).updateRun('r1', 'FINISHED', 1)).rejects.toThrow(MlflowUnavailableError);
    expect(down.seen).toHaveLength(3);
  });

  it('creates a missing experiment and reuses one a concurrent creator made first', async () => {
    let exists = false;
    const { url, seen } = await serve((req) => {
      if (req.url!.includes('get-by-name')) return exists ? [200, { experiment: { experiment_id: '3' } }] : [404, { error_code: 'RESOURCE_DOES_NOT_EXIST' }];
      exists = true; // someone else won the race
      return [400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'exists' }];
    });
    expect(await new MlflowRestClient(url, quick, {}).getOrCreateExperiment('e')).toBe('3');
    expect(seen.map((s) => s.url.split('?')[0])).toEqual(['/api/2.0/mlflow/experiments/get-by-name', '/api/2.0/mlflow/experiments/create', '/api/2.0/mlflow/experiments/get-by-name']);
  });

  it('finds a run whose creation answer was lost instead of creating it twice', async () => {
    const run = { info: { run_id: 'r9', experiment_id: '1', status: 'RUNNING', artifact_uri: 'mlflow-artifacts:/1/r9/artifacts' }, data: {} };
    const { url, seen } = await serve((req) => (req.url!.endsWith('/runs/create') ? [500, {}] : [200, { runs: [run] }]));
    const info = await new MlflowRestClient(url, quick, {}).createRun({ experimentId: '1', runName: 'r', startTime: 1, userId: 'u', tags: {} });
    expect(info.run_id).toBe('r9');
    const created = JSON.parse(seen[0]!.body) as { tags: Array<{ key: string; value: string }> };
    const key = created.tags.find((t) => t.key === 'crops.clientRunKey')!.value;
    expect(JSON.parse(seen[1]!.body)).toMatchObject({ filter: `tags.\`crops.clientRunKey\` = '${key}'` });
    expect(seen.filter((s) => s.url.endsWith('/runs/create'))).toHaveLength(1);
  });

  it('prints no bearer token or basic credentials a 401 or 5xx body echoes back', async () => {
    const token = 'tk-4b1d9e77aa01zz';
    const echo = await serve((req) => [401, { error_code: 'UNAUTHENTICATED', message: `bad credentials: Authorization: ${req.headers.authorization}` }]);
    const err = (await new MlflowRestClient(echo.url, quick, { MLFLOW_TRACKING_TOKEN: token }).setTag('r1', 'k', 'v').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(MlflowApiError);
    expect(err.message).toMatch(/401 UNAUTHENTICATED: bad credentials/);
    expect(err.message).not.toContain(token);

    const basic = Buffer.from('ann:pw-9c8d7e6f5a').toString('base64');
    const echoBasic = await serve((req) => [403, `<html>denied for ${req.headers.authorization} (user ann, password pw-9c8d7e6f5a)</html>`]);
    const err2 = (await new MlflowRestClient(echoBasic.url, quick, { MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw-9c8d7e6f5a' }).setTag('r1', 'k', 'v').catch((e: unknown) => e)) as Error;
    expect(err2.message).toMatch(/403/);
    expect(err2.message).not.toContain(basic);
    expect(err2.message).not.toContain('pw-9c8d7e6f5a');

    // a 5xx straddling the 200-character cut: redacted first, so no head of the token survives
    const down = await serve((req) => [503, `${'x'.repeat(195)}${req.headers.authorization}`]);
    const err3 = (await new MlflowRestClient(down.url, quick, { MLFLOW_TRACKING_TOKEN: token }).setTag('r1', 'k', 'v').catch((e: unknown) => e)) as Error;
    expect(err3).toBeInstanceOf(MlflowUnavailableError);
    expect(err3.message).not.toContain(token.slice(0, 6));
  });

  it('refuses a run_id from the server that is not an id, and never builds a spool path from it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'crops-evil-id-'));
    const spoolDir = join(root, 'a', 'b', '.crops-cache', 'spool');
    const run = { info: { run_id: '../../../x', experiment_id: '1', status: 'RUNNING', artifact_uri: 'mlflow-artifacts:/1/x/artifacts' }, data: {} };
    const { url } = await serve((req) => (req.url!.includes('get-by-name') ? [200, { experiment: { experiment_id: '1' } }] : [200, { run, runs: [] }]));
    const tracker = new RestTracker({ trackingUri: url, spoolDir, flushEvery: 10, flushMs: 10, offlineWaitMs: 100, retry: quick, env: {} });
    const err = await tracker.startRun({ experimentName: 'e', runName: 'r', tags: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CropsError);
    expect((err as Error).message).toMatch(/run_id "\.\.\/\.\.\/\.\.\/x", which is not an id/);
    expect(existsSync(join(root, 'x.jsonl'))).toBe(false);
    expect(existsSync(join(root, 'a', 'x.jsonl'))).toBe(false);
    expect(readdirSync(root)).toEqual([]);
    // the spool itself refuses such ids too, for writing and for deleting
    expect(() => new RunSpool(spoolDir, { trackingUri: url, experimentId: '1', runId: '../x', artifactUri: '' })).toThrow(CropsError);
    await expect(removeRunSpool(spoolDir, '../../../../etc')).rejects.toThrow(CropsError);
  });
});

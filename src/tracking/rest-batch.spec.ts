import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactApiPath } from './rest-artifacts.ts';
import { BATCH_LIMITS, chunkBatch, decodeMetricValue, encodeMetricValue, type RestMetric } from './rest-batch.ts';
import { RunSpool, readSpool } from './spool.ts';

const metric = (step: number, key = 'loss'): RestMetric => ({ key, value: step, step, timestamp: 1 });

describe('log-batch chunking', () => {
  it('keeps every request within 1000 metrics, 100 params, 100 tags and 1000 entities, in order', () => {
    const metrics = Array.from({ length: 2345 }, (_, i) => metric(i));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: 'v' }));
    const tags = Array.from({ length: 130 }, (_, i) => ({ key: `t${i}`, value: 'v' }));
    const chunks = chunkBatch({ metrics, params, tags });
    for (const c of chunks) {
      expect(c.metrics?.length ?? 0).toBeLessThanOrEqual(BATCH_LIMITS.metrics);
      expect(c.params?.length ?? 0).toBeLessThanOrEqual(BATCH_LIMITS.params);
      expect(c.tags?.length ?? 0).toBeLessThanOrEqual(BATCH_LIMITS.tags);
      expect((c.metrics?.length ?? 0) + (c.params?.length ?? 0) + (c.tags?.length ?? 0)).toBeLessThanOrEqual(BATCH_LIMITS.entities);
    }
    expect(chunks.flatMap((c) => c.metrics ?? [])).toEqual(metrics);
    expect(chunks.flatMap((c) => c.params ?? [])).toEqual(params);
    expect(chunks.flatMap((c) => c.tags ?? [])).toEqual(tags);
    expect(chunks).toHaveLength(6);
  });

  it('splits by size below the 1 MB request limit', () => {
    const tags = Array.from({ length: 60 }, (_, i) => ({ key: `t${i}`, value: 'x'.repeat(7_900) }));
    const metrics = Array.from({ length: 10 }, (_, i) => metric(i));
    const chunks = chunkBatch({ tags, metrics });
    for (const c of chunks) expect(Buffer.byteLength(JSON.stringify(c))).toBeLessThan(1_000_000);
    expect(chunks.flatMap((c) => c.tags ?? [])).toHaveLength(60);
    expect(chunkBatch({})).toEqual([]);
  });

  it('spells NaN and infinities as MLflow reads them, and back', () => {
    expect([NaN, Infinity, -Infinity, 0.25].map(encodeMetricValue)).toEqual(['NaN', 'Infinity', '-Infinity', 0.25]);
    expect(['NaN', 'Infinity', '-Infinity', 0.25].map(decodeMetricValue)).toEqual([NaN, Infinity, -Infinity, 0.25]);
  });
});

describe('artifact URIs', () => {
  it('maps mlflow-artifacts: URIs onto the artifact proxy and refuses schemes it cannot write', () => {
    expect(artifactApiPath('mlflow-artifacts:/1/abc/artifacts', 'trec/ct.run')).toBe('/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/trec/ct.run');
    expect(artifactApiPath('mlflow-artifacts://host:5000/1/abc/artifacts', 'a b#c.txt')).toBe('/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/a%20b%23c.txt');
    expect(() => artifactApiPath('s3://bucket/1/abc/artifacts', 'x')).toThrow(/\(s3\) .*--serve-artifacts/);
    expect(() => artifactApiPath('/srv/mlruns/1/abc/artifacts', 'x')).toThrow(/cannot do/);
    expect(() => artifactApiPath('mlflow-artifacts:/1/abc/artifacts', '../x')).toThrow(/invalid artifact path/);
  });
});

describe('spool', () => {
  it('returns the operations not acknowledged, skipping a torn last line, and forgets removed runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crops-spool-'));
    try {
      const header = { trackingUri: 'http://h:1', experimentId: '1', runId: 'abc', artifactUri: 'mlflow-artifacts:/1/abc/artifacts' };
      const spool = new RunSpool(dir, header);
      await spool.append(0, { op: 'batch', entities: { params: [{ key: 'a', value: '1' }] } });
      await spool.append(1, { op: 'artifact', path: 'x.txt' }, 'content');
      await spool.append(2, { op: 'end', status: 'FINISHED', endTime: 5 });
      await spool.ack(0);
      await import('node:fs/promises').then((fs) => fs.appendFile(spool.file(), '{"seq":3,"op":"ba'));
      const [run] = await readSpool(dir);
      expect(run!.header).toEqual(header);
      expect(run!.pending.map((p) => p.seq)).toEqual([1, 2]);
      expect(await readFile(join(spool.blobDir(), '1'), 'utf8')).toBe('content');
      await spool.remove();
      expect(await readSpool(dir)).toEqual([]);
      // a write after removal starts a fresh file with its header
      await spool.append(4, { op: 'batch', entities: { tags: [{ key: 't', value: 'v' }] } });
      expect((await readSpool(dir))[0]!.pending.map((p) => p.seq)).toEqual([4]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

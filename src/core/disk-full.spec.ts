import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTrecFiles } from '../eval/trec-files.ts';
import { MlflowFileStore } from '../tracking/file-store.ts';
import { RunSpool } from '../tracking/spool.ts';
import { DiskCache } from './disk-cache.ts';

/** A 2 MiB tmpfs, where the machine lets this process mount one (root with CAP_SYS_ADMIN); undefined elsewhere. */
function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'crops-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}

const disk = smallDisk();
afterAll(() => {
  if (disk) execFileSync('umount', [disk]);
});

describe.skipIf(!disk)('a full disk (a real 2 MiB tmpfs)', () => {
  it('names the entry and the cause, and leaves no partial file filling the disk', async () => {
    const cache = new DiskCache<{ k: number }, string>(join(disk!, 'cache'));
    await cache.set({ k: 1 }, 'small');
    const err = (await cache.set({ k: 2 }, 'x'.repeat(3 << 20)).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(new RegExp(`could not write cache entry ${disk}/cache/\\w+/\\w+\\.json: the disk is full \\(ENOSPC\\)`));
    const left = readdirSync(join(disk!, 'cache'), { recursive: true }).map(String);
    expect(left.filter((f) => f.includes('.crops-tmp-') || f.endsWith('.tmp'))).toEqual([]);
    // the space is free again: the next small write succeeds
    await cache.set({ k: 3 }, 'small again');
    expect(await cache.get({ k: 3 })).toBe('small again');
  });

  /** Files under `dir` a failed write would leave behind: temporary files of atomic writes. */
  const temporaries = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.includes('.crops-tmp-'));

  it('the MLflow file store: a failed metric append leaves no torn line, a failed artifact no file, and the run can still be closed FAILED', async () => {
    const store = new MlflowFileStore(join(disk!, 'mlruns'));
    const experimentId = await store.getOrCreateExperiment('full');
    const run = await store.createRun({ experimentId, runName: 'trial', userId: 'u' });
    await store.appendMetrics(run, [{ key: 'train/loss', value: 1.5, step: 0, timestamp: 1 }]);
    const runDir = join(disk!, 'mlruns', experimentId, run.runId);

    // about 3 MiB of points in one batch: more than the disk holds
    const many = Array.from({ length: 80_000 }, (_, i) => ({ key: 'train/loss', value: i / 7, step: i + 1, timestamp: 2 + i }));
    const metricErr = (await store.appendMetrics(run, many).catch((e: unknown) => e)) as Error;
    expect(metricErr.message).toBe(`could not write MLflow metric "train/loss" of run ${run.runId} to ${runDir}/metrics/train/loss: the disk is full (ENOSPC); free space and run again`);
    // the file is cut back to what it held: the next append starts on a whole line
    expect(readFileSync(join(runDir, 'metrics/train/loss'), 'utf8')).toBe('1 1.5 0\n');
    await store.appendMetrics(run, [{ key: 'train/loss', value: 0.5, step: 1, timestamp: 3 }]);
    expect((await store.metricHistory(run, 'train/loss')).map((p) => p.value)).toEqual([1.5, 0.5]);

    const artifactErr = (await store.writeArtifact(run, 'trec/test.run', 'x'.repeat(3 << 20)).catch((e: unknown) => e)) as Error;
    expect(artifactErr.message).toBe(`could not write MLflow artifact "trec/test.run" of run ${run.runId} to ${runDir}/artifacts/trec/test.run: the disk is full (ENOSPC); free space and run again`);
    expect(temporaries(runDir)).toEqual([]);
    expect(readdirSync(join(runDir, 'artifacts/trec'))).toEqual([]);

    // with the partial files gone there is room to close the run as FAILED
    await store.endRun(run, 'FAILED');
    expect((await store.getRun(run)).status).toBe('FAILED');
  });

  it('the offline spool: a failed append leaves no torn line and no blob, and the spool stays readable', async () => {
    const dir = join(disk!, 'spool');
    mkdirSync(dir);
    const runId = 'a'.repeat(32);
    const spool = new RunSpool(dir, { trackingUri: 'http://127.0.0.1:1', experimentId: '1', runId, artifactUri: 'mlflow-artifacts:/1' });
    await spool.append(1, { op: 'batch', entities: { metrics: [{ key: 'loss', value: 1, step: 0, timestamp: 1 }], params: [], tags: [] } });
    const before = readFileSync(spool.file(), 'utf8');

    const blobErr = (await spool.append(2, { op: 'artifact', path: 'curves.csv' }, 'x'.repeat(3 << 20)).catch((e: unknown) => e)) as Error;
    expect(blobErr.message).toBe(`could not write artifact curves.csv of MLflow run ${runId} to the offline spool at ${dir}/${runId}.blobs/2: the disk is full (ENOSPC); free space and run again`);
    const huge = { metrics: Array.from({ length: 60_000 }, (_, i) => ({ key: 'loss', value: i, step: i, timestamp: i })), params: [], tags: [] };
    const lineErr = (await spool.append(3, { op: 'batch', entities: huge }).catch((e: unknown) => e)) as Error;
    expect(lineErr.message).toBe(`could not write the offline spool of MLflow run ${runId} to ${dir}/${runId}.jsonl: the disk is full (ENOSPC); free space and run again`);
    expect(readFileSync(spool.file(), 'utf8')).toBe(before);
    expect(readdirSync(spool.blobDir())).toEqual([]);
    expect(temporaries(dir)).toEqual([]);

    await spool.append(4, { op: 'end', status: 'FAILED', endTime: 5 });
    const lines = readFileSync(spool.file(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.seq ?? 'header')).toEqual(['header', 1, 4]);
  });

  it('TREC files: a failed write removes the partial file and the ones written before it', async () => {
    const queries = Array.from({ length: 2000 }, (_, q) => `q${q}`);
    const ranking = { itemIds: Int32Array.from({ length: 100 }, (_, i) => i), scores: Float32Array.from({ length: 100 }, (_, i) => 1 - i / 100) };
    const set = { name: 'test', queries, byQuery: new Map(queries.map((q) => [q, new Map([[1, 1]])])) };
    const dir = join(disk!, 'trec');
    const err = (await writeTrecFiles(dir, set, new Map(queries.map((q) => [q, ranking])), 'tag').catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(`could not write TREC run file ${dir}/test.run: the disk is full (ENOSPC); free space and run again`);
    expect(readdirSync(dir)).toEqual([]);
  });
});

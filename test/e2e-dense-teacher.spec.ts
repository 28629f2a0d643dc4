import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';

// a world and towers small enough for two CLI runs in seconds
const BASE = `dataset: { use: synthetic-world, params: { preset: tiny, items: 600, users: 200, sessionsPerDay: 300 } }
encoder: { use: hash-mlp, params: { buckets: 4096, embDim: 16, hidden: [32], dim: 16 } }
sampler: { use: in-batch, params: { candidatesPerQuery: 4 } }
seeds: [1]
`;

describe('dense-teacher, end to end through the real CLI', () => {
  it('saves the towers of one run as artifacts and filters a later run with them', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'crops-teacher-e2e-'));
    writeFileSync(join(cwd, 'teacher.yaml'), `${BASE}name: teacher\ntrain: { steps: 5, saveTowers: true }\n`);
    const first = runCli(['run', 'teacher.yaml'], { cwd, timeoutMs: 180_000 });
    expect(first.stderr).not.toMatch(/FAILED/);
    expect(first.status).toBe(0);

    const runs = readdirSync(join(cwd, 'mlruns', '1')).filter((d) => existsSync(join(cwd, 'mlruns', '1', d, 'artifacts', 'towers')));
    expect(runs).toHaveLength(1);
    const towers = join('mlruns', '1', runs[0]!, 'artifacts', 'towers');
    expect(readdirSync(join(cwd, towers)).sort()).toEqual(['encoder.json', 'hash-mlp.json', 'query.mlp.f32', 'query.table-ids.i32', 'query.table-values.f32']);
    expect(JSON.parse(readFileSync(join(cwd, towers, 'encoder.json'), 'utf8'))).toMatchObject({ use: 'hash-mlp', params: { buckets: 4096, dim: 16 } });

    writeFileSync(
      join(cwd, 'student.yaml'),
      `${BASE}name: student\ntracker: none\ntrain: { steps: 5 }\npositiveSource: [search-clicks, query-reformulation]\ndiscriminator: { use: dense-teacher, params: { path: ${towers} } }\n`,
    );
    const second = runCli(['run', 'student.yaml'], { cwd, timeoutMs: 180_000 });
    expect(second.stderr).not.toMatch(/FAILED/);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/finished/);
  }, 400_000);
});

import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { formatDiagnostics, inTarget } from '../src/cli/world-command.ts';
import type { DatasetDiagnostic } from '../src/extension-points/dataset.ts';
import { SyntheticWorldDataset, SyntheticWorldParams } from '../plugins/dataset/synthetic-world-dataset.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

describe('crops world describe', () => {
  it('prints every diagnostic of world.md for the quickstart world, with ranges', async () => {
    const { io, out, err } = capture();
    const code = await main(['world', 'describe', 'experiments/quickstart.yaml', '--json'], io);
    expect(err.join('')).toBe('');
    expect(code).toBe(0);
    const reports = JSON.parse(out.join('')) as Array<{ dataset: { use: string }; trials: string[]; diagnostics: DatasetDiagnostic[] }>;
    expect(reports).toHaveLength(1); // both trials share one dataset
    expect(reports[0]!.trials).toHaveLength(2);
    const byKey = new Map(reports[0]!.diagnostics.map((d) => [d.key, d]));
    for (const key of [
      'exposureTop10Share',
      'exposureGini',
      'relevantNeverShownShare',
      'trainClickSessionShare',
      'trainReformulationRate',
      'feedRelevantToRecentQueryShare',
      'judgedGrade0Share',
      'judgedGrade3Share',
      'legacyRecallAt100Ct',
      'legacyRecallAt100Qr',
    ]) {
      expect(byKey.has(key), key).toBe(true);
    }
    for (const d of byKey.values()) {
      expect(d.about.length, d.key).toBeGreaterThan(0);
      if (d.target) expect(d.target[0]).toBeLessThan(d.target[1]);
    }
    const ct = byKey.get('legacyRecallAt100Ct')!.value as number;
    // the test day has its own policy, so the legacy system must not explain CT by construction
    expect(ct).toBeGreaterThan(0.2);
    expect(ct).toBeLessThan(0.95);
  }, 60_000);

  it('computes the feed diagnostic as its definition says', async () => {
    const dataset = new SyntheticWorldDataset(SyntheticWorldParams.parse({ preset: 'tiny' }));
    const store = await dataset.load();
    let near = 0;
    let relevant = 0;
    for (const r of store.train.recInteractions) {
      const queries = store.train.sessions.filter((s) => s.userId === r.userId && Math.abs(s.tsMs - r.tsMs) <= 3_600_000);
      if (queries.length === 0) continue;
      near++;
      if (queries.some((s) => dataset.trueGrade(s.query, r.itemId) >= 2)) relevant++;
    }
    const got = (await dataset.describe()).find((d) => d.key === 'feedRelevantToRecentQueryShare')!.value;
    expect(got).toBeCloseTo(relevant / near, 4);
  }, 60_000);

  it('marks values outside their range and says which', () => {
    const rows: DatasetDiagnostic[] = [
      { key: 'inside', value: 0.5, target: [0.4, 0.6], about: 'a' },
      { key: 'outside', value: 0.9, target: [0.4, 0.6], about: 'b' },
      { key: 'count', value: 12, about: 'c' },
    ];
    expect(rows.map(inTarget)).toEqual([true, false, undefined]);
    const text = formatDiagnostics(rows);
    expect(text).toMatch(/inside\s+0\.5\s+0\.4–0\.6\s+ok/);
    expect(text).toMatch(/outside\s+0\.9\s+0\.4–0\.6\s+OUT/);
    expect(text).toContain('1 outside the target range: outside');
  });

  it('explains its usage when the subcommand is missing', async () => {
    const { io, err } = capture();
    expect(await main(['world', 'experiments/quickstart.yaml'], io)).toBe(2);
    expect(err.join('')).toContain('usage: crops world describe FILE');
  });
});

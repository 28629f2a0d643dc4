import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateExperiment } from '../src/cli/api.ts';

// the experiment files the docs tell users to run; the SciFact ones need the shared data folder and
// a fetched model, and are run by their own tests
const FOLDERS = ['experiments', 'experiments/paper'];
const files = FOLDERS.flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f)),
);

describe('shipped experiment files', () => {
  it('are all found', () => {
    expect(files).toContain('experiments/quickstart.yaml');
    expect(files).toContain('experiments/paper/table3-sources.yaml');
  });

  it.each(files)('%s validates without a diagnostic', async (file) => {
    const { experiment, diagnostics } = await validateExperiment(file);
    expect(diagnostics.map((d) => d.message)).toEqual([]);
    expect(experiment?.trials.length).toBeGreaterThan(0);
  });

  it('the paper tables share their common rows: same trial, same config hash', async () => {
    const hashes = async (file: string) => {
      const { experiment } = await validateExperiment(file);
      return new Map(experiment!.trials.map((t) => [t.id, t.hash]));
    };
    const [t2, t3, t4] = await Promise.all(['table2-baselines', 'table3-sources', 'table4-losses'].map((f) => hashes(`experiments/paper/${f}.yaml`)));
    for (const id of ['fs-lr,world=1,seed=1', 'crops,world=3,seed=2']) {
      expect(t2.get(id)).toBeDefined();
      expect(t2.get(id)).toBe(t3.get(id));
    }
    expect(t4.get('crops,world=2,seed=1')).toBe(t3.get('crops,world=2,seed=1'));
    expect(t3.get('crops,world=2,seed=1')).not.toBe(t3.get('fs-lr,world=2,seed=1'));
  });

  it("each sensitivity map's default column is Table 3's trials, so the maps and the table train them once", async () => {
    const load = async (file: string) => (await validateExperiment(`experiments/paper/${file}.yaml`)).experiment!;
    const table3 = await load('table3-sources');
    const byHash = new Map(table3.trials.map((t) => [t.hash, t.id]));
    const defaults: Record<string, string> = {
      'sensitivity-vocabulary': 'dataset.params.querySynonymRate=0.3',
      'sensitivity-bubble': 'dataset.params.tailExposure=0.03+0.15',
      'sensitivity-ranker': 'dataset.params.rankerRelevanceMix=0.5',
      'sensitivity-discriminator': 'discriminator=lexical',
      'sensitivity-llm': 'llm.params.wrongMeaningRate=0',
    };
    // P0 asks for no judge and no LLM: on these maps its rows are one set of trials across the columns
    const judgeFree = new Set(['sensitivity-discriminator', 'sensitivity-llm']);
    for (const [file, column] of Object.entries(defaults)) {
      const map = await load(file);
      expect(map.name).toBe(table3.name);
      const inColumn = map.trials.filter((t) => t.id.split(',').includes(column));
      expect(inColumn).toHaveLength(18);
      // label,axis=value,world=W,seed=S without the axis (a judge's value may hold commas)
      const table3Id = (t: { id: string }) => t.id.slice(0, t.id.indexOf(',')) + t.id.slice(t.id.lastIndexOf(',world='));
      for (const t of inColumn) expect(byHash.get(t.hash), `${file}: ${t.id}`).toBe(table3Id(t));
      for (const t of map.trials.filter((x) => !inColumn.includes(x))) {
        if (judgeFree.has(file) && t.id.startsWith('p0-hla,')) expect(byHash.get(t.hash), `${file}: ${t.id}`).toBe(table3Id(t));
        // Table 3's crops-judge row is this map's CroPS with the click-trained judge
        else if (t.id.startsWith('crops,discriminator=dense-teacher')) expect(byHash.get(t.hash), `${file}: ${t.id}`).toBe(table3Id(t).replace(/^crops,/, 'crops-judge,'));
        // the other columns are worlds, judges or LLMs of their own
        else expect(byHash.has(t.hash), `${file}: ${t.id}`).toBe(false);
      }
    }
  });
});

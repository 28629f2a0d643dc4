import { describe, expect, it } from 'vitest';
import { chartLabels, cutoffCharts, metricCharts, renderSvg, sensitivityCharts } from './charts.ts';
import { buildReportTable, type TrialRun } from './report-table.ts';
import type { SensitivityCell, SensitivityMap } from './sensitivity.ts';

const TEACHER = 'dense-teacher(train={encoder=hash-mlp(buckets=65536,embDim=64,hidden=128,dim=64)},high=0.6)';
const JUDGES = ['lexical', TEACHER, 'oracle(noise=0.3)', 'oracle(noise=0.1)'];
const METHODS = ['p0-hla', 'crops', 'crops-binary'];

describe('chart labels', () => {
  it("shortens the deepest bracketed parameters of a long label and keeps every label apart", () => {
    const labels = METHODS.flatMap((m) => JUDGES.map((d) => `${m},discriminator=${d}`));
    const shown = chartLabels(labels);
    expect(shown).toContain('crops-binary,discriminator=dense-teacher(…)');
    // short labels stay as they are, the noise levels included
    expect(shown).toContain('crops-binary,discriminator=oracle(noise=0.3)');
    expect(shown).toContain('crops-binary,discriminator=oracle(noise=0.1)');
    expect(new Set(shown).size).toBe(labels.length);
    expect(Math.max(...shown.map((l) => l.length))).toBeLessThanOrEqual(52);
  });

  it('keeps a label whole where its … could stand for another label', () => {
    const tail = ',dataset.params.tailExposure=0.01+0.05,llm=world-knowledge';
    const labels = [`crops,discriminator=oracle(noise=0.3)${tail}`, `crops,discriminator=oracle(noise=0.1)${tail}`];
    // `oracle(…)` would read as either noise level: both stay whole, the chart widens instead
    expect(chartLabels(labels)).toEqual(labels);
    // a group that tells the labels apart is kept while a deeper one that does not is shortened
    const nested = ['m(a=1,b=(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx))', 'm(a=2,b=(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx))'];
    expect(chartLabels(nested)).toEqual(['m(a=1,b=(…))', 'm(a=2,b=(…))']);
  });
});

describe('charts of many long-named methods', () => {
  const runs: TrialRun[] = METHODS.flatMap((m, i) =>
    JUDGES.flatMap((d, j) =>
      [1, 2].map((seed) => ({
        trialId: `${m},discriminator=${d},seed=${seed}`,
        runId: `${i}-${j}-${seed}`,
        seed,
        metrics: { 'recall_at_100/ct': 0.6 + 0.01 * i + 0.002 * j + 0.001 * seed },
        cutoffCurves: new Map([['recall/ct', { cutoffs: [10, 100], values: [0.3 + 0.01 * i + 0.002 * j, 0.6 + 0.01 * i + 0.002 * j] }]]),
      })),
    ),
  );
  const table = buildReportTable(runs, { title: 'judges', metrics: ['recall@100/ct'], baseline: 'p0-hla,discriminator=lexical' });

  it('gives each of twelve methods its own colour and a label drawn whole', async () => {
    const [chart] = metricCharts(table);
    const svg = await renderSvg(chart!.spec);
    const drawn = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    for (const label of chartLabels(table.rows.map((r) => r.label))) {
      // the tick label is drawn as given (Vega would end a cut one with …), † or not
      expect(drawn.some((t) => t === label || t === `${label} †`), label).toBe(true);
    }
    const fills = new Set([...svg.matchAll(/<path[^>]*aria-roledescription="point"[^>]*fill="(#[0-9a-f]{6})"/g)].map((m) => m[1]));
    expect(fills.size).toBe(12);
  });

  it('draws the Recall@k legend with the same labels and twelve colours', async () => {
    const [chart] = cutoffCharts(table);
    const svg = await renderSvg(chart!.spec);
    expect(svg).toContain('>crops-binary,discriminator=dense-teacher(…)<');
    expect(svg).toContain('>crops-binary,discriminator=oracle(noise=0.1)<');
    const strokes = new Set([...svg.matchAll(/aria-roledescription="line mark"[^>]*stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1]));
    expect(strokes.size).toBe(12);
  });
});

describe('the sensitivity chart', () => {
  it('spans the swept values of a numeric axis, not zero to the largest, and ticks them', async () => {
    const values = ['0.1', '0.25', '0.5'];
    const cell = (delta: number) => ({ delta, deltaCi: [delta - 0.01, delta + 0.01] }) as SensitivityCell;
    const map: SensitivityMap = {
      axis: 'dataset.params.querySynonymRate',
      values,
      metrics: ['recall@100/qr'],
      baseline: 'p0-hla',
      methods: ['CroPS'],
      cells: new Map([['recall@100/qr', new Map([['CroPS', new Map(values.map((v, i) => [v, cell(0.01 * (i + 1))]))]])]]),
      tables: new Map(),
      warnings: [],
    };
    const svg = await renderSvg(sensitivityCharts(map)[0]!.spec);
    const axis = /aria-label="X-axis titled 'dataset\.params\.querySynonymRate' for a linear scale with values from ([\d.]+) to ([\d.]+)"/.exec(svg);
    expect(axis, 'x axis').not.toBeNull();
    expect(Number(axis![1])).toBeGreaterThan(0);
    // ticked at the swept values, as written
    const ticks = [...svg.matchAll(/<text text-anchor="[a-z]+" transform="translate\([\d.]+,15\)"[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toEqual(values);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { trialGroup } from './report-check.ts';

const BASE = resolve('experiments/_base/tiny-world.yaml');

async function validate(report: string): Promise<{ code: number; out: string; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'crops-report-check-'));
  const file = join(dir, 'x.yaml');
  writeFileSync(file, `extends: ${BASE}\nseeds: [1, 2]\nablate:\n  zip:\n    labelScheme: [binary, hla]\n    loss: [info-nce, h-info-nce]\n${report}`);
  let out = '';
  let err = '';
  const code = await main(['validate', file], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err: err.replaceAll(file, 'x.yaml') };
}

describe('the report section is checked against the trials', () => {
  it('accepts a baseline given by trial group or by label, and labels keyed by group', async () => {
    const byGroup = await validate('report:\n  baseline: labelScheme=binary,loss=info-nce\n  metrics: [ndcg@4/judged]\n');
    expect(byGroup.err).toBe('');
    expect(byGroup.code).toBe(0);
    const byLabel = await validate('report:\n  baseline: InfoNCE\n  labels: { "labelScheme=binary,loss=info-nce": InfoNCE }\n  title: Mini\n');
    expect(byLabel.err).toBe('');
    expect(byLabel.code).toBe(0);
  });

  it('reports a misspelt baseline, an unknown label key and a metric no trial evaluates, with positions', async () => {
    const res = await validate('report:\n  baseline: labelScheme=binary,loss=infonce\n  labels: { "labelScheme=hla,seed=1": x }\n  metrics: [recall@10/ct]\n');
    expect(res.code).toBe(2);
    const groups = '(trial groups: labelScheme=binary,loss=info-nce | labelScheme=hla,loss=h-info-nce)';
    expect(res.err.split('\n').slice(0, 3)).toEqual([
      `x.yaml:8:13 error report.baseline: no trial group or label 'labelScheme=binary,loss=infonce'; did you mean 'labelScheme=binary,loss=info-nce'? ${groups}`,
      `x.yaml:9:13 error report.labels.labelScheme=hla,seed=1: no trial group 'labelScheme=hla,seed=1' ${groups}`,
      "x.yaml:10:13 error report.metrics.0: 'recall@10/ct' is not in any trial's eval.metrics (recall@100/ct, recall@100/qr, ndcg@4/judged)",
    ]);
  });

  it('rejects a report metric that is not metric@k/set', async () => {
    const res = await validate('report:\n  metrics: [recall100]\n');
    expect(res.code).toBe(2);
    expect(res.err).toContain('report.metrics.0: use metric@k/set, e.g. recall@100/ct');
  });
});

describe('report.sensitivity is checked against the trials', () => {
  async function validateAxis(sensitivity: string) {
    const dir = mkdtempSync(join(tmpdir(), 'crops-report-check-'));
    const file = join(dir, 'x.yaml');
    writeFileSync(
      file,
      `extends: ${BASE}\nseeds: [1]\nablate:\n  dataset.params.querySynonymRate: [0, 0.3]\n  zip:\n    labelScheme: [binary, hla]\n    loss: [info-nce, h-info-nce]\nreport:\n  sensitivity: ${sensitivity}\n`,
    );
    let err = '';
    const code = await main(['validate', file], { out: () => {}, err: (s) => (err += s) });
    return { code, err: err.replaceAll(file, 'x.yaml') };
  }

  it('accepts an ablation axis and a baseline group without it', async () => {
    const ok = await validateAxis('{ axis: dataset.params.querySynonymRate, baseline: "labelScheme=binary,loss=info-nce", metrics: [recall@100/qr] }');
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
  });

  it('locates a misspelt axis, an unknown baseline and a metric no trial evaluates', async () => {
    const axis = await validateAxis('{ axis: dataset.params.querySynonymRat, baseline: x }');
    expect(axis.code).toBe(2);
    expect(axis.err).toContain(
      "x.yaml:9:24 error report.sensitivity.axis: no trial id has 'dataset.params.querySynonymRat=…'; did you mean 'dataset.params.querySynonymRate'? (axes in trial ids: dataset.params.querySynonymRate, labelScheme, loss)",
    );
    const rest = await validateAxis('{ axis: dataset.params.querySynonymRate, baseline: "labelScheme=binary,loss=infonce", metrics: [mrr@10/ct] }');
    expect(rest.code).toBe(2);
    expect(rest.err).toContain("report.sensitivity.baseline: no trial group 'labelScheme=binary,loss=infonce' once 'dataset.params.querySynonymRate' is taken out; did you mean 'labelScheme=binary,loss=info-nce'?");
    expect(rest.err).toContain("report.sensitivity.metrics.0: 'mrr@10/ct' is not in any trial's eval.metrics");
    const named = await validateAxis('{ axis: dataset.params.querySynonymRate, baseline: "labelScheme=binary,loss=info-nce", valueLabels: { "0.35": wide } }');
    expect(named.code).toBe(2);
    expect(named.err).toContain("report.sensitivity.valueLabels.0.35: no trial id has 'dataset.params.querySynonymRate=0.35'; did you mean '0.3'? (values: 0 | 0.3)");
  });
});

describe('trialGroup', () => {
  it('drops only a trailing seed part', () => {
    expect(trialGroup('labelScheme=hla,loss=h-info-nce,seed=2', 2)).toBe('labelScheme=hla,loss=h-info-nce');
    expect(trialGroup('seed=3', 3)).toBe('base');
    expect(trialGroup('base', 1)).toBe('base');
    expect(trialGroup('positiveSource=llm(seed=2),seed=1', 1)).toBe('positiveSource=llm(seed=2)');
    expect(trialGroup('loss=nce,seed=1#2', 1)).toBe('loss=nce#2');
    expect(trialGroup('loss=nce,seed=7')).toBe('loss=nce');
  });
});

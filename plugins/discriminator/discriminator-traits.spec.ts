import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadExperiment } from '../../src/config/experiment.ts';
import { formatDiagnostic } from '../../src/core/errors.ts';
import { definePlugin, type PluginKind } from '../../src/core/plugin.ts';
import { PluginRegistry } from '../../src/core/registry.ts';
import syntheticWorld from '../dataset/synthetic-world-dataset.ts';
import denseTeacher from './dense-teacher-discriminator.ts';
import lexical from './lexical-discriminator.ts';
import oracle from './oracle-discriminator.ts';

@injectable()
class Unused {}

/** The real discriminators and dataset, plus placeholders for the slots validation only names. */
function registry(): PluginRegistry {
  const r = new PluginRegistry();
  for (const d of [syntheticWorld, oracle, lexical, denseTeacher]) r.register(d);
  const add = (kind: PluginKind, name: string, extra = {}) =>
    r.register(definePlugin({ kind, name, summary: name, schema: z.object({}).strict(), implementation: Unused, ...extra }));
  add('dataset', 'logs-only');
  add('positiveSource', 'search-clicks');
  add('positiveSource', 'filtered', { requires: [{ trait: 'discriminator', because: 'it keeps candidates a discriminator scores above 0.6' }] });
  for (const [kind, name] of [['labelScheme', 'hla'], ['sampler', 'in-batch'], ['encoder', 'hash-mlp'], ['loss', 'info-nce'], ['retriever', 'dense-exact'], ['tracker', 'mlflow'], ['backend', 'auto'], ['metric', 'recall'], ['metric', 'ndcg']] as const) add(kind, name);
  return r;
}

const validate = (yaml: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'crops-discriminator-')), 'x.yaml');
  writeFileSync(file, yaml);
  return loadExperiment(file, { registry: registry() }).diagnostics.map(formatDiagnostic);
};

describe('discriminator traits', () => {
  it('lets a filtering source run once any discriminator is configured', () => {
    expect(validate('dataset: synthetic-world\npositiveSource: [search-clicks, filtered]\ndiscriminator: oracle\n')).toEqual([]);
    expect(validate('dataset: logs-only\npositiveSource: [search-clicks, filtered]\ndiscriminator: { use: lexical, params: { k1: 1.2 } }\n')).toEqual([]);
  });

  it('refuses a filtering source without a discriminator, saying which key to add and its choices', () => {
    const errors = validate('dataset: synthetic-world\npositiveSource: [search-clicks, filtered]\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/:2:33 error positiveSource.1: positiveSource 'filtered' cannot run here: it keeps candidates a discriminator scores above 0.6 \(add 'discriminator:' naming one of: dense-teacher, lexical, oracle\)/);
  });

  it('refuses the oracle on a dataset without ground truth, pointing at the lexical discriminator', () => {
    const errors = validate('dataset: logs-only\npositiveSource: [filtered]\ndiscriminator: oracle\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/:3:16 error discriminator: discriminator 'oracle' cannot run here: .*real logs.*lexical/);
    expect(errors[0]).not.toMatch(/add '/);
  });
});

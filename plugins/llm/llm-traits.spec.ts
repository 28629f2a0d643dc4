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
import llmKnowledge from '../positive-source/llm-knowledge-positive-source.ts';
import openAiCompatible from './openai-compatible-llm.ts';
import replay from './replay-llm.ts';
import worldKnowledge from './world-knowledge-llm.ts';

@injectable()
class Unused {}

/** The real P3 source, providers and dataset, plus placeholders for the slots validation only names. */
function registry(): PluginRegistry {
  const r = new PluginRegistry();
  for (const d of [syntheticWorld, llmKnowledge, worldKnowledge, openAiCompatible, replay]) r.register(d);
  const add = (kind: PluginKind, name: string) => r.register(definePlugin({ kind, name, summary: name, schema: z.object({}).strict(), implementation: Unused }));
  add('dataset', 'logs-only');
  for (const [kind, name] of [['positiveSource', 'search-clicks'], ['labelScheme', 'hla'], ['sampler', 'in-batch'], ['encoder', 'hash-mlp'], ['loss', 'info-nce'], ['retriever', 'dense-exact'], ['tracker', 'mlflow'], ['backend', 'auto'], ['metric', 'recall'], ['metric', 'ndcg']] as const) add(kind, name);
  return r;
}

const validate = (yaml: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'crops-llm-traits-')), 'x.yaml');
  writeFileSync(file, yaml);
  return loadExperiment(file, { registry: registry() }).diagnostics.map(formatDiagnostic);
};

describe('llm traits', () => {
  it('runs llm-knowledge with any provider, and world-knowledge only on a world with ground truth', () => {
    expect(validate('dataset: synthetic-world\npositiveSource: [search-clicks, llm-knowledge]\nllm: world-knowledge\n')).toEqual([]);
    expect(validate('dataset: logs-only\npositiveSource: [llm-knowledge]\nllm: { use: openai-compatible, params: { model: m } }\n')).toEqual([]);
    expect(validate('dataset: logs-only\npositiveSource: [llm-knowledge]\nllm: replay\n')).toEqual([]);
  });

  it('refuses llm-knowledge without an llm, naming the key to add and its choices', () => {
    const errors = validate('dataset: synthetic-world\npositiveSource: [search-clicks, llm-knowledge]\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/:2:33 error positiveSource.1: positiveSource 'llm-knowledge' cannot run here: .* \(add 'llm:' naming one of: openai-compatible, replay, world-knowledge\)/);
  });

  it('refuses world-knowledge on real logs, pointing at the other providers', () => {
    const errors = validate('dataset: logs-only\npositiveSource: [llm-knowledge]\nllm: world-knowledge\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/:3:6 error llm: llm 'world-knowledge' cannot run here: .*openai-compatible or replay/);
  });
});

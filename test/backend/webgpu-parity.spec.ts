import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, type TestContext } from 'vitest';
import hashMlp from '../../plugins/encoder/hash-mlp-encoder.ts';
import hfBert from '../../plugins/encoder/hf-bert-encoder.ts';
import infoNceDescriptor from '../../plugins/loss/info-nce-loss.ts';
import hInfoNceDescriptor from '../../plugins/loss/h-info-nce-loss.ts';
import { activateBackend } from '../../src/backend/tf.ts';
import '../support/tf.ts';
import { findWebGpuAdapter, type AdapterSearch } from '../../kits/backend/webgpu.ts';
import { denseTopK } from '../../kits/retriever/dense-top-k.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { Loss } from '../../src/extension-points/loss.ts';
import type { Ranking } from '../../src/extension-points/retriever.ts';
import { instantiate } from '../support/instantiate.ts';
import { tinyBertTask, writeTinyBert } from '../support/tiny-bert.ts';
import { toyCurves, toyTask } from '../support/toy-task.ts';

/**
 * The same code on WebGPU and on wasm gives the same numbers. CI installs Mesa so Dawn finds the
 * llvmpipe adapter and sets CROPS_REQUIRE_WEBGPU=1, which turns a missing adapter into a failure.
 */
let search: AdapterSearch;
beforeAll(async () => {
  search = await findWebGpuAdapter();
});

function needAdapter(ctx: TestContext): void {
  if (search.found) return;
  if (process.env.CROPS_REQUIRE_WEBGPU === '1') throw new Error(`CROPS_REQUIRE_WEBGPU=1 but ${search.reason}`);
  ctx.skip(`no WebGPU here: ${search.reason}`);
}

const task = toyTask({ items: 48 });

async function lossCurve(backend: 'wasm' | 'webgpu'): Promise<{ loss: number[]; temperature: number[] }> {
  await activateBackend(backend);
  const encoder = instantiate<Encoder>(hashMlp, { buckets: 2048, embDim: 16, hidden: [32], dim: 16 }, { seed: 3 });
  return toyCurves(encoder, instantiate<Loss>(hInfoNceDescriptor, {}, { seed: 3 }), task, { batchQueries: 12, steps: 6, lr: 0.02 });
}

/**
 * A pretrained-tower training run (tiny BERT: attention, GELU, LayerNorm, mean pooling, hidden and
 * attention dropout at the model's 0.1) on one backend.
 */
async function bertLossCurve(backend: 'wasm' | 'webgpu', model: string): Promise<number[]> {
  await activateBackend(backend);
  const encoder = instantiate<Encoder>(hfBert, { model, maxQueryLength: 8, maxItemLength: 8 }, { seed: 3 });
  const curves = await toyCurves(encoder, instantiate<Loss>(infoNceDescriptor, {}, { seed: 3 }), tinyBertTask(), { batchQueries: 8, steps: 5, lr: 0.01 });
  return curves.loss;
}

async function search2(backend: 'wasm' | 'webgpu', q: Float32Array, items: Float32Array, dim: number, k: number, chunk: number): Promise<Ranking[]> {
  await activateBackend(backend);
  const queries = tf.tensor2d(q, [q.length / dim, dim]);
  const itemsT = tf.tidy(() => tf.transpose(tf.tensor2d(items, [items.length / dim, dim]))) as tf.Tensor2D;
  try {
    return await denseTopK(queries, itemsT, k, chunk);
  } finally {
    tf.dispose([queries, itemsT]);
  }
}

describe('webgpu against wasm', () => {
  it('a short training run follows the wasm loss curve', async (ctx) => {
    needAdapter(ctx);
    const wasm = await lossCurve('wasm');
    const before = tf.memory().numTensors;
    const webgpu = await lossCurve('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.memory().numTensors).toBe(before);
    expect(webgpu.loss).toHaveLength(6);
    // the loss moves by far more than the tolerance between steps, so a wrong gradient shows
    expect(Math.abs(wasm.loss[5]! - wasm.loss[0]!)).toBeGreaterThan(0.1);
    webgpu.loss.forEach((v, i) => expect(v).toBeCloseTo(wasm.loss[i]!, 3));
    webgpu.temperature.forEach((v, i) => expect(v).toBeCloseTo(wasm.temperature[i]!, 5));
  }, 180_000);

  // WebGPU splits each step into two forward passes; with dropout this fails unless both draw one set of masks
  it('a pretrained BERT tower with dropout trains to the same loss curve as on wasm', async (ctx) => {
    needAdapter(ctx);
    const model = await writeTinyBert({ hidden: 32, layers: 2, heads: 4 });
    const wasm = await bertLossCurve('wasm', model);
    const before = tf.memory().numTensors;
    const webgpu = await bertLossCurve('webgpu', model);
    expect(tf.memory().numTensors).toBe(before);
    expect(webgpu).toHaveLength(5);
    expect(Math.abs(wasm[4]! - wasm[0]!)).toBeGreaterThan(0.05);
    webgpu.forEach((v, i) => expect(v).toBeCloseTo(wasm[i]!, 3));
  }, 180_000);

  it('exact dense search over wide chunks ranks like wasm, ties to the lower id', async (ctx) => {
    needAdapter(ctx);
    const dim = 8;
    const n = 5000;
    const items = new Float32Array(n * dim).map((_, i) => Math.round(Math.sin(i * 12.9898) * 4) / 4);
    // items 10 and 4010 tie for the best score of the first query (4010 in the second chunk); the lower id goes first
    items.fill(3, 10 * dim, 11 * dim);
    items.fill(3, 4010 * dim, 4011 * dim);
    const q = new Float32Array(3 * dim).map((_, i) => (i < dim ? 1 : Math.cos(i * 7.31)));
    const wasm = await search2('wasm', q, items, dim, 20, 4096);
    const webgpu = await search2('webgpu', q, items, dim, 20, 4096);
    expect(webgpu.map((r) => Array.from(r.itemIds))).toEqual(wasm.map((r) => Array.from(r.itemIds)));
    webgpu.forEach((r, i) => r.scores.forEach((s, j) => expect(s).toBeCloseTo(wasm[i]!.scores[j]!, 4)));
    const first = Array.from(webgpu[0]!.itemIds);
    expect(first.slice(0, 2)).toEqual([10, 4010]);
  }, 120_000);
});

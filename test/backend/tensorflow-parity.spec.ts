import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import type { z } from 'zod';
import hashMlp from '../../plugins/encoder/hash-mlp-encoder.ts';
import { bundledPlugins } from '../../plugins/index.ts';
import hInfoNceDescriptor from '../../plugins/loss/h-info-nce-loss.ts';
import infoNceDescriptor from '../../plugins/loss/info-nce-loss.ts';
import { activateBackend, backendObstacle } from '../../src/backend/tf.ts';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import { denseTopK } from '../../kits/retriever/dense-top-k.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import type { Loss } from '../../src/extension-points/loss.ts';
import type { Ranking } from '../../src/extension-points/retriever.ts';
import { runCli } from '../support/cli.ts';
import { instantiate } from '../support/instantiate.ts';
import { toyCurves, toyTask } from '../support/toy-task.ts';
import { describeLossConformance } from '../conformance/loss-conformance.ts';

/**
 * The native backend computes what wasm computes. It exists here only after `crops setup tensorflow`;
 * CI runs that setup and sets CROPS_REQUIRE_TENSORFLOW=1, which turns a missing backend into a failure.
 */
// the bundled plugins (imported above) have registered the tensorflow loader
const missing = await backendObstacle('tensorflow');
const required = process.env.CROPS_REQUIRE_TENSORFLOW === '1';

function needTensorflow(ctx: TestContext): void {
  if (missing === undefined) return;
  if (required) throw new Error(`CROPS_REQUIRE_TENSORFLOW=1 but ${missing}`);
  ctx.skip(`no native TensorFlow here: ${missing}`);
}

const task = toyTask({ items: 48 });

async function lossCurve(backend: 'wasm' | 'tensorflow', lossDescriptor: PluginDescriptor<z.ZodType, Loss>): Promise<{ loss: number[]; temperature: number[] }> {
  await activateBackend(backend);
  const encoder = instantiate<Encoder>(hashMlp, { buckets: 2048, embDim: 16, hidden: [32], dim: 16 }, { seed: 3 });
  return toyCurves(encoder, instantiate<Loss>(lossDescriptor, {}, { seed: 3 }), task, { batchQueries: 12, steps: 8, lr: 0.02 });
}

async function search(backend: 'wasm' | 'tensorflow', q: Float32Array, items: Float32Array, dim: number, k: number, chunk: number): Promise<Ranking[]> {
  await activateBackend(backend);
  const queries = tf.tensor2d(q, [q.length / dim, dim]);
  const itemsT = tf.tidy(() => tf.transpose(tf.tensor2d(items, [items.length / dim, dim]))) as tf.Tensor2D;
  try {
    return await denseTopK(queries, itemsT, k, chunk);
  } finally {
    tf.dispose([queries, itemsT]);
  }
}

/** `trial  v1  v2  v3  status` rows of the table `crops run` prints. */
function metricRows(stdout: string): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const line of stdout.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (!parts[0]?.startsWith('labelScheme=')) continue;
    rows.set(parts[0], parts.slice(1, -1).map((v) => Number(v.replace('*', ''))));
  }
  return rows;
}

describe('tensorflow against wasm', () => {
  for (const lossDescriptor of [infoNceDescriptor, hInfoNceDescriptor] as PluginDescriptor<z.ZodType, Loss>[]) {
    it(`a short ${lossDescriptor.name} training run follows the wasm loss curve within 1e-3`, async (ctx) => {
      needTensorflow(ctx);
      const wasm = await lossCurve('wasm', lossDescriptor);
      const before = tf.memory().numTensors;
      const native = await lossCurve('tensorflow', lossDescriptor);
      expect(tf.getBackend()).toBe('tensorflow');
      expect(tf.memory().numTensors).toBe(before);
      expect(native.loss).toHaveLength(8);
      // the loss moves by far more than the tolerance between steps, so a wrong gradient shows
      expect(Math.abs(wasm.loss[7]! - wasm.loss[0]!)).toBeGreaterThan(0.1);
      native.loss.forEach((v, i) => expect(Math.abs(v - wasm.loss[i]!)).toBeLessThan(1e-3));
      native.temperature.forEach((v, i) => expect(Math.abs(v - wasm.temperature[i]!)).toBeLessThan(1e-3));
    }, 120_000);
  }

  it('exact dense search ranks like wasm, ties to the lower id', async (ctx) => {
    needTensorflow(ctx);
    const dim = 8;
    const n = 5000;
    const items = new Float32Array(n * dim).map((_, i) => Math.round(Math.sin(i * 12.9898) * 4) / 4);
    items.fill(3, 10 * dim, 11 * dim);
    items.fill(3, 4010 * dim, 4011 * dim);
    const q = new Float32Array(3 * dim).map((_, i) => (i < dim ? 1 : Math.cos(i * 7.31)));
    const wasm = await search('wasm', q, items, dim, 20, 4096);
    const native = await search('tensorflow', q, items, dim, 20, 4096);
    expect(native.map((r) => Array.from(r.itemIds))).toEqual(wasm.map((r) => Array.from(r.itemIds)));
    native.forEach((r, i) => r.scores.forEach((s, j) => expect(s).toBeCloseTo(wasm[i]!.scores[j]!, 4)));
    expect(Array.from(native[0]!.itemIds).slice(0, 2)).toEqual([10, 4010]);
  }, 60_000);

  it('the quickstart gives the same metrics as on wasm, within 0.5 points', { timeout: 300_000 }, (ctx) => {
    needTensorflow(ctx);
    const quickstart = resolve('experiments/quickstart.yaml');
    const rows = (backend: string) => {
      const res = runCli(['run', quickstart, '--set', `backend=${backend}`], { cwd: mkdtempSync(join(tmpdir(), `crops-parity-${backend}-`)), timeoutMs: 140_000 });
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toContain(`backend: ${backend};`);
      return metricRows(res.stdout);
    };
    const wasm = rows('wasm');
    const native = rows('tensorflow');
    expect([...native.keys()]).toEqual([...wasm.keys()]);
    expect(wasm.size).toBe(2);
    for (const [trial, values] of wasm) {
      expect(values).toHaveLength(3);
      values.forEach((v, i) => expect(Math.abs(native.get(trial)![i]! - v), `${trial} column ${i + 1}`).toBeLessThanOrEqual(0.5));
    }
  });
});

describe.skipIf(missing !== undefined && !required)('every loss on tensorflow', () => {
  it('the native backend is there', () => {
    if (missing !== undefined) throw new Error(`CROPS_REQUIRE_TENSORFLOW=1 but ${missing}`);
  });
  const losses = bundledPlugins.filter((p) => p.kind === 'loss') as PluginDescriptor<z.ZodType, Loss>[];
  if (missing === undefined) for (const loss of losses) describeLossConformance(loss, { backend: 'tensorflow' });
});

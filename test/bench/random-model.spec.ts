import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TENSOR_SHAPES_FILE, tensorShapes, writeRandomModel } from '../../bench/gpu/random-model.ts';
import { RANDOM_WEIGHTS_MARKER } from '../../bench/pretrained-tower.ts';
import { readSafetensors } from '../../kits/encoder/bert/safetensors.ts';
import hfBert from '../../plugins/encoder/hf-bert-encoder.ts';
import type { Encoder } from '../../src/extension-points/encoder.ts';
import { instantiate } from '../support/instantiate.ts';
import { useBackend } from '../support/tf.ts';
import { writeTinyBert } from '../support/tiny-bert.ts';

/** The GPU bench's stand-in model: the real model's files and shapes, random weights. */
beforeAll(async () => {
  await useBackend();
});

describe('bench/gpu random-model', () => {
  it('writes a loadable model of the skeleton shapes, marked as random', async () => {
    const real = await writeTinyBert({ hidden: 16, layers: 2, heads: 4 });
    const skeleton = mkdtempSync(join(tmpdir(), 'crops-skeleton-'));
    cpSync(real, skeleton, { recursive: true });
    rmSync(join(skeleton, 'model.safetensors'));
    writeFileSync(join(skeleton, TENSOR_SHAPES_FILE), JSON.stringify(tensorShapes(join(real, 'model.safetensors'))));
    const out = join(mkdtempSync(join(tmpdir(), 'crops-random-')), 'model');
    await writeRandomModel(skeleton, out);

    expect(existsSync(join(out, RANDOM_WEIGHTS_MARKER))).toBe(true);
    expect(existsSync(join(out, TENSOR_SHAPES_FILE))).toBe(false);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(readFileSync(join(real, 'config.json'), 'utf8'));
    const [was, is] = [readSafetensors(join(real, 'model.safetensors')), readSafetensors(join(out, 'model.safetensors'))];
    expect([...is.keys()].sort()).toEqual([...was.keys()].sort());
    for (const [name, t] of is) {
      expect(t.shape, name).toEqual(was.get(name)!.shape);
      if (name.endsWith('LayerNorm.weight')) expect(t.data.every((x) => x === 1)).toBe(true);
      else if (name.endsWith('.bias')) expect(t.data.every((x) => x === 0)).toBe(true);
      else {
        // N(0, 0.02²): the sample spread of a few hundred draws is close to 0.02
        const sd = Math.sqrt(t.data.reduce((s, x) => s + x * x, 0) / t.data.length);
        if (t.data.length >= 256) expect(sd).toBeGreaterThan(0.015);
        if (t.data.length >= 256) expect(sd).toBeLessThan(0.025);
      }
    }
    const encoder = instantiate<Encoder>(hfBert, { model: out });
    try {
      const v = await encoder.encode(['fox den red', 'whale song'], 'item');
      expect(v).toHaveLength(2 * encoder.dim);
      expect(v.every(Number.isFinite)).toBe(true);
    } finally {
      encoder.dispose();
    }
  });
});

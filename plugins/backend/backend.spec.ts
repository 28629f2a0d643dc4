import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { visibleNvidiaGpus } from '../../kits/backend/gpu.ts';
import type { Backend } from '../../src/extension-points/backend.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import autoBackend from './auto-backend.ts';
import cpuBackend from './cpu-backend.ts';
import tensorflowBackend from './tensorflow-backend.ts';
import tensorflowGpuBackend from './tensorflow-gpu-backend.ts';
import wasmBackend from './wasm-backend.ts';

const plugins = [wasmBackend, cpuBackend, tensorflowBackend, tensorflowGpuBackend];
import { describeBackendConformance } from '../../test/conformance/infra-conformance.ts';

const installed = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const byName = (name: string) => plugins.find((p) => p.name === name)!;

describe('backend plugins', () => {
  it('are the four tfjs backends plus auto, with strict schemas that accept {}', () => {
    expect(plugins.map((p) => p.name)).toEqual(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']);
    for (const p of [...plugins, autoBackend]) {
      expect(p.kind).toBe('backend');
      expect(p.schema.safeParse({}).success).toBe(true);
      expect(p.schema.safeParse({ threads: 2 }).success).toBe(false);
    }
  });

  it('probe says why a backend package is missing, with the install command', async () => {
    const tensorflow = instantiate<Backend>(byName('tensorflow'));
    const probe = await tensorflow.probe();
    expect(probe.available).toBe(installed('@tensorflow/tfjs-node'));
    if (!probe.available) expect(probe.reason).toMatch(/npm i @tensorflow\/tfjs-node/);
  });

  it('tensorflow-gpu is unavailable without a visible GPU even when installed', async () => {
    const probe = await instantiate<Backend>(byName('tensorflow-gpu')).probe();
    if (!installed('@tensorflow/tfjs-node-gpu') || visibleNvidiaGpus() === 0) expect(probe.available).toBe(false);
    expect(visibleNvidiaGpus({ CUDA_VISIBLE_DEVICES: '-1' })).toBe(0);
  });

  it('activates cpu and then wasm', async () => {
    expect(await instantiate<Backend>(byName('cpu')).activate()).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await instantiate<Backend>(byName('wasm')).activate()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('auto picks the first usable backend of its order and explains when there is none', async () => {
    const auto = instantiate<Backend>(autoBackend, { order: ['tensorflow', 'cpu'] });
    expect(await auto.activate()).toBe(installed('@tensorflow/tfjs-node') ? 'tensorflow' : 'cpu');
    if (!installed('@tensorflow/tfjs-node')) {
      const none = instantiate<Backend>(autoBackend, { order: ['tensorflow'] });
      expect((await none.probe()).available).toBe(false);
      await expect(none.activate()).rejects.toThrow(/no usable TensorFlow.js backend.*tensorflow: .*not installed/);
    }
    const webgl = autoBackend.schema.safeParse({ order: ['webgl'] });
    expect(webgl.success).toBe(false);
    expect(webgl.error?.issues[0]?.message).toMatch(/unknown backend 'webgl' \(registered: .*wasm/);
  });
});

for (const d of [autoBackend, ...plugins]) describeBackendConformance(d);

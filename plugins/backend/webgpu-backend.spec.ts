import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { findWebGpuAdapter, missingWebGpuPackage, NATIVE_ATTEMPTS } from '../../kits/backend/webgpu.ts';
import type { Backend } from '../../src/extension-points/backend.ts';
import { describeBackendConformance } from '../../test/conformance/infra-conformance.ts';
import { instantiate } from '../../test/support/instantiate.ts';
import autoBackend from './auto-backend.ts';
import webgpu from './webgpu-backend.ts';

describe('webgpu backend', () => {
  it('is available exactly when Dawn offers an adapter, and says why not otherwise', async () => {
    const probe = await instantiate<Backend>(webgpu).probe();
    const search = await findWebGpuAdapter();
    expect(probe.available).toBe(search.found !== undefined);
    if (missingWebGpuPackage()) expect(probe.reason).toMatch(/is not installed \(npm i /);
    else if (!probe.available) expect(probe.reason).toMatch(/no WebGPU adapter|does not load here/);
  });

  it('activates where an adapter exists, async reads agreeing with wasm', async (ctx) => {
    const search = await findWebGpuAdapter();
    if (!search.found) {
      if (process.env.CROPS_REQUIRE_WEBGPU === '1') throw new Error(`CROPS_REQUIRE_WEBGPU=1 but ${search.reason}`);
      return ctx.skip(`no WebGPU here: ${search.reason}`);
    }
    expect(await instantiate<Backend>(webgpu).activate()).toBe('webgpu');
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([1, 0, -1, 2, 0.5, 0], [3, 2]);
    const product = tf.matMul(a, b);
    expect(Array.from(await product.data())).toEqual([0.5, 4, 2, 10]);
    tf.dispose([a, b, product]);
  });

  it('auto takes only a hardware adapter of the native API, never a software one', async () => {
    const native = await findWebGpuAdapter(NATIVE_ATTEMPTS);
    const auto = instantiate<Backend>(autoBackend, { order: ['webgpu'] });
    const probe = await auto.probe();
    expect(probe.available).toBe(native.found !== undefined && !native.found.software);
    if (native.found?.software) expect(probe.reason).toMatch(/webgpu: only a software adapter \(.+\), slower than wasm/);
    if (!native.found) expect(probe.reason).toBe(`webgpu: ${native.reason}`);
    expect(probe.reason ?? '').not.toMatch(/opengl/);
    expect(autoBackend.schema.parse({})).toEqual({ order: ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm'] });
  });
});

describeBackendConformance(webgpu);

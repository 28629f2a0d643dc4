import { injectable } from 'inversify';
import { z } from 'zod';
import { activateBackend } from '../../src/backend/tf.ts';
import { findWebGpuAdapter } from '../../src/backend/webgpu.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Backend } from '../../src/extension-points/backend.ts';

const schema = z.object({}).strict();

/**
 * TensorFlow.js on WebGPU through Dawn (`webgpu` package) and `@tensorflow/tfjs-backend-webgpu`.
 * Takes a native GPU API (Vulkan, Metal, D3D12) when the machine has one, else Dawn's OpenGL
 * backend, where Mesa's llvmpipe software rasteriser serves as a (slow) adapter. Device memory is
 * read asynchronously only, so training runs host-side losses in a separate pass on the cpu backend.
 */
@injectable()
export class WebGpuBackend implements Backend {
  async probe(): Promise<{ available: boolean; reason?: string }> {
    const search = await findWebGpuAdapter();
    return search.found ? { available: true } : { available: false, reason: search.reason };
  }

  activate(): Promise<string> {
    return activateBackend('webgpu');
  }
}

export default definePlugin({
  kind: 'backend',
  name: 'webgpu',
  summary: 'TensorFlow.js WebGPU backend on Dawn (a GPU, or Mesa llvmpipe in software)',
  schema,
  implementation: WebGpuBackend,
});

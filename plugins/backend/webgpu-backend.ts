import { injectable } from 'inversify';
import { z } from 'zod';
import { LoaderBackend } from '../../kits/backend/loader-backend.ts';
import { DAWN_PACKAGE, findWebGpuAdapter, NATIVE_ATTEMPTS, registerWebGpuBackend, TFJS_WEBGPU_PACKAGE } from '../../kits/backend/webgpu.ts';
import { registerBackendLoader } from '../../src/backend/tf.ts';
import { definePlugin } from '../../src/core/plugin.ts';

registerBackendLoader({
  name: 'webgpu',
  tfjsName: 'webgpu',
  packages: [TFJS_WEBGPU_PACKAGE, DAWN_PACKAGE],
  load: registerWebGpuBackend,
  obstacle: async () => {
    const search = await findWebGpuAdapter();
    return search.found ? undefined : search.reason;
  },
  autoObstacle: async () => {
    // OpenGL is left out: behind it there is mostly a CPU rasteriser, and asking costs a GL context
    const search = await findWebGpuAdapter(NATIVE_ATTEMPTS);
    if (!search.found) return search.reason;
    // a CPU rasteriser (e.g. Vulkan's lavapipe) loses to wasm on the same cores; it stays available by name
    if (search.found.software) return `only a software adapter (${search.found.description}), slower than wasm`;
    return undefined;
  },
  describe: async () => {
    const found = (await findWebGpuAdapter()).found!;
    const api = found.attempt.dawnOptions.join(' ') || 'native API';
    return `adapter ${found.description} (${api}, ${found.attempt.featureLevel} feature level${found.software ? ', software' : ''})`;
  },
  // Device memory is mapped asynchronously; `dataSync` would need a canvas, which Node lacks.
  readsSync: false,
  hostBackend: 'cpu',
  // on an H200 the per-variable update of MiniLM's two towers (200 weights, 3,000 launches) took
  // 300 ms, as long as on one wasm core, for about a millisecond of memory traffic (bench/README.md)
  launchBound: true,
});

/**
 * TensorFlow.js on WebGPU through Dawn (`webgpu` package) and `@tensorflow/tfjs-backend-webgpu`.
 * Takes a native GPU API (Vulkan, Metal, D3D12) when the machine has one, else Dawn's OpenGL
 * backend, where Mesa's llvmpipe software rasteriser serves as a (slow) adapter. Device memory is
 * read asynchronously only, so training runs host-side losses in a separate pass on the cpu backend.
 */
@injectable()
export class WebGpuBackend extends LoaderBackend {
  protected readonly loaderName = 'webgpu';
}

export default definePlugin({
  kind: 'backend',
  name: 'webgpu',
  summary: 'TensorFlow.js WebGPU backend on Dawn (a GPU, or Mesa llvmpipe in software)',
  schema: z.object({}).strict(),
  implementation: WebGpuBackend,
});

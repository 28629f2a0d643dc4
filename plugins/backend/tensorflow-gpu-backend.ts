import { injectable } from 'inversify';
import { z } from 'zod';
import { visibleNvidiaGpus } from '../../kits/backend/gpu.ts';
import { LoaderBackend } from '../../kits/backend/loader-backend.ts';
import { registerBackendLoader } from '../../src/backend/tf.ts';
import { definePlugin } from '../../src/core/plugin.ts';

const PACKAGE = '@tensorflow/tfjs-node-gpu';

registerBackendLoader({
  name: 'tensorflow-gpu',
  // like the CPU build, the CUDA build registers as 'tensorflow'
  tfjsName: 'tensorflow',
  packages: [PACKAGE],
  load: async () => {
    await import(PACKAGE);
  },
  obstacle: async () => (visibleNvidiaGpus() === 0 ? 'no NVIDIA GPU is visible (no driver, or CUDA_VISIBLE_DEVICES hides them)' : undefined),
  describe: async () => `${visibleNvidiaGpus()} NVIDIA GPU(s) visible`,
});

/** Native TensorFlow with CUDA through `@tensorflow/tfjs-node-gpu`; needs an NVIDIA GPU and driver. */
@injectable()
export class TensorflowGpuBackend extends LoaderBackend {
  protected readonly loaderName = 'tensorflow-gpu';
}

export default definePlugin({
  kind: 'backend',
  name: 'tensorflow-gpu',
  summary: 'native TensorFlow with CUDA via @tensorflow/tfjs-node-gpu',
  schema: z.object({}).strict(),
  implementation: TensorflowGpuBackend,
});

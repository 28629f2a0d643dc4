import { injectable } from 'inversify';
import { z } from 'zod';
import { LoaderBackend } from '../../kits/backend/loader-backend.ts';
import { registerBackendLoader } from '../../src/backend/tf.ts';
import { definePlugin } from '../../src/core/plugin.ts';

registerBackendLoader({
  name: 'cpu',
  tfjsName: 'cpu',
  packages: ['@tensorflow/tfjs-backend-cpu'],
  load: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
  },
});

/** Plain JavaScript kernels: slow, but loads everywhere; a reference when other backends disagree. */
@injectable()
export class CpuBackend extends LoaderBackend {
  protected readonly loaderName = 'cpu';
}

export default definePlugin({
  kind: 'backend',
  name: 'cpu',
  summary: 'TensorFlow.js pure-JavaScript backend (slow reference)',
  schema: z.object({}).strict(),
  implementation: CpuBackend,
});

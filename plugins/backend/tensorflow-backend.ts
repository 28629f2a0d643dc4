import { injectable } from 'inversify';
import { z } from 'zod';
import { LoaderBackend } from '../../kits/backend/loader-backend.ts';
import { registerBackendLoader } from '../../src/backend/tf.ts';
import { definePlugin } from '../../src/core/plugin.ts';

const PACKAGE = '@tensorflow/tfjs-node';

registerBackendLoader({
  name: 'tensorflow',
  // the native bindings bundle their own tfjs-core copy and register under the name 'tensorflow'
  tfjsName: 'tensorflow',
  packages: [PACKAGE],
  load: async () => {
    await import(PACKAGE);
  },
});

/** Native TensorFlow C library through `@tensorflow/tfjs-node` (multi-threaded CPU). */
@injectable()
export class TensorflowBackend extends LoaderBackend {
  protected readonly loaderName = 'tensorflow';
}

export default definePlugin({
  kind: 'backend',
  name: 'tensorflow',
  summary: 'native TensorFlow on the CPU via @tensorflow/tfjs-node',
  schema: z.object({}).strict(),
  implementation: TensorflowBackend,
});

import { injectable } from 'inversify';
import { z } from 'zod';
import { LoaderBackend } from '../../kits/backend/loader-backend.ts';
import { tfjsNodeLoader } from '../../kits/backend/tfjs-node-loader.ts';
import { registerBackendLoader } from '../../src/backend/tf.ts';
import { definePlugin } from '../../src/core/plugin.ts';

// a binding built by `crops setup tensorflow` from PyPI's wheel counts as much as a downloaded one
registerBackendLoader(tfjsNodeLoader({ name: 'tensorflow', pkg: '@tensorflow/tfjs-node', setupArgs: 'tensorflow' }));

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

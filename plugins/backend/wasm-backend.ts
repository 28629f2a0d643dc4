import { injectable } from 'inversify';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LoaderBackend } from '../../kits/backend/loader-backend.ts';
import { registerBackendLoader } from '../../src/backend/tf.ts';
import { definePlugin } from '../../src/core/plugin.ts';

const PACKAGE = '@tensorflow/tfjs-backend-wasm';

registerBackendLoader({
  name: 'wasm',
  tfjsName: 'wasm',
  packages: [PACKAGE],
  load: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
  },
  describe: async () => {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
    const threads = getThreadsCount();
    return `SIMD ${simd ? 'yes' : 'no'}, ${threads} thread${threads === 1 ? '' : 's'}`;
  },
});

/** WebAssembly with SIMD (XNNPACK kernels): portable, single-threaded under Node, the test default. */
@injectable()
export class WasmBackend extends LoaderBackend {
  protected readonly loaderName = 'wasm';
}

export default definePlugin({
  kind: 'backend',
  name: 'wasm',
  summary: 'TensorFlow.js WebAssembly+SIMD backend (portable default)',
  schema: z.object({}).strict(),
  implementation: WasmBackend,
});

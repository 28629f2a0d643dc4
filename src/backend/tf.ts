/**
 * The single place that chooses and loads a TensorFlow.js backend package. Everything else imports
 * `@tensorflow/tfjs-core` only, so unit tests and plugins stay backend-agnostic.
 */
import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from the kernels, and tfjs-core's own registration module is
// not loadable as Node ESM; the layers package registers them all on the shared tfjs-core instance.
import '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu';

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  reason?: string;
}

const require = createRequire(import.meta.url);

function packageOf(name: BackendName): string {
  switch (name) {
    case 'wasm':
      return '@tensorflow/tfjs-backend-wasm';
    case 'cpu':
      return '@tensorflow/tfjs-backend-cpu';
    case 'tensorflow':
      return '@tensorflow/tfjs-node';
    case 'tensorflow-gpu':
      return '@tensorflow/tfjs-node-gpu';
  }
}

/** Whether a backend's package can be loaded here, without registering it. */
export function probeBackend(name: BackendName): BackendProbe {
  const pkg = packageOf(name);
  try {
    require.resolve(pkg);
  } catch {
    return { name, available: false, reason: `${pkg} is not installed (npm i ${pkg})` };
  }
  return { name, available: true };
}

/** Loads, registers and selects a backend; returns the backend tfjs reports as active. */
export async function activateBackend(name: BackendName): Promise<string> {
  const probe = probeBackend(name);
  if (!probe.available) throw new Error(`backend '${name}' cannot load: ${probe.reason}`);
  switch (name) {
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      break;
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      break;
    case 'tensorflow':
    case 'tensorflow-gpu':
      // The native bindings bundle their own tfjs-core copy; they register under the name 'tensorflow'.
      await import(packageOf(name));
      break;
  }
  const target = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  if (tf.getBackend() !== target) {
    const ok = await tf.setBackend(target);
    if (!ok) throw new Error(`backend '${name}' registered but failed to initialise`);
  }
  await tf.ready();
  return tf.getBackend();
}

export { tf };

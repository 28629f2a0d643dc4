/**
 * The single place that chooses and loads a TensorFlow.js backend package. Everything else imports
 * `@tensorflow/tfjs-core` only, so unit tests and plugins stay backend-agnostic.
 */
import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from the kernels, and tfjs-core's own registration module is
// not loadable as Node ESM; the layers package registers them all on the shared tfjs-core instance.
import '@tensorflow/tfjs-layers';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { exposeNavigatorGpu, findWebGpuAdapter, missingWebGpuPackage, requestWebGpuDevice, TFJS_WEBGPU_PACKAGE } from './webgpu.ts';

export type BackendName = 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu' | 'webgpu';

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
    case 'webgpu':
      return TFJS_WEBGPU_PACKAGE;
  }
}

/** Whether a backend's package can be loaded here, without registering it. */
export function probeBackend(name: BackendName): BackendProbe {
  if (name === 'webgpu') {
    // whether an adapter exists is asked of the GPU itself: see findWebGpuAdapter
    const missing = missingWebGpuPackage();
    return missing === undefined ? { name, available: true } : { name, available: false, reason: missing };
  }
  const pkg = packageOf(name);
  let packageJson: string;
  try {
    packageJson = require.resolve(`${pkg}/package.json`);
  } catch {
    const native = name === 'tensorflow' || name === 'tensorflow-gpu';
    return { name, available: false, reason: `${pkg} is not installed (npm i ${pkg}${native ? `, or where that cannot download libtensorflow: npx crops setup ${name === 'tensorflow' ? 'tensorflow' : 'tensorflow --gpu'}` : ''})` };
  }
  if (name === 'tensorflow' || name === 'tensorflow-gpu') {
    const missing = missingNativeBinding(packageJson);
    if (missing) return { name, available: false, reason: `${pkg} is installed without its native binding (${missing}); build it with: npx crops setup ${name === 'tensorflow' ? 'tensorflow' : 'tensorflow --gpu'}` };
  }
  return { name, available: true };
}

/**
 * Why a tfjs-node package cannot load its N-API binding, or undefined when the file is there. Its
 * install script downloads libtensorflow; where that fails the package files may stay without it.
 */
function missingNativeBinding(packageJson: string): string | undefined {
  try {
    const nodePreGyp = createRequire(packageJson)('@mapbox/node-pre-gyp') as { find: (p: string) => string };
    const binding = nodePreGyp.find(packageJson);
    return existsSync(binding) ? undefined : `no ${binding}`;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
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
      // TensorFlow's C++ logging (CPU feature notes at load) goes to stderr unless asked otherwise
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
      // The native bindings bundle their own tfjs-core copy; they register under the name 'tensorflow'.
      await import(packageOf(name));
      break;
    case 'webgpu':
      await registerWebGpu();
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

/** Threads the wasm backend computes with (1 under Node, where it has no worker threads). */
export async function wasmThreadCount(): Promise<number> {
  const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');
  return getThreadsCount();
}

let webGpuRegistered = false;

/**
 * Registers `webgpu` on the adapter {@link findWebGpuAdapter} picks. The package's own registration
 * asks for a full-feature-level adapter with default limits, which software adapters do not offer,
 * so it is replaced. The cpu backend comes along: steps that must read values on the host run there.
 */
async function registerWebGpu(): Promise<void> {
  if (webGpuRegistered) return;
  const search = await findWebGpuAdapter();
  if (!search.found) throw new Error(`backend 'webgpu' cannot load: ${search.reason}`);
  const { adapter } = search.found;
  exposeNavigatorGpu();
  await import('@tensorflow/tfjs-backend-cpu');
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => new WebGPUBackend((await requestWebGpuDevice(adapter)) as never, adapter.info as never), 3);
  webGpuRegistered = true;
}

export { tf };

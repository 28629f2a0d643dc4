import { injectable } from 'inversify';
import { z } from 'zod';
import { activateBackend, probeBackend, type BackendName } from '../../src/backend/tf.ts';
import { visibleNvidiaGpus } from '../../src/backend/gpu.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import type { Backend } from '../../src/extension-points/backend.ts';

/**
 * The four TensorFlow.js backends, one plugin each, as thin wrappers over `src/backend/tf.ts` (the
 * only module that loads backend packages). They take no params; `auto` picks among them.
 */
const schema = z.object({}).strict();

@injectable()
abstract class PackageBackend implements Backend {
  protected abstract readonly backend: BackendName;

  async probe(): Promise<{ available: boolean; reason?: string }> {
    const { available, reason } = probeBackend(this.backend);
    return reason === undefined ? { available } : { available, reason };
  }

  activate(): Promise<string> {
    return activateBackend(this.backend);
  }
}

/** WebAssembly with SIMD (XNNPACK kernels): portable, single-threaded under Node, the test default. */
@injectable()
export class WasmBackend extends PackageBackend {
  protected readonly backend = 'wasm';
}

/** Plain JavaScript kernels: slow, but loads everywhere; a reference when other backends disagree. */
@injectable()
export class CpuBackend extends PackageBackend {
  protected readonly backend = 'cpu';
}

/** Native TensorFlow C library through `@tensorflow/tfjs-node` (multi-threaded CPU). */
@injectable()
export class TensorflowBackend extends PackageBackend {
  protected readonly backend = 'tensorflow';
}

/** Native TensorFlow with CUDA through `@tensorflow/tfjs-node-gpu`; needs an NVIDIA GPU and driver. */
@injectable()
export class TensorflowGpuBackend extends PackageBackend {
  protected readonly backend = 'tensorflow-gpu';

  override async probe(): Promise<{ available: boolean; reason?: string }> {
    const installed = await super.probe();
    if (!installed.available) return installed;
    return visibleNvidiaGpus() > 0 ? installed : { available: false, reason: 'no NVIDIA GPU is visible (no driver, or CUDA_VISIBLE_DEVICES hides them)' };
  }
}

export const plugins = [
  definePlugin({ kind: 'backend', name: 'wasm', summary: 'TensorFlow.js WebAssembly+SIMD backend (portable default)', schema, implementation: WasmBackend }),
  definePlugin({ kind: 'backend', name: 'cpu', summary: 'TensorFlow.js pure-JavaScript backend (slow reference)', schema, implementation: CpuBackend }),
  definePlugin({ kind: 'backend', name: 'tensorflow', summary: 'native TensorFlow on the CPU via @tensorflow/tfjs-node', schema, implementation: TensorflowBackend }),
  definePlugin({ kind: 'backend', name: 'tensorflow-gpu', summary: 'native TensorFlow with CUDA via @tensorflow/tfjs-node-gpu', schema, implementation: TensorflowGpuBackend }),
];

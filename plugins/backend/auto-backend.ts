import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import { activateBackend, backendLoader, probeBackend, registeredBackends, type BackendName } from '../../src/backend/tf.ts';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginLogger, PluginParams } from '../../src/core/services.ts';
import type { Backend } from '../../src/extension-points/backend.ts';
// the backends of the default order register themselves when their modules load
import './tensorflow-gpu-backend.ts';
import './tensorflow-backend.ts';
import './webgpu-backend.ts';
import './wasm-backend.ts';

const schema = z
  .object({
    order: z
      .array(
        z.string().refine((name) => registeredBackends().includes(name), {
          error: (issue) => `unknown backend '${String(issue.input)}' (registered: ${registeredBackends().join(', ')})`,
        }),
      )
      .min(1)
      .default(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm'])
      .describe('backends to try, best first; the first that is installed (and, for tensorflow-gpu, sees a GPU; for webgpu, finds a hardware adapter) and loads wins'),
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * Picks the fastest backend this machine can run: native TensorFlow with CUDA when its package is
 * installed and an NVIDIA GPU is visible, else native TensorFlow on the CPU, else WebGPU when Dawn
 * finds a hardware adapter through the platform's native API (Vulkan, Metal, D3D12), else
 * WebAssembly. Software adapters (Mesa's llvmpipe behind OpenGL, lavapipe) are passed over: they are
 * slower than wasm on the same cores (`backend: webgpu` still uses them).
 * A backend that is installed but fails to load (e.g. missing CUDA libraries) is skipped with a warning.
 */
@injectable()
export class AutoBackend implements Backend {
  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(PluginLogger) @optional() private readonly logger?: Logger,
  ) {}

  /** Why a candidate is unusable, or undefined when it may be tried (`crops doctor` shows these). */
  async obstacle(name: BackendName): Promise<string | undefined> {
    const missing = probeBackend(name).reason;
    if (missing !== undefined) return missing;
    const loader = backendLoader(name);
    return (loader.autoObstacle ?? loader.obstacle)?.();
  }

  candidates(): readonly string[] {
    return this.params.order;
  }

  passOver(candidate: string): Promise<string | undefined> {
    return this.obstacle(candidate);
  }

  async probe(): Promise<{ available: boolean; reason?: string }> {
    const reasons: Array<readonly [BackendName, string | undefined]> = [];
    for (const name of this.params.order) reasons.push([name, await this.obstacle(name)]);
    if (reasons.some(([, r]) => r === undefined)) return { available: true };
    return { available: false, reason: reasons.map(([n, r]) => `${n}: ${r}`).join('; ') };
  }

  async activate(): Promise<string> {
    const failures: string[] = [];
    for (const name of this.params.order) {
      const obstacle = await this.obstacle(name);
      if (obstacle !== undefined) {
        failures.push(`${name}: ${obstacle}`);
        continue;
      }
      try {
        const active = await activateBackend(name);
        this.logger?.info(`using backend ${name}`);
        return active;
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        this.logger?.warn(`backend ${name} is installed but failed to load: ${message}`);
        failures.push(`${name}: ${message}`);
      }
    }
    throw new Error(`no usable TensorFlow.js backend among ${this.params.order.join(', ')} (${failures.join('; ')})`);
  }
}

export default definePlugin({
  kind: 'backend',
  name: 'auto',
  summary: 'the fastest available backend: tensorflow-gpu if it sees a GPU, then tensorflow, then webgpu on a hardware adapter, then wasm',
  schema,
  implementation: AutoBackend,
});

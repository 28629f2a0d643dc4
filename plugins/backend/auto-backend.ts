import { inject, injectable, optional } from 'inversify';
import { z } from 'zod';
import { activateBackend, probeBackend, type BackendName } from '../../src/backend/tf.ts';
import { visibleNvidiaGpus } from '../../src/backend/gpu.ts';
import type { Logger } from '../../src/core/logger.ts';
import { definePlugin } from '../../src/core/plugin.ts';
import { PluginLogger, PluginParams } from '../../src/core/services.ts';
import type { Backend } from '../../src/extension-points/backend.ts';

const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const satisfies readonly BackendName[];

const schema = z
  .object({
    order: z
      .array(z.enum(BACKENDS))
      .min(1)
      .default(['tensorflow-gpu', 'tensorflow', 'wasm'])
      .describe('backends to try, best first; the first that is installed (and, for tensorflow-gpu, sees a GPU) and loads wins'),
  })
  .strict();
type Params = z.output<typeof schema>;

/**
 * Picks the fastest backend this machine can run: native TensorFlow with CUDA when its package is
 * installed and an NVIDIA GPU is visible, else native TensorFlow on the CPU, else WebAssembly.
 * A backend that is installed but fails to load (e.g. missing CUDA libraries) is skipped with a warning.
 */
@injectable()
export class AutoBackend implements Backend {
  constructor(
    @inject(PluginParams) private readonly params: Params,
    @inject(PluginLogger) @optional() private readonly logger?: Logger,
  ) {}

  /** Why each candidate is unusable, or undefined when it may be tried. */
  private obstacle(name: BackendName): string | undefined {
    const probe = probeBackend(name);
    if (!probe.available) return probe.reason;
    if (name === 'tensorflow-gpu' && visibleNvidiaGpus() === 0) return 'no NVIDIA GPU is visible';
    return undefined;
  }

  async probe(): Promise<{ available: boolean; reason?: string }> {
    const reasons = this.params.order.map((name) => [name, this.obstacle(name)] as const);
    if (reasons.some(([, r]) => r === undefined)) return { available: true };
    return { available: false, reason: reasons.map(([n, r]) => `${n}: ${r}`).join('; ') };
  }

  async activate(): Promise<string> {
    const failures: string[] = [];
    for (const name of this.params.order) {
      const obstacle = this.obstacle(name);
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
  summary: 'the fastest available backend: tensorflow-gpu if it sees a GPU, then tensorflow, then wasm',
  schema,
  implementation: AutoBackend,
});

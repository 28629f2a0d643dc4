import { setupNativeTensorflow } from '../../kits/backend/native-setup.ts';
import type { Io } from './io.ts';

/** `crops setup tensorflow [--gpu]`: see kits/backend/native-setup.ts. */
export async function setupCommand(values: { gpu: boolean; force: boolean; cache?: string }, io: Io): Promise<number> {
  const started = performance.now();
  const result = await setupNativeTensorflow({
    gpu: Boolean(values.gpu),
    force: Boolean(values.force),
    cacheDir: values.cache,
    log: { info: (line) => io.out(`${line}\n`) },
  });
  const pkg = values.gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const what = { present: 'already works', built: 'built', restored: 'restored from the cache' }[result.action];
  const phases = Object.entries(result.seconds)
    .map(([phase, s]) => `${phase} ${s} s`)
    .join(', ');
  io.out(
    `${pkg} ${what}: tfjs ${result.check.version}, matMul 1024x1024 ${result.check.gflops?.toFixed(0)} GFLOP/s ` +
      `(${((performance.now() - started) / 1000).toFixed(1)} s: ${phases})\n`,
  );
  return 0;
}

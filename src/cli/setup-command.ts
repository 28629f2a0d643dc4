import { parseArgs } from 'node:util';
import { CropsError } from '../core/errors.ts';
import { setupNativeTensorflow } from '../../kits/backend/native-setup.ts';
import type { Io } from './io.ts';

export const SETUP_USAGE = `usage: crops setup tensorflow [--gpu] [--force] [--cache DIR]

Builds the native TensorFlow backend (@tensorflow/tfjs-node, or with --gpu @tensorflow/tfjs-node-gpu)
from PyPI's TensorFlow wheel, for machines where the package's own install script cannot download
libtensorflow. Downloads and builds are cached in DIR (default ~/.cache/crops-lab, or $CROPS_CACHE_DIR).
Does nothing when a working binding is already installed, unless --force.`;

/** `crops setup tensorflow [--gpu]`: see kits/backend/native-setup.ts. */
export async function setupCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { gpu: { type: 'boolean' }, force: { type: 'boolean' }, cache: { type: 'string' } },
  });
  if (positionals.length !== 1 || positionals[0] !== 'tensorflow') throw new CropsError(`crops setup takes one target, 'tensorflow' (got ${positionals.join(' ') || 'none'})\n\n${SETUP_USAGE}`);
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

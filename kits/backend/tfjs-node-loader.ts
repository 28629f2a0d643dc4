/**
 * What the `tensorflow` and `tensorflow-gpu` backend plugins share: `@tensorflow/tfjs-node(-gpu)`
 * reaches libtensorflow through an N-API binding that the package's install script downloads. Where
 * that download cannot work, the package files stay without the binding and `crops setup tensorflow`
 * (kits/backend/native-setup.ts) builds it from PyPI's TensorFlow wheel instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { BackendLoader } from '../../src/extension-points/backend.ts';

const require = createRequire(import.meta.url);

export interface TfjsNodeLoaderOptions {
  /** the backend plugin's name */
  name: string;
  /** `@tensorflow/tfjs-node` or `@tensorflow/tfjs-node-gpu` */
  pkg: string;
  /** the `crops setup` arguments that build this package's binding, e.g. `tensorflow --gpu` */
  setupArgs: string;
  /** a further reason it cannot run here although its binding is there (no GPU visible) */
  obstacle?: () => Promise<string | undefined>;
  /** what it runs on besides the library version */
  describe?: () => Promise<string>;
}

/**
 * Why `pkg` cannot load its N-API binding, or undefined when the file is there; asked without loading
 * it, because a missing binding throws at import and a half-built one must not poison this process.
 */
export function missingNativeBinding(pkg: string): string | undefined {
  try {
    const packageJson = require.resolve(`${pkg}/package.json`);
    const nodePreGyp = createRequire(packageJson)('@mapbox/node-pre-gyp') as { find: (p: string) => string };
    const binding = nodePreGyp.find(packageJson);
    return existsSync(binding) ? undefined : `no ${binding}`;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

/** The libtensorflow version the active native backend loaded (a prebuilt download, or the wheel's), or undefined. */
export function loadedLibtensorflowVersion(): string | undefined {
  return (tf.backend() as { binding?: { TF_Version?: string } }).binding?.TF_Version;
}

/** The loader a tfjs-node plugin registers: both builds register under the TensorFlow.js name 'tensorflow'. */
export function tfjsNodeLoader(options: TfjsNodeLoaderOptions): BackendLoader {
  const setup = `npx crops setup ${options.setupArgs}`;
  return {
    name: options.name,
    tfjsName: 'tensorflow',
    packages: [options.pkg],
    installAlternative: `where that cannot download libtensorflow: ${setup}`,
    load: async () => {
      // TensorFlow's C++ logging (CPU feature notes at load) goes to stderr unless asked otherwise
      process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
      await import(options.pkg);
    },
    obstacle: async () => {
      const missing = missingNativeBinding(options.pkg);
      if (missing !== undefined) return `${options.pkg} is installed without its native binding (${missing}); build it with: ${setup}`;
      return options.obstacle?.();
    },
    describe: async () => {
      const version = loadedLibtensorflowVersion();
      return [version ? `libtensorflow ${version}` : '', (await options.describe?.()) ?? ''].filter(Boolean).join('; ');
    },
  };
}

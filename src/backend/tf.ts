/**
 * Chooses and loads TensorFlow.js backends without knowing any by name: each backend plugin
 * registers a {@link BackendLoader} (its packages and how they load) when its module is imported,
 * the way tfjs backends register their kernels. Everything else imports `@tensorflow/tfjs-core`
 * only, so unit tests and plugins stay backend-agnostic.
 */
import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from the kernels, and tfjs-core's own registration module is
// not loadable as Node ESM; the layers package registers them all on the shared tfjs-core instance.
import '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import type { BackendLoader } from '../extension-points/backend.ts';
import { noteBackendReads } from './reads.ts';

/** A backend plugin's name, e.g. `wasm`; any name a loader was registered under. */
export type BackendName = string;

export interface BackendProbe {
  name: BackendName;
  available: boolean;
  reason?: string;
}

const require = createRequire(import.meta.url);
const loaders = new Map<string, BackendLoader>();

/** Makes a backend loadable by name; called by backend plugin modules when they are imported. */
export function registerBackendLoader(loader: BackendLoader): BackendLoader {
  const existing = loaders.get(loader.name);
  if (existing && existing !== loader) throw new Error(`backend '${loader.name}' is registered twice; rename one of them`);
  loaders.set(loader.name, loader);
  return loader;
}

/** Names of every backend registered in this process. */
export function registeredBackends(): string[] {
  return [...loaders.keys()];
}

export function backendLoader(name: BackendName): BackendLoader {
  const loader = loaders.get(name);
  if (!loader) throw new Error(`backend '${name}' is not registered (registered: ${registeredBackends().join(', ') || 'none'}); import its plugin module first`);
  return loader;
}

/** The first of `packages` that does not resolve here, as a reason with the install command (and `alternative`, when given). */
export function missingPackage(packages: readonly string[], alternative?: string): string | undefined {
  for (const pkg of packages) {
    try {
      require.resolve(pkg);
    } catch {
      return `${pkg} is not installed (npm i ${pkg}${alternative ? `, or ${alternative}` : ''})`;
    }
  }
  return undefined;
}

/** `name version` of an installed package, or just the name when its version cannot be read. */
export function packageVersion(pkg: string): string {
  try {
    return `${pkg} ${(require(`${pkg}/package.json`) as { version: string }).version}`;
  } catch {
    return pkg;
  }
}

/** Whether a backend's packages can be loaded here, without registering it. */
export function probeBackend(name: BackendName): BackendProbe {
  const loader = backendLoader(name);
  const missing = missingPackage(loader.packages, loader.installAlternative);
  return missing === undefined ? { name, available: true } : { name, available: false, reason: missing };
}

/** Why `name` cannot run here (package missing, or its own obstacle), or undefined when loading is worth a try. */
export async function backendObstacle(name: BackendName): Promise<string | undefined> {
  const probe = probeBackend(name);
  if (!probe.available) return probe.reason;
  return backendLoader(name).obstacle?.();
}

/** Loads, registers and selects a backend; returns the backend tfjs reports as active. */
export async function activateBackend(name: BackendName): Promise<string> {
  const loader = backendLoader(name);
  const missing = missingPackage(loader.packages, loader.installAlternative);
  if (missing !== undefined) throw new Error(`backend '${name}' cannot load: ${missing}`);
  await loader.load();
  noteBackendReads(loader.tfjsName, loader.readsSync ?? true, loader.hostBackend, loader.launchBound ?? false);
  if (tf.getBackend() !== loader.tfjsName) {
    const ok = await tf.setBackend(loader.tfjsName);
    if (!ok) throw new Error(`backend '${name}' registered but failed to initialise`);
  }
  await tf.ready();
  return tf.getBackend();
}

export { tf };

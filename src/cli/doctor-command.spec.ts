import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BIN } from '../../test/support/cli.ts';
import { visibleNvidiaGpus } from '../../kits/backend/gpu.ts';
import { findWebGpuAdapter, NATIVE_ATTEMPTS } from '../../kits/backend/webgpu.ts';
import { missingNativeBinding } from '../../kits/backend/tfjs-node-loader.ts';
import { doctorBackends, formatDiagnosis, heldBackNote } from './doctor-command.ts';
import { main } from './main.ts';

const installed = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

/** `crops doctor` as a user runs it, in its own process: what it prints on stdout and on stderr. */
function doctor(): { code: number | null; lines: string[]; stderr: string } {
  const res = spawnSync(process.execPath, [BIN, 'doctor'], { encoding: 'utf8', timeout: 200_000 });
  return { code: res.status, lines: res.stdout.split('\n'), stderr: res.stderr };
}

/** tfjs-node counts as there only with its native binding (see `crops setup tensorflow`) */
const nativeReady = (pkg: string) => installed(pkg) && missingNativeBinding(pkg) === undefined;

describe('crops doctor', () => {
  it('reports every backend on this machine, with speed or the reason, and the one auto picks', async () => {
    const { code, lines, stderr } = doctor();
    expect(code).toBe(0);
    // only its own table: nothing on stderr (Dawn's limit warnings, written by native code, are held
    // back and summarised in one note line), no tfjs advice banner from the cpu backend's first use
    expect(stderr).toBe('');
    expect(lines.filter((l) => /looks like you are running TensorFlow\.js in Node\.js/.test(l))).toEqual([]);
    const own = /^(TensorFlow\.js backends on this machine \(node .*\):|(ok|--) {2}\S.*|backend: auto (picks|finds) .*|note: native libraries printed \d+ lines? on stderr while the backends loaded, held back here: ".*|)$/;
    expect(lines.filter((l) => !own.test(l))).toEqual([]);
    const rows = lines.filter((l) => /^(ok|--) {2}\S/.test(l));
    // the bundled backends, in the order of auto's candidates, then the rest
    expect(rows.map((l) => l.slice(4).split(/\s+/)[0])).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect((await doctorBackends()).chooser?.name).toBe('auto');
    const row = (name: string) => rows.find((l) => l.slice(4).startsWith(`${name} `))!;
    const gflops = (line: string) => Number(/matMul 512x512: ([\d.]+) GFLOP\/s$/.exec(line)?.[1]);

    // wasm and cpu are dependencies: they always load and get timed
    expect(row('wasm')).toMatch(/^ok {2}wasm +@tensorflow\/tfjs-backend-wasm 4\.\d+\.\d+; SIMD (yes|no), \d+ threads?; matMul/);
    expect(row('cpu')).toMatch(/^ok {2}cpu +@tensorflow\/tfjs-backend-cpu 4\./);
    expect(gflops(row('wasm'))).toBeGreaterThan(0);
    expect(gflops(row('cpu'))).toBeGreaterThan(0);

    if (!installed('@tensorflow/tfjs-node')) expect(row('tensorflow')).toMatch(/^-- {2}tensorflow +@tensorflow\/tfjs-node is not installed \(npm i @tensorflow\/tfjs-node, or .*crops setup tensorflow\)$/);
    else if (!nativeReady('@tensorflow/tfjs-node')) expect(row('tensorflow')).toMatch(/^-- {2}tensorflow +@tensorflow\/tfjs-node is installed without its native binding .*crops setup tensorflow$/);
    else {
      // the native backend: package and C library versions, and its measured speed
      expect(row('tensorflow')).toMatch(/^ok {2}tensorflow +@tensorflow\/tfjs-node 4\.\d+\.\d+; libtensorflow 2\.\d+\.\d+; matMul 512x512: [\d.]+ GFLOP\/s$/);
      expect(gflops(row('tensorflow'))).toBeGreaterThan(0);
    }
    if (!installed('@tensorflow/tfjs-node-gpu')) expect(row('tensorflow-gpu')).toMatch(/is not installed \(npm i @tensorflow\/tfjs-node-gpu, or .*crops setup tensorflow --gpu\)$/);
    else if (!nativeReady('@tensorflow/tfjs-node-gpu')) expect(row('tensorflow-gpu')).toMatch(/installed without its native binding .*crops setup tensorflow --gpu$/);
    else if (visibleNvidiaGpus() === 0) expect(row('tensorflow-gpu')).toMatch(/no NVIDIA GPU is visible/);

    const search = await findWebGpuAdapter();
    if (search.found) {
      expect(row('webgpu')).toContain(`ok  webgpu         @tensorflow/tfjs-backend-webgpu 4.`);
      expect(row('webgpu')).toContain(`adapter ${search.found.description} (`);
      expect(gflops(row('webgpu'))).toBeGreaterThan(0);
    } else {
      expect(row('webgpu')).toBe(`--  webgpu         ${search.reason}`);
    }

    const pick = lines.find((l) => l.startsWith('backend: auto picks '));
    const nativeGpu = nativeReady('@tensorflow/tfjs-node-gpu') && visibleNvidiaGpus() > 0;
    if (!nativeGpu && nativeReady('@tensorflow/tfjs-node')) expect(pick).toMatch(/^backend: auto picks tensorflow \(passed over: tensorflow-gpu: .*\)$/);
    const nativeTf = nativeReady('@tensorflow/tfjs-node') || nativeGpu;
    if (!nativeTf) {
      const native = await findWebGpuAdapter(NATIVE_ATTEMPTS);
      const expected = native.found && !native.found.software ? 'webgpu' : 'wasm';
      expect(pick).toMatch(new RegExp(`^backend: auto picks ${expected} \\(passed over: tensorflow-gpu: .*; tensorflow: .*\\)$`));
      if (expected === 'wasm') expect(pick).toContain(native.found ? '; webgpu: only a software adapter (' : `; webgpu: ${native.reason})`);
    }
  }, 240_000);

  it('marks a backend that does not load with its reason, and takes no arguments', async () => {
    expect(formatDiagnosis({ name: 'tensorflow', ok: false, details: 'installed, but does not load: libtensorflow.so.2: cannot open shared object file' })).toBe(
      '--  tensorflow     installed, but does not load: libtensorflow.so.2: cannot open shared object file',
    );
    expect(formatDiagnosis({ name: 'wasm', ok: true, details: 'x', gflops: 12.345 })).toBe('ok  wasm           x; matMul 512x512: 12 GFLOP/s');
    expect(heldBackNote(['Warning: a', 'Warning: a', 'Warning: b'])).toBe('note: native libraries printed 3 lines on stderr while the backends loaded, held back here: "Warning: a"; "Warning: b"');
    let err = '';
    expect(await main(['doctor', 'extra'], { out: () => {}, err: (s) => void (err += s) })).toBe(2);
    expect(err).toMatch(/crops doctor takes no arguments \(got extra\)/);
  });
});

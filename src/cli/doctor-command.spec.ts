import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { visibleNvidiaGpus } from '../../kits/backend/gpu.ts';
import { findWebGpuAdapter, NATIVE_ATTEMPTS } from '../../kits/backend/webgpu.ts';
import { doctorBackends, formatDiagnosis } from './doctor-command.ts';
import { main } from './main.ts';

const installed = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

async function doctor(): Promise<{ code: number; lines: string[] }> {
  let out = '';
  const code = await main(['doctor'], { out: (s) => void (out += s), err: () => {} });
  return { code, lines: out.split('\n') };
}

describe('crops doctor', () => {
  it('reports every backend on this machine, with speed or the reason, and the one auto picks', async () => {
    const { code, lines } = await doctor();
    expect(code).toBe(0);
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

    if (!installed('@tensorflow/tfjs-node')) expect(row('tensorflow')).toMatch(/^-- {2}tensorflow +@tensorflow\/tfjs-node is not installed \(npm i @tensorflow\/tfjs-node\)$/);
    if (!installed('@tensorflow/tfjs-node-gpu')) expect(row('tensorflow-gpu')).toMatch(/is not installed \(npm i @tensorflow\/tfjs-node-gpu\)$/);
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
    const nativeTf = installed('@tensorflow/tfjs-node') || (installed('@tensorflow/tfjs-node-gpu') && visibleNvidiaGpus() > 0);
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
    let err = '';
    expect(await main(['doctor', 'extra'], { out: () => {}, err: (s) => void (err += s) })).toBe(2);
    expect(err).toMatch(/Unexpected argument 'extra'/);
  });
});

/**
 * Performance bench: `npm run bench [-- --quick] [--only name[,name]] [--backend wasm,tensorflow,cpu] [--out file]`.
 * `mining-large` (minutes, several GB) runs only when named: `npm run bench -- --only mining-large --out bench/results-large.json`.
 * Prints a table and writes the figures with machine facts to bench/results.json (see bench/README.md).
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { activateBackend, backendObstacle, type BackendName } from '../src/backend/tf.ts';
// the bundled backends register their loaders when their plugin modules load; only those, so the tfjs
// subset runs from bench/gpu's pruned node_modules (the other plugins reach DuckDB)
import '../plugins/backend/auto-backend.ts';
import '../plugins/backend/cpu-backend.ts';
import { meetsTarget, type BenchContext, type Figure, type Measurement } from './common.ts';
import { lossAlone } from './loss.ts';
import { matmul } from './matmul.ts';
import { numpyFigures, numpyReference } from './numpy-reference.ts';
import { retrieval } from './retrieval.ts';
import { startup } from './startup.ts';
import { trainStep } from './train-step.ts';

/**
 * The data-engine and pretrained-tower measurements load DuckDB, the world generator or the
 * tokenizer only when they run, so the tfjs subset runs from a node_modules without them
 * (bench/gpu/ carries a pruned one to a GPU machine).
 */
function lazy(name: string, flags: { optIn: boolean; needsPeak?: boolean; backendIndependent?: boolean }, load: () => Promise<Measurement>): Measurement {
  const { optIn, needsPeak = false, backendIndependent = true } = flags;
  return { name, needsPeak, backendIndependent, optIn, run: async (ctx) => (await load()).run(ctx) };
}

const MEASUREMENTS: Measurement[] = [
  startup,
  matmul,
  trainStep,
  lossAlone,
  retrieval,
  lazy('world', { optIn: false }, async () => (await import('./world.ts')).worldGeneration),
  lazy('mining', { optIn: false }, async () => (await import('./mining.ts')).mining),
  lazy('mining-large', { optIn: true }, async () => (await import('./mining.ts')).miningLarge),
  lazy('pretrained-tower', { optIn: true, needsPeak: true, backendIndependent: false }, async () => (await import('./pretrained-tower.ts')).pretrainedTower),
];

function format(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString('en-US') : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => {
    const ok = meetsTarget(f);
    const target = f.target ? `${f.target.op} ${f.target.value}` : '';
    return [f.label, format(f.value), f.unit, target, ok === undefined || !Number.isFinite(f.value) ? '' : ok ? 'ok' : 'MISS', f.note ?? (f.relativeTo ? `vs ${f.relativeTo}` : '')];
  });
  const head = ['figure', 'value', 'unit', 'target', '', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** Per-backend copies of a figure: id `<backend>:<id>`, label prefixed, `relativeTo` kept within the backend. */
function forBackend(backend: string, f: Figure): Figure {
  return { ...f, id: `${backend}:${f.id}`, label: `[${backend}] ${f.label.replace(/^ +/, '')}`, ...(f.relativeTo ? { relativeTo: `${backend}:${f.relativeTo}` } : {}) };
}

/**
 * Figures that compare two backends of this run: the MiniLM step on the GPU against wasm on the
 * same machine, on the one shape both can run (the GPU target of bench/README.md).
 */
function acrossBackends(byBackend: Record<string, Figure[]>): Figure[] {
  const stepOf = (backend: string) => byBackend[backend]?.find((f) => f.id === `${backend}:pretrained.minilm.trainStepShortMs`);
  const [gpu, wasm] = [stepOf('webgpu'), stepOf('wasm')];
  if (!gpu || !wasm || !Number.isFinite(gpu.value) || !Number.isFinite(wasm.value)) return [];
  return [{ id: 'webgpu:pretrained.minilm.trainStepShortSpeedupOverWasm', label: '[webgpu] all-MiniLM-L6-v2 train step (items of 32 tokens), speed-up over wasm', value: wasm.value / gpu.value, unit: 'ratio', relativeTo: wasm.id, target: { op: '>=', value: 10 } }];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      backend: { type: 'string' },
      out: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) },
    },
  });
  const only = (values.only ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  const unknown = only.filter((name) => !MEASUREMENTS.some((m) => m.name === name));
  if (unknown.length > 0) {
    console.error(`unknown measurement(s) ${unknown.join(', ')}; choose from ${MEASUREMENTS.map((m) => m.name).join(', ')}`);
    return 2;
  }
  // default: wasm, and the native backend where `crops setup tensorflow` (or tfjs-node) made it loadable
  const backends = (values.backend ?? ((await backendObstacle('tensorflow')) === undefined ? 'wasm,tensorflow' : 'wasm')).split(',').filter(Boolean);
  const badBackend = backends.find((b) => !['wasm', 'cpu', 'tensorflow', 'webgpu'].includes(b));
  if (badBackend !== undefined || backends.length === 0) {
    console.error(`--backend takes wasm, cpu, tensorflow or webgpu, comma-separated, not ${values.backend}`);
    return 2;
  }
  const selected = MEASUREMENTS.filter((m) => (only.length === 0 ? !m.optIn : only.includes(m.name)));
  // fractions of peak need the peak, even when only those modules were asked for
  if (selected.some((m) => m.needsPeak) && !selected.includes(matmul)) selected.unshift(matmul);
  const quick = values.quick;
  const cpus = os.cpus();
  console.log(`bench: ${selected.map((m) => m.name).join(', ')} on ${backends.join(', ')}, ${cpus.length} cpus (${cpus[0]?.model ?? 'unknown'}), node ${process.version}${quick ? ', quick' : ''}`);
  const started = performance.now();
  const figures: Figure[] = [];
  const seconds: Record<string, number> = {};
  const tfjs: Record<string, unknown> = {};
  const byBackend: Record<string, Figure[]> = {};
  for (const [i, name] of backends.entries()) {
    const backend = await activateBackend(name as BackendName);
    tfjs[name] = { backend, version: tf.version_core, ...(backend === 'wasm' ? { wasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), wasmThreads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') } : {}) };
    const ctx: BenchContext = { quick, backend };
    byBackend[name] = [];
    for (const m of selected) {
      // data-engine measurements do not touch tfjs: once is enough
      if (m.backendIndependent && i > 0) continue;
      const t0 = performance.now();
      const measured = await m.run(ctx);
      const key = m.backendIndependent ? m.name : `${name}:${m.name}`;
      seconds[key] = (performance.now() - t0) / 1000;
      console.log(`  ${key} done in ${seconds[key]!.toFixed(1)} s`);
      if (m.backendIndependent) figures.push(...measured);
      else byBackend[name]!.push(...measured.map((f) => forBackend(name, f)));
    }
    figures.push(...byBackend[name]!);
  }
  figures.push(...acrossBackends(byBackend));
  let numpy: Awaited<ReturnType<typeof numpyReference>> | undefined;
  if (selected.some((m) => ['matmul', 'train', 'retrieval'].includes(m.name))) {
    const t0 = performance.now();
    numpy = await numpyReference(quick);
    seconds.numpy = (performance.now() - t0) / 1000;
    console.log(`  numpy reference done in ${seconds.numpy.toFixed(1)} s`);
    figures.push(...numpyFigures(numpy, byBackend));
  }
  console.log('');
  printTable(figures);
  const totalS = (performance.now() - started) / 1000;
  console.log(`\ntotal ${totalS.toFixed(1)} s`);
  const results = {
    timestamp: new Date().toISOString(),
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model, totalMemoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), platform: `${os.platform()} ${os.arch()}`, node: process.version, loadAverage: os.loadavg().map((l) => +l.toFixed(1)) },
    tfjs,
    numpy: numpy && !('skipped' in numpy) ? { python: numpy.python, version: numpy.numpy, threadpools: numpy.threadpools, unsetForReference: Object.keys(numpy.unset), step: numpy.step } : numpy,
    options: { quick, only: selected.map((m) => m.name), backends },
    seconds: { ...seconds, total: totalS },
    figures: figures.map((f) => ({ ...f, value: Number.isFinite(f.value) ? f.value : null, meetsTarget: Number.isFinite(f.value) ? meetsTarget(f) : undefined })),
  };
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${values.out}`);
  return 0;
}

process.exitCode = await main();

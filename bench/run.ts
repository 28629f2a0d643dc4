/**
 * Performance bench: `npm run bench [-- --quick] [--only name[,name]] [--backend wasm|cpu] [--out file]`.
 * `mining-large` (minutes, several GB) runs only when named: `npm run bench -- --only mining-large --out bench/results-large.json`.
 * Prints a table and writes the figures with machine facts to bench/results.json (see bench/README.md).
 */
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { activateBackend, type BackendName } from '../src/backend/tf.ts';
// the bundled backends register their loaders when their plugin modules load
import '../plugins/index.ts';
import { meetsTarget, type BenchContext, type Figure, type Measurement } from './common.ts';
import { lossAlone } from './loss.ts';
import { matmul } from './matmul.ts';
import { mining, miningLarge } from './mining.ts';
import { retrieval } from './retrieval.ts';
import { trainStep } from './train-step.ts';
import { worldGeneration } from './world.ts';

const MEASUREMENTS: Measurement[] = [matmul, trainStep, lossAlone, retrieval, worldGeneration, mining, miningLarge];

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

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'wasm' },
      out: { type: 'string', default: fileURLToPath(new URL('./results.json', import.meta.url)) },
    },
  });
  const only = (values.only ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  const unknown = only.filter((name) => !MEASUREMENTS.some((m) => m.name === name));
  if (unknown.length > 0) {
    console.error(`unknown measurement(s) ${unknown.join(', ')}; choose from ${MEASUREMENTS.map((m) => m.name).join(', ')}`);
    return 2;
  }
  if (values.backend !== 'wasm' && values.backend !== 'cpu') {
    console.error(`--backend must be wasm or cpu, not ${values.backend}`);
    return 2;
  }
  const backend = await activateBackend(values.backend as BackendName);
  const selected = MEASUREMENTS.filter((m) => (only.length === 0 ? !m.optIn : only.includes(m.name)));
  // fractions of peak need the peak, even when only those modules were asked for
  if (selected.some((m) => m.needsPeak) && !selected.includes(matmul)) selected.unshift(matmul);
  const ctx: BenchContext = { quick: values.quick, backend };
  const cpus = os.cpus();
  console.log(`bench: ${selected.map((m) => m.name).join(', ')} on ${backend}, ${cpus.length} cpus (${cpus[0]?.model ?? 'unknown'}), node ${process.version}${ctx.quick ? ', quick' : ''}`);
  const started = performance.now();
  const figures: Figure[] = [];
  const seconds: Record<string, number> = {};
  for (const m of selected) {
    const t0 = performance.now();
    figures.push(...(await m.run(ctx)));
    seconds[m.name] = (performance.now() - t0) / 1000;
    console.log(`  ${m.name} done in ${seconds[m.name]!.toFixed(1)} s`);
  }
  console.log('');
  printTable(figures);
  const totalS = (performance.now() - started) / 1000;
  console.log(`\ntotal ${totalS.toFixed(1)} s`);
  const results = {
    timestamp: new Date().toISOString(),
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model, totalMemoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), platform: `${os.platform()} ${os.arch()}`, node: process.version },
    tfjs: { backend, version: tf.version_core, ...(backend === 'wasm' ? { wasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), wasmThreads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') } : {}) },
    options: { quick: ctx.quick, only: selected.map((m) => m.name) },
    seconds: { ...seconds, total: totalS },
    figures: figures.map((f) => ({ ...f, value: Number.isFinite(f.value) ? f.value : null, meetsTarget: Number.isFinite(f.value) ? meetsTarget(f) : undefined })),
  };
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${values.out}`);
  return 0;
}

process.exitCode = await main();

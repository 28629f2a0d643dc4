import * as tf from '@tensorflow/tfjs-core';
import { diagnoseBackend, type BackendDiagnosis } from '../backend/diagnose.ts';
import type { BackendName } from '../backend/tf.ts';
import autoBackend, { AutoBackend } from '../../plugins/backend/auto-backend.ts';
import type { Io } from './main.ts';

/** Backends in the order `crops doctor` reports them: fastest kind first. */
export const DOCTOR_BACKENDS: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/** One line per backend: `ok`/`--`, its name, then details and speed, or the reason it does not load. */
export function formatDiagnosis(d: BackendDiagnosis): string {
  const speed = d.gflops === undefined ? '' : `; matMul 512x512: ${d.gflops >= 10 ? d.gflops.toFixed(0) : d.gflops.toPrecision(2)} GFLOP/s`;
  return `${d.ok ? 'ok' : '--'}  ${d.name.padEnd(15)}${d.details}${speed}`;
}

/**
 * `crops doctor`: tries every backend on this machine (each is loaded and timed on a 512×512 matMul),
 * then names the one `backend: auto` would pick with its default order and why the ones before it lose.
 */
export async function doctorCommand(io: Io): Promise<number> {
  // the table is the whole output: tfjs's console advice (the "Hi, looks like you are running
  // TensorFlow.js in Node.js" banner of the cpu backend) goes through its log, which PROD turns off
  tf.env().set('PROD', true);
  io.out(`TensorFlow.js backends on this machine (node ${process.version}, ${process.platform}-${process.arch}):\n`);
  const results = new Map<BackendName, BackendDiagnosis>();
  for (const name of DOCTOR_BACKENDS) {
    const diagnosis =
      name === 'tensorflow' && results.get('tensorflow-gpu')?.ok
        ? { name, ok: false, details: 'not tried: tensorflow-gpu loaded, and both register as TensorFlow.js backend "tensorflow"' }
        : await diagnoseBackend(name);
    results.set(name, diagnosis);
    io.out(`${formatDiagnosis(diagnosis)}\n`);
  }
  const params = autoBackend.schema.parse({});
  const auto = new AutoBackend(params);
  const passedOver: string[] = [];
  for (const name of params.order) {
    const why = (await auto.obstacle(name)) ?? (results.get(name)?.ok === false ? results.get(name)!.details : undefined);
    if (why === undefined) {
      io.out(`\nbackend: auto picks ${name}${passedOver.length ? ` (passed over: ${passedOver.join('; ')})` : ''}\n`);
      return 0;
    }
    passedOver.push(`${name}: ${why}`);
  }
  io.out(`\nbackend: auto finds no usable backend among ${params.order.join(', ')} (${passedOver.join('; ')})\n`);
  return 1;
}

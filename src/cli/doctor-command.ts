import * as tf from '@tensorflow/tfjs-core';
import { Container } from 'inversify';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { diagnoseBackend, type BackendDiagnosis } from '../backend/diagnose.ts';
import type { PluginRegistry } from '../core/registry.ts';
import { Rng } from '../core/rng.ts';
import type { Backend } from '../extension-points/backend.ts';
import { PluginFactory } from '../runner/plugin-factory.ts';
import { forkArgs } from '../runner/worker-pool.ts';
import type { Io } from './io.ts';
import { DOCTOR_ENTRY } from './worker-entry.ts';

/** One line per backend: `ok`/`--`, its name, then details and speed, or the reason it does not load. */
export function formatDiagnosis(d: BackendDiagnosis): string {
  const speed = d.gflops === undefined ? '' : `; matMul 512x512: ${d.gflops >= 10 ? d.gflops.toFixed(0) : d.gflops.toPrecision(2)} GFLOP/s`;
  return `${d.ok ? 'ok' : '--'}  ${d.name.padEnd(15)}${d.details}${speed}`;
}

/**
 * The backend plugins of the registry with default params, in the order `crops doctor` reports
 * them: the candidates of the first chooser (`auto`) best first, then the rest by name. Choosers
 * themselves are not diagnosed; their choice is reported after the others.
 */
export async function doctorBackends(
  pluginFiles: string[] = [],
  given?: PluginRegistry,
): Promise<{ backends: Array<{ name: string; backend: Backend }>; chooser?: { name: string; backend: Backend } }> {
  // the full registry reaches every bundled plugin and with them DuckDB, which bench/gpu's pruned
  // node_modules leaves out: it passes a registry of the backend plugins instead
  const registry = given ?? (await (await import('./registry.ts')).buildRegistry(pluginFiles));
  const factory = new PluginFactory(new Container(), { registry, rng: new Rng(1), cacheRoot: resolve('.crops-cache'), logLevel: 'silent' });
  const all = registry.names('backend').map((name) => ({ name, backend: factory.createChecked<Backend>('backend', { use: name, params: {} }, 'backend') }));
  const chooser = all.find((b) => b.backend.candidates);
  const single = all.filter((b) => !b.backend.candidates);
  const preferred = chooser?.backend.candidates!() ?? [];
  const rank = (name: string) => (preferred.includes(name) ? preferred.indexOf(name) : preferred.length);
  const backends = [...single].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  return chooser ? { backends, chooser } : { backends };
}

/**
 * `crops doctor`: tries every backend plugin on this machine (each is loaded and timed on a 512×512
 * matMul), then names the one `backend: auto` would pick with its default order and why the ones
 * before it lose.
 *
 * The output is the table only. Native libraries write to file descriptor 2 behind Node's back (Dawn
 * warns that it lowered two limits of a software adapter), which no JavaScript hook can catch, so the
 * probes run in a child process whose stderr is read here and summarised in one line of the table.
 * With a `registry` of its own (bench/gpu) the probes run in this process instead.
 */
export async function doctorCommand(io: Io, registry?: PluginRegistry): Promise<number> {
  if (registry) return doctorTable(io, registry);
  const [script, args] = forkArgs(DOCTOR_ENTRY);
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (s: string) => io.out(s));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => void (stderr += s));
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  const held = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  if (code === 0 || code === 1) {
    if (held.length > 0) io.out(`\n${heldBackNote(held)}\n`);
    return code;
  }
  // the probe process died (a native crash, say): what it printed is then the explanation
  io.err(`${stderr}${stderr.endsWith('\n') || !stderr ? '' : '\n'}`);
  io.err(`error crops doctor: the process probing the backends ended with ${signal ? `signal ${signal}` : `exit code ${code}`} before the table was complete\n`);
  return 1;
}

/** One line for what native libraries printed during the probes: how many lines, and the distinct ones, shortened. */
export function heldBackNote(lines: string[]): string {
  const distinct = [...new Set(lines)];
  const shown = distinct.slice(0, 3).map((l) => `"${l.length > 120 ? `${l.slice(0, 119)}…` : l}"`);
  const more = distinct.length > shown.length ? ` and ${distinct.length - shown.length} more` : '';
  return `note: native libraries printed ${lines.length} line${lines.length === 1 ? '' : 's'} on stderr while the backends loaded, held back here: ${shown.join('; ')}${more}`;
}

/** The table of {@link doctorCommand}, probed in this process; returns its exit code. */
export async function doctorTable(io: Io, registry?: PluginRegistry): Promise<number> {
  // the table is the whole output: tfjs's console advice (the "Hi, looks like you are running
  // TensorFlow.js in Node.js" banner of the cpu backend) goes through its log, which PROD turns off
  tf.env().set('PROD', true);
  io.out(`TensorFlow.js backends on this machine (node ${process.version}, ${process.platform}-${process.arch}):\n`);
  const { backends, chooser } = await doctorBackends([], registry);
  const results = new Map<string, BackendDiagnosis>();
  // TensorFlow.js name -> the plugin that loaded under it; a second one of that name cannot be tried
  const loadedAs = new Map<string, string>();
  for (const { name, backend } of backends) {
    const first = backend.tfjsName === undefined ? undefined : loadedAs.get(backend.tfjsName);
    const diagnosis =
      first !== undefined
        ? { name, ok: false, details: `not tried: ${first} loaded, and both register as TensorFlow.js backend "${backend.tfjsName}"` }
        : await diagnoseBackend(name, backend);
    if (diagnosis.ok && backend.tfjsName !== undefined) loadedAs.set(backend.tfjsName, name);
    results.set(name, diagnosis);
    io.out(`${formatDiagnosis(diagnosis)}\n`);
  }
  if (!chooser) return 0;
  const order = chooser.backend.candidates!();
  const passedOver: string[] = [];
  for (const name of order) {
    const why = (await chooser.backend.passOver?.(name)) ?? (results.get(name)?.ok === false ? results.get(name)!.details : undefined);
    if (why === undefined) {
      io.out(`\nbackend: ${chooser.name} picks ${name}${passedOver.length ? ` (passed over: ${passedOver.join('; ')})` : ''}\n`);
      return 0;
    }
    passedOver.push(`${name}: ${why}`);
  }
  io.out(`\nbackend: ${chooser.name} finds no usable backend among ${order.join(', ')} (${passedOver.join('; ')})\n`);
  return 1;
}

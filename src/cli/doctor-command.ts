import { Container } from 'inversify';
import { resolve } from 'node:path';
import { diagnoseBackend, type BackendDiagnosis } from '../backend/diagnose.ts';
import { Rng } from '../core/rng.ts';
import type { Backend } from '../extension-points/backend.ts';
import { PluginFactory } from '../runner/plugin-factory.ts';
import type { Io } from './io.ts';
import { buildRegistry } from './registry.ts';

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
export async function doctorBackends(pluginFiles: string[] = []): Promise<{ backends: Array<{ name: string; backend: Backend }>; chooser?: { name: string; backend: Backend } }> {
  const registry = await buildRegistry(pluginFiles);
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
 */
export async function doctorCommand(io: Io): Promise<number> {
  io.out(`TensorFlow.js backends on this machine (node ${process.version}, ${process.platform}-${process.arch}):\n`);
  const { backends, chooser } = await doctorBackends();
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

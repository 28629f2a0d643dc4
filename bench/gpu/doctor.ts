/**
 * `crops doctor` without the rest of the CLI: the full plugin registry reaches DuckDB and the report
 * renderer, which the pruned node_modules of bench/gpu leaves out, so this one holds the bundled
 * backend plugins only.
 */
import 'reflect-metadata';
import autoBackend from '../../plugins/backend/auto-backend.ts';
import cpuBackend from '../../plugins/backend/cpu-backend.ts';
import tensorflowBackend from '../../plugins/backend/tensorflow-backend.ts';
import tensorflowGpuBackend from '../../plugins/backend/tensorflow-gpu-backend.ts';
import wasmBackend from '../../plugins/backend/wasm-backend.ts';
import webgpuBackend from '../../plugins/backend/webgpu-backend.ts';
import { doctorCommand } from '../../src/cli/doctor-command.ts';
import { PluginRegistry } from '../../src/core/registry.ts';

const registry = new PluginRegistry();
for (const d of [autoBackend, cpuBackend, tensorflowBackend, tensorflowGpuBackend, wasmBackend, webgpuBackend]) registry.register(d, 'crops-lab');
process.exitCode = await doctorCommand({ out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }, registry);

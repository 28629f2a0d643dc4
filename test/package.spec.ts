// The package as users get it: `npm pack` (which builds dist/ through `prepare`), installed into a fresh
// project from the tarball, then used there three ways: the `crops` binary on a copy of the quickstart,
// a plain-JavaScript ESM script through the API (with a plain-JS plugin without decorators), and a strict
// NodeNext TypeScript consumer type-checked against the shipped declarations.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

function run(cmd: string, args: string[], cwd: string, timeout = 240_000) {
  const res = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, MLFLOW_TRACKING_URI: '', npm_config_update_notifier: 'false' } });
  return { status: res.status, out: res.stdout ?? '', err: res.stderr ?? '', all: `${res.stdout}\n${res.stderr}` };
}

const CONSUMER_SCRIPT = `
import { runSweep, validateExperiment, createRegistry, definePlugin, PluginParams, PLUGIN_KINDS, z } from 'crops-lab';
import { tokenize } from 'crops-lab/kits/text/tokenize';


// a plain-JS plugin: no decorators; registering it wires the constructor from its inject list
class ScaledRetriever {
  constructor(params) { this.params = params; }
}
const scaled = definePlugin({
  kind: 'retriever', name: 'consumer-probe', summary: 'registration probe', schema: z.object({}).strict(),
  implementation: ScaledRetriever, inject: [PluginParams],
});
const registry = await createRegistry({ plugins: [scaled] });
if (!registry.has('retriever', 'consumer-probe') || !registry.has('loss', 'h-info-nce')) throw new Error('registry is missing plugins');

const bad = await validateExperiment({ extends: './_base/tiny-world.yaml', loss: 'infonce' });
if (bad.experiment || !bad.diagnostics.some((d) => /did you mean 'info-nce'/.test(d.message))) throw new Error('misspelled loss not reported: ' + JSON.stringify(bad.diagnostics));

const outcome = await runSweep({
  extends: './_base/tiny-world.yaml',
  name: 'api-sweep',
  train: { steps: 20 },
  tracker: 'none',
}, { sweeps: ['loss=info-nce,h-info-nce'] });
console.log(JSON.stringify({
  kinds: PLUGIN_KINDS.length,
  tokens: tokenize('Dense retrieval, two towers'),
  trials: outcome.results.map((r) => [r.trial.id, r.status, Object.keys(r.metrics).length]),
  runIds: outcome.runIds,
  backend: outcome.backend,
}));
`;

const CONSUMER_TS = `
import { createRegistry, definePlugin, loadExperiment, runSweep, PluginParams, Tracker, z, type Experiment, type SweepOutcome, type PluginDescriptor } from 'crops-lab';
import { Bm25Index } from 'crops-lab/kits/text/bm25-index';


class NoopLoss {
  constructor(readonly params: { weight: number }) {}
}
const schema = z.object({ weight: z.number().default(1) }).strict();
export const noop: PluginDescriptor = definePlugin({ kind: 'loss', name: 'noop', summary: 'typed consumer', schema, implementation: NoopLoss, inject: [PluginParams] });

export async function main(): Promise<number> {
  const registry = await createRegistry({ plugins: [noop] });
  const experiment: Experiment = await loadExperiment('quickstart.yaml', { registry, sets: ['train.steps=10'] });
  const outcome: SweepOutcome = await runSweep(experiment.file, { only: 'hla', force: true, parallel: 1 });
  const token: symbol = Tracker;
  const kit: typeof Bm25Index = Bm25Index;
  return outcome.results.length + experiment.trials.length + (typeof token === 'symbol' ? 0 : 1) + (kit.name ? 0 : 1);
}
`;

describe('the npm package, packed and installed into a fresh project', () => {
  const work = mkdtempSync(join(tmpdir(), 'crops-pack-'));
  const app = join(work, 'app');
  let files: string[] = [];

  beforeAll(() => {
    // `npm pack` runs `prepare`, which builds dist/ from the current sources
    const packed = run(NPM, ['pack', '--pack-destination', work, '--json'], ROOT);
    expect(packed.status, packed.all).toBe(0);
    const [info] = JSON.parse(packed.out.slice(packed.out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info!.files.map((f) => f.path);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // the tarball's dependencies are the project's, so the npm cache already holds them
    const installed = run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info!.filename)], app, 300_000);
    expect(installed.status, installed.all).toBe(0);
    cpSync(join(ROOT, 'experiments/quickstart.yaml'), join(app, 'quickstart.yaml'));
    cpSync(join(ROOT, 'experiments/_base'), join(app, '_base'), { recursive: true });
  }, 420_000);

  it('ships the build, the binary, docs and examples, and nothing of the development tree', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/crops.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'experiments/quickstart.yaml', 'README.md']));
    // runtime assets next to their compiled modules
    expect(files).toContain('dist/plugins/positive-source/llm-knowledge/prompt.md');
    expect(files).toContain('dist/src/config/slot-defaults.yaml');
    // the plugin kits, compiled, for external plugin authors (`crops-lab/kits/...`)
    expect(files).toEqual(expect.arrayContaining(['dist/kits/text/tokenize.js', 'dist/kits/text/tokenize.d.ts', 'dist/kits/loss/temperature-loss.js']));
    for (const f of files) {
      expect(f).not.toMatch(/^(test|bench|\.ci|src|kits|plugins|scripts)\//);
      expect(f).not.toMatch(/\.spec\.|tsbuildinfo|bin\/run-ts\.js|bin\/crops-dev\.js/);
    }
    expect(readdirSync(join(app, 'node_modules'))).not.toContain('tsx');
  });

  it('runs the quickstart with npx crops, in parallel worker processes of the compiled code', { timeout: 300_000 }, () => {
    const help = run('npx', ['crops', 'run', '--help'], app);
    expect(help.status, help.all).toBe(0);
    expect(help.out).toMatch(/--sweep key=a,b/);
    const res = run('npx', ['crops', 'run', 'quickstart.yaml', '--parallel', '2', '--set', 'train.steps=40'], app, 280_000);
    expect(res.status, res.all).toBe(0);
    expect(res.out).toMatch(/labelScheme=binary,loss=info-nce\s+\d/);
    expect(res.out).toMatch(/labelScheme=hla,loss=h-info-nce\s+\d/);
    expect(res.out).toContain(`runs written to ${join(app, 'mlruns')}`);
  });

  it('runs a sweep from plain JavaScript through the API, with a plugin written without decorators', { timeout: 300_000 }, () => {
    writeFileSync(join(app, 'sweep.mjs'), CONSUMER_SCRIPT);
    const res = run(process.execPath, ['sweep.mjs'], app, 280_000);
    expect(res.status, res.all).toBe(0);
    const result = JSON.parse(res.out.trim().split('\n').at(-1)!) as { kinds: number; tokens: string[]; trials: Array<[string, string, number]>; runIds: Record<string, string | undefined> };
    expect(result.kinds).toBe(12);
    expect(result.tokens).toEqual(['dense', 'retrieval', 'two', 'towers']);
    expect(result.trials).toEqual([
      ['loss=info-nce', 'FINISHED', 3],
      ['loss=h-info-nce', 'FINISHED', 3],
    ]);
    expect(Object.keys(result.runIds)).toEqual(['loss=info-nce', 'loss=h-info-nce']);
  });

  it('type-checks a strict NodeNext TypeScript consumer with no errors', { timeout: 120_000 }, () => {
    writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
    // a Node project has @types/node; the project's copy serves, linked rather than downloaded
    const nodeTypes = join(app, 'node_modules/@types/node');
    if (!existsSync(nodeTypes)) symlinkSync(join(ROOT, 'node_modules/@types/node'), nodeTypes, 'dir');
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    const res = run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    expect(res.all.trim()).toBe('');
    expect(res.status).toBe(0);
  });

  it('answers --help and loads JavaScript plugins without a TypeScript loader; a .ts plugin says what it needs', () => {
    const out = execFileSync(process.execPath, [join(app, 'node_modules/crops-lab/bin/crops.js'), '--help'], { cwd: app, encoding: 'utf8' });
    expect(out).toMatch(/completion\s+print a shell completion script/);
    const plugin = `import { definePlugin, PluginParams, z } from 'crops-lab';\nclass Probe { constructor(p) { this.p = p; } }\nexport default definePlugin({ kind: 'loss', name: 'probe-loss', summary: 'a plain-JS probe', schema: z.object({}).strict(), implementation: Probe, inject: [PluginParams] });\n`;
    writeFileSync(join(app, 'probe.js'), plugin);
    const listed = run('npx', ['crops', 'plugins', 'loss', '--plugin', './probe.js'], app);
    expect(listed.status, listed.all).toBe(0);
    expect(listed.out).toContain('probe-loss');
    writeFileSync(join(app, 'probe.ts'), plugin);
    const ts = run('npx', ['crops', 'plugins', 'loss', '--plugin', './probe.ts'], app);
    expect(ts.status).toBe(2);
    expect(ts.err).toContain('a TypeScript plugin file needs the tsx package');
  });
});

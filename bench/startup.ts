import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, type BenchContext, type Figure, type Measurement } from './common.ts';

const BIN = fileURLToPath(new URL('../bin/crops.js', import.meta.url));
const BIN_DEV = fileURLToPath(new URL('../bin/crops-dev.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));

/** Median wall time in ms of a fresh `node ...args` process, after one untimed start (disk cache). */
function processMs(args: string[], runs: number): number {
  const once = () => {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - t0;
    if (res.status !== 0) throw new Error(`node ${args.join(' ')} exited ${res.status}: ${res.stderr.toString().slice(0, 300)}`);
    return ms;
  };
  once();
  return median(Array.from({ length: runs }, once));
}

/**
 * Start-up of the command line: `crops --help` and `crops run --help` as ratios to a bare `node -e 0`
 * measured in the same run, so the figures carry over between machines. Help loads no command module
 * (no TensorFlow.js, DuckDB, vega or plugins). The compiled binary needs `npm run build` first.
 */
export const startup: Measurement = {
  name: 'startup',
  needsPeak: false,
  async run(ctx: BenchContext): Promise<Figure[]> {
    const runs = ctx.quick ? 5 : 15;
    const node = processMs(['-e', '0'], runs);
    const figures: Figure[] = [{ id: 'startup.node.ms', label: 'node -e 0 (reference)', value: node, unit: 'ms', note: `median of ${runs} starts` }];
    if (!existsSync(BUILT)) {
      for (const [id, label] of [['help', 'crops --help'], ['runHelp', 'crops run --help']]) {
        figures.push({ id: `startup.${id}.ratio`, label, value: Number.NaN, unit: 'x node', relativeTo: 'startup.node.ms', note: 'not built: run npm run build' });
      }
      return figures;
    }
    const help = processMs([BIN, '--help'], runs);
    const runHelp = processMs([BIN, 'run', '--help'], runs);
    const devHelp = processMs([BIN_DEV, '--help'], Math.max(3, runs >> 2));
    figures.push(
      { id: 'startup.help.ms', label: 'crops --help', value: help, unit: 'ms', target: { op: '<=', value: 500 } },
      { id: 'startup.help.ratio', label: '  as a ratio to node -e 0', value: help / node, unit: 'x', relativeTo: 'startup.node.ms' },
      { id: 'startup.runHelp.ms', label: 'crops run --help', value: runHelp, unit: 'ms', target: { op: '<=', value: 500 } },
      { id: 'startup.runHelp.ratio', label: '  as a ratio to node -e 0', value: runHelp / node, unit: 'x', relativeTo: 'startup.node.ms' },
      { id: 'startup.devHelp.ratio', label: 'crops-dev --help (sources through tsx)', value: devHelp / node, unit: 'x', relativeTo: 'startup.node.ms', note: 'development entry, for comparison' },
    );
    return figures;
  },
};

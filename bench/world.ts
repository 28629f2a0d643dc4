import datasetPlugin from '../plugins/dataset/synthetic-world-dataset.ts';
import { instantiate } from '../test/support/instantiate.ts';
import type { BenchContext, Figure, Measurement } from './common.ts';

export const worldGeneration: Measurement = {
  name: 'world',
  backendIndependent: true,
  needsPeak: false,
  async run(_ctx: BenchContext): Promise<Figure[]> {
    const dataset = instantiate(datasetPlugin, { preset: 'tiny' });
    const t0 = performance.now();
    const store = await dataset.load();
    const seconds = (performance.now() - t0) / 1000;
    const splitRows = (s: typeof store.train) => s.sessions.length + s.impressions.length + s.recInteractions.length;
    const rows = splitRows(store.train) + splitRows(store.test) + store.judgments.length;
    return [
      { id: 'world.tiny.seconds', label: `synthetic-world tiny (${store.items.length} items)`, value: seconds, unit: 's', note: 'world entities and both days of logs' },
      { id: 'world.tiny.rowsPerSecond', label: `  log rows generated (${rows})`, value: rows / seconds, unit: 'rows/s', note: 'sessions + impressions + feed interactions + judgments' },
    ];
  },
};

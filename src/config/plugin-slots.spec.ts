import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLUGIN_KINDS } from '../core/plugin.ts';
import { buildRegistry } from '../cli/registry.ts';
import { PLUGIN_SLOTS, readSlotDefaults, SLOT_DEFAULTS } from './plugin-slots.ts';

describe('plugin slots', () => {
  it('are every kind but metric, which is named in eval.metrics', () => {
    expect(Object.keys(PLUGIN_SLOTS)).toEqual(PLUGIN_KINDS.filter((k) => k !== 'metric'));
    expect(PLUGIN_SLOTS.positiveSource).toEqual({ kind: 'positiveSource', list: true });
    expect(PLUGIN_SLOTS.llm).toEqual({ kind: 'llm', list: false, optional: true });
  });

  it('default, from the shipped YAML base, to plugins the bundled registry has', async () => {
    const registry = await buildRegistry();
    expect(Object.keys(SLOT_DEFAULTS).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(SLOT_DEFAULTS)) {
      const names = Array.isArray(value) ? value : [value];
      for (const name of names) expect(registry.has(PLUGIN_SLOTS[key]!.kind, name as string), `${key}: ${String(name)}`).toBe(true);
    }
    expect(SLOT_DEFAULTS.backend).toBe('auto');
  });

  it('refuse a defaults file with a key that is not a slot', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'crops-slots-')), 'defaults.yaml');
    writeFileSync(file, 'loss: info-nce\nmetric: recall\n');
    expect(() => readSlotDefaults(file)).toThrow(/'metric' is not a plugin slot/);
  });
});

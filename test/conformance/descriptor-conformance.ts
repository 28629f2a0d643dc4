import { expect, it } from 'vitest';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import { PLUGIN_KINDS } from '../../src/core/plugin.ts';

/** Checks every plugin descriptor must pass, whatever its kind. */
export function descriptorChecks(descriptor: PluginDescriptor): void {
  it('has a kebab-case name, a known kind and a one-line summary', () => {
    expect(descriptor.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(PLUGIN_KINDS).toContain(descriptor.kind);
    expect(descriptor.summary.length).toBeGreaterThan(10);
    expect(descriptor.summary).not.toContain('\n');
  });

  it('params schema accepts {} (every field defaulted) and rejects unknown keys', () => {
    expect(descriptor.schema.safeParse({}).success).toBe(true);
    const res = descriptor.schema.safeParse({ surelyNotAParam: 1 });
    expect(res.success).toBe(false);
  });

  it('documents every param', () => {
    const shape = (descriptor.schema as unknown as { shape?: Record<string, { description?: string }> }).shape ?? {};
    for (const [key, field] of Object.entries(shape)) expect(field.description, `param ${key} lacks .describe()`).toBeTruthy();
  });
}

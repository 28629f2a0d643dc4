import { Container, inject, injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin } from '../core/plugin.ts';
import { PluginRegistry } from '../core/registry.ts';
import { Rng } from '../core/rng.ts';
import { PluginCreator, PluginParams } from '../core/services.ts';
import { PluginFactory } from './plugin-factory.ts';

@injectable()
class Widget {
  constructor(@inject(PluginParams) readonly params: { size: number }) {}
}

@injectable()
class Builder {
  constructor(@inject(PluginCreator) readonly create: PluginCreator) {}
}

function factory(): PluginFactory {
  const registry = new PluginRegistry();
  registry.register(definePlugin({ kind: 'encoder', name: 'widget', summary: 'a sized widget', schema: z.object({ size: z.number().int().positive().default(3) }).strict(), implementation: Widget }));
  registry.register(definePlugin({ kind: 'discriminator', name: 'builder', summary: 'builds widgets', schema: z.object({}).strict(), implementation: Builder }));
  return new PluginFactory(new Container(), { registry, rng: new Rng(1), cacheRoot: '/tmp/crops-factory-spec', logLevel: 'silent' });
}

describe('PluginCreator', () => {
  it('lets a plugin build another one at run time, with params validated and defaulted', () => {
    const builder = factory().create<Builder>('discriminator', { use: 'builder', params: {} });
    expect(builder.create<Widget>('encoder', { use: 'widget', params: {} }, 'test').params).toEqual({ size: 3 });
    expect(builder.create<Widget>('encoder', { use: 'widget', params: { size: 8 } }, 'test').params).toEqual({ size: 8 });
    expect(() => builder.create('encoder', { use: 'widget', params: { size: -1 } }, 'discriminator.teacher')).toThrow(/encoder 'widget' \(for discriminator.teacher\) got invalid params: size: /);
    expect(() => builder.create('encoder', { use: 'widgit', params: {} }, 'test')).toThrow(/widgit/);
  });
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PluginDescriptor } from '../../src/core/plugin.ts';
import type { Backend } from '../../src/extension-points/backend.ts';
import type { Tracker } from '../../src/extension-points/tracker.ts';
import { instantiate } from '../support/instantiate.ts';
import { descriptorChecks } from './descriptor-conformance.ts';

/**
 * Every tracker: a parent and a child run round-trip, finished runs are found by config hash with
 * their latest metrics, and an unfinished run is never offered for resume.
 */
export function describeTrackerConformance(descriptor: PluginDescriptor, makeParams: (dir: string) => unknown = () => ({})): void {
  describe(`tracker conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);
    it('records runs and offers only finished ones for resume', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'crops-tracker-'));
      const tracker = instantiate<Tracker>(descriptor as PluginDescriptor<never, Tracker>, makeParams(dir));
      const parent = await tracker.startRun({ experimentName: 'conformance', runName: 'sweep' });
      const child = await tracker.startRun({ experimentName: 'conformance', runName: 'trial', parent, params: { 'loss.use': 'info-nce' }, tags: { 'crops.configHash': 'c0ffee' } });
      tracker.logMetrics(child, [
        { key: 'train/loss', value: 2.5, step: 1 },
        { key: 'train/loss', value: 1.5, step: 2 },
      ]);
      await tracker.logArtifact(child, 'notes/a.txt', 'hello');
      expect(await tracker.findFinished?.('conformance', 'c0ffee')).toBeUndefined();
      await tracker.endRun(child, 'FINISHED');
      await tracker.endRun(parent, 'FINISHED');
      await tracker.flush();
      if (tracker.findFinished) {
        const found = await tracker.findFinished('conformance', 'c0ffee');
        expect(found?.run.runId).toBe(child.runId);
        expect(found?.metrics['train/loss']).toBe(1.5);
        // a fully resumed sweep names the existing sweep run from this tag instead of starting one
        if (found?.tags) expect(found.tags['mlflow.parentRunId']).toBe(parent.runId);
        expect(await tracker.findFinished('conformance', 'other')).toBeUndefined();
      }
      expect(['string', 'undefined']).toContain(typeof tracker.location());
    });
  });
}

/** Every backend: a probe that answers without throwing, and says why when it cannot load. */
export function describeBackendConformance(descriptor: PluginDescriptor): void {
  describe(`backend conformance: ${descriptor.name}`, () => {
    descriptorChecks(descriptor);
    it('probes without side effects and explains unavailability', async () => {
      const backend = instantiate<Backend>(descriptor as PluginDescriptor<never, Backend>);
      const probe = await backend.probe();
      expect(typeof probe.available).toBe('boolean');
      if (!probe.available) expect(probe.reason).toBeTruthy();
    });
  });
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Writes an external loss plugin `nan-loss` whose value depends on the scores (so gradients flow)
 * but is NaN from the first step, for tests of failure handling. It lives in a fresh folder inside
 * the project's `.crops-cache`, so it resolves inversify, zod and tfjs like a user's plugin would;
 * the folder is removed after the calling test file, so no run leaves it in the project.
 */
export function writeNanLossPlugin(prefix: string): { dir: string; file: string } {
  mkdirSync('.crops-cache', { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), '.crops-cache', `${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'nan-loss.js');
  writeFileSync(
    file,
    `import { injectable } from 'inversify';
import { z } from 'zod';
import * as tf from '@tensorflow/tfjs-core';
class NanLoss { compute(scores) { return tf.mul(tf.sum(scores), NaN); } variables() { return []; } stats() { return {}; } }
injectable()(NanLoss);
export default { kind: 'loss', name: 'nan-loss', summary: 'always NaN, to test failure handling', schema: z.object({}).strict(), implementation: NanLoss };
`,
  );
  return { dir, file };
}

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { PluginRef } from '../config/trial-config.ts';
import { isDiskFull, writeError } from '../core/atomic-write.ts';
import { ENCODER_REF_FILE, TOWERS_ARTIFACT, type Encoder } from '../extension-points/encoder.ts';

/**
 * Files of the trained towers, as (path under the run's artifacts, bytes): whatever the encoder's
 * `save` writes, plus {@link ENCODER_REF_FILE}. Saving goes through a scratch folder because
 * trackers take artifacts one file at a time and may live on another machine.
 */
export async function towerArtifacts(encoder: Encoder, ref: PluginRef): Promise<Array<[string, Uint8Array]>> {
  if (!encoder.save) throw new Error(`encoder '${ref.use}' cannot save its towers; remove train.saveTowers or pick an encoder that can (e.g. hash-mlp)`);
  const dir = mkdtempSync(join(tmpdir(), 'crops-towers-'));
  try {
    try {
      await encoder.save(dir);
      writeFileSync(join(dir, ENCODER_REF_FILE), `${JSON.stringify({ use: ref.use, params: ref.params }, null, 2)}\n`);
    } catch (e) {
      // the scratch folder goes in `finally`, so the space comes back either way
      throw isDiskFull(e) ? writeError('the trained towers to the scratch folder', dir, e) : e;
    }
    // encoders may write sub-folders (a Hugging Face directory has 1_Pooling/config.json)
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
      .sort()
      .map((name) => [`${TOWERS_ARTIFACT}/${name}`, new Uint8Array(readFileSync(join(dir, name)))]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

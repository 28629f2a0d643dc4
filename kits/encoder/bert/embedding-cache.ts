import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Embeddings of a list of texts on disk, keyed by everything they depend on: the tower's weights
 * (a hash of their bytes), the forward settings (length, pooling) and the texts. Evaluating one
 * model again (another metric, a re-run) then encodes the corpus once. Writes are atomic.
 */
export class EmbeddingCache {
  constructor(private readonly dir: string | undefined) {}

  static key(weightsHash: string, settings: unknown, texts: readonly string[]): string {
    const h = createHash('sha256').update(weightsHash).update(JSON.stringify(settings));
    for (const t of texts) h.update(String(t.length)).update(':').update(t);
    return h.digest('hex').slice(0, 32);
  }

  get(key: string, expectedLength: number): Float32Array | undefined {
    if (!this.dir) return undefined;
    const file = join(this.dir, `${key}.f32`);
    if (!existsSync(file)) return undefined;
    const bytes = readFileSync(file);
    if (bytes.length !== expectedLength * 4) return undefined;
    const out = new Float32Array(expectedLength);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }

  put(key: string, values: Float32Array): void {
    if (!this.dir) return;
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${key}.f32`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    renameSync(tmp, file);
  }
}

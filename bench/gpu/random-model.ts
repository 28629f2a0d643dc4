/**
 * Writes a Hugging Face BERT folder with random weights of a real model's shapes:
 * `node bin/run-ts.js bench/gpu/random-model.ts write SKELETON_DIR OUT_DIR` (bench/gpu/pack.sh makes the
 * skeleton with `random-model.ts shapes`).
 *
 * The real all-MiniLM-L6-v2 weights (87 MiB) cannot travel to the GPU machine beside the runtime
 * within the working tree's 64 MiB, and nothing can be downloaded there. The bench's times depend on
 * the shapes only (every kernel is dense, with no data-dependent work), so the pack carries the
 * model's small files and a `tensors.json` of tensor names and shapes, and this script fills them in
 * there. Weights are N(0, 0.02²) as in BERT's initialisation, LayerNorm scales 1, biases 0, so the
 * activations stay in the range the real model's do. It also writes the marker file that makes the
 * bench say so beside every MiniLM figure.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type StoredTensor } from '../../kits/encoder/bert/safetensors.ts';
import { Rng } from '../../src/core/rng.ts';
import { RANDOM_WEIGHTS_MARKER } from '../pretrained-tower.ts';

/** Name of the skeleton's file of tensor shapes (F32 tensors only: what the encoder reads). */
export const TENSOR_SHAPES_FILE = 'tensors.json';

export async function writeRandomModel(skeleton: string, out: string, seed = 1): Promise<void> {
  mkdirSync(out, { recursive: true });
  cpSync(skeleton, out, { recursive: true, filter: (src) => !src.endsWith(TENSOR_SHAPES_FILE) });
  const shapes = JSON.parse(readFileSync(join(skeleton, TENSOR_SHAPES_FILE), 'utf8')) as Record<string, number[]>;
  const rng = new Rng(seed);
  const tensors = new Map<string, StoredTensor>();
  for (const [name, shape] of Object.entries(shapes)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('LayerNorm.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < data.length; i++) data[i] = 0.02 * rng.normal();
    tensors.set(name, { shape, data });
  }
  await writeSafetensors(join(out, 'model.safetensors'), tensors);
  writeFileSync(join(out, RANDOM_WEIGHTS_MARKER), 'random weights of the real model\'s shapes, written by bench/gpu/random-model.ts\n');
}

/** The names and shapes of a safetensors file's F32 tensors, as the skeleton's `tensors.json`. */
export function tensorShapes(file: string): Record<string, number[]> {
  return Object.fromEntries([...readSafetensors(file)].map(([name, t]) => [name, t.shape]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, a, b] = process.argv.slice(2);
  if (command === 'shapes' && a) console.log(JSON.stringify(tensorShapes(a)));
  else if (command === 'write' && a && b) {
    await writeRandomModel(a, b);
    console.log(`wrote ${b} (random weights)`);
  } else {
    console.error('usage: random-model.ts shapes MODEL.safetensors > tensors.json | random-model.ts write SKELETON_DIR OUT_DIR');
    process.exit(2);
  }
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from './safetensors.ts';

describe('safetensors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crops-st-'));

  it('writes and reads back F32 tensors exactly, with an 8-byte aligned data section', async () => {
    const tensors = new Map([
      ['b.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, -0, 7]) }],
      ['a.bias', { shape: [3], data: Float32Array.from([0.1, 0.2, 0.3]) }],
    ]);
    const file = join(dir, 'm.safetensors');
    await writeSafetensors(file, tensors);
    const back = readSafetensors(file);
    expect([...back.keys()].sort()).toEqual(['a.bias', 'b.weight']);
    for (const [name, t] of tensors) {
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(Array.from(back.get(name)!.data)).toEqual(Array.from(t.data));
    }
  });

  it('skips non-F32 tensors and refuses what is not a safetensors file', () => {
    const header = JSON.stringify({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] }, w: { dtype: 'F32', shape: [1], data_offsets: [16, 20] } });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const data = Buffer.alloc(20);
    data.writeFloatLE(2.5, 16);
    const file = join(dir, 'mixed.safetensors');
    writeFileSync(file, Buffer.concat([len, Buffer.from(header), data]));
    const t = readSafetensors(file);
    expect([...t.keys()]).toEqual(['w']);
    expect(t.get('w')!.data[0]).toBe(2.5);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, 'not a model');
    expect(() => readSafetensors(bad)).toThrow(/bad\.safetensors: not a safetensors file/);
  });
});

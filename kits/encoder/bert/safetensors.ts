import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian buffers. Written by
 * hand because the format is this small and the npm packages that read it are either unmaintained
 * stubs or pull in a whole inference runtime; only F32 tensors (what BERT checkpoints store) are
 * read as data, other dtypes (e.g. the I64 `position_ids` buffer) are listed and skipped.
 */

export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** F32 tensors of a safetensors file by name; throws naming the file when it is not one. */
export function readSafetensors(file: string): Map<string, StoredTensor> {
  const bytes = readFileSync(file);
  if (bytes.length < 8) throw new Error(`${file}: not a safetensors file (shorter than its 8-byte header length)`);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  if (headerLength <= 0 || 8 + headerLength > bytes.length) throw new Error(`${file}: not a safetensors file (header length ${headerLength} does not fit ${bytes.length} bytes)`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as typeof header;
  } catch (e) {
    throw new Error(`${file}: safetensors header is not JSON (${(e as Error).message})`, { cause: e });
  }
  const base = 8 + headerLength;
  const out = new Map<string, StoredTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [start, end] } = entry as HeaderEntry;
    if (dtype !== 'F32') continue;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - start !== count * 4 || base + end > bytes.length) throw new Error(`${file}: tensor '${name}' byte range [${start}, ${end}) does not hold ${count} float32 values`);
    // copy into an aligned buffer: the data section need not start at a multiple of 4
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(base + start, base + end));
    out.set(name, { shape, data });
  }
  return out;
}

/** Writes F32 tensors as a safetensors file, names in sorted order (as the Python writer does). */
export async function writeSafetensors(file: string, tensors: ReadonlyMap<string, StoredTensor>, metadata: Record<string, string> = { format: 'pt' }): Promise<void> {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const size = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  // pad the header with spaces so the data section starts 8-byte aligned
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const parts: Uint8Array[] = [head, Buffer.from(json, 'utf8')];
  for (const name of names) {
    const d = tensors.get(name)!.data;
    parts.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  await writeFile(file, Buffer.concat(parts));
}

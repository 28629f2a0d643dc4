/**
 * Log tables are read as UTF-8 that must be valid: a lenient decoder turns every undecodable byte
 * into U+FFFD, so two distinct ids such as `a\xff` and `a\xfe` would become one item. An invalid
 * byte is reported at file:line:col (bytes from the line start) instead.
 */
import { createReadStream } from 'node:fs';
import { CropsError } from '../../../src/core/errors.ts';

/** The decoded text of `file`, chunk by chunk; throws a located CropsError at the first invalid byte. */
export async function* strictUtf8(file: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield decoder.decode(chunk as Buffer, { stream: true });
    const tail = decoder.decode();
    if (tail) yield tail;
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    throw await invalidByteError(file);
  }
}

/** Finds the first byte that is not valid UTF-8 and says where it is. */
async function invalidByteError(file: string): Promise<CropsError> {
  let line = 1;
  let col = 1;
  // bytes still expected to complete the current sequence, and the allowed range of the next one
  let need = 0;
  let lo = 0x80;
  let hi = 0xbf;
  let start = { line: 1, col: 1, byte: 0 };
  const fail = (byte: number, at: { line: number; col: number }) =>
    new CropsError(
      `${file}:${at.line}:${at.col}: byte 0x${byte.toString(16).padStart(2, '0')} is not valid UTF-8; ids and text must be UTF-8 ` +
        '(an undecodable byte would make distinct ids equal). Re-encode the file, e.g. `iconv -f latin1 -t utf-8`.',
    );
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    for (const b of chunk as Buffer) {
      if (need > 0) {
        if (b < lo || b > hi) return fail(start.byte, start);
        need--;
        lo = 0x80;
        hi = 0xbf;
      } else if (b >= 0x80) {
        start = { line, col, byte: b };
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          if (b === 0xe0) lo = 0xa0;
          if (b === 0xed) hi = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          if (b === 0xf0) lo = 0x90;
          if (b === 0xf4) hi = 0x8f;
        } else return fail(b, start);
      }
      if (b === 0x0a) {
        line++;
        col = 1;
      } else col++;
    }
  }
  return fail(start.byte, start);
}

/**
 * `line` (one JSON value) with every integer literal of 16 or more digits turned into a string, so
 * `JSON.parse` keeps ids above 2^53 exact instead of rounding two of them to the same number.
 * Strings in the line are skipped over, so digits inside them are never touched.
 */
export function quoteLongIntegers(line: string): string {
  if (!/\d{16}/.test(line)) return line;
  let out = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      out += line.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const m = /^-?\d+(?![.eE\d])/.exec(line.slice(i, i + 400));
    if (m && (i === 0 || !/[\w.]/.test(line[i - 1]!))) {
      out += m[0].replace(/^-/, '').length >= 16 ? `"${m[0]}"` : m[0];
      i += m[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
